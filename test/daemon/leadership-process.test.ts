/**
 * Issue 18: two bosd processes on one database (SQLite: the same danger as two on one
 * PostgreSQL). Exactly one reconciles; the other takes over when the leader is killed or
 * frozen past the lease, and every node is power-cycled once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stopChild } from '../../bench/lib.js';
import { waitFor } from '../../src/testbed/index.js';
import { checkPowerPath, killHard, V2_KERNEL, type EventRow } from '../chaos/cluster.js';
import { callsAfterWake, freezeOutsideWrite, lastEventId, lease, leaderOf, milestones, REBOOT_SEQUENCE, startHaCluster, startInstance, takeover, type HaBosd, type HaCluster } from '../chaos/ha-cluster.js';
import { ENGINES, freshDatabase, type Engine } from '../store/engines.js';

const NODES = 40;
let cluster: HaCluster | undefined;
afterEach(async () => { await cluster?.close(); cluster = undefined; });

async function twoInstances(engine: Engine) {
  cluster = await startHaCluster({
    ...(engine === 'postgres' ? { db: await freshDatabase(engine) } : {}),
    sim: { nodes: NODES, timeScale: 0.02, seed: 7, reportRetry: { initialMs: 50, maxMs: 250, giveUpMs: 120_000 } },
    // Nodes in waves of 8: with Redfish events they move in step, and without a cap the whole
    // rollout could end before the leader is disrupted "mid-rollout".
    options: { max_power_off_wait_time: 5, max_power_on_wait_time: 5, max_boot_wait_time: 120, default_retry_policy: 3, max_concurrent_power_operations: 8 },
    bosdArgs: ['--power-poll-ms', '200', '--cfs-poll-ms', '200', '--retry-backoff-ms', '200', '--max-in-flight', '8'],
  });
  const a = await startInstance(cluster);
  const b = await startInstance(cluster);
  return { c: cluster, a, b };
}

const stableCount = (c: HaCluster) => Number(c.reader.get<{ n: number }>("SELECT count(*) AS n FROM events WHERE kind = 'component' AND action = 'stable'")!.n);
const started = (b: HaBosd) => (b.out().match(/"msg":"reconciler started"/g) ?? []).length;

async function checkEveryNode(c: HaCluster, disruptions: number[]) {
  const events = c.reader.all<EventRow>("SELECT id, at, kind, subject, action, detail FROM events WHERE kind = 'component' ORDER BY id").map((e) => ({ ...e, id: Number(e.id) }));
  const comps = await c.backend.listComponents({ ids: c.nodes });
  for (const comp of comps) {
    const mine = events.filter((e) => e.subject === comp.id);
    expect(comp.status.status, comp.id).toBe('stable');
    expect(comp.actual_state.boot_artifacts?.kernel).toBe(V2_KERNEL);
    expect(milestones(mine.map((e) => e.action)), comp.id).toMatch(REBOOT_SEQUENCE);
    // One physical power cycle, and each request the BMC got answers its own stored intent.
    checkPowerPath(comp.id, c.sim, mine, disruptions);
  }
}

describe.each(ENGINES)('two bosd on one database on %s', (engine) => {
  it('exactly one reconciles; kill -9 of the leader mid-rollout: the other takes over, every node cycled once', async () => {
    const { c, a, b } = await twoInstances(engine);
    expect(leaderOf(c.reader, [a, b])).toBe(a);
    expect(started(b)).toBe(0);
    await c.backend.applyStaged(c.nodes);
    await waitFor('a third of the nodes stable', () => stableCount(c) >= NODES / 3, 120_000, 20);
    // The standby has still not reconciled anything, though the nodes' boot reports (API
    // writes) went to it: no step, no pass, no power request.
    expect(started(b)).toBe(0);
    expect(b.out()).not.toMatch(/requested|"msg":"(step failed|reconciler pass failed)"/);
    expect(Number(c.reader.get<{ n: number }>("SELECT count(*) AS n FROM events WHERE action = 'boot_reported'")!.n)).toBeGreaterThan(0);
    const before = { epoch: lease(c.reader)!.epoch, event: lastEventId(c.reader) };
    const t0 = Date.now();
    await killHard(a);
    c.sim.setBosUrl(b.url, c.nodeToken);
    const t = await takeover(c.reader, before.epoch, before.event, t0);
    console.log(`two bosd on ${engine}, kill -9: lease taken ${t.leaseMs} ms after the kill, first action after ${t.firstActionMs} ms`);
    expect(t.holder).toMatch(new RegExp(`:${b.pid}$`));
    await waitFor('every node stable', () => stableCount(c) >= NODES, 120_000, 50);
    expect(started(b)).toBe(1);
    await checkEveryNode(c, [t0]);
    expect(await stopChild(b.child, 10_000)).toBe(0);
  }, 240_000);

  it('SIGSTOP of the leader past the lease, then SIGCONT: it makes no power call, steps down, every node stable', async () => {
    const { c, a, b } = await twoInstances(engine);
    await c.backend.applyStaged(c.nodes);
    await waitFor('a quarter of the nodes stable', () => stableCount(c) >= NODES / 4, 120_000, 20);
    const before = { epoch: lease(c.reader)!.epoch, event: lastEventId(c.reader) };
    const { at: stoppedAt } = await freezeOutsideWrite(a, c);
    // Boot reports go to the one that answers.
    c.sim.setBosUrl(b.url, c.nodeToken);
    const t = await takeover(c.reader, before.epoch, before.event, stoppedAt);
    console.log(`two bosd on ${engine}, SIGSTOP: lease taken ${t.leaseMs} ms after the stop, first action after ${t.firstActionMs} ms`);
    // Let the new leader work a little while the old one is still frozen, then wake it.
    await new Promise((r) => setTimeout(r, 1000));
    const offset = a.out().length;
    a.child.kill('SIGCONT');
    await waitFor('the woken leader to step down', () => /"msg":"stepped down: standby now"/.test(a.out().slice(offset)), 30_000, 20);
    await waitFor('every node stable', () => stableCount(c) >= NODES, 120_000, 50);
    expect(callsAfterWake(a, offset, c.sim.resetLog(), t.takenAt)).toEqual([]);
    expect(leaderOf(c.reader, [a, b])).toBe(b);
    await checkEveryNode(c, [stoppedAt]);
    expect(await stopChild(a.child, 10_000)).toBe(0);
    expect(await stopChild(b.child, 10_000)).toBe(0);
  }, 240_000);
});
