/**
 * Refused requests (401, 403) are counted, not stored one by one: anyone who can reach the
 * port could otherwise fill the disk. Per remote address, the first refusal of an interval is
 * logged at once and the rest as one summary line when the interval ends; per interval, at
 * most one aggregated record is handed to `persist` (bosd writes it as one event row).
 */

export interface Refusal {
  remote: string;
  status: 401 | 403;
  /** unknown, revoked, expired, malformed, missing, forbidden. */
  reason: string;
  method: string;
  path: string;
  /** The token's id when the bearer's id part parses (never the secret). */
  tokenId?: string;
  /** Who was refused (403: the principal's name) or why, in words. */
  detail?: string;
}

export interface RefusalSummary {
  /** Interval start and end, as the wall clock said (for display). */
  from: string;
  to: string;
  count: number;
  by_reason: Record<string, number>;
  /** The remotes with the most refusals (at most TOP_REMOTES). */
  remotes: Record<string, number>;
}

export interface RefusalLogOptions {
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  persist?(s: RefusalSummary): void;
  intervalMs?: number;
  /** A monotonic clock in ms (default performance.now); wall time only labels the summary. */
  nowMs?: () => number;
  wallNow?: () => Date;
}

/** Characters of a path that reach the log. */
export const MAX_LOGGED_PATH = 200;
/** Remotes tracked at once; the oldest is summarised and dropped beyond it. */
const MAX_REMOTES = 1000;
const TOP_REMOTES = 10;

interface PerRemote { start: number; suppressed: number; byReason: Map<string, number> }

export function truncatePath(path: string): string {
  return path.length <= MAX_LOGGED_PATH ? path : `${path.slice(0, MAX_LOGGED_PATH)}… (${path.length} characters)`;
}

export class RefusalLog {
  private readonly intervalMs: number;
  private readonly nowMs: () => number;
  private readonly wallNow: () => Date;
  private readonly remotes = new Map<string, PerRemote>();
  private window: { start: number; from: Date; count: number; byReason: Map<string, number>; byRemote: Map<string, number> } | undefined;
  /** Every refusal since start, by reason (for tests and health). */
  readonly totals = new Map<string, number>();

  constructor(private readonly opts: RefusalLogOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.nowMs = opts.nowMs ?? (() => performance.now());
    this.wallNow = opts.wallNow ?? (() => new Date());
  }

  refused(r: Refusal): void {
    const now = this.nowMs();
    this.flush(now);
    this.totals.set(r.reason, (this.totals.get(r.reason) ?? 0) + 1);
    this.window ??= { start: now, from: this.wallNow(), count: 0, byReason: new Map(), byRemote: new Map() };
    const w = this.window;
    w.count++;
    w.byReason.set(r.reason, (w.byReason.get(r.reason) ?? 0) + 1);
    if (w.byRemote.has(r.remote) || w.byRemote.size < MAX_REMOTES) w.byRemote.set(r.remote, (w.byRemote.get(r.remote) ?? 0) + 1);

    const entry = this.remotes.get(r.remote);
    if (entry) {
      entry.suppressed++;
      entry.byReason.set(r.reason, (entry.byReason.get(r.reason) ?? 0) + 1);
      return;
    }
    if (this.remotes.size >= MAX_REMOTES) {
      const [oldest, e] = this.remotes.entries().next().value as [string, PerRemote];
      this.summarise(oldest, e);
      this.remotes.delete(oldest);
    }
    this.remotes.set(r.remote, { start: now, suppressed: 0, byReason: new Map() });
    this.opts.log('warn', r.status === 401 ? 'unauthorized request' : 'forbidden request', {
      method: r.method, path: truncatePath(r.path), remote: r.remote, reason: r.reason,
      ...(r.tokenId ? { token_id: r.tokenId } : {}), ...(r.detail ? { detail: r.detail } : {}),
    });
  }

  /** Ends the intervals that are over: summary lines, and the aggregated record. */
  flush(now = this.nowMs()): void {
    for (const [remote, e] of this.remotes) {
      if (now - e.start < this.intervalMs) continue;
      this.summarise(remote, e);
      this.remotes.delete(remote);
    }
    const w = this.window;
    if (w && now - w.start >= this.intervalMs) {
      this.window = undefined;
      const top = [...w.byRemote].sort((a, b) => b[1] - a[1]).slice(0, TOP_REMOTES);
      try {
        this.opts.persist?.({ from: w.from.toISOString(), to: this.wallNow().toISOString(), count: w.count, by_reason: Object.fromEntries(w.byReason), remotes: Object.fromEntries(top) });
      } catch { /* a full or busy database must not turn a 401 into a 500 */ }
    }
  }

  private summarise(remote: string, e: PerRemote): void {
    if (e.suppressed === 0) return;
    this.opts.log('warn', `${e.suppressed} more refused requests from ${remote} in the last ${Math.round(this.intervalMs / 1000)} s`, {
      remote, count: e.suppressed, by_reason: Object.fromEntries(e.byReason),
    });
  }
}
