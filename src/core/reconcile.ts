import { zeroEventStats } from './component.js';
import { sameArtifacts } from './plan-diff.js';
import type { Options } from './options.js';
import type { Component, Phase } from './types.js';

/**
 * The per-node state machine (DESIGN.md §5) as one pure function: from a component, what
 * bosd has observed, the options and the time, it chooses the next step. The daemon only
 * gathers facts and performs steps; it stores `component` (the intent) before acting.
 */

export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';

export interface Facts {
  /** The node's power as last read from its BMC; undefined when not read yet. */
  power?: PowerState;
  /** The BMC could not be read: why, and how many reads in a row have failed. */
  powerError?: string;
  powerFailures?: number;
  /** CFS's view; null when bosd runs without CFS; undefined when not read yet. */
  cfs?: { desired_config: string; enabled: boolean; configuration_status: string } | null;
  /** Calls setting the desired configuration in CFS that failed in a row (counted by bosd). */
  configureFailures?: number;
  /**
   * When the current last action started, on the clock of `now` (bosd: its monotonic clock).
   * Waits and back-offs count from here. Without it, the stored last_updated is used (pure
   * callers on one wall clock); bosd never derives a deadline from a stored time (DESIGN §2).
   */
  actionStartedAt?: number;
  /** BSS or CFS cannot be reached: the node waits for it, no attempt is spent. */
  serviceDown?: string;
}

export type Step =
  /** Nothing to do until `until` (ms since epoch) or until a fact changes. */
  | { kind: 'wait'; until?: number }
  /** Read these facts, then decide again. */
  | { kind: 'observe'; power: boolean; cfs: boolean }
  | { kind: 'power_off'; mode: 'graceful' | 'forceful' }
  /** BSS boot parameters, and CFS desired configuration with enabled=false. */
  | { kind: 'set_boot_params' }
  | { kind: 'power_on' }
  /** CFS enabled=true with the desired configuration. */
  | { kind: 'configure' }
  | { kind: 'done' }
  | { kind: 'fail'; reason: string };

export interface Decision {
  step: Step;
  /** The component to store before the step runs (phase, last action, attempts, error). */
  component: Component;
}

export interface ReconcileOptions extends Pick<Options,
  'max_power_off_wait_time' | 'max_power_on_wait_time' | 'max_boot_wait_time' | 'default_retry_policy'> {
  /** After a failed call out, wait this long before trying again (ms). */
  retryBackoffMs: number;
}

export { sameArtifacts };

export function wantsOff(c: Component): boolean {
  const a = c.desired_state.boot_artifacts;
  return !a || !a.kernel;
}

/** True when bosd has work for the node: enabled and not failed. */
export function isActive(c: Component): boolean {
  return c.enabled && c.status.status_override !== 'failed';
}

/**
 * `now` is on the clock deadlines are measured with; `wallIso` is what is stored as the time
 * of an action (bosd passes both; a pure caller on one wall clock may pass only `now`).
 */
export function decide(c: Component, facts: Facts, o: ReconcileOptions, now: number, wallIso = new Date(now).toISOString()): Decision {
  const nowIso = wallIso;
  const limit = c.retry_policy ?? o.default_retry_policy;
  const action = c.last_action.action;
  const started = facts.actionStartedAt ?? (c.last_action.last_updated ? Date.parse(c.last_action.last_updated) : now);
  const age = now - started;
  const failedCall = c.last_action.failed === true;

  const keep = (phase: Phase, until?: number): Decision => ({
    step: { kind: 'wait', until },
    component: phase === c.status.phase && c.status.status_override === '' ? c : { ...c, status: { ...c.status, phase, status_override: '' } },
  });
  const act = (step: Step, phase: Phase, lastAction: Component['last_action']['action'], stats?: Partial<Component['event_stats']>): Decision => ({
    step,
    component: {
      ...c,
      status: { ...c.status, phase, status_override: '' },
      last_action: lastAction ? { action: lastAction, failed: false, last_updated: nowIso } : c.last_action,
      event_stats: stats ? { ...c.event_stats, ...stats } : c.event_stats,
    },
  });
  // BOS disables a failed node (operators/status.py), so that its session completes; the
  // failed override and the error stay to be seen until a session or apply-staged takes it up.
  const fail = (reason: string): Decision => ({
    step: { kind: 'fail', reason },
    component: { ...c, enabled: false, error: reason, status: { ...c.status, status_override: 'failed' } },
  });
  const hold = (until: number): Decision => ({
    step: { kind: 'wait', until },
    component: c.status.status_override === 'on_hold' ? c : { ...c, status: { ...c.status, status_override: 'on_hold' } },
  });
  const backoffUntil = (attempts: number) => started + o.retryBackoffMs * 2 ** Math.max(0, attempts - 1);

  if (!isActive(c)) return { step: { kind: 'wait' }, component: c };
  if (facts.power === undefined) {
    if (facts.powerError) {
      if ((facts.powerFailures ?? 1) >= Math.max(1, limit)) return fail(`could not read the power state: ${facts.powerError}`);
      // Its power is unknown: on hold (as BOS shows it), never stable, until a read answers.
      return hold(now + o.retryBackoffMs * 2 ** Math.max(0, (facts.powerFailures ?? 1) - 1));
    }
    return { step: { kind: 'observe', power: true, cfs: false }, component: c };
  }

  const stats = c.event_stats ?? zeroEventStats();
  const powerOff = (): Decision => {
    // Escalate from graceful to forceful after the wait, and retry forceful by policy.
    if (action === 'powering_off_gracefully' && !failedCall) {
      if (age < o.max_power_off_wait_time * 1000) return keep('powering_off', started + o.max_power_off_wait_time * 1000);
      return forceOff();
    }
    if (action === 'powering_off_forcefully') {
      if (!failedCall && age < o.max_power_off_wait_time * 1000) return keep('powering_off', started + o.max_power_off_wait_time * 1000);
      return forceOff();
    }
    if (action === 'powering_off_gracefully' && failedCall) {
      if (stats.power_off_graceful_attempts >= limit) return forceOff();
      if (now < backoffUntil(stats.power_off_graceful_attempts)) return keep('powering_off', backoffUntil(stats.power_off_graceful_attempts));
    }
    return act({ kind: 'power_off', mode: 'graceful' }, 'powering_off', 'powering_off_gracefully', { power_off_graceful_attempts: stats.power_off_graceful_attempts + 1 });
  };
  const forceOff = (): Decision => {
    const n = stats.power_off_forceful_attempts;
    if (n >= limit) {
      // The last request failed outright (refused, no answer): nothing was waited for.
      if (failedCall) return fail(`could not power off: ${n} forced power-off request(s) failed; last error: ${c.error}`);
      return fail(`did not power off after ${n} forced power-off attempt(s) (waited ${o.max_power_off_wait_time} s each)${c.error ? `; last error: ${c.error}` : ''}`);
    }
    if (failedCall && action === 'powering_off_forcefully' && now < backoffUntil(n)) return keep('powering_off', backoffUntil(n));
    return act({ kind: 'power_off', mode: 'forceful' }, 'powering_off', 'powering_off_forcefully', { power_off_forceful_attempts: n + 1 });
  };
  const powerOn = (): Decision => {
    const n = stats.power_on_attempts;
    if (n >= limit) {
      return fail(`did not come up after ${n} power-on attempt(s)${c.error ? `; last error: ${c.error}` : ''}`);
    }
    if (failedCall && action === 'powering_on' && now < backoffUntil(n)) return keep('powering_on', backoffUntil(n));
    return act({ kind: 'power_on' }, 'powering_on', 'powering_on', { power_on_attempts: n + 1 });
  };

  const power = facts.power;

  // Shutdown: the goal is Off.
  if (wantsOff(c)) {
    if (power === 'Off') return { step: { kind: 'done' }, component: c };
    return powerOff();
  }

  const desired = c.desired_state.boot_artifacts!;
  const booted = sameArtifacts(c.actual_state.boot_artifacts, desired);

  if (booted && (power === 'On' || power === 'PoweringOn')) {
    const configuration = c.desired_state.configuration ?? '';
    if (configuration === '' || facts.cfs === null) return { step: { kind: 'done' }, component: c };
    if (facts.cfs === undefined) return { step: { kind: 'observe', power: false, cfs: true }, component: c };
    const cfs = facts.cfs;
    if (cfs.desired_config !== configuration || !cfs.enabled) {
      const failures = failedCall && c.status.phase === 'configuring' ? facts.configureFailures ?? 1 : 0;
      if (failures >= limit) return fail(`could not set configuration ${configuration} in CFS after ${failures} attempt(s): ${c.error}`);
      if (failures > 0 && now < backoffUntil(failures)) return keep('configuring', backoffUntil(failures));
      return { step: { kind: 'configure' }, component: { ...c, status: { ...c.status, phase: 'configuring', status_override: '' } } };
    }
    if (cfs.configuration_status === 'configured') return { step: { kind: 'done' }, component: c };
    if (cfs.configuration_status === 'failed') return fail(`CFS failed to apply configuration ${configuration}`);
    return keep('configuring');
  }

  // Not (yet) running the desired artifacts. A power-on whose call failed may still have taken
  // (the BMC acted, then timed out): a node that is on is booting then, not to be cycled again.
  if (action === 'powering_on' && (!failedCall || power === 'On' || power === 'PoweringOn')) {
    if (power === 'On' || power === 'PoweringOn') {
      const deadline = started + o.max_boot_wait_time * 1000;
      if (now < deadline) return keep('powering_on', deadline);
      const seen = c.actual_state.boot_artifacts?.kernel;
      const why = seen ? `booted kernel ${seen} instead of ${desired.kernel}` : `did not report booting ${desired.kernel}`;
      if (stats.power_on_attempts >= limit) {
        return fail(`${why} within ${o.max_boot_wait_time} s after power-on, ${stats.power_on_attempts} attempt(s)`);
      }
      // Power-cycle and try again, as BOS recovers such a node: the graceful path like any
      // power-off (forced only after the wait), so a lost boot report never costs a hard power-off.
      // The stored attempts count carries over.
      const off = powerOff();
      return { ...off, component: { ...off.component, error: why } };
    }
    // Still off: the On may not have taken (or was ignored during a transition).
    const deadline = started + o.max_power_on_wait_time * 1000;
    if (now < deadline) return keep('powering_on', deadline);
    return powerOn();
  }

  if (power === 'On' || power === 'PoweringOn') return powerOff();
  if (power === 'PoweringOff') {
    if (action?.startsWith('powering_off')) return powerOff();
    return keep('powering_off', now + o.retryBackoffMs);
  }

  // Off: boot parameters first (once per desired state), then power on.
  if (!c.desired_state.bss_token) {
    // A failed BSS or CFS call counts as a failed power-on attempt (it is that step's first half).
    if (failedCall && action === 'powering_on') {
      if (stats.power_on_attempts >= limit) return fail(`could not set boot parameters after ${stats.power_on_attempts} attempt(s): ${c.error}`);
      if (now < backoffUntil(stats.power_on_attempts)) return keep('powering_on', backoffUntil(stats.power_on_attempts));
    }
    return { step: { kind: 'set_boot_params' }, component: { ...c, status: { ...c.status, phase: 'powering_on', status_override: '' } } };
  }
  return powerOn();
}
