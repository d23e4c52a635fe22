import type { DueQueue } from './due-queue.js';

/** Timers, so that a test can run the loop on a fake clock. */
export interface Scheduler {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface LoopHooks {
  /** Another process committed (data_version moved) or a wake-up was asked for. */
  changed(): void;
  /** First thing on every tick (the database's write health). */
  everyTick(now: number): void;
  /** Work on a period: session sweep, housekeeping. */
  periodic: Array<{ everyMs: number; run(): void }>;
  /** How many more steps may start now. */
  room(): number;
  /** The node `id` is due. */
  due(id: string): void;
  /** A tick threw: what to log. */
  failed(e: unknown): void;
}

/**
 * The reconciler's heartbeat: a tick looks for changes by others (SQLite's data_version, or a
 * wake-up from the API), runs periodic work, and starts the steps of due nodes while there is
 * room; then it sleeps until the next node is due, at most `watchMs`.
 */
export class Loop {
  private timer: unknown;
  private stopped = false;
  private wakeRequested = true;
  private lastDataVersion = -1;
  private readonly lastRun: number[];

  constructor(
    private readonly queue: DueQueue,
    private readonly hooks: LoopHooks,
    private readonly dataVersion: () => number,
    private readonly mono: () => number,
    private readonly opts: { watchMs: number; retryBackoffMs: number },
    private readonly scheduler: Scheduler = realScheduler,
  ) {
    this.lastRun = hooks.periodic.map(() => 0);
  }

  /** Look on the next tick, not later. */
  wake(): void {
    this.wakeRequested = true;
    this.schedule(0);
  }

  /** Reload on the next tick (whenever it comes). */
  markChanged(): void {
    this.wakeRequested = true;
  }

  schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.scheduler.clear(this.timer);
    this.timer = this.scheduler.set(() => this.tick(), ms);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.scheduler.clear(this.timer);
    this.timer = undefined;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    try {
      const dv = this.dataVersion();
      if (dv !== this.lastDataVersion || this.wakeRequested) {
        this.lastDataVersion = dv;
        this.wakeRequested = false;
        this.hooks.changed();
      }
      const now = this.mono();
      this.hooks.everyTick(now);
      this.hooks.periodic.forEach((p, i) => {
        if (now - this.lastRun[i] < p.everyMs) return;
        this.lastRun[i] = now;
        p.run();
      });
      for (let id = this.next(now); id !== undefined; id = this.next(now)) this.hooks.due(id);
      this.schedule(Math.min(this.opts.watchMs, Math.max(1, this.queue.peek() - now)));
    } catch (e) {
      this.hooks.failed(e);
      this.schedule(this.opts.retryBackoffMs);
    }
  }

  private next(now: number): string | undefined {
    return this.hooks.room() > 0 ? this.queue.popDue(now) : undefined;
  }
}
