import { randomUUID } from 'node:crypto';
import { bosError } from '../core/errors.js';
import { makeDesired, stageTarget } from '../core/component.js';
import { evaluateLimit } from '../core/limit.js';
import { HELD_PREFIX } from '../core/rollout-safety.js';
import type { Component, Session } from '../core/types.js';
import type { EventRecord } from '../store/events.js';
import { isoNow, tenantKey, tenantScope, type ServiceContext } from './context.js';
import { ownsNode, tenantIndex } from '../core/tenant.js';
import { parseMaxFailures } from './sessions.js';

/** Continues a halted session, optionally with a new failure budget: its held nodes go on. */
export function resumeSession(ctx: ServiceContext, name: string, maxFailures?: string): { session: Session; released: string[] } {
  const budget = maxFailures === undefined ? undefined : parseMaxFailures(maxFailures);
  const now = isoNow(ctx);
  // A tenant acts only on its own sessions and nodes.
  const scope = tenantScope(ctx);
  const tenant = scope?.name ?? '';
  return ctx.store.write(() => {
    const s = ctx.store.sessions.get(name, tenant);
    if (!s) throw bosError('BOS_SESSION_NOT_FOUND', `session "${name}" does not exist`);
    const control = ctx.store.sessions.control(name, tenant);
    ctx.store.sessions.setControl(name, { max_failures: budget ?? control.max_failures, halted_at: null }, tenant);
    const next = { ...s, status: { ...s.status, error: null } };
    ctx.store.sessions.put(next);
    const released: string[] = [];
    for (const c of ctx.store.components.list({ session: name })) {
      if (!c.error.startsWith(HELD_PREFIX) || !ownsNode(scope, c.id)) continue;
      ctx.store.components.put({ ...c, error: '', status: { ...c.status, status_override: '' } });
      ctx.store.events.record(now, 'component', c.id, 'released', { session: name }, ctx.actor);
      released.push(c.id);
    }
    ctx.store.events.record(now, 'session', name, 'resumed', { ...(budget ? { max_failures: budget } : {}), released: released.length }, ctx.actor);
    return { session: next, released };
  });
}

/** Stops a session: forgets what it staged, and disables its nodes that have not started. */
export function abortSession(ctx: ServiceContext, name: string): { session: Session; unstaged: string[]; stopped: string[] } {
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  const tenant = scope?.name ?? '';
  return ctx.store.write(() => {
    const s = ctx.store.sessions.get(name, tenant);
    if (!s) throw bosError('BOS_SESSION_NOT_FOUND', `session "${name}" does not exist`);
    const unstaged: string[] = [];
    for (const c of ctx.store.components.list({ stagedSession: name })) {
      if (!ownsNode(scope, c.id)) continue;
      ctx.store.components.put({ ...c, staged_state: { last_updated: now } });
      ctx.store.events.record(now, 'component', c.id, 'unstaged', { session: name, reason: 'session aborted' }, ctx.actor);
      unstaged.push(c.id);
    }
    const stopped: string[] = [];
    for (const c of ctx.store.components.list({ session: name, enabled: true })) {
      if (!ownsNode(scope, c.id)) continue;
      const notStarted = c.last_action.action === 'apply_staged' || c.last_action.action === 'session_setup' || c.error.startsWith(HELD_PREFIX);
      if (!notStarted) continue;
      ctx.store.components.put({ ...c, enabled: false, error: `session ${name} aborted before this node was started`, status: { ...c.status, status_override: '' } });
      ctx.store.events.record(now, 'component', c.id, 'stopped', { session: name, reason: 'session aborted' }, ctx.actor);
      stopped.push(c.id);
    }
    const next: Session = { ...s, status: { ...s.status, error: 'aborted' } };
    ctx.store.sessions.put(next);
    const control = ctx.store.sessions.control(name, tenant);
    ctx.store.sessions.setControl(name, { ...control, halted_at: control.halted_at ?? now }, tenant);
    ctx.store.events.record(now, 'session', name, 'aborted', { unstaged: unstaged.length, stopped: stopped.length }, ctx.actor);
    return { session: next, unstaged, stopped };
  });
}

export interface RollbackRequest {
  /** The nodes of this session, or */
  session?: string;
  /** the nodes this limit names. */
  limit?: string;
  stage?: boolean;
  name?: string;
  /** Compute the same result and write nothing (the CLI's --dry-run and its confirmation). */
  dry_run?: boolean;
}

export interface RollbackResult {
  session: Session;
  nodes: string[];
  /** Nodes left alone, and why. */
  skipped: Record<string, string>;
  /**
   * Nodes whose staged state came from the session rolled back from, now cleared (xname →
   * that session), so apply-staged (Slurm's next reboot) cannot bring that state back.
   */
  unstaged: Record<string, string>;
  /** Rolled-back nodes that keep the stage of another session (xname → it): their next apply-staged applies it. */
  kept_stage: Record<string, string>;
}

type StableState = Component['desired_state'] | undefined;

const sameState = (a: StableState, b: StableState) => {
  const x = a?.boot_artifacts;
  const y = b?.boot_artifacts;
  return (x?.kernel ?? '') === (y?.kernel ?? '') && (x?.initrd ?? '') === (y?.initrd ?? '')
    && (x?.kernel_parameters ?? '') === (y?.kernel_parameters ?? '') && (a?.configuration ?? '') === (b?.configuration ?? '');
};

/**
 * The state to go back to from the node's current (desired) one: the state it was stable
 * on before, if it became stable on the current one; else (it failed, or is still on its
 * way) the state it was last stable on.
 */
function rollbackTarget(c: Component, last: StableState, previous: StableState): StableState {
  if (last?.boot_artifacts?.kernel && !sameState(last, c.desired_state)) return last;
  return previous?.boot_artifacts?.kernel ? previous : undefined;
}

/**
 * A reboot session that takes each node back from its current state (with --session S:
 * the nodes whose current state S set) to the state it was stable on before, staged or at
 * once. In the same transaction, the stage of the session rolled back from is cleared
 * (nodes of S that never took S's state are only unstaged); a stage of any other session
 * is kept, and said so, and is never replaced by a staged rollback.
 */
export function rollback(ctx: ServiceContext, req: RollbackRequest): RollbackResult {
  if ((req.session === undefined) === (req.limit === undefined)) throw bosError('BOS_USAGE', 'give either --session S or --limit L');
  const name = req.name ?? `rollback-${randomUUID().slice(0, 8)}`;
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  const tenant = scope?.name ?? '';
  const run = () => {
    if (ctx.store.sessions.get(name, tenant)) throw bosError('BOS_SESSION_EXISTS', `session "${name}" already exists`);
    let ids: string[];
    if (req.session !== undefined) {
      const s = ctx.store.sessions.get(req.session, tenant);
      if (!s) throw bosError('BOS_SESSION_NOT_FOUND', `session "${req.session}" does not exist`);
      ids = s.components ? s.components.split(',') : [];
    } else ids = [...evaluateLimit(req.limit!, tenantIndex(ctx.store.inventory.index(), scope))].sort();
    ids = ids.filter((id) => ownsNode(scope, id));
    const nodes: string[] = [];
    const skipped: Record<string, string> = {};
    const unstaged: Record<string, string> = {};
    const kept_stage: Record<string, string> = {};
    const unstage = (c: Component, from: string): Component => {
      unstaged[c.id] = from;
      if (!req.dry_run) ctx.store.events.record(now, 'component', c.id, 'unstaged', { session: from, reason: `rolled back by session ${name}` }, ctx.actor);
      return { ...c, staged_state: { last_updated: now } };
    };
    for (const id of ids) {
      const c = ctx.store.components.get(id);
      if (!c) { skipped[id] = 'not a component'; continue; }
      const stagedBy = c.staged_state.session ?? '';
      // The session whose state is rolled back: the one named, else the node's own.
      const from = req.session ?? c.session;
      if (c.session !== from) {
        if (stagedBy === from) {
          const next = unstage(c, from);
          if (!req.dry_run) ctx.store.components.put(next);
        } else skipped[id] = c.session ? `its current state comes from session ${c.session}, not ${from}` : `its current state does not come from session ${from}`;
        continue;
      }
      const prev = rollbackTarget(c, ctx.store.components.lastStable(id), ctx.store.components.previousStable(id));
      if (!prev?.boot_artifacts?.kernel) { skipped[id] = 'no earlier stable state recorded'; continue; }
      if (req.stage && stagedBy && stagedBy !== from) {
        skipped[id] = `staged by session ${stagedBy}, which --stage would replace: apply or abort that session first, or roll back without --stage`;
        continue;
      }
      nodes.push(id);
      const cleared = stagedBy !== '' && stagedBy === from ? unstage(c, from) : c;
      if (stagedBy !== '' && stagedBy !== from) kept_stage[id] = stagedBy;
      if (req.dry_run) continue;
      const target = { xname: id, bootSet: 'rollback', boot_artifacts: prev.boot_artifacts, configuration: prev.configuration ?? '' };
      ctx.store.components.put(req.stage ? stageTarget(cleared, target, name, now) : makeDesired(cleared, target, name, 'reboot', 'session_setup', now));
      ctx.store.events.record(now, 'component', id, req.stage ? 'staged' : 'session_setup', { session: name, operation: 'reboot', kernel: prev.boot_artifacts.kernel, rollback: true }, ctx.actor);
    }
    if (nodes.length === 0) {
      const onlyStaged = Object.keys(unstaged).length;
      const hint = onlyStaged > 0 && req.session !== undefined
        ? `${onlyStaged} node(s) only have session ${req.session} staged: forget that with "bosctl session abort ${req.session}"`
        : 'a node has an earlier state once bosd has taken it stable onto a new one';
      throw bosError('BOS_LIMIT_INVALID', `nothing to roll back: ${ids.length} node(s), none with an earlier stable state to go back to`, hint);
    }
    const session: Session = {
      name, operation: 'reboot', template_name: 'rollback', limit: req.limit ?? `session ${req.session}`, stage: req.stage === true,
      components: nodes.join(','), include_disabled: true, ...(tenant ? { tenant } : {}),
      status: { status: 'pending', start_time: now, end_time: null, error: null },
    };
    const result = { session, nodes, skipped, unstaged, kept_stage };
    if (req.dry_run) return result;
    ctx.store.sessions.put(session);
    ctx.store.events.record(now, 'session', name, 'created', {
      rollback_of: req.session ?? req.limit, nodes: nodes.length, stage: req.stage === true, unstaged: Object.keys(unstaged).length,
    }, ctx.actor);
    return result;
  };
  return req.dry_run ? ctx.store.read(run) : ctx.store.write(run);
}

/** A session's events and those of its nodes while they worked for it, oldest first. */
export function sessionHistory(ctx: ServiceContext, name: string, limit = 5000): EventRecord[] {
  return ctx.store.read(() => {
    if (!ctx.store.sessions.get(name, tenantKey(ctx))) throw bosError('BOS_SESSION_NOT_FOUND', `session "${name}" does not exist`);
    return ctx.store.events.sessionHistory(name, limit);
  });
}
