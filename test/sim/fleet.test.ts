import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { basic, call, fakeBos, redfishFor, waitFor } from './helpers.js';

/** Counts of the libuv handle kinds we care about (TCP servers and sockets, timers). */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1;
  return out;
}

describe('a large shared-mode fleet', () => {
  it('serves 2,000 nodes from a few listeners and power-cycles all of them', async () => {
    const s = await startSimulator({ nodes: 2000, timeScale: 0.001, timings: { gracefulOff: 5, powerOn: 5, boot: 5, configure: 5 } });
    try {
      expect(s.servers()).toHaveLength(4); // BSS, CFS, control, all BMCs
      expect(s.stats()).toMatchObject({ nodes: 2000, bmcs: 1000, listeners: 4 });
      const inv = s.inventory();
      expect(new Set(inv.map((r) => new URL(r.bmc_address).origin)).size).toBe(1);
      expect(new Set(inv.map((r) => r.bmc_address)).size).toBe(1000);
      expect(inv[1999]).toMatchObject({ xname: 'x1015c4s7b0n1', nid: 2000, hostname: 'nid002000' });

      const hosts = inv.map((r) => r.xname);
      const put = await call(`${s.bssUrl}/boot/v1/bootparameters`, {
        method: 'PUT',
        json: { hosts, kernel: 's3://k', initrd: 's3://i', params: 'quiet' },
      });
      const token = put.headers.get('bss-referral-token');

      // graceful off everything, in parallel batches
      const send = async (type: string) => {
        for (let i = 0; i < inv.length; i += 200) {
          await Promise.all(
            inv.slice(i, i + 200).map(async (r) => {
              const res = await call(`${r.bmc_address}/redfish/v1/Systems/${r.redfish_system_id}/Actions/ComputerSystem.Reset`, {
                method: 'POST',
                headers: { Authorization: basic() },
                json: { ResetType: type },
              });
              expect(res.status).toBe(200);
            }),
          );
        }
      };
      await send('Off');
      await waitFor('all nodes off', () => s.stats().power.Off === 2000, 30_000, 20);
      await send('On');
      await waitFor('all nodes booted', () => s.stats().bootCount === 2000, 30_000, 20);
      expect(s.nodes().every((n) => n.booted?.token === token)).toBe(true);
      expect(s.resetLog()).toHaveLength(4000);
      expect(s.powerTimeline()).toHaveLength(8000);
      expect(s.servers()).toHaveLength(4);
    } finally {
      await s.close();
    }
    expect(s.servers().every((srv) => !srv.listening)).toBe(true);
  });
});

describe('control API', () => {
  it('lists nodes, sets faults, points nodes at bosd and counts', async () => {
    const s = await startSimulator({ nodes: 4, timeScale: 0.001 });
    try {
      const nodes = await call(`${s.controlUrl}/nodes`);
      expect(nodes.status).toBe(200);
      expect(nodes.body).toHaveLength(4);
      expect(nodes.body[0]).toMatchObject({ xname: 'x1000c0s0b0n0', power: 'On', bootCount: 0, configStatus: 'unconfigured' });
      expect((await call(`${s.controlUrl}/nodes/x1000c0s1b0n1`)).body.nid).toBe(4);
      expect((await call(`${s.controlUrl}/nodes/x1c0s0b0n0`)).status).toBe(404);

      const set = await call(`${s.controlUrl}/faults`, { method: 'POST', json: { kind: 'bmc_5xx', xnames: ['x1000c0s1b0n0'], on: true } });
      expect(set.status).toBe(200);
      expect(s.node('x1000c0s1b0n0').faults).toEqual(['bmc_5xx']);
      expect((await redfishFor(s, 'x1000c0s1b0n0').get(redfishFor(s, 'x1000c0s1b0n0').system)).status).toBe(500);
      expect((await call(`${s.controlUrl}/faults`)).body.bmc_5xx).toEqual(['x1000c0s1b0n0']);
      await call(`${s.controlUrl}/faults`, { method: 'POST', json: { kind: 'bmc_5xx', xnames: ['x1000c0s1b0n0'], on: false } });
      expect(s.node('x1000c0s1b0n0').faults).toEqual([]);
      expect((await call(`${s.controlUrl}/faults`, { method: 'POST', json: { kind: 'melt', xnames: [] } })).status).toBe(400);
      expect((await call(`${s.controlUrl}/faults`, { method: 'POST', json: { kind: 'bmc_5xx', xnames: ['nope'] } })).status).toBe(400);

      const bos = await fakeBos();
      try {
        expect((await call(`${s.controlUrl}/bos`, { method: 'POST', json: { url: bos.url, token: 't' } })).status).toBe(200);
        await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s0b0n0'], kernel: 'k', initrd: 'i', params: '' } });
        const rf = redfishFor(s, 'x1000c0s0b0n0');
        await rf.reset('ForceOff');
        await waitFor('Off', async () => (await rf.power()) === 'Off');
        await rf.reset('On');
        await waitFor('report via the URL set through the control API', () => s.node('x1000c0s0b0n0').report?.delivered);
        expect(bos.requests[0]!.headers.authorization).toBe('Bearer t');
      } finally {
        await bos.close();
      }

      const stats = await call(`${s.controlUrl}/stats`);
      expect(stats.body).toMatchObject({ nodes: 4, listeners: 4, resets: { total: 2, accepted: 2 }, reports: { delivered: 1 }, bss: { puts: 1 } });
      expect(stats.body.redfish.errors5xx).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('close()', () => {
  it('leaves no listening server, socket or timer behind, even mid-transition and with hung requests', async () => {
    const before = handles();
    const bos = await fakeBos([503, 503, 503, 503, 503, 503, 503, 503]);
    const s = await startSimulator({
      nodes: 6,
      bmcMode: 'per-port',
      timeScale: 0.001,
      initialPower: 'Off',
      bosUrl: bos.url,
      timings: { powerOn: 1, boot: 1, configure: 100_000 },
      faults: [{ kind: 'bmc_hang', xnames: ['x1000c0s2b0'] }],
    });
    await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s0b0n0'], kernel: 'k', initrd: 'i', params: '' } });
    await call(`${s.cfsUrl}/cfs/v3/components`, { method: 'PATCH', json: { patch: { desired_config: 'c', enabled: true }, filters: { ids: 'x1000c0s0b0n0' } } });
    await redfishFor(s, 'x1000c0s0b0n0').reset('On'); // will boot and keep retrying its report (503s)
    await redfishFor(s, 'x1000c0s1b0n0').reset('On'); // a transition pending... or done
    const hung = fetch(`${s.inventory()[4]!.bmc_address}/redfish/v1/Systems`, { headers: { Authorization: basic() } }).catch(() => 'failed');
    await waitFor('a retrying report and a hung request', () => s.node('x1000c0s0b0n0').report !== null && s.stats().redfish.hung === 1);
    await s.close();
    await s.close(); // twice is fine
    expect(await hung).toBe('failed');
    const attempts = s.node('x1000c0s0b0n0').report!.attempts;
    expect(s.servers()).toHaveLength(3 + 3);
    expect(s.servers().every((srv) => !srv.listening)).toBe(true);
    await bos.close();
    // nothing keeps running: timers, listeners and sockets return to what we had
    await waitFor(
      `handles back to the baseline ${JSON.stringify(before)} (now ${JSON.stringify(handles())})`,
      () => {
        const now = handles();
        return ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].every((k) => (now[k] ?? 0) <= (before[k] ?? 0));
      },
      5000,
      20,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(s.node('x1000c0s0b0n0').report!.attempts).toBe(attempts); // no retry after close
  });
});
