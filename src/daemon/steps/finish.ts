import type { Component } from '../../core/types.js';
import type { NodeWork } from '../node-work.js';
import type { SessionProgress } from '../progress.js';
import type { StepContext } from './context.js';
import { failureCode } from '../node-errors.js';

/**
 * A node reached its goal (stable, or off for a shutdown) or failed: its row was stored by the
 * intent write; bosd lets it go, and its session may now be complete (or halted).
 */
export function finish(ctx: StepContext, progress: SessionProgress, w: NodeWork, step: { kind: 'done' } | { kind: 'fail'; reason: string }, phaseBefore: string): void {
  if (step.kind === 'fail') {
    ctx.log.log('warn', 'node failed', { component: w.id, code: failureCode(step.reason), reason: step.reason, session: w.component.session });
    progress.checkBudget(w.component.session);
  } else ctx.log.log('info', doneLabel(w.component), { component: w.id, session: w.component.session, phase_before: phaseBefore });
  ctx.nodes.forget(w.id);
  // Its session cannot be complete while bosd works on another of its nodes (and the sweep
  // every second catches what this skips).
  if (!ctx.nodes.anyOfSession(w.component.session)) progress.sweep(w.component.session);
}

function doneLabel(c: Component): string {
  return c.desired_state.boot_artifacts?.kernel ? 'node stable' : 'node powered off';
}
