/**
 * When each node is next due, as a binary min-heap. Entries are never removed in place: a
 * node's newer time supersedes its older entries, which are skipped when they surface.
 * So scheduling costs O(log n) however many nodes wait.
 */
export class DueQueue {
  private heap: Array<{ at: number; id: string }> = [];
  private readonly latest = new Map<string, number>();

  set(id: string, at: number): void {
    this.latest.set(id, at);
    if (at === Number.POSITIVE_INFINITY) return;
    this.heap.push({ at, id });
    this.up(this.heap.length - 1);
  }

  delete(id: string): void {
    this.latest.delete(id);
  }

  /** The earliest time anything is due, or Infinity. */
  peek(): number {
    this.dropStale();
    return this.heap.length ? this.heap[0].at : Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the id due earliest if it is due by `now`. */
  popDue(now: number): string | undefined {
    this.dropStale();
    if (!this.heap.length || this.heap[0].at > now) return undefined;
    const top = this.pop();
    this.latest.delete(top.id);
    return top.id;
  }

  private dropStale(): void {
    while (this.heap.length && this.latest.get(this.heap[0].id) !== this.heap[0].at) this.pop();
  }

  private pop(): { at: number; id: string } {
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l].at < h[m].at) m = l;
      if (r < h.length && h[r].at < h[m].at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
}
