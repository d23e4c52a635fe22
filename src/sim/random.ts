/** A small deterministic PRNG (mulberry32) so fault picks repeat for a given seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks round(rate * items.length) distinct items. */
export function pickShare<T>(items: readonly T[], rate: number, rand: () => number): T[] {
  const count = Math.round(Math.min(1, Math.max(0, rate)) * items.length);
  const pool = items.slice();
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}
