/**
 * A fake clock for the reconciler: one time for its monotonic and wall clocks, and a scheduler
 * whose timers fire only when the test advances the time. Nothing here waits in real time:
 * between timers it only lets pending promises and setImmediate callbacks run.
 */
import type { Scheduler } from '../../src/daemon/loop.js';

interface Timer { id: number; at: number; fn: () => void }

export class FakeTime implements Scheduler {
  /** Monotonic ms; starts well past 0 so periodic work (every sweepMs) runs on the first tick. */
  t = 1_000_000;
  private readonly wallBase = Date.parse('2026-11-25T12:00:00Z') - this.t;
  private timers: Timer[] = [];
  private seq = 0;

  readonly mono = (): number => this.t;
  readonly wall = (): number => this.wallBase + this.t;

  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clear(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  /** Moves the time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    await settle();
  }

  /** Advances in steps of `stepMs` until `cond` holds; throws after `maxMs` of fake time. */
  async until(what: string, cond: () => boolean, maxMs: number, stepMs = 100): Promise<void> {
    for (let spent = 0; !cond(); spent += stepMs) {
      if (spent >= maxMs) throw new Error(`${what}: not within ${maxMs} ms of fake time`);
      await this.advance(stepMs);
    }
  }
}

/** Lets promise chains and setImmediate callbacks (batched writes) run to the end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 25; i++) await new Promise<void>((r) => setImmediate(r));
}
