/** What `bosctl doctor` reports: one row per check, worst status first in importance. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One step of a check made of several (a BMC: tcp, certificate, redfish, credentials). */
export interface StepResult {
  step: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
  steps?: StepResult[];
}

const RANK: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

/** The worst of some statuses (skip only when all are skip). */
export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), 'skip');
}

/** Runs `fn` with a deadline: past it the promise rejects with "no answer in N s". */
export async function withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  try {
    return await Promise.race([fn(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer in ${formatSeconds(ms)}`);
    this.name = 'DeadlineError';
  }
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** An error's message on one line. */
export function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

/** Waits for a client to close, but not for long: a hung peer must not hold doctor up. */
export async function closeQuickly(close: () => Promise<unknown>, ms = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    close().catch(() => undefined),
    new Promise<void>((r) => { timer = setTimeout(r, ms); timer.unref(); }),
  ]);
  clearTimeout(timer);
}
