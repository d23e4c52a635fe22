import { bosError } from '../core/errors.js';
import { newComponent, withStatus, zeroEventStats } from '../core/component.js';
import type { Component } from '../core/types.js';
import { assertBody } from '../core/validate-body.js';
import { isoNow, tenantScope, type ServiceContext } from './context.js';
import { ownsNode, tenantIds } from '../core/tenant.js';

/** The BOS v2 component operations (PUT/PATCH/DELETE, one or many), as the API serves them. */

const STATE_KEYS = ['actual_state', 'desired_state', 'staged_state', 'last_action', 'event_stats', 'status'] as const;
type Patch = Record<string, unknown>;

/**
 * BOS's PATCH: top-level fields replace; the state objects merge key by key. Changing the
 * desired state resets the attempt counters and puts an enabled node on hold for bosd, as
 * does enabling it.
 */
export function applyComponentPatch(c: Component, patch: Patch, now: string): Component {
  const next = { ...c } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'id') continue;
    if ((STATE_KEYS as readonly string[]).includes(k) && v && typeof v === 'object') {
      const merged = { ...(next[k] as object), ...(v as object) } as Record<string, unknown>;
      if (k !== 'event_stats' && k !== 'status') merged.last_updated = now;
      next[k] = merged;
    } else next[k] = v;
  }
  const out = next as unknown as Component;
  const desiredPatch = patch.desired_state as Patch | undefined;
  if (desiredPatch && ('boot_artifacts' in desiredPatch || 'configuration' in desiredPatch)) {
    out.event_stats = zeroEventStats();
    if (out.enabled && !(patch.status as Patch | undefined)?.status_override) out.status = { ...out.status, status_override: 'on_hold' };
  }
  // BOS puts a node enabled by a write on hold (_set_on_hold_when_enabled): bosd decides it
  // again, and a failed node enabled again is worked on again.
  if (patch.enabled === true) out.status = { ...out.status, status_override: 'on_hold' };
  if (out.staged_state && out.staged_state.session === '') delete out.staged_state.session;
  return withStatus(out);
}

function checkPatch(patch: unknown, what: string): Patch {
  assertBody('V2Component', patch, what);
  return patch as Patch;
}

export function patchComponent(ctx: ServiceContext, id: string, body: unknown): Component {
  const patch = checkPatch(body, `patch of component ${id}`);
  if (patch.id !== undefined && patch.id !== id) throw bosError('BOS_VALUE_INVALID', `the body's id "${String(patch.id)}" differs from the path's "${id}"`);
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  return ctx.store.write(() => {
    // Another tenant's node is "not found", as BOS answers (is_valid_tenant_component).
    const c = ownsNode(scope, id) ? ctx.store.components.get(id) : undefined;
    if (!c) throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${id}" does not exist`);
    ctx.store.components.put(applyComponentPatch(c, patch, now));
    ctx.store.events.record(now, 'component', id, 'patched', { fields: Object.keys(patch).filter((k) => k !== 'id') }, ctx.actor);
    return ctx.store.components.get(id)!;
  });
}

/** PUT: creates or replaces a component with the given fields over a fresh one. */
export function putComponent(ctx: ServiceContext, id: string, body: unknown): Component {
  const patch = checkPatch(body, `component ${id}`);
  if (patch.id !== undefined && patch.id !== id) throw bosError('BOS_VALUE_INVALID', `the body's id "${String(patch.id)}" differs from the path's "${id}"`);
  return putComponents(ctx, [{ ...patch, id }])[0];
}

export function putComponents(ctx: ServiceContext, body: unknown): Component[] {
  assertBody('V2ComponentArrayWithIds', body, 'component list');
  const items = body as Array<Patch & { id: string }>;
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  const foreign = items.find((p) => !ownsNode(scope, p.id));
  if (foreign) throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${foreign.id}" does not exist`);
  return ctx.store.write(() => items.map((p) => {
    const existed = ctx.store.components.get(p.id) !== undefined;
    ctx.store.components.put(applyComponentPatch(newComponent(p.id), p, now));
    ctx.store.events.record(now, 'component', p.id, existed ? 'replaced' : 'created', {}, ctx.actor);
    return ctx.store.components.get(p.id)!;
  }));
}

export interface ManyPatch {
  filters: { ids?: string | null; session?: string | null };
  patch: Patch;
}

/** PATCH many: by ids (comma-separated) or by session. Unknown ids are a 404 unless skipBadIds. */
export function patchComponents(ctx: ServiceContext, body: unknown, skipBadIds: boolean): Component[] {
  assertBody('V2ComponentsUpdate', body, 'components update');
  const { filters, patch } = body as ManyPatch;
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  return ctx.store.write(() => {
    let targets: Component[];
    if (filters.ids) {
      const ids = filters.ids.split(',').map((s) => s.trim()).filter(Boolean);
      // Another tenant's ids count as missing (BOS: _check_for_invalid_tenant_comp, or skipped).
      targets = ctx.store.components.list({ ids: tenantIds(scope, ids) });
      if (!skipBadIds && targets.length !== new Set(ids).size) {
        const found = new Set(targets.map((c) => c.id));
        const missing = ids.filter((i) => !found.has(i));
        throw bosError('BOS_COMPONENT_NOT_FOUND', `components do not exist: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
      }
    } else {
      targets = ctx.store.components.list({ session: filters.session ?? '', ids: tenantIds(scope, undefined) });
    }
    return targets.map((c) => {
      ctx.store.components.put(applyComponentPatch(c, patch, now));
      ctx.store.events.record(now, 'component', c.id, 'patched', { fields: Object.keys(patch) }, ctx.actor);
      return ctx.store.components.get(c.id)!;
    });
  });
}

/** PATCH many as a list: each item patched by its id, all or nothing. */
export function patchComponentList(ctx: ServiceContext, body: unknown, skipBadIds: boolean): Component[] {
  assertBody('V2ComponentArrayWithIds', body, 'component list');
  const items = body as Array<Patch & { id: string }>;
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  return ctx.store.write(() => {
    const out: Component[] = [];
    for (const p of items) {
      const c = ownsNode(scope, p.id) ? ctx.store.components.get(p.id) : undefined;
      if (!c) {
        if (skipBadIds) continue;
        throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${p.id}" does not exist`);
      }
      ctx.store.components.put(applyComponentPatch(c, p, now));
      ctx.store.events.record(now, 'component', p.id, 'patched', { fields: Object.keys(p).filter((k) => k !== 'id') }, ctx.actor);
      out.push(ctx.store.components.get(p.id)!);
    }
    return out;
  });
}

export function deleteComponent(ctx: ServiceContext, id: string): void {
  const now = isoNow(ctx);
  const scope = tenantScope(ctx);
  ctx.store.write(() => {
    if (!ownsNode(scope, id) || !ctx.store.components.delete(id)) throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${id}" does not exist`);
    ctx.store.events.record(now, 'component', id, 'deleted', {}, ctx.actor);
  });
}

export { newComponent };
