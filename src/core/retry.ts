/**
 * Retries as data, one loop for every HTTP client: a policy (attempts, backoff bounds and
 * factor), rules saying which failures and answers are worth another try, and `Retry-After`
 * honoured when an answer carries one.
 */

/** `attempts` counts every try (1 = no retry). */
export interface RetryPolicy {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export interface RetryRules<T> {
  /** Whether a failed try may be repeated. */
  retryError(error: unknown): boolean;
  /** Whether an answer is worth another try (default: never). */
  retryAnswer?(answer: T): boolean;
  /** The server's `Retry-After` for an answer retried (seconds or an HTTP date). */
  retryAfter?(answer: T): string | undefined;
  /** Checked before each retry: true stops retrying (a closing client). */
  stopped?(): boolean;
  /** Waits between tries (tests give a fake one). */
  sleep?(ms: number): Promise<void>;
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds, or undefined when absent/invalid. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * How long to wait before try number `failedAttempts + 1`: `Retry-After` when the server gave
 * one, else minDelayMs * factor^(failedAttempts-1); both capped at maxDelayMs.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, retryAfter?: string, now?: number): number {
  const fromServer = parseRetryAfter(retryAfter, now);
  const backoff = policy.minDelayMs * policy.factor ** Math.max(0, failedAttempts - 1);
  return Math.min(fromServer ?? backoff, policy.maxDelayMs);
}

export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last failure and how many tries it took: the caller words the final error. */
export class RetriesExhausted extends Error {
  constructor(readonly error: unknown, readonly attempts: number) {
    super('retries exhausted');
  }
}

/**
 * Runs `attempt(n)` for n = 1, 2, ... until it gives an answer not worth another try, or the
 * policy's attempts are used up (then the last answer is returned), or it fails in a way the
 * rules do not retry (then RetriesExhausted carries the failure and the number of tries).
 */
export async function withRetry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>, rules: RetryRules<T>): Promise<{ answer: T; attempts: number }> {
  const wait = rules.sleep ?? sleep;
  for (let n = 1; ; n++) {
    const more = n < policy.attempts;
    let answer: T;
    try {
      answer = await attempt(n);
    } catch (e) {
      if (more && rules.retryError(e) && !rules.stopped?.()) {
        await wait(retryDelayMs(policy, n));
        continue;
      }
      throw new RetriesExhausted(e, n);
    }
    if (more && rules.retryAnswer?.(answer) && !rules.stopped?.()) {
      await wait(retryDelayMs(policy, n, rules.retryAfter?.(answer)));
      continue;
    }
    return { answer, attempts: n };
  }
}
