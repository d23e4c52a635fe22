/**
 * What bosd depends on, and whether each answers: the database (written by the reconciler's
 * owner), BSS, CFS and S3 (pinged by the monitor below). /v2/healthz, its dependency
 * extension and `bosctl doctor` read the board; nothing at start-up is fatal because a
 * dependency is down (after a site power cut bosd may come up before BSS).
 */

export const DEPENDENCIES = ['database', 'bss', 'cfs', 's3'] as const;
export type DependencyName = (typeof DEPENDENCIES)[number];

/** up: answers; down: does not; unknown: not checked yet; not_configured: bosd runs without it. */
export type DependencyStatus = 'up' | 'down' | 'unknown' | 'not_configured';

export interface DependencyHealth {
  status: DependencyStatus;
  /** Why it is down, or what answered; never a secret. */
  detail: string;
  /** When the status last changed (ISO 8601). */
  since: string;
  /** When it was last checked (ISO 8601), if ever. */
  checked_at: string | null;
}

export class HealthBoard {
  private readonly entries = new Map<DependencyName, DependencyHealth>();
  private readonly listeners = new Set<(name: DependencyName, h: DependencyHealth, before: DependencyStatus) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {
    const t = this.now().toISOString();
    for (const d of DEPENDENCIES) this.entries.set(d, { status: 'unknown', detail: 'not checked yet', since: t, checked_at: null });
  }

  /** Records a check: `ok` up or down, with a one-line detail. */
  set(name: DependencyName, ok: boolean, detail = ''): void {
    this.put(name, ok ? 'up' : 'down', detail);
  }

  /** bosd runs without this dependency (e.g. cfs_url: none). */
  notConfigured(name: DependencyName, detail: string): void {
    this.put(name, 'not_configured', detail);
  }

  get(name: DependencyName): DependencyHealth {
    return { ...this.entries.get(name)! };
  }

  /** True when the dependency is up, or bosd runs without it. */
  usable(name: DependencyName): boolean {
    const s = this.entries.get(name)!.status;
    return s === 'up' || s === 'not_configured';
  }

  snapshot(): Record<DependencyName, DependencyHealth> {
    return Object.fromEntries(DEPENDENCIES.map((d) => [d, this.get(d)])) as Record<DependencyName, DependencyHealth>;
  }

  /** Called on every status change (not on a repeated check with the same status). */
  onChange(fn: (name: DependencyName, h: DependencyHealth, before: DependencyStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private put(name: DependencyName, status: DependencyStatus, detail: string): void {
    const t = this.now().toISOString();
    const old = this.entries.get(name)!;
    const h: DependencyHealth = { status, detail, since: old.status === status ? old.since : t, checked_at: t };
    this.entries.set(name, h);
    if (old.status !== status) for (const fn of this.listeners) fn(name, { ...h }, old.status);
  }
}

export interface Probe {
  name: DependencyName;
  /** Resolves when the dependency answers (or says it is not configured); rejects with a one-line reason otherwise. */
  check(): Promise<string | void | { notConfigured: string }>;
}

export interface MonitorTiming {
  /** First wait after a failed check; doubles per failure up to downMaxMs. */
  downFirstMs: number;
  downMaxMs: number;
  /** Wait between checks while up. */
  upMs: number;
}

export const MONITOR_TIMING: MonitorTiming = { downFirstMs: 1000, downMaxMs: 60_000, upMs: 30_000 };

/** The wait before the next check: back-off while down (1 s, 2 s, 4 s ... 60 s), steady while up. */
export function nextCheckDelay(failures: number, t: MonitorTiming = MONITOR_TIMING): number {
  if (failures <= 0) return t.upMs;
  return Math.min(t.downMaxMs, t.downFirstMs * 2 ** Math.min(failures - 1, 30));
}

export interface Scheduler {
  schedule(fn: () => void, ms: number): { cancel(): void };
}

const realScheduler: Scheduler = {
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Checks each probe at once, then again per nextCheckDelay, and writes the outcome to the
 * board. Returns stop(), which cancels the timers (a check in flight finishes unrecorded).
 */
export function startMonitor(board: HealthBoard, probes: Probe[], opts: { timing?: MonitorTiming; scheduler?: Scheduler } = {}): { stop(): void; checkNow(): Promise<void> } {
  const timing = opts.timing ?? MONITOR_TIMING;
  const scheduler = opts.scheduler ?? realScheduler;
  let stopped = false;
  const loops = probes.map((p) => {
    let failures = 0;
    let timer: { cancel(): void } | undefined;
    let running: Promise<void> | undefined;
    const once = async (): Promise<void> => {
      timer?.cancel();
      try {
        const r = await p.check();
        if (stopped) return;
        failures = 0;
        if (typeof r === 'object') board.notConfigured(p.name, r.notConfigured);
        else board.set(p.name, true, r || 'answers');
      } catch (e) {
        if (stopped) return;
        failures++;
        board.set(p.name, false, oneLineOf(e));
      }
    };
    const run = (): Promise<void> => {
      // .finally runs after the assignment, even when the check fails at once.
      running ??= once().finally(() => {
        running = undefined;
        if (!stopped) timer = scheduler.schedule(() => { void run(); }, nextCheckDelay(failures, timing));
      });
      return running;
    };
    return { run, cancel: () => timer?.cancel() };
  });
  for (const l of loops) void l.run();
  return {
    stop() { stopped = true; for (const l of loops) l.cancel(); },
    async checkNow() { await Promise.all(loops.map((l) => l.run())); },
  };
}

function oneLineOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*[\r\n]+\s*/g, ' ').trim().slice(0, 500);
}
