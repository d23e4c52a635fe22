import type { InventoryNode, SessionTemplate } from '../../src/core/types.js';
import type { PlanIndex } from '../../src/core/session-plan.js';
import { inventoryIndex } from '../../src/core/inventory.js';

export function node(xname: string, nid: number, extra: Partial<InventoryNode> = {}): InventoryNode {
  return {
    xname, nid, hostname: `nid${String(nid).padStart(6, '0')}`, aliases: [], role: 'Compute', subrole: null,
    groups: [], enabled: true, arch: null, bmc_address: null, redfish_system_id: null, credentials_ref: null, ...extra,
  };
}

/** 8 compute nodes (x1000c0s[0-3]b0n[0-1], nid 1-8; gpu on slot 3), 2 application nodes. */
export function smallCluster(): InventoryNode[] {
  const nodes: InventoryNode[] = [];
  let nid = 1;
  for (let s = 0; s < 4; s++) for (let n = 0; n < 2; n++) {
    nodes.push(node(`x1000c0s${s}b0n${n}`, nid++, { groups: s === 3 ? ['compute', 'gpu'] : ['compute'] }));
  }
  nodes.push(node('x3000c0s1b0n0', 100, { role: 'Application', subrole: 'UAN', hostname: 'uan01', groups: ['login'] }));
  nodes.push(node('x3000c0s2b0n0', 101, { role: 'Application', subrole: 'UAN', hostname: 'uan02', groups: ['login'], enabled: false }));
  return nodes;
}

export function indexOf(nodes: InventoryNode[]): PlanIndex {
  return inventoryIndex(nodes);
}

export const templateV2: SessionTemplate = {
  name: 'compute-v2',
  enable_cfs: true,
  cfs: { configuration: 'cfg-v2' },
  boot_sets: {
    compute: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet', node_roles_groups: ['Compute'] },
  },
};
