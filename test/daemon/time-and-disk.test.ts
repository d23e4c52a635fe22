import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import type { SimOptions } from '../../src/sim/index.js';
import type { Store } from '../../src/store/store.js';
import { pgError } from '../../src/store/pg/errors.js';

/**
 * DESIGN §2: deadlines run on the monotonic clock, and a moved wall clock, a restart or a full
 * disk is never a reason for a second power cycle.
 */
const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet v2' };
const JUMP_MS = 30 * 60_000;
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

async function bed(sim: Partial<SimOptions>, options: Record<string, unknown>, clock?: { wall: () => number }, requestTimeoutMs?: number): Promise<Testbed> {
  tb = await startTestbed({ sim: { nodes: 3, timeScale: 0.01, ...sim }, options, noCfs: true, clock, bosd: requestTimeoutMs ? { requestTimeoutMs } : {} });
  await tb.backend.createTemplate('v2', { boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
  return tb;
}

const settled = (c: Component) => !c.enabled || c.status.status === 'failed';
async function applyAndWaitBooting(t: Testbed): Promise<string[]> {
  const staged = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
  await t.backend.applyStaged(staged.nodes);
  await waitFor('every node powered on and booting', async () => (await t.backend.listComponents({ ids: staged.nodes }))
    .every((c) => c.last_action.action === 'powering_on' && !c.last_action.failed), 60_000, 5);
  return staged.nodes;
}

/** One power cycle each: graceful off (Cray EX: Off), on; nothing forced, nothing twice. */
async function expectOneCycleEach(t: Testbed, ids: string[]): Promise<void> {
  await waitFor('every node settled', async () => (await t.backend.listComponents({ ids })).every(settled), 60_000);
  for (const c of await t.backend.listComponents({ ids })) {
    expect(c.status.status, `${c.id}: ${c.error}`).toBe('stable');
    expect(t.sim.node(c.id).resets, c.id).toMatchObject({ Off: 1, On: 1, ForceOff: 0 });
  }
}

/** Makes every write transaction fail as the engine does on a full disk (SQLite's file, PostgreSQL's server), until restored. */
function fillDisk(store: Store): () => void {
  const driver = (store as unknown as { driver: { engine: string; writeTx: (fn: () => unknown) => unknown } }).driver;
  const real = driver.writeTx;
  driver.writeTx = () => {
    throw driver.engine === 'postgres'
      ? pgError({ code: '53100', message: 'could not extend file: No space left on device', lost: false }, 'test')
      : Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  };
  return () => { driver.writeTx = real; };
}

describe('time', () => {
  it('a wall clock moved 30 minutes ahead while nodes boot power-cycles none of them again', async () => {
    let jump = 0;
    const t = await bed({ timings: { boot: 300 } }, { max_boot_wait_time: 1200 }, { wall: () => Date.now() + jump });
    const ids = await applyAndWaitBooting(t);
    jump = JUMP_MS;
    await expectOneCycleEach(t, ids);
  });

  it('a restart after the wall clock moved ahead resumes booting nodes without a second power cycle', async () => {
    let jump = 0;
    const t = await bed({ timings: { boot: 300 } }, { max_boot_wait_time: 1200 }, { wall: () => Date.now() + jump });
    const ids = await applyAndWaitBooting(t);
    await t.stopBosd();
    jump = JUMP_MS;
    await t.startBosd();
    await expectOneCycleEach(t, ids);
  });

  it('a shorter max_boot_wait_time reaches nodes already waiting', async () => {
    // The nodes never report; they wait an hour, until the admin shortens the wait to 2 s.
    const t = await bed({ faults: [{ kind: 'never_boots', rate: 1 }] }, { max_boot_wait_time: 3600, default_retry_policy: 1 });
    const ids = await applyAndWaitBooting(t);
    // Let bosd see them on and settle into the hour's wait.
    await waitFor('nodes on', () => ids.every((x) => t.sim.node(x).power === 'On'), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    await t.backend.updateOptions({ max_boot_wait_time: 2 });
    await waitFor('every node failed', async () => (await t.backend.listComponents({ ids })).every((c) => c.status.status === 'failed'), 60_000);
    for (const c of await t.backend.listComponents({ ids })) expect(c.error).toMatch(/within 2 s after power-on/);
  });
});

describe('a full disk', () => {
  it('boot reports refused while the database cannot be written cost no node a second power cycle', async () => {
    // Nodes boot in 1 s and wait at most 6 s for the report; the disk stays full for 8 s.
    const t = await bed({ nodes: 4, timings: { boot: 100 }, reportRetry: { initialMs: 200, maxMs: 1000, giveUpMs: 120_000 } }, { max_boot_wait_time: 6 });
    const ids = await applyAndWaitBooting(t);
    const restore = fillDisk(t.bosd!.store);
    try {
      await waitFor('a boot report refused', () => t.bosd!.store.writeHealth.failures > 0, 30_000);
      await waitFor('bosd to see the database unwritable', () => !t.bosd!.reconciler.databaseWritable, 30_000);
      await new Promise((r) => setTimeout(r, 8000));
      for (const x of ids) expect(t.sim.node(x).resets, x).toMatchObject({ On: 1, ForceOff: 0 });
    } finally {
      restore();
    }
    await expectOneCycleEach(t, ids);
    expect(t.bosd!.reconciler.databaseWritable).toBe(true);
  });
});

/** Samples every node's status until all settle; returns the statuses seen while still enabled. */
async function statusesWhileWorking(t: Testbed, ids: string[]): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  await waitFor('every node settled', async () => {
    const comps = await t.backend.listComponents({ ids });
    for (const c of comps) if (c.enabled && c.status.status !== 'failed') {
      const s = seen.get(c.id) ?? seen.set(c.id, []).get(c.id)!;
      if (s.at(-1) !== c.status.status) s.push(c.status.status);
    }
    return comps.every(settled);
  }, 60_000, 5);
  return seen;
}

describe('truthful status while a node waits (BOS: on_hold, never stable)', () => {
  it('nodes waiting for a power-cap slot are on_hold', async () => {
    const t = await bed({ nodes: 3, timings: { boot: 50, gracefulOff: 100, powerOn: 100 } }, { max_concurrent_power_operations: 1 });
    const staged = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    await t.backend.applyStaged(staged.nodes);
    const seen = await statusesWhileWorking(t, staged.nodes);
    for (const [x, s] of seen) expect(s, x).not.toContain('stable');
    // Those that waited for a slot were on hold meanwhile.
    for (const x of staged.nodes) {
      if ((await t.backend.componentHistory(x)).some((e) => e.action === 'queued')) expect(seen.get(x)![0], x).toBe('on_hold');
    }
  });

  it('a node whose BMC does not answer is on_hold until it fails', async () => {
    const t = await bed({ nodes: 2, faults: [{ kind: 'bmc_hang', xnames: ['x1000c0s0b0'] }] }, { default_retry_policy: 2 }, undefined, 300);
    const staged = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    await t.backend.applyStaged(staged.nodes);
    const seen = await statusesWhileWorking(t, staged.nodes);
    const hung = staged.nodes.find((x) => x.startsWith('x1000c0s0b0'))!;
    expect(seen.get(hung)).toEqual(['on_hold']);
    expect((await t.backend.getComponent(hung)).status.status).toBe('failed');
  });
});

describe('BSS unreachable', () => {
  it('nodes wait on hold "waiting for BSS", spend no attempt, and go on when it is back', async () => {
    const { createServer, request } = await import('node:http');
    let up = false;
    let target = '';
    // A stand-in for the BSS address: drops every connection while "down", forwards while "up".
    const front = createServer((req, res) => {
      if (!up) { req.socket.destroy(); return; }
      const u = new URL(req.url ?? '/', target);
      const out = request(u, { method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
      req.pipe(out);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const port = (front.address() as { port: number }).port;
    try {
      tb = await startTestbed({ sim: { nodes: 2, timeScale: 0.01 }, options: { default_retry_policy: 1 }, noCfs: true, startBosd: false });
      target = tb.sim.bssUrl;
      tb.config.bssUrl = `http://127.0.0.1:${port}${new URL(tb.sim.bssUrl).pathname}`;
      await tb.startBosd();
      const t = tb;
      await t.backend.createTemplate('v2', { boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
      const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'up' });
      await waitFor('both nodes waiting for BSS', async () => (await t.backend.listComponents({ ids: s.nodes }))
        .every((c) => c.status.status === 'on_hold' && c.error.startsWith('waiting for BSS')), 60_000);
      // Several tries later (retry policy 1), still waiting, not failed.
      await new Promise((r) => setTimeout(r, 1500));
      for (const c of await t.backend.listComponents({ ids: s.nodes })) {
        expect(c.status.status).toBe('on_hold');
        expect(c.event_stats.power_on_attempts).toBe(0);
      }
      up = true;
      await expectOneCycleEach(t, s.nodes);
      for (const c of await t.backend.listComponents({ ids: s.nodes })) expect(c.error).toBe('');
    } finally {
      front.closeAllConnections();
      await new Promise((r) => front.close(r));
    }
  });
});
