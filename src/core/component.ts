import type { BootArtifacts, Component, ComponentStatusName, Operation, Session } from './types.js';
import type { NodeTarget } from './session-plan.js';
import { isCurrent } from './plan-diff.js';

export function zeroEventStats(): Component['event_stats'] {
  return { power_on_attempts: 0, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 };
}

/** BOS's empty states (common/values.py): every field present, so `boot_artifacts.kernel` always reads. */
export function emptyBootArtifacts(): BootArtifacts {
  return { kernel: '', kernel_parameters: '', initrd: '' };
}

/** BOS's EMPTY_ACTUAL_STATE, stamped: what a reboot or a power-off leaves of what a node reported. */
export function emptyActualState(now: string): Component['actual_state'] {
  return { boot_artifacts: emptyBootArtifacts(), bss_token: '', last_updated: now };
}

/**
 * A node first seen in the inventory, as BOS's discovery operator writes it (operators/discovery.py):
 * empty actual and desired states, disabled, no error, no session, last action newly_discovered.
 */
export function discoveredComponent(id: string, now: string): Component {
  return {
    ...newComponent(id),
    actual_state: emptyActualState(now),
    desired_state: { boot_artifacts: emptyBootArtifacts(), configuration: '', bss_token: '', last_updated: now },
    staged_state: { last_updated: now },
    last_action: { action: 'newly_discovered', failed: false, last_updated: now },
  };
}

export function newComponent(id: string): Component {
  return {
    id,
    enabled: false,
    actual_state: {},
    desired_state: {},
    staged_state: {},
    last_action: {},
    event_stats: zeroEventStats(),
    status: { phase: '', status: 'stable', status_override: '' },
    error: '',
    session: '',
  };
}

/** Whether a node's reported boot is older than the TTL (and so no longer trusted), as BOS judges it. */
export function actualStateExpired(c: Pick<Component, 'actual_state'>, ttlSeconds: number, now: Date): boolean {
  const a = c.actual_state;
  if (artifactsEmpty(a.boot_artifacts) || !a.last_updated) return false;
  const at = Date.parse(a.last_updated);
  return Number.isFinite(at) && now.getTime() - at > ttlSeconds * 1000;
}

/** BOS's actual state clean-up: the reported boot is forgotten; an idle node shows why. */
export function expireActualState(c: Component, now: string): Component {
  return {
    ...c,
    actual_state: emptyActualState(now),
    ...(c.enabled ? {} : { last_action: { action: 'actual_state_cleanup', failed: false, last_updated: now } }),
  };
}

/** BOS's status: the override when set, else derived from phase and last action. */
export function computeStatus(c: Pick<Component, 'status' | 'last_action'>): ComponentStatusName {
  if (c.status.status_override) return c.status.status_override as ComponentStatusName;
  const action = c.last_action.action;
  switch (c.status.phase) {
    case 'powering_on':
      return action === 'powering_on' && !c.last_action.failed ? 'power_on_called' : 'power_on_pending';
    case 'powering_off':
      if (action === 'powering_off_gracefully') return 'power_off_gracefully_called';
      if (action === 'powering_off_forcefully') return 'power_off_forcefully_called';
      return 'power_off_pending';
    case 'configuring':
      return 'configuring';
    default:
      return 'stable';
  }
}

export function withStatus(c: Component): Component {
  return { ...c, status: { ...c.status, status: computeStatus(c) } };
}

function artifactsEmpty(a: BootArtifacts | undefined): boolean {
  return !a || (!a.kernel && !a.initrd && !a.kernel_parameters);
}

/** A staged session writes only the staged state (BOS: enabled, desired state untouched). */
export function stageTarget(c: Component, t: NodeTarget, session: string, now: string): Component {
  return {
    ...c,
    error: '',
    staged_state: { boot_artifacts: { ...t.boot_artifacts }, configuration: t.configuration, session, last_updated: now },
  };
}

/**
 * Makes a target the node's desired state at once (a non-staged session, or an applied stage).
 * A reboot clears the actual state so that the node is rebooted even if it already runs
 * these artifacts. bosd sees the on_hold override and decides the first step.
 */
export function makeDesired(
  c: Component,
  target: { boot_artifacts: BootArtifacts; configuration: string },
  session: string,
  operation: Operation,
  action: 'session_setup' | 'apply_staged',
  now: string,
  keepActual = false,
): Component {
  return {
    ...c,
    enabled: true,
    error: '',
    session,
    desired_state: { boot_artifacts: { ...target.boot_artifacts }, configuration: target.configuration, last_updated: now },
    // A reboot forgets what the node runs, so it is rebooted even into the same artifacts
    // (BOS's rule) — unless the caller skips nodes that are already current.
    actual_state: operation === 'reboot' && !keepActual ? emptyActualState(now) : c.actual_state,
    last_action: { action, failed: false, last_updated: now },
    event_stats: zeroEventStats(),
    status: { phase: '', status: 'on_hold', status_override: 'on_hold' },
  };
}

export type ApplyVerdict = 'succeeded' | 'failed' | 'ignored';

export interface ApplyOutcome {
  verdict: ApplyVerdict;
  /** Why, for failed and ignored: one line a human can act on. */
  reason: string;
  /** The component to store; undefined when nothing changes. */
  next?: Component;
}

/**
 * The apply-staged rule (BOS v2's, DESIGN.md §9). `session` is the staged session looked up
 * by name, or undefined if it no longer exists.
 */
export function applyStagedRule(
  c: Component | undefined,
  session: (Pick<Session, 'name' | 'operation'> & { halted?: boolean }) | undefined,
  opts: { clear_stage: boolean; skipCurrent?: boolean },
  now: string,
): ApplyOutcome {
  if (!c) return { verdict: 'ignored', reason: 'not a known node' };
  const stagedName = c.staged_state.session;
  if (!stagedName) return { verdict: 'ignored', reason: 'nothing is staged for it' };

  const finish = (next: Component): Component => ({
    ...next,
    session: stagedName,
    last_action: { ...next.last_action, action: 'apply_staged', last_updated: now },
    staged_state: opts.clear_stage ? { last_updated: now } : next.staged_state,
  });
  const fail = (reason: string): ApplyOutcome => ({
    verdict: 'failed',
    reason,
    next: finish({ ...c, enabled: false, error: reason, last_action: { ...c.last_action, failed: true } }),
  });

  if (!session) return fail(`staged session ${stagedName} no longer exists`);
  if (session.halted) {
    // The node keeps its stage and stays as it is: not disabled, nothing written.
    return { verdict: 'failed', reason: `failure budget of session ${stagedName} exhausted: see "bosctl session status ${stagedName}", then "bosctl session resume" or "abort"` };
  }
  const artifacts = c.staged_state.boot_artifacts;
  if (session.operation === 'shutdown') {
    if (!artifactsEmpty(artifacts)) return fail(`staged session ${stagedName} is a shutdown but boot artifacts are staged`);
  } else if (!artifacts?.kernel || !artifacts.initrd) {
    return fail(`staged session ${stagedName} is a ${session.operation} but no kernel or initrd is staged`);
  }
  const target = { boot_artifacts: artifacts ?? { kernel: '', initrd: '', kernel_parameters: '' }, configuration: c.staged_state.configuration ?? '' };
  const current = opts.skipCurrent === true && session.operation !== 'shutdown' && isCurrent(c, target);
  return {
    verdict: 'succeeded',
    reason: current ? 'already current: not rebooted (use --force to reboot it anyway)' : '',
    next: finish(makeDesired(c, target, stagedName, session.operation, 'apply_staged', now, current)),
  };
}

/** BOS's completion rule: no enabled node works for the session and none has it staged. */
export function sessionIsDone(name: string, components: Iterable<Pick<Component, 'enabled' | 'session' | 'staged_state'>>): boolean {
  for (const c of components) {
    if (c.enabled && c.session === name) return false;
    if (c.staged_state.session === name) return false;
  }
  return true;
}
