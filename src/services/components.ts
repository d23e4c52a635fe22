import { bosError } from '../core/errors.js';
import { resolveNodeName } from '../core/node-names.js';
import type { Component, ComponentStatusName, Phase } from '../core/types.js';
import { PHASES, STATUSES } from '../core/types.js';
import type { EventRecord } from '../store/events.js';
import { isoNow, tenantScope, type ServiceContext } from './context.js';
import { ownsNode, tenantIds } from '../core/tenant.js';

export interface ComponentFilter {
  ids?: string[];
  enabled?: boolean;
  phase?: string;
  status?: string[];
  session?: string;
  staged_session?: string;
  start_after_id?: string;
  page_size?: number;
}

export function listComponents(ctx: ServiceContext, f: ComponentFilter = {}): Component[] {
  if (f.phase !== undefined && !(PHASES as readonly string[]).includes(f.phase)) {
    throw bosError('BOS_VALUE_INVALID', `unknown phase "${f.phase}": expected one of powering_off, powering_on, configuring, or "" for none`);
  }
  for (const s of f.status ?? []) {
    if (!(STATUSES as readonly string[]).includes(s)) {
      throw bosError('BOS_VALUE_INVALID', `unknown status "${s}": expected one of ${STATUSES.join(', ')}`);
    }
  }
  // A tenant sees only its nodes (BOS: _get_id_set).
  const ids = tenantIds(tenantScope(ctx), f.ids);
  const rows = ctx.store.read(() => ctx.store.components.list({
    ids, enabled: f.enabled, session: f.session, stagedSession: f.staged_session, startAfterId: f.start_after_id,
    // With phase or status filters the page is cut after filtering.
    limit: f.phase === undefined && f.status === undefined ? f.page_size : undefined,
  }));
  let out = rows;
  if (f.phase !== undefined) out = out.filter((c) => c.status.phase === (f.phase as Phase));
  if (f.status !== undefined) out = out.filter((c) => f.status!.includes(c.status.status as ComponentStatusName));
  if (f.page_size) out = out.slice(0, f.page_size);
  return out;
}

/** A component by xname, nid or hostname. */
export function getComponent(ctx: ServiceContext, name: string): Component {
  const scope = tenantScope(ctx);
  const c = ctx.store.read(() => {
    const x = resolveNodeName(name, ctx.store.inventory) ?? name;
    return ownsNode(scope, x) ? ctx.store.components.get(x) : undefined;
  });
  if (!c) throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${name}" does not exist`);
  return c;
}

export interface ComponentChange {
  enabled?: boolean;
  clearStaged?: boolean;
  clearError?: boolean;
}

export function updateComponent(ctx: ServiceContext, name: string, change: ComponentChange): Component {
  if (change.enabled === undefined && !change.clearStaged && !change.clearError) {
    throw bosError('BOS_USAGE', 'nothing to update: give --enabled true|false, --clear-staged or --clear-error');
  }
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  return ctx.store.write(() => {
    const x = resolveNodeName(name, ctx.store.inventory) ?? name;
    const c = ownsNode(scope, x) ? ctx.store.components.get(x) : undefined;
    if (!c) throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${name}" does not exist`);
    const next: Component = { ...c };
    const detail: Record<string, unknown> = {};
    if (change.enabled !== undefined) { next.enabled = change.enabled; detail.enabled = change.enabled; }
    // As the API's PATCH (BOS): a node enabled goes on hold, so bosd decides it again (a failed one too).
    if (change.enabled === true) next.status = { ...next.status, status_override: 'on_hold' };
    if (change.clearStaged) { next.staged_state = { last_updated: now }; detail.cleared_staged_session = c.staged_state.session ?? ''; }
    if (change.clearError) {
      next.error = '';
      if (next.status.status_override === 'failed') next.status = { ...next.status, status_override: '' };
      detail.cleared_error = c.error;
    }
    ctx.store.components.put(next);
    ctx.store.events.record(now, 'component', c.id, 'updated', detail, ctx.actor);
    return ctx.store.components.get(c.id)!;
  });
}

export function componentHistory(ctx: ServiceContext, name: string, limit?: number): EventRecord[] {
  const c = getComponent(ctx, name);
  return ctx.store.read(() => ctx.store.events.history('component', c.id, limit));
}
