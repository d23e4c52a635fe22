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
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.delayMs > 0) setTimeout(() => void this.run(), this.delayMs);
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

/** Bounds how many calls run at once (Redfish calls in flight). */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
