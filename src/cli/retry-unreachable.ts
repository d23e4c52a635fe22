import { RetriesExhausted, sleep, withRetry } from '../core/retry.js';

export interface UnreachableRetry {
  /** Whether a failure may pass by itself (bosd restarting: refused, reset, no socket yet). */
  mayPass(error: unknown): boolean;
  /** When to give up (monotonic ms), given when this outage began. */
  giveUpAt(outageStartedAt: number): number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** Said once per outage, at its first failure. */
  onOutage(error: unknown): void;
  /** Said when a read succeeds after an outage. */
  onBack?(outageMs: number): void;
}

/**
 * Runs `read`, again with a doubling back-off (core/retry.ts) while it fails in a way that may
 * pass, until the time is up; then, or on a failure that will not pass, its error is thrown as
 * it came. What the watch of a session and `component wait` share.
 */
export async function retryWhileUnreachable<T>(read: () => Promise<T>, o: UnreachableRetry): Promise<T> {
  let since: number | undefined;
  const left = () => (since === undefined ? Infinity : o.giveUpAt(since) - performance.now());
  try {
    const { answer, attempts } = await withRetry({ attempts: Infinity, minDelayMs: o.firstDelayMs, maxDelayMs: o.maxDelayMs, factor: 2 }, read, {
      retryError(e) {
        if (!o.mayPass(e)) return false;
        if (since === undefined) { since = performance.now(); o.onOutage(e); }
        return left() > 0;
      },
      sleep: (ms) => sleep(Math.min(ms, Math.max(0, left()))),
    });
    if (attempts > 1 && since !== undefined) o.onBack?.(performance.now() - since);
    return answer;
  } catch (e) {
    throw e instanceof RetriesExhausted ? e.error : e;
  }
}
