/**
 * Faults: a rollout of 1,000 simulated nodes where 10% of the BMCs fail in mixed ways
 * (HTTP 500, hanging requests, connections reset, ComputerSystem.Reset refused, graceful
 * shutdown ignored, a reset done but never answered). Every healthy node must finish, every
 * failed node must say why (the step and the BMC), nothing may stall (every node reaches a
 * final state), and no node is power-cycled twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stopChild } from '../../bench/lib.js';
import type { Component } from '../../src/core/types.js';
import { prng } from '../../src/sim/random.js';
import { placeNode, type FaultKind } from '../../src/sim/index.js';
import { waitFor } from '../../src/testbed/index.js';
import { findSecrets } from '../secrets.js';
import { assertRunning, checkPowerPath, startCluster, V2_KERNEL, type Cluster, type EventRow } from './cluster.js';

const NODES = Number(process.env.CHAOS_NODES ?? 1000);
const SEED = Number(process.env.CHAOS_SEED ?? 7);
const KINDS: FaultKind[] = ['bmc_5xx', 'bmc_hang', 'bmc_conn_reset', 'reset_refused', 'graceful_ignored', 'reset_no_answer'];
/** Faulty BMCs, dealt out to the kinds in turn: 50 BMCs × 2 nodes = 100 nodes, 10% of 1,000. */
const FAULTY_BMCS = Math.max(KINDS.length, Math.round(NODES / 20));
/** Nodes of these kinds must finish (the others must fail, saying why). */
const FINISH = new Set(['healthy', 'graceful_ignored', 'reset_no_answer']);
/** What each failing kind's reason must say besides the BMC's xname: the step and the endpoint. */
const REASON: Partial<Record<FaultKind, RegExp>> = {
  bmc_5xx: /^could not read the power state: .*GET \S*\/redfish\/v1\S* answered 500\b/,
  bmc_hang: /^could not read the power state: .*GET \S*\/redfish\/v1\S* timed out/,
  bmc_conn_reset: /^could not read the power state: .*GET \S*\/redfish\/v1\S* failed: .*ECONNRESET/,
  reset_refused: /^could not power off: \d+ forced power-off request\(s\) failed; last error: .*POST \S*\/ComputerSystem\.Reset answered 400\b/,
};

let cluster: Cluster | undefined;
afterAll(async () => { await cluster?.close(); });

describe('faults: 10% of BMCs failing in mixed ways during a rollout', () => {
  it(`${NODES} nodes: healthy ones finish, failed ones say why, nothing stalls`, async () => {
    const started = Date.now();
    // Faulty BMCs picked with the seed, both nodes of each (a BMC fails for all its nodes).
    const bmcs = [...new Set(Array.from({ length: NODES }, (_, i) => placeNode(i).bmc))];
    const rand = prng(SEED);
    for (let i = bmcs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [bmcs[i], bmcs[j]] = [bmcs[j], bmcs[i]];
    }
    const faultOf = new Map<string, FaultKind>();
    bmcs.slice(0, FAULTY_BMCS).forEach((b, i) => faultOf.set(b, KINDS[i % KINDS.length]));
    const kindOf = (xname: string) => faultOf.get(xname.replace(/n\d+$/, '')) ?? 'healthy';
    cluster = await startCluster({
      sim: { nodes: NODES, timeScale: 0.02, seed: SEED, faults: KINDS.map((kind) => ({ kind, xnames: [...faultOf].filter(([, k]) => k === kind).map(([b]) => b) })) },
      // Graceful takes 30 × 0.02 s here: a node still on after 8 s ignored it.
      options: { max_power_off_wait_time: 8, max_power_on_wait_time: 10, max_boot_wait_time: 120, default_retry_policy: 3 },
      bosdArgs: ['--power-poll-ms', '500', '--cfs-poll-ms', '500', '--retry-backoff-ms', '200', '--request-timeout-ms', '1000', '--max-in-flight', '64'],
    });
    const { sim, backend, ro, nodes } = cluster;
    expect(nodes).toHaveLength(NODES);
    const bosd = await cluster.startBosd();
    const applied = Date.now();
    await backend.applyStaged(nodes);

    const settled = (c: Component) => !c.enabled || c.status.status === 'failed';
    let comps: Component[] = [];
    await waitFor('every node to reach a final state', async () => {
      assertRunning(bosd);
      comps = await backend.listComponents({ ids: nodes });
      return comps.every(settled);
    }, 240_000, 250);
    const tookS = (Date.now() - started) / 1000;
    expect(await stopChild(bosd.child, 10_000)).toBe(0);

    const outcome: Record<string, Record<string, number>> = {};
    const reasons: Record<string, string> = {};
    const paths: Record<string, number> = {};
    const eventsOf = ro.prepare<[string], EventRow>("SELECT id, at, kind, subject, action, detail FROM events WHERE kind = 'component' AND subject = ? ORDER BY id");
    for (const c of comps) {
      const kind = kindOf(c.id);
      const view = sim.node(c.id);
      (outcome[kind] ??= {})[c.status.status] = (outcome[kind][c.status.status] ?? 0) + 1;
      if (FINISH.has(kind)) {
        expect(c.status.status, `${c.id} (${kind}): ${c.error}; requests ${JSON.stringify(view.resets)}, power ${sim.powerTimeline().filter((t) => t.xname === c.id).map((t) => t.to).join(' → ')}`).toBe('stable');
        expect(c.actual_state.boot_artifacts?.kernel).toBe(V2_KERNEL);
        expect(view.booted?.kernel).toBe(V2_KERNEL);
        const { path, requests, failedCalls } = checkPowerPath(c.id, sim, eventsOf.all(c.id), []);
        paths[`${kind}: ${path}`] = (paths[`${kind}: ${path}`] ?? 0) + 1;
        // Healthy: one graceful power-off. Graceful ignored: that, then one forced after the wait.
        // Only a call bosd saw fail (every reset of reset_no_answer; a time-out on a busy
        // machine) may be repeated, and never into a second power cycle (checkPowerPath).
        if (failedCalls === 0) expect(requests.map((q) => q.type), `${c.id} (${kind}) requests`).toEqual(kind === 'healthy' ? ['Off', 'On'] : ['Off', 'ForceOff', 'On']);
        if (kind === 'reset_no_answer') expect(failedCalls, `${c.id}: its resets time out`).toBeGreaterThan(0);
        continue;
      }
      expect(c.status.status, `${c.id} (${kind})`).toBe('failed');
      expect(c.error, `${c.id} (${kind}) names its BMC`).toContain(view.bmc);
      if (!reasons[kind]) { reasons[kind] = c.error; console.log(`faults: a ${kind} node's reason: ${c.error}`); }
      expect(c.error, `${c.id} (${kind}) says what failed`).toMatch(REASON[kind]!);
      // A broken BMC never powered its node off: nothing reached it, or it was refused.
      expect(view.power).toBe('On');
      expect(view.resets.On).toBe(0);
    }
    console.log(`faults: ${NODES} nodes, outcome by fault ${JSON.stringify(outcome)}; power paths of the nodes that finished ${JSON.stringify(paths)}; took ${tookS.toFixed(1)} s`);
    // When each kind's nodes settled (s after apply-staged; p50 / max): healthy nodes do not wait for broken BMCs.
    const ends = ro.prepare<[], { subject: string; at: string }>("SELECT subject, max(at) AS at FROM events WHERE kind = 'component' AND action IN ('stable', 'failed') GROUP BY subject").all();
    const byKind: Record<string, number[]> = {};
    for (const e of ends) (byKind[kindOf(e.subject)] ??= []).push((Date.parse(e.at) - applied) / 1000);
    const p = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))].toFixed(1);
    console.log(`faults: settled by kind (s after apply-staged, p50 / max): ${Object.entries(byKind).map(([k, xs]) => `${k} ${p(xs, 0.5)} / ${p(xs, 1)}`).join('; ')}`);
    cluster.logs().forEach((log, i) => expect(findSecrets(log, `bosd log ${i}`, [cluster!.nodeToken])).toEqual([]));
  }, 300_000);
});
