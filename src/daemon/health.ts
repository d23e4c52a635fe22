/** bosd's dependency monitor: pings BSS, CFS and S3 with back-off and records each on the board. */
import { HealthBoard, type DependencyName } from '../services/health-board.js';

export { DEPENDENCIES, HealthBoard, type DependencyHealth, type DependencyName, type DependencyStatus } from '../services/health-board.js';

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
