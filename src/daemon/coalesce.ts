/**
 * Collects calls made close together and runs them as one batch: many nodes' BSS writes
 * become one PUT, many nodes' intents one transaction. Each caller gets its own result.
 */
export class Coalescer<T, R> {
  private pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<Array<R | Error>> | Array<R | Error>,
    private readonly maxBatch = Number.POSITIVE_INFINITY,
    private readonly delayMs = 0,
    /** Runs the batch after `delayMs` (a fake clock's scheduler in tests). */
    private readonly later: (fn: () => void, ms: number) => void = (fn, ms) => { setTimeout(fn, ms); },
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.delayMs > 0) this.later(() => void this.run(), this.delayMs);
        else setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, Math.min(this.pending.length, this.maxBatch));
      try {
        const results = await this.flush(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          const r = results[i];
          if (r instanceof Error) b.reject(r);
          else b.resolve(r as R);
        });
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
  }
}

/**
 * Who waits for a Redfish slot, first served first: a power request (its node is decided and
 * stored), the first read of a node not started yet, then polls of nodes already waiting.
 * Finishing a started node before starting the next gets each node's request out sooner.
 */
export const SLOT = { request: 0, start: 1, poll: 2 } as const;
export type SlotPriority = (typeof SLOT)[keyof typeof SLOT];

/** Bounds how many calls run at once (Redfish calls in flight). */
export class Semaphore {
  private active = 0;
  private readonly queues = [new FifoQueue<() => void>(), new FifoQueue<() => void>(), new FifoQueue<() => void>()];

  constructor(private readonly max: number) {}

  /** Runs fn when a slot is free; waiters are let in by priority (`true` = a request), each kind in order. */
  async run<T>(fn: () => Promise<T>, priority: SlotPriority | boolean = SLOT.poll): Promise<T> {
    const level = priority === true ? SLOT.request : priority === false ? SLOT.poll : priority;
    if (this.active >= this.max) await new Promise<void>((r) => this.queues[level].push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      (this.queues[0].shift() ?? this.queues[1].shift() ?? this.queues[2].shift())?.();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}

/** A queue with O(1) shift: arrays shift in O(n), and 10,000 nodes may wait at once. */
class FifoQueue<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
