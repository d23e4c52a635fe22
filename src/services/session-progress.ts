import { sessionIsDone } from '../core/component.js';
import { budgetExhausted } from '../core/rollout-safety.js';
import type { Session } from '../core/types.js';
import type { ServiceContext } from './context.js';
import { NO_NODES_ERROR, saveSessionStatus } from './sessions.js';

/**
 * How sessions move as bosd works on their nodes: BOS's setup and completion operators
 * (operators/session_setup.py, operators/session_completion.py) and bosctl's failure budget.
 */

export interface SweepResult {
  completed: Array<{ session: string; error?: string }>;
  /** Complete sessions whose extended status could not be saved (the session is complete all the same). */
  unsaved: Array<{ session: string; error: string }>;
}

/**
 * pending → running once bosd sees a session (complete at once, with BOS's error, when it got
 * no node); running → complete when none of its nodes is enabled for it or has its stage, its
 * extended status saved then. `only`: just this session.
 */
export function sweepSessions(ctx: ServiceContext, only?: string): SweepResult {
  const nowIso = ctx.now().toISOString();
  const out: SweepResult = { completed: [], unsaved: [] };
  const { store } = ctx;
  // Looked at in a read first: most sweeps move nothing, and a write transaction costs more
  // (the write lock; on PostgreSQL its round trips).
  if (store.read(() => sessionMoves(ctx, only)).length === 0) return out;
  store.write(() => {
    for (const { name, tenant, status, done, empty } of sessionMoves(ctx, only)) {
      if (done) {
        store.sessions.setStatus(name, { ...status, status: 'complete', end_time: nowIso, ...(empty ? { error: NO_NODES_ERROR } : {}) }, tenant);
        store.events.record(nowIso, 'session', name, 'complete', empty ? { error: NO_NODES_ERROR } : {}, ctx.actor);
        try {
          saveSessionStatus({ ...ctx, ...(tenant ? { tenant } : {}) }, name);
        } catch (e) {
          out.unsaved.push({ session: name, error: (e as Error).message });
        }
        out.completed.push({ session: name, ...(empty ? { error: NO_NODES_ERROR } : {}) });
      } else {
        store.sessions.setStatus(name, { ...status, status: 'running' }, tenant);
        store.events.record(nowIso, 'session', name, 'running', {}, ctx.actor);
      }
    }
  });
  return out;
}

/** The sessions whose status moves now: to complete (`done`), or from pending to running. */
function sessionMoves(ctx: ServiceContext, only?: string): Array<{ name: string; tenant?: string; status: Session['status']; done: boolean; empty: boolean }> {
  const { store } = ctx;
  const one = only === undefined ? undefined : store.sessions.statusOf(only);
  const sessions: Array<{ name: string; tenant?: string; status: Session['status'] }> = only === undefined ? store.sessions.unfinished() : one ? [{ name: only, status: one }] : [];
  const moves = [];
  for (const { name, tenant, status } of sessions) {
    if (status.status === 'complete') continue;
    const empty = status.status === 'pending' && store.sessions.get(name, tenant)?.components === '';
    const members = empty ? [] : [
      ...store.components.list({ session: name, enabled: true, limit: 1 }),
      ...store.components.list({ stagedSession: name, limit: 1 }),
    ];
    const done = sessionIsDone(name, members);
    if (done || status.status === 'pending') moves.push({ name, ...(tenant !== undefined ? { tenant } : {}), status, done, empty });
  }
  return moves;
}

export interface Halt {
  session: string;
  failed: number;
  total: number;
  max_failures: string;
}

/** After a node failed: halts its session when its failed nodes reach the budget (`--max-failures`). */
export function haltIfBudgetExhausted(ctx: ServiceContext, session: string): Halt | undefined {
  if (!session) return undefined;
  const nowIso = ctx.now().toISOString();
  const { store } = ctx;
  return store.write(() => {
    const s = store.sessions.get(session);
    const control = store.sessions.control(session);
    if (!s || control.halted_at !== null || control.max_failures === null) return undefined;
    const members = store.components.list({ session });
    const failed = members.filter((c) => c.status.status_override === 'failed').length;
    const total = s.components ? s.components.split(',').length : members.length;
    if (!budgetExhausted(control.max_failures, failed, total)) return undefined;
    store.sessions.setControl(session, { ...control, halted_at: nowIso });
    const error = `halted: failure budget ${control.max_failures} exhausted (${failed} of ${total} nodes failed)`;
    store.sessions.put({ ...s, status: { ...s.status, error } });
    store.events.record(nowIso, 'session', session, 'halted', { failed, total, max_failures: control.max_failures }, ctx.actor);
    return { session, failed, total, max_failures: control.max_failures };
  });
}

/** Whether the session was halted: its nodes not started yet are held. */
export function sessionHalted(ctx: ServiceContext, session: string): boolean {
  return ctx.store.read(() => ctx.store.sessions.control(session)).halted_at !== null;
}
