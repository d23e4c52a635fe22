import { bosError } from '../core/errors.js';
import { evaluateLimit } from '../core/limit.js';
import { checkTenantName, unknownTenant } from '../core/tenant.js';
import { compareXnames } from '../core/xname.js';
import type { Store } from '../store/store.js';
import type { TenantRecord } from '../store/tenants.js';
import { isoNow, type ServiceContext } from './context.js';

/** A tenant as bosctl shows it: the registry record and what is still keyed by it. */
export interface TenantInfo extends TenantRecord {
  templates: number;
  sessions: number;
  tokens: number;
}

export interface TenantRequest {
  name: string;
  /** A limit expression: xnames, groups, roles, nids, hostnames, hostlists, & and !. */
  nodes?: string;
  description?: string;
}

/** Tenants are the site admin's to manage: a caller acting as a tenant may not. */
function requireNoTenant(ctx: ServiceContext, what: string): void {
  if (ctx.tenant !== undefined) {
    throw bosError('BOS_TENANT_FORBIDDEN', `acting as tenant "${ctx.tenant}", tenants may not be ${what}`);
  }
}

/**
 * The nodes an expression names now, as xnames. Resolved when the tenant is set, not on use:
 * a node added later to a group does not silently join a tenant (TAPMS too lists xnames).
 */
function resolveNodes(ctx: ServiceContext, name: string, expr: string): string[] {
  if (expr.trim() === '') throw bosError('BOS_LIMIT_INVALID', `tenant "${name}" needs nodes: give --nodes with xnames, groups, roles, nids or hostlists`);
  const xnames = [...evaluateLimit(expr, ctx.store.inventory.index())].sort(compareXnames);
  if (xnames.length === 0) throw bosError('BOS_LIMIT_INVALID', `--nodes "${expr}" names no node of the inventory: tenant "${name}" would own nothing`);
  return xnames;
}

/** A node belongs to one tenant at most: sharing one would let two tenants reboot it. */
function checkExclusive(ctx: ServiceContext, name: string, xnames: string[]): void {
  const mine = new Set(xnames);
  for (const other of ctx.store.tenants.list()) {
    if (other.name === name) continue;
    const shared = other.xnames.filter((x) => mine.has(x));
    if (shared.length > 0) {
      throw bosError('BOS_CONFLICT', `${shared.length} node(s) already belong to tenant "${other.name}": ${shared.slice(0, 5).join(', ')}${shared.length > 5 ? ', ...' : ''}`,
        `leave them out (e.g. --nodes "...,!${other.name}-nodes"), or take them from "${other.name}" first with "bosctl tenant update ${other.name} --nodes ..."`);
    }
  }
}

function info(store: Store, t: TenantRecord): TenantInfo {
  return { ...t, ...store.tenants.usage(t.name) };
}

export function createTenant(ctx: ServiceContext, req: TenantRequest): TenantInfo {
  requireNoTenant(ctx, 'created');
  checkTenantName(req.name);
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    if (ctx.store.tenants.get(req.name)) throw bosError('BOS_TENANT_EXISTS', `tenant "${req.name}" already exists`);
    const xnames = resolveNodes(ctx, req.name, req.nodes ?? '');
    checkExclusive(ctx, req.name, xnames);
    const t: TenantRecord = { name: req.name, nodes: req.nodes!.trim(), xnames, description: req.description ?? '', created_at: now, updated_at: now };
    ctx.store.tenants.put(t);
    ctx.store.events.record(now, 'tenant', t.name, 'created', { nodes: t.nodes, count: xnames.length }, ctx.actor);
    return info(ctx.store, t);
  });
}

export function listTenants(ctx: ServiceContext): TenantInfo[] {
  requireNoTenant(ctx, 'listed');
  return ctx.store.read(() => ctx.store.tenants.list().map((t) => info(ctx.store, t)));
}

export function getTenant(ctx: ServiceContext, name: string): TenantInfo {
  requireNoTenant(ctx, 'read');
  return ctx.store.read(() => {
    const t = ctx.store.tenants.get(name);
    if (!t) throw bosError('BOS_TENANT_NOT_FOUND', `tenant "${name}" does not exist`);
    return info(ctx.store, t);
  });
}

/** New nodes (re-resolved now; the same expression picks up inventory changes) or description. */
export function updateTenant(ctx: ServiceContext, req: TenantRequest): TenantInfo {
  requireNoTenant(ctx, 'changed');
  if (req.nodes === undefined && req.description === undefined) {
    throw bosError('BOS_USAGE', 'nothing to update: give --nodes LIMIT and/or --description TEXT');
  }
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const old = ctx.store.tenants.get(req.name);
    if (!old) throw bosError('BOS_TENANT_NOT_FOUND', `tenant "${req.name}" does not exist`);
    const next: TenantRecord = { ...old, updated_at: now };
    if (req.nodes !== undefined) {
      next.xnames = resolveNodes(ctx, req.name, req.nodes);
      next.nodes = req.nodes.trim();
      checkExclusive(ctx, req.name, next.xnames);
    }
    if (req.description !== undefined) next.description = req.description;
    ctx.store.tenants.put(next);
    const added = next.xnames.filter((x) => !old.xnames.includes(x)).length;
    const removed = old.xnames.filter((x) => !next.xnames.includes(x)).length;
    ctx.store.events.record(now, 'tenant', next.name, 'updated', { nodes: next.nodes, added, removed }, ctx.actor);
    return info(ctx.store, next);
  });
}

/**
 * Deletes a tenant. While templates, sessions or live tokens are still keyed by it, only with
 * force: they stay stored (listed with no tenant) and its tokens stop working (unknown tenant).
 */
export function deleteTenant(ctx: ServiceContext, name: string, force = false): TenantInfo {
  requireNoTenant(ctx, 'deleted');
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const t = ctx.store.tenants.get(name);
    if (!t) throw bosError('BOS_TENANT_NOT_FOUND', `tenant "${name}" does not exist`);
    const i = info(ctx.store, t);
    if (!force && i.templates + i.sessions + i.tokens > 0) {
      throw bosError('BOS_CONFLICT', `tenant "${name}" still has ${i.templates} template(s), ${i.sessions} session(s) and ${i.tokens} live token(s)`,
        'delete or revoke them first, or pass --force (its tokens then stop working; its templates and sessions stay, listed without a tenant filter)');
    }
    ctx.store.tenants.delete(name);
    ctx.store.events.record(now, 'tenant', name, 'deleted', { force }, ctx.actor);
    return i;
  });
}

/** Looks a tenant's nodes up: bosctl's registry first, then `fallback` (TAPMS at a CSM site). */
export async function tenantNodes(
  store: Store, name: string, fallback?: (name: string) => Promise<ReadonlySet<string> | undefined>,
): Promise<ReadonlySet<string>> {
  checkTenantNameAsHeader(name);
  const own = store.read(() => store.tenants.get(name));
  if (own) return new Set(own.xnames);
  const other = fallback ? await fallback(name) : undefined;
  if (!other) throw unknownTenant(name);
  return other;
}

/** A header naming no possible tenant is the same 400 as an unknown one. */
function checkTenantNameAsHeader(name: string): void {
  try {
    checkTenantName(name);
  } catch {
    throw unknownTenant(name);
  }
}
