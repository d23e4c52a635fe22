/** Timers in simulated seconds (scaled to real time), all cancelled by close(). */
export interface Cancel {
  cancel(): void;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(readonly timeScale: number) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Real milliseconds for a span of simulated seconds. */
  ms(simSeconds: number): number {
    return Math.max(0, simSeconds * this.timeScale * 1000);
  }

  /** Runs fn after `simSeconds` of simulated time. */
  after(simSeconds: number, fn: () => void): Cancel {
    return this.afterMs(this.ms(simSeconds), fn);
  }

  /** Runs fn after `ms` real milliseconds. */
  afterMs(ms: number, fn: () => void): Cancel {
    if (this.closed) return { cancel() {} };
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
    return {
      cancel: () => {
        clearTimeout(t);
        this.timers.delete(t);
      },
    };
  }

  /** Resolves after `ms` real milliseconds, or at close() (then with false). */
  sleepMs(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false);
      const c = this.afterMs(ms, () => {
        this.waiters.delete(wake);
        resolve(true);
      });
      const wake = () => {
        c.cancel();
        resolve(false);
      };
      this.waiters.add(wake);
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}
