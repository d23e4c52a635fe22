/**
 * bosd against a sushy-tools-like BMC (two systems per BMC, UUID Ids whose last digit is the
 * other node's number, domain names as Names): without redfish_system_id no node is guessed
 * and none is powered; each fails naming the candidates. With redfish_system_id set to the
 * system's Name, the BMC's 307 to the Id is followed and each node reboots itself.
 */
import { Store } from '../../src/store/store.js';
import { prepared } from '../../src/store/db.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2' };
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

async function sushyBed(systemId: (xname: string, hostname: string) => string | null): Promise<Testbed> {
  tb = await startTestbed({ sim: { nodes: 4, timeScale: 0.002, profile: 'sushy' }, options: { max_boot_wait_time: 30, default_retry_policy: 2 }, startBosd: false });
  const s = Store.open(tb.dbPath);
  try {
    s.write(() => {
      const set = prepared(s.db, 'UPDATE nodes SET redfish_system_id = ? WHERE xname = ?');
      for (const n of tb!.sim.inventory()) set.run(systemId(n.xname, n.hostname), n.xname);
    });
  } finally {
    s.close();
  }
  await tb.backend.createTemplate('v2', { boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
  await tb.startBosd();
  return tb;
}

const settled = (c: Component) => !c.enabled || c.status.status === 'failed' || c.status.status === 'stable';
async function untilSettled(t: Testbed, ids: string[]): Promise<Component[]> {
  await waitFor(`${ids.length} nodes to settle`, async () => (await t.backend.listComponents({ ids })).every(settled), 60_000);
  return t.backend.listComponents({ ids });
}

describe('which system is a node (no guess before a power call)', () => {
  it('without redfish_system_id: every node fails naming the candidates; no system of any node is reset', async () => {
    const t = await sushyBed(() => null);
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const comps = await untilSettled(t, s.nodes);
    expect(comps.map((c) => c.status.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const [n0, n1] = t.sim.inventory();
    const c1 = comps.find((c) => c.id === 'x1000c0s0b0n1')!;
    expect(c1.error).toContain('cannot tell which system is node x1000c0s0b0n1');
    expect(c1.error).toContain(`${n0!.redfish_system_id} (Name "nid000001"), ${n1!.redfish_system_id} (Name "nid000002"); set redfish_system_id for x1000c0s0b0n1 in the inventory`);
    expect(t.sim.resetLog()).toEqual([]);
    expect(t.sim.nodes().every((n) => n.power === 'On' && n.bootCount === 0)).toBe(true);
  });

  it('redfish_system_id = the Name: the 307 to the Id is followed and each node, only it, reboots', async () => {
    const t = await sushyBed((_x, hostname) => hostname);
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const comps = await untilSettled(t, s.nodes);
    expect(comps.map((c) => [c.id, c.status.status])).toEqual(s.nodes.map((x) => [x, 'stable']));
    for (const n of t.sim.nodes()) {
      expect(n.bootCount, n.xname).toBe(1);
      expect(n.booted?.kernel, n.xname).toBe(V2.kernel);
    }
    const accepted = t.sim.resetLog().filter((r) => r.accepted);
    expect(new Set(accepted.map((r) => r.xname))).toEqual(new Set(s.nodes));
  });
});
