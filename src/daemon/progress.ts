import type { ServiceContext } from '../services/context.js';
import { RECONCILER_ACTOR } from '../services/node-writes.js';
import { haltIfBudgetExhausted, sessionHalted, sweepSessions } from '../services/session-progress.js';
import type { Store } from '../store/store.js';
import type { Logger } from './log.js';

/** The daemon's side of session progress: runs the services' rules and logs what they did. */
export class SessionProgress {
  private readonly ctx: ServiceContext;

  constructor(store: Store, private readonly log: Logger, now: () => number) {
    this.ctx = { store, actor: RECONCILER_ACTOR, now: () => new Date(now()) };
  }

  /** Sessions started and complete (all unfinished ones, or just `only`). */
  sweep(only?: string): void {
    const r = sweepSessions(this.ctx, only);
    for (const u of r.unsaved) this.log.log('warn', 'could not save the status of a complete session', { session: u.session, error: u.error });
    for (const c of r.completed) this.log.log('info', 'session complete', { session: c.session, ...(c.error ? { error: c.error } : {}) });
  }

  /** After a node of `session` failed: halt it when its failure budget is spent. */
  checkBudget(session: string): void {
    const h = haltIfBudgetExhausted(this.ctx, session);
    if (h) this.log.log('warn', 'session halted', { session, code: 'BOS_SESSION_HALTED', failed: h.failed, total: h.total, max_failures: h.max_failures });
  }

  halted(session: string): boolean {
    return sessionHalted(this.ctx, session);
  }
}
