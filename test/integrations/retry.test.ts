import { describe, expect, it } from 'vitest';
import { RetriesExhausted, retryDelayMs, withRetry, type RetryPolicy } from '../../src/core/retry.js';

const POLICY: RetryPolicy = { attempts: 4, minDelayMs: 100, maxDelayMs: 1_000, factor: 3 };

/** A sleep that records what it was asked to wait, and waits for nothing. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => { waits.push(ms); } };
}

describe('withRetry: the one retry loop of the HTTP clients', () => {
  it('backs off by the factor up to the bound, then returns the last answer with the number of tries', async () => {
    const { waits, sleep } = fakeSleep();
    const r = await withRetry(POLICY, async (n) => ({ status: 503, n }), { retryError: () => true, retryAnswer: (a) => a.status === 503, sleep });
    expect(r).toEqual({ answer: { status: 503, n: 4 }, attempts: 4 });
    expect(waits).toEqual([100, 300, 900]);
  });

  it('waits what Retry-After says (capped by the bound) before retrying an answer', async () => {
    const { waits, sleep } = fakeSleep();
    const answers = [{ status: 429, after: '1' }, { status: 429, after: '60' }, { status: 200, after: undefined }];
    const r = await withRetry(POLICY, async (n) => answers[n - 1]!, { retryError: () => true, retryAnswer: (a) => a.status === 429, retryAfter: (a) => a.after, sleep });
    expect(r.attempts).toBe(3);
    expect(waits).toEqual([1_000, 1_000]);
    expect(retryDelayMs({ ...POLICY, maxDelayMs: 5_000 }, 1, '2')).toBe(2_000);
  });

  it('stops at a failure the rules do not retry, or once stopped, naming the tries made', async () => {
    const { waits, sleep } = fakeSleep();
    const fatal = await withRetry(POLICY, async (n) => { throw new Error(n === 1 ? 'transient' : 'fatal'); }, { retryError: (e) => (e as Error).message === 'transient', sleep })
      .catch((e: unknown) => e);
    expect(fatal).toBeInstanceOf(RetriesExhausted);
    expect(fatal).toMatchObject({ attempts: 2, error: new Error('fatal') });
    expect(waits).toEqual([100]);

    let stopped = false;
    const closing = await withRetry(POLICY, async () => { stopped = true; throw new Error('down'); }, { retryError: () => true, stopped: () => stopped, sleep })
      .catch((e: unknown) => e);
    expect(closing).toMatchObject({ attempts: 1 });
  });

  it('never retries past the policy: one attempt means one try', async () => {
    let tries = 0;
    const e = await withRetry({ ...POLICY, attempts: 1 }, async () => { tries++; throw new Error('down'); }, { retryError: () => true }).catch((x: unknown) => x);
    expect(tries).toBe(1);
    expect(e).toMatchObject({ attempts: 1 });
  });
});
