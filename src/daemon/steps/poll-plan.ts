import type { NodeTable, NodeWork } from '../node-work.js';

/** A change bosd asked for and waits to see: the node off, on, or configured by CFS. */
export type ChangeKind = 'off' | 'on' | 'cfs';

/** The change a node waits for, since its request (monotonic ms). */
export interface Watch {
  kind: ChangeKind;
  since: number;
  /** Start of the last read that did not see the change. */
  notSeen: number;
  /** Reads since the estimate's first read came and went without the change. */
  misses: number;
  /** When its next read is planned. */
  next: number;
}

export interface PollConfig {
  powerPollMs: number;
  cfsPollMs: number;
}

/** Scouts per kind while nothing is known of it: they read often so that the others need not. */
const SCOUTS = 2;
/** How often a scout reads, and the first back-off step after a missed estimate. */
export const FINE_MS = 250;
/** A scout that has not seen its change after this long reads like the others (a stuck node). */
const SCOUT_MAX_MS = 120_000;
const RECENT = 32;
/** While nothing is known of a kind, the other nodes read every this many poll intervals. */
const SLOW_POLLS = 16;

/**
 * How long a kind of change takes after its request, learned from changes seen so far. Each
 * sighting gives an interval: after the last read that did not see it (lo), by the first read
 * that did (hi). A late first sighting widens the interval but does not move lo, so the estimate
 * is the typical hi, kept no later than just after the typical lo.
 */
export class ChangeTimes {
  private readonly seen = new Map<ChangeKind, Array<{ lo: number; hi: number }>>();
  private readonly estimate = new Map<ChangeKind, number>();

  observe(kind: ChangeKind, lo: number, hi: number): void {
    const a = this.seen.get(kind) ?? [];
    a.push({ lo: Math.max(0, Math.min(lo, hi)), hi: Math.max(0, hi) });
    if (a.length > RECENT) a.shift();
    this.seen.set(kind, a);
    const late = quantile(a.map((x) => x.lo), 0.9);
    const early = quantile(a.map((x) => x.hi), 0.1);
    this.estimate.set(kind, Math.min(early, late + FINE_MS));
  }

  /** Milliseconds after a request when the change is expected, or undefined while none was seen. */
  expected(kind: ChangeKind): number | undefined {
    return this.estimate.get(kind);
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * The one place where a node's next read of a change it waits for is planned (its power after
 * a request, its CFS state after enabling). The first read comes when the change is expected
 * (learned), then reads back off from FINE_MS to the configured poll interval. While nothing is
 * known of a kind, a few scouts read every FINE_MS and the rest read seldom; once a scout sees
 * the change, every waiting node of that kind is due at its request + the estimate.
 */
export class PollPlanner {
  readonly times = new ChangeTimes();
  private readonly scouts = new Map<ChangeKind, Set<string>>();
  private readonly waiting = new Map<ChangeKind, Set<string>>([['off', new Set()], ['on', new Set()], ['cfs', new Set()]]);

  constructor(private readonly config: PollConfig, private readonly nodes: NodeTable) {}

  /** The node's request (or CFS enablement) was made at `at`: it starts waiting for the change. */
  start(w: NodeWork, kind: ChangeKind, at: number, readAtOnce = false): number {
    this.end(w);
    const watch: Watch = { kind, since: at, notSeen: at, misses: 0, next: at };
    w.watch = watch;
    const waiting = this.waiting.get(kind)!;
    // Records replaced by a reload keep their watch; ids of nodes let go are dropped now and then.
    if (waiting.size > this.nodes.size + 64) this.prune(kind, waiting);
    waiting.add(w.id);
    if (this.times.expected(kind) === undefined) {
      const s = this.scouts.get(kind) ?? new Set<string>();
      this.scouts.set(kind, s);
      if (s.size >= SCOUTS) this.prune(kind, s);
      if (s.size < SCOUTS) s.add(w.id);
    }
    watch.next = readAtOnce ? at : this.plan(w.id, watch, at);
    return watch.next;
  }

  /** A read of the watched fact began at `start` and ended at `end`; `changed`: it saw the change. */
  read(w: NodeWork, changed: boolean, start: number, end: number): void {
    const watch = w.watch;
    if (!watch) return;
    if (!changed) {
      watch.notSeen = Math.max(watch.notSeen, start);
      if (this.times.expected(watch.kind) !== undefined && start >= watch.since + this.times.expected(watch.kind)!) watch.misses++;
      return;
    }
    const first = this.times.expected(watch.kind) === undefined;
    this.times.observe(watch.kind, watch.notSeen - watch.since, end - watch.since);
    this.end(w);
    if (first) this.wakeWaiting(watch.kind, end);
  }

  /** When the node should next read the change it waits for (undefined: it waits for none). */
  nextRead(w: NodeWork, now: number): number | undefined {
    const watch = w.watch;
    if (!watch) return undefined;
    watch.next = this.plan(w.id, watch, now);
    return watch.next;
  }

  /** The node no longer waits (seen, forgotten, or a new request). */
  end(w: NodeWork): void {
    const watch = w.watch;
    if (!watch) return;
    w.watch = undefined;
    this.waiting.get(watch.kind)!.delete(w.id);
    this.scouts.get(watch.kind)?.delete(w.id);
  }

  private plan(id: string, watch: Watch, now: number): number {
    const poll = watch.kind === 'cfs' ? this.config.cfsPollMs : this.config.powerPollMs;
    const expected = this.times.expected(watch.kind);
    const elapsed = now - watch.since;
    if (expected !== undefined) {
      if (elapsed < expected) return watch.since + expected;
      return now + Math.min(poll, FINE_MS * 2 ** Math.max(0, watch.misses - 1));
    }
    const scouts = this.scouts.get(watch.kind);
    if (scouts?.has(id)) {
      if (elapsed < SCOUT_MAX_MS) return now + FINE_MS;
      scouts.delete(id);
    }
    // Nothing known yet: the scouts read for it; a safety read every 16 poll intervals in case
    // none of them sees a change (a scout's sighting makes it due at once).
    const slow = SLOW_POLLS * poll;
    return watch.since + slow * Math.max(1, Math.floor(elapsed / slow) + 1);
  }

  /** The first estimate of a kind: every node waiting for it is due at its request + the estimate. */
  private wakeWaiting(kind: ChangeKind, now: number): void {
    const expected = this.times.expected(kind)!;
    this.prune(kind, this.waiting.get(kind)!);
    for (const id of this.waiting.get(kind)!) {
      const w = this.nodes.get(id)!;
      const watch = w.watch!;
      const at = Math.max(now, watch.since + expected);
      if (at < watch.next) {
        watch.next = at;
        this.nodes.setDue(w, at);
      }
    }
  }

  /** Drops the ids of nodes that no longer wait for this kind of change. */
  private prune(kind: ChangeKind, ids: Set<string>): void {
    for (const id of ids) if (this.nodes.get(id)?.watch?.kind !== kind) ids.delete(id);
  }
}
