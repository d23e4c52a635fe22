import type { NodeWork } from '../node-work.js';
import type { StepContext } from './context.js';
import type { ChangeKind, PollPlanner } from './poll-plan.js';

/**
 * Nothing to do yet: the node is due again when its wait ends, or sooner to poll the fact that
 * would end it (its power while it powers off or on, CFS while it is configured).
 */
export function scheduleWait(ctx: StepContext, polls: PollPlanner, w: NodeWork, until: number | undefined): void {
  const t0 = ctx.mono();
  let next = until ?? Number.POSITIVE_INFINITY;
  const phase = w.component.status.phase;
  const poweringOff = phase === 'powering_off';
  const awaitingOn = phase === 'powering_on' && w.power?.state !== 'On';
  // While its BMC's events are live, an event wakes the node: it is read only when the change is overdue.
  const read = w.powerError ? undefined : ctx.nodes.powerEvents?.readDue(w);
  if (poweringOff || awaitingOn || w.powerError) next = Math.min(next, read ?? nextPoll(polls, w, t0, poweringOff ? 'off' : 'on', ctx.config.powerPollMs));
  if (phase === 'configuring') next = Math.min(next, nextPoll(polls, w, t0, 'cfs', ctx.config.cfsPollMs));
  ctx.nodes.setDue(w, next);
  if (phase === 'configuring') w.cfs = undefined;
}

/** decide wants facts the step could not gather: try again after a back-off. */
export function scheduleObserve(ctx: StepContext, w: NodeWork): void {
  ctx.nodes.setDue(w, ctx.mono() + ctx.config.retryBackoffMs);
}

/** The planned read of the change the node asked for (poll-plan.ts); a fixed poll for one bosd did not ask for in this run. */
function nextPoll(polls: PollPlanner, w: NodeWork, t0: number, kind: ChangeKind, pollMs: number): number {
  if (w.watch && w.watch.kind !== kind) polls.end(w);
  if (w.powerError) return t0 + pollMs;
  return polls.nextRead(w, t0) ?? t0 + pollMs;
}
