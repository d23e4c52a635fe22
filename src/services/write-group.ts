import type { Store } from '../store/store.js';

/** What a write group needs of the store: savepoints in one transaction, retried while another connection holds the lock. */
export type GroupStore = Pick<Store, 'writeEach' | 'retryBusy'>;

interface Pending<T> {
  work: () => T;
  resolve: (r: T) => void;
  reject: (e: unknown) => void;
}

/**
 * Commits synchronous writes that arrive together (in the same turn of the event loop) in one
 * transaction, each in its own savepoint: every caller gets its own result or its own error,
 * and a failing item does not fail the others. Items run in the order they arrived.
 */
export class WriteGroup {
  private pending: Array<Pending<unknown>> = [];
  private scheduled = false;
  /** Transactions this group has committed, and the items they held (for tests and logs). */
  readonly stats = { groups: 0, items: 0 };

  constructor(private readonly store: GroupStore, private readonly maxItems = 256) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve, reject } as Pending<unknown>);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxItems);
      try {
        // A held lock fails the group before any item runs, so running it again is safe.
        const results = await this.store.retryBusy(() => this.store.writeEach(batch.map((p) => () => syncOnly(p.work()))));
        this.stats.groups++;
        this.stats.items += batch.length;
        batch.forEach((p, i) => {
          const r = results[i];
          if (r instanceof Error) p.reject(r);
          else p.resolve(r);
        });
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
  }
}

/** A promise cannot be part of a transaction that commits synchronously. */
function syncOnly<T>(r: T): T {
  if (r && typeof (r as { then?: unknown }).then === 'function') throw new Error('a grouped write must be synchronous');
  return r;
}
