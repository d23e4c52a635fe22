/**
 * Timers in simulated seconds (scaled to real time), all cancelled by close(). A manual
 * scheduler keeps its own time instead: nothing fires until `advance` moves it, so a test can
 * step past the moment something would have happened and see that it did not.
 */
export interface Cancel {
  cancel(): void;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private readonly pending = new Set<{ due: number; seq: number; fn: () => void }>();
  private clock = 0;
  private seq = 0;
  private closed = false;

  constructor(readonly timeScale: number, readonly manual = false) {}

  /** Milliseconds: the wall clock, or a manual scheduler's own. */
  now(): number {
    return this.manual ? this.clock : Date.now();
  }

  /** Manual schedulers: moves time `simSeconds` on, running what falls due in order (what it schedules too). */
  advance(simSeconds: number): void {
    if (!this.manual) throw new Error('advance() needs a manual clock');
    const target = this.clock + this.ms(simSeconds);
    for (;;) {
      let next: { due: number; seq: number; fn: () => void } | undefined;
      for (const t of this.pending) if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      if (!next || this.closed) break;
      this.pending.delete(next);
      this.clock = next.due;
      next.fn();
    }
    this.clock = target;
  }

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
    if (this.manual) {
      const entry = { due: this.clock + Math.max(0, ms), seq: this.seq++, fn };
      this.pending.add(entry);
      return { cancel: () => { this.pending.delete(entry); } };
    }
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
    this.pending.clear();
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}
