import type { NodeWork } from '../node-work.js';
import type { StepContext } from './context.js';

/**
 * Nothing to do yet: the node is due again when its wait ends, or sooner to poll the fact that
 * would end it (its power while it powers off or on, CFS while it is configured).
 */
export function scheduleWait(ctx: StepContext, w: NodeWork, until: number | undefined): void {
  const t0 = ctx.mono();
  let next = until ?? Number.POSITIVE_INFINITY;
  const phase = w.component.status.phase;
  const poweringOff = phase === 'powering_off';
  const awaitingOn = phase === 'powering_on' && w.power?.state !== 'On';
  if (poweringOff || awaitingOn || w.powerError) next = Math.min(next, t0 + ctx.config.powerPollMs);
  if (phase === 'configuring') next = Math.min(next, t0 + ctx.config.cfsPollMs);
  ctx.nodes.setDue(w, next);
  if (phase === 'configuring') w.cfs = undefined;
}

/** decide wants facts the step could not gather: try again after a back-off. */
export function scheduleObserve(ctx: StepContext, w: NodeWork): void {
  ctx.nodes.setDue(w, ctx.mono() + ctx.config.retryBackoffMs);
}
