import { bosError } from '../core/errors.js';
import { checkInventoryUnique, nodeNames, sameInventoryNode } from '../core/inventory.js';
import { newComponent } from '../core/component.js';
import { resolveNodeName } from '../core/node-names.js';
import type { Component, InventoryNode } from '../core/types.js';
import { compareXnames } from '../core/xname.js';
import { isoNow, type ServiceContext } from './context.js';

export interface ImportReport {
  added: string[];
  updated: string[];
  unchanged: string[];
}

/** Upserts nodes; each new node also becomes a (disabled) component, as BOS discovers them. */
export function importInventory(ctx: ServiceContext, nodes: InventoryNode[]): ImportReport {
  checkInventoryUnique(nodes);
  const now = isoNow(ctx);
  const report: ImportReport = { added: [], updated: [], unchanged: [] };
  ctx.store.write(() => {
    checkNamesFree(ctx, nodes);
    const olds = new Map(nodes.map((n) => [n.xname, ctx.store.inventory.get(n.xname)]));
    const changed = new Set(nodes.filter((n) => { const old = olds.get(n.xname); return !old || !sameInventoryNode(old, n); }));
    // Nodes may trade nids within one import: release the changed nodes' nids first.
    ctx.store.inventory.releaseNids([...changed].map((n) => n.xname));
    for (const n of nodes) {
      const old = olds.get(n.xname);
      if (!changed.has(n)) { report.unchanged.push(n.xname); continue; }
      ctx.store.inventory.put(n, now);
      (old ? report.updated : report.added).push(n.xname);
      ctx.store.events.record(now, 'inventory', n.xname, old ? 'updated' : 'added', {}, ctx.actor);
      if (!ctx.store.components.get(n.xname)) {
        ctx.store.components.put(newComponent(n.xname));
        ctx.store.events.record(now, 'component', n.xname, 'newly_discovered', {}, ctx.actor);
      }
    }
  });
  return report;
}

/** A name or nid held by a node this import does not re-import is refused. */
function checkNamesFree(ctx: ServiceContext, nodes: InventoryNode[]): void {
  const incoming = new Set(nodes.map((n) => n.xname));
  for (const n of nodes) {
    const claims: Array<[string, string | undefined]> = nodeNames(n).map((name) => [`hostname or alias "${name}"`, ctx.store.inventory.xnameByName(name)]);
    if (n.nid !== null) claims.push([`nid ${n.nid}`, ctx.store.inventory.xnameByNid(n.nid)]);
    for (const [what, holder] of claims) {
      if (holder !== undefined && holder !== n.xname && !incoming.has(holder)) {
        throw bosError('BOS_INVENTORY_INVALID', `${n.xname}: ${what} already belongs to ${holder}: change ${holder} in the same file, or choose another`);
      }
    }
  }
}

export function listInventory(ctx: ServiceContext): InventoryNode[] {
  return ctx.store.read(() => ctx.store.inventory.list()).sort((a, b) => compareXnames(a.xname, b.xname));
}

/** Finds a node by xname, nid or hostname. */
export function findNode(ctx: ServiceContext, name: string): InventoryNode {
  const n = ctx.store.read(() => {
    const x = resolveNodeName(name, ctx.store.inventory);
    return x === undefined ? undefined : ctx.store.inventory.get(x);
  });
  if (!n) throw bosError('BOS_NODE_NOT_FOUND', `node "${name}" is not in the inventory`);
  return n;
}

export interface NodeDetails {
  node: InventoryNode;
  component: Component | undefined;
}

export function describeNode(ctx: ServiceContext, name: string): NodeDetails {
  const node = findNode(ctx, name);
  return { node, component: ctx.store.read(() => ctx.store.components.get(node.xname)) };
}
