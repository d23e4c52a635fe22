/**
 * What BOS's clean-up operators do, run by bosd now and then: a reported boot older than
 * component_actual_state_ttl is forgotten, and complete sessions older than
 * cleanup_completed_session_ttl are deleted.
 */
import { actualStateExpired, expireActualState } from '../core/component.js';
import { durationSeconds } from '../core/options.js';
import { isoNow, type ServiceContext } from './context.js';
import { deleteSessions } from './sessions.js';

/** Clears expired actual states; returns the components changed. */
export function expireActualStates(ctx: ServiceContext): string[] {
  const now = ctx.now();
  const nowIso = isoNow(ctx);
  return ctx.store.write(() => {
    const ttl = durationSeconds(ctx.store.options.get().component_actual_state_ttl);
    const cutoff = new Date(now.getTime() - ttl * 1000).toISOString();
    const expired = ctx.store.components.actualStatesBefore(cutoff).filter((c) => actualStateExpired(c, ttl, now));
    for (const c of expired) {
      ctx.store.components.put(expireActualState(c, nowIso));
      ctx.store.events.record(nowIso, 'component', c.id, 'actual_state_cleanup', { last_updated: c.actual_state.last_updated, ttl_seconds: ttl }, ctx.actor);
    }
    return expired.map((c) => c.id);
  });
}

/** Deletes complete sessions older than the TTL ("0" keeps them); returns their names. */
export function cleanupCompletedSessions(ctx: ServiceContext): string[] {
  const ttl = ctx.store.read(() => ctx.store.options.get().cleanup_completed_session_ttl);
  if (durationSeconds(ttl) === 0) return [];
  return deleteSessions(ctx, { status: 'complete', min_age: ttl });
}
