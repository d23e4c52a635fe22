import { bosError } from './errors.js';
import type { PlanIndex } from './session-plan.js';
import { checkName } from './template.js';

/** A request's tenant and the nodes (xnames) it owns: what every tenant rule needs. */
export interface TenantScope {
  name: string;
  nodes: ReadonlySet<string>;
}

export function checkTenantName(name: string): void {
  checkName('tenant', name);
}

/** The tenant a request may not name: one it does not know (BOS: 400 "Invalid tenant"). */
export function unknownTenant(name: string): Error {
  return bosError('BOS_TENANT_INVALID', `tenant "${name}" does not exist`);
}

/** Whether a node is the tenant's; with no tenant every node is (BOS: is_valid_tenant_component). */
export function ownsNode(scope: TenantScope | undefined, xname: string): boolean {
  return scope === undefined || scope.nodes.has(xname);
}

/**
 * BOS's _get_id_set: the ids asked for that the tenant owns; with no ids, all the tenant's;
 * with no tenant, the ids as given (undefined: every component).
 */
export function tenantIds(scope: TenantScope | undefined, ids: string[] | undefined): string[] | undefined {
  if (!scope) return ids;
  if (ids === undefined) return [...scope.nodes].sort();
  return ids.filter((x) => scope.nodes.has(x));
}

/**
 * The inventory as a tenant sees it when a session is planned: only its nodes are members of
 * boot sets, groups and roles, so a limit or template reaching beyond the tenant matches
 * nothing there (BOS's session setup intersects with the tenant's nodes).
 */
export function tenantIndex(index: PlanIndex, scope: TenantScope | undefined): PlanIndex {
  if (!scope) return index;
  const own = (xs: string[] | undefined) => xs?.filter((x) => scope.nodes.has(x));
  return {
    ...index,
    allXnames: () => [...index.allXnames()].filter((x) => scope.nodes.has(x)),
    node: (x) => (scope.nodes.has(x) ? index.node(x) : undefined),
    hasXname: (x) => scope.nodes.has(x) && index.hasXname(x),
    groupMembers: (g) => own(index.groupMembers(g)),
    roleMembers: (r) => own(index.roleMembers(r)),
  };
}
