import { isIntegrationError, type IntegrationError } from '../../integrations/errors.js';
import type { NodeWork } from '../node-work.js';
import { writeNode, type StepContext } from './context.js';

/** The longest wait between tries while BSS or CFS is unreachable. */
export const SERVICE_WAIT_MAX_MS = 60_000;

/** BSS or CFS did not answer (or answered 429/5xx): nothing about the node failed. */
export function serviceDown(e: unknown): e is IntegrationError {
  return isIntegrationError(e) && e.retryable && (e.service === 'bss' || e.service === 'cfs');
}

/**
 * The node waits on hold with the reason and tries again with a growing back-off; it spends
 * no attempt, because nothing about it failed.
 */
export async function waitForService(ctx: StepContext, w: NodeWork, e: IntegrationError): Promise<void> {
  const name = e.service.toUpperCase();
  const reason = `waiting for ${name}: ${e.message}`;
  const failures = (w.serviceWait?.failures ?? 0) + 1;
  const until = ctx.mono() + Math.min(SERVICE_WAIT_MAX_MS, ctx.config.retryBackoffMs * 2 ** Math.min(failures - 1, 16));
  w.serviceWait = { reason, until, failures };
  if (w.component.error !== reason || w.component.status.status_override !== 'on_hold') {
    if (failures === 1) ctx.log.log('warn', `node waits for ${name}`, { component: w.id, code: 'BOS_NODE_SERVICE_WAIT', error: e.message });
    await writeNode(ctx, w, {
      fn: (cur) => ({ ...cur, error: reason, status: { ...cur.status, status_override: 'on_hold' } }),
      event: { action: 'waiting', detail: { service: e.service, error: e.message, code: 'BOS_NODE_SERVICE_WAIT' } },
    });
  }
  ctx.nodes.setDue(w, until);
}

/** A call out for the node's current action failed: recorded, and decided again at once (decide backs off). */
export async function recordCallFailure(ctx: StepContext, w: NodeWork, msg: string): Promise<void> {
  ctx.log.log('warn', 'call failed', { component: w.id, action: w.component.last_action.action, code: 'BOS_NODE_CALL_FAILED', error: msg });
  await writeNode(ctx, w, {
    fn: (cur) => ({ ...cur, error: msg, last_action: { ...cur.last_action, failed: true } }),
    event: { action: 'call_failed', detail: { step: w.component.last_action.action, error: msg, code: 'BOS_NODE_CALL_FAILED' } },
  });
  w.power = undefined;
  ctx.nodes.setDue(w, 0);
}
