/** The Redfish client's pools follow the work in flight, not the size of the fleet. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedfishClient, type BmcTarget } from '../../src/integrations/redfish.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { bmcOf } from '../../src/core/xname.js';

describe('RedfishClient pool bound', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ nodes: 16, timeScale: 0.001, profile: 'generic', bmcMode: 'shared' });
  });
  afterAll(async () => sim?.close());

  it('keeps at most maxOpenPools pools open, reopening a closed one on demand', async () => {
    const targets: BmcTarget[] = sim.inventory().map((r) => ({
      nodeXname: r.xname, bmcXname: bmcOf(r.xname), address: r.bmc_address, systemId: r.redfish_system_id, credentialsRef: r.credentials_ref,
    }));
    expect(new Set(targets.map((t) => t.address)).size).toBeGreaterThan(4);
    const rf = new RedfishClient({ credentials: () => sim.credentials, timeoutMs: 3000, maxOpenPools: 2 });
    try {
      let most = 0;
      for (let round = 0; round < 2; round++) {
        for (const t of targets) {
          expect(await rf.powerState(t)).toBe('On');
          most = Math.max(most, rf.openPoolCount);
        }
      }
      expect(most).toBe(2);
      // Many BMCs at once: pools in use are never closed under a request; the bound holds again after.
      const states = await Promise.all(targets.map((t) => rf.powerState(t)));
      expect(states.every((s) => s === 'On')).toBe(true);
      await rf.powerState(targets[0]!);
      expect(rf.openPoolCount).toBeLessThanOrEqual(2);
    } finally {
      await rf.close();
    }
    expect(rf.openPoolCount).toBe(0);
  });
});
