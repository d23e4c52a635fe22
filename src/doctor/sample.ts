/** Which BMCs doctor looks at: a few, spread over the chassis rather than the first ones. */
import { bmcOf, chassisOf, compareXnames } from '../core/xname.js';
import type { InventoryNode } from '../core/types.js';

export interface SampledBmc {
  bmcXname: string;
  /** One node behind it: the Systems resource doctor reads with the credentials. */
  node: InventoryNode;
}

/**
 * Up to `n` BMCs: the chassis take turns (in name order), and within a chassis the picks are
 * evenly spaced, so a sample of 5 out of 8 chassis touches 5 chassis. Deterministic, so a
 * second run looks at the same BMCs.
 */
export function sampleBmcs(nodes: readonly InventoryNode[], n: number): SampledBmc[] {
  const byChassis = new Map<string, Map<string, InventoryNode>>();
  for (const node of nodes) {
    let bmc: string;
    let chassis: string;
    try {
      bmc = bmcOf(node.xname);
      chassis = chassisOf(node.xname);
    } catch {
      continue;
    }
    const bmcs = byChassis.get(chassis) ?? new Map<string, InventoryNode>();
    byChassis.set(chassis, bmcs);
    const first = bmcs.get(bmc);
    if (!first || compareXnames(node.xname, first.xname) < 0) bmcs.set(bmc, node);
  }
  const chassis = [...byChassis.keys()].sort(compareXnames);
  const wanted = new Map<string, number>(chassis.map((c) => [c, 0]));
  let left = Math.min(n, [...byChassis.values()].reduce((s, b) => s + b.size, 0));
  while (left > 0) {
    for (const c of chassis) {
      if (left === 0) break;
      if (wanted.get(c)! < byChassis.get(c)!.size) { wanted.set(c, wanted.get(c)! + 1); left--; }
    }
  }
  const out: SampledBmc[] = [];
  for (const c of chassis) {
    const bmcs = [...byChassis.get(c)!.entries()].sort((a, b) => compareXnames(a[0], b[0]));
    const k = wanted.get(c)!;
    for (let i = 0; i < k; i++) {
      const [bmcXname, node] = bmcs[Math.floor((i * bmcs.length) / k)]!;
      out.push({ bmcXname, node });
    }
  }
  return out;
}
