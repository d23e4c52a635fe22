import type { ServiceContext } from '../services/context.js';
import { RECONCILER_ACTOR } from '../services/node-writes.js';
import { haltIfBudgetExhausted, sessionHalted, sweepSessions } from '../services/session-progress.js';
import type { Store } from '../store/store.js';
import { isBosError } from '../core/errors.js';
import type { Logger } from './log.js';

/** The daemon's side of session progress: runs the services' rules and logs what they did. */
export class SessionProgress {
  private readonly ctx: ServiceContext;

  constructor(store: Store, private readonly log: Logger, now: () => number) {
    this.ctx = { store, actor: RECONCILER_ACTOR, now: () => new Date(now()) };
  }

  /** Sessions started and complete (all unfinished ones, or just `only`). */
  sweep(only?: string): void {
    let r: ReturnType<typeof sweepSessions>;
    try {
      r = sweepSessions(this.ctx, only);
    } catch (e) {
      // Another process (an apply-staged of many nodes) holds the write lock: the sweep runs
      // again within a second; not an error worth an admin's attention.
      if (only === undefined && isBosError(e) && e.code === 'BOS_DB_BUSY') {
        this.log.log('debug', 'session sweep skipped: the database is locked by another writer', {});
        return;
      }
      throw e;
    }
    for (const u of r.unsaved) this.log.log('warn', 'could not save the status of a complete session', { session: u.session, error: u.error });
    for (const c of r.completed) this.log.log('info', 'session complete', { session: c.session, ...(c.error ? { error: c.error } : {}) });
  }

  /** After a node of `session` failed: halt it when its failure budget is spent. */
  checkBudget(session: string): void {
    const h = haltIfBudgetExhausted(this.ctx, session);
    if (h) this.log.log('warn', 'session halted', { session, code: 'BOS_SESSION_HALTED', failed: h.failed, total: h.total, max_failures: h.max_failures });
  }

  /** Asked at each node's first step: read once per session until anything is committed. */
  halted(session: string): boolean {
    const stamp = this.ctx.store.changeStamp();
    if (stamp !== this.haltedStamp) { this.haltedCache.clear(); this.haltedStamp = stamp; }
    let h = this.haltedCache.get(session);
    if (h === undefined) { h = sessionHalted(this.ctx, session); this.haltedCache.set(session, h); }
    return h;
  }

  private haltedStamp = '';
  private readonly haltedCache = new Map<string, boolean>();
}
