import { bosError } from '../core/errors.js';
import { applyInventoryPatch, checkInventoryUnique, nodeNames, sameInventoryNode, type InventoryPatch } from '../core/inventory.js';
import { discoveredComponent } from '../core/component.js';
import { resolveNodeName } from '../core/node-names.js';
import type { Component, InventoryNode } from '../core/types.js';
import { compareXnames } from '../core/xname.js';
import { isoNow, type ServiceContext } from './context.js';

export interface ImportReport {
  added: string[];
  updated: string[];
  unchanged: string[];
}

export interface ImportOptions {
  /** Each record replaces its whole node (fields it does not give become empty); default: merge. */
  replace?: boolean;
}

/**
 * Upserts nodes. A record changes only the fields it gives (merged into the stored node),
 * unless `replace`; each new node also becomes a (disabled) component, as BOS discovers them.
 * The whole import is checked before anything is stored: one bad record changes nothing.
 */
export function importInventory(ctx: ServiceContext, records: InventoryPatch[], opts: ImportOptions = {}): ImportReport {
  checkXnamesOnce(records);
  const now = isoNow(ctx);
  const report: ImportReport = { added: [], updated: [], unchanged: [] };
  ctx.store.write(() => {
    const olds = new Map(records.map((r) => [r.xname, ctx.store.inventory.get(r.xname)]));
    const nodes = records.map((r) => applyInventoryPatch(opts.replace ? undefined : olds.get(r.xname), r));
    checkInventoryUnique(nodes);
    checkNamesFree(ctx, nodes);
    const changed = new Set(nodes.filter((n) => { const old = olds.get(n.xname); return !old || !sameInventoryNode(old, n); }));
    // Nodes may trade nids within one import: release the changed nodes' nids first.
    ctx.store.inventory.releaseNids([...changed].map((n) => n.xname));
    for (const n of nodes) {
      const old = olds.get(n.xname);
      if (!changed.has(n)) { report.unchanged.push(n.xname); continue; }
      ctx.store.inventory.put(n, now);
      (old ? report.updated : report.added).push(n.xname);
      ctx.store.events.record(now, 'inventory', n.xname, old ? 'updated' : 'added', old ? { fields: changedFields(old, n) } : {}, ctx.actor);
      if (!ctx.store.components.get(n.xname)) {
        ctx.store.components.put(discoveredComponent(n.xname, now));
        ctx.store.events.record(now, 'component', n.xname, 'newly_discovered', {}, ctx.actor);
      }
    }
  });
  return report;
}

function checkXnamesOnce(records: InventoryPatch[]): void {
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.xname)) throw bosError('BOS_INVENTORY_INVALID', `xname ${r.xname} appears twice in the file`);
    seen.add(r.xname);
  }
}

/** The names of the fields that differ, for the event. */
function changedFields(a: InventoryNode, b: InventoryNode): string[] {
  return (Object.keys(b) as Array<keyof InventoryNode>).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
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
