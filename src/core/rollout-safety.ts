/** bosctl's brakes on a rollout: caps on power operations and a per-session failure budget. */

export interface PowerCaps {
  /** Nodes powering off or on at once, cluster-wide; 0 = no cap. */
  global: number;
  /** Nodes powering off or on at once in one chassis (x…c…); 0 = no cap. */
  perChassis: number;
}

/** May one more node of `chassis` start a power operation while `inFlight` run? Else why not. */
export function admitPowerOp(chassis: string, inFlight: string[], caps: PowerCaps): { ok: true } | { ok: false; reason: string } {
  if (caps.global > 0 && inFlight.length >= caps.global) {
    return { ok: false, reason: `queued: ${inFlight.length} power operations in flight, max_concurrent_power_operations is ${caps.global}` };
  }
  if (caps.perChassis > 0) {
    const here = inFlight.filter((c) => c === chassis).length;
    if (here >= caps.perChassis) {
      return { ok: false, reason: `queued: ${here} power operations in flight in chassis ${chassis}, max_power_operations_per_chassis is ${caps.perChassis}` };
    }
  }
  return { ok: true };
}

/** The number of failed nodes a budget allows before the session halts: "3" → 3, "10%" of 40 → 4. */
export function failureLimit(maxFailures: string, sessionNodes: number): number {
  if (maxFailures.endsWith('%')) return Math.max(1, Math.ceil((Number(maxFailures.slice(0, -1)) / 100) * sessionNodes));
  return Number(maxFailures);
}

export function budgetExhausted(maxFailures: string | null, failed: number, sessionNodes: number): boolean {
  return maxFailures !== null && failed >= failureLimit(maxFailures, sessionNodes);
}

export const HELD_PREFIX = 'held: ';

export function heldReason(session: string): string {
  return `${HELD_PREFIX}failure budget of session ${session} exhausted; "bosctl session resume ${session}" continues, "bosctl session abort ${session}" stops it`;
}
