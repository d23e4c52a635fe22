import { bosError } from './errors.js';

/** Milliseconds per unit of a duration: 500ms, 5s, 4m, 4h, 2d, 1w. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export interface DurationRule {
  /** The flag or option, for the error: "--interval". */
  name: string;
  /** The unit of a bare number, the spelling older releases took (--interval 1000 is ms, doctor --timeout 5 is s). */
  bare: 'ms' | 's';
  /** Bounds in milliseconds, inclusive; 0 is refused unless min is 0. */
  min?: number;
  max?: number;
  /** Whether 0.5 or 1.5m is taken (flags that always took seconds with decimals). */
  fractions?: boolean;
  /** What would be right, for the error: "a duration such as 500ms or 2s". */
  expected: string;
}

/**
 * The one way to say a duration on the command line: a whole number (a decimal one where the
 * rule allows) and a unit (ms, s, m, h, d, w), or a bare number in the rule's older unit.
 * Returns milliseconds.
 */
export function parseDuration(text: string, rule: DurationRule): number {
  const m = (rule.fractions ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/i : /^(\d+)(ms|s|m|h|d|w)?$/i).exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? rule.bare).toLowerCase()]) : NaN;
  const min = rule.min ?? 1;
  if (!Number.isFinite(ms) || ms < min || (rule.max !== undefined && ms > rule.max)) {
    throw bosError('BOS_VALUE_INVALID', `invalid ${rule.name} "${text}": expected ${rule.expected}`);
  }
  return ms;
}

/** 1500 → "1.5s", 300000 → "5m": how a duration is shown back (help defaults, messages). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const n = ms / UNIT_MS[unit];
    if (n >= 1 && Number.isInteger(n * 1000)) return `${n}${unit}`;
  }
  return `${ms}ms`;
}
