/**
 * Chaos: a rollout of 1,000 simulated nodes during which bosd (a child process) is killed
 * with SIGKILL five times at random moments and restarted on the same database. Every node
 * must converge with exactly the power requests its path needed, and no event or component
 * row committed before a kill may be missing after it.
 *
 * The moments are seeded: CHAOS_SEED=<n> reproduces a run's choice of moments (the printed
 * seed). CHAOS_NODES scales the fleet (default 1000).
 */
import { randomInt } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { stopChild } from '../../bench/lib.js';
import { prng } from '../../src/sim/random.js';
import { waitFor } from '../../src/testbed/index.js';
import { findSecrets } from '../secrets.js';
import { assertRunning, checkPowerPath, killHard, startCluster, V2_KERNEL, type Cluster, type EventRow } from './cluster.js';

const NODES = Number(process.env.CHAOS_NODES ?? 1000);
const SEED = Number(process.env.CHAOS_SEED ?? randomInt(1, 2 ** 31));
const KILLS = 5;
/** Real seconds; well above the scaled graceful power-off (30 × 0.02 s), so only a lost request escalates. */
const POWER_WAIT_S = 5;
const MAX_IN_FLIGHT = 128;
/** How much later than its decision an event may be stored (batched commits). */
const COMMIT_SLACK_MS = 250;

let cluster: Cluster | undefined;
afterAll(async () => { await cluster?.close(); });

describe('chaos: bosd killed with SIGKILL five times during a rollout', () => {
  it(`${NODES} nodes converge with exactly the power requests their paths needed; no row lost`, async () => {
    console.log(`chaos seed ${SEED} (reproduce: CHAOS_SEED=${SEED} npx vitest run test/chaos/kill-restart.test.ts)`);
    const started = Date.now();
    cluster = await startCluster({
      // Boot reports retry quickly while bosd is down.
      sim: { nodes: NODES, timeScale: 0.02, seed: SEED, reportRetry: { initialMs: 50, maxMs: 250, giveUpMs: 300_000 } },
      // bosd cannot tell a request it stored but died before sending from one the BMC ignored, so
      // each kill may cost a node one attempt: the policy leaves room for all of them. Extra
      // requests would still show in the exact counts checked below.
      options: { max_power_off_wait_time: POWER_WAIT_S, max_power_on_wait_time: POWER_WAIT_S, max_boot_wait_time: 300, default_retry_policy: KILLS + 1 },
      bosdArgs: ['--power-poll-ms', '500', '--cfs-poll-ms', '500', '--retry-backoff-ms', '200', '--max-in-flight', String(MAX_IN_FLIGHT)],
    });
    const { sim, backend, ro, nodes } = cluster;
    expect(nodes).toHaveLength(NODES);
    let bosd = await cluster.startBosd();

    // The test's own connection, read-only: what was committed before a kill.
    const allEvents = ro.prepare<[], EventRow>('SELECT id, at, kind, subject, action, detail FROM events ORDER BY id');
    const componentCount = ro.prepare<[], { n: number }>('SELECT count(*) AS n FROM components');
    const milestones = ro.prepare<[], { n: number }>("SELECT count(*) AS n FROM events WHERE kind = 'component' AND action IN ('powering_off_gracefully', 'powering_on', 'stable')");
    const activeCount = ro.prepare<[], { n: number }>("SELECT count(*) AS n FROM components WHERE enabled = 1 AND status_override <> 'failed'");
    const phases = ro.prepare<[], { phase: string; n: number }>("SELECT phase, count(*) AS n FROM components WHERE enabled = 1 GROUP BY phase");

    // The moments: points of the rollout's progress (power-offs, power-ons and stable nodes
    // recorded, out of 3 per node), spread over it, plus a short jitter.
    const rand = prng(SEED);
    const points = Array.from({ length: KILLS }, () => 0.03 + rand() * 0.9).sort((a, b) => a - b);
    const jitters = points.map(() => Math.floor(rand() * 200));

    await backend.applyStaged(nodes);
    const kills: Array<{ at: number; progress: number; phases: Record<string, number>; before: EventRow[] }> = [];
    for (let k = 0; k < KILLS; k++) {
      const target = Math.ceil(points[k] * 3 * NODES);
      await waitFor(`progress ${target} of ${3 * NODES} before kill ${k + 1}`, () => { assertRunning(bosd); return milestones.get()!.n >= target; }, 120_000, 20);
      await new Promise((r) => setTimeout(r, jitters[k]));
      const before = allEvents.all();
      expect(componentCount.get()!.n).toBe(NODES);
      const ph = Object.fromEntries(phases.all().map((r) => [r.phase || '(none)', r.n]));
      await killHard(bosd);
      kills.push({ at: Date.now(), progress: milestones.get()!.n / (3 * NODES), phases: ph, before });
      console.log(`kill ${k + 1}: at ${(kills[k].progress * 100).toFixed(1)} % of the rollout, ${before.length} events; nodes by phase ${JSON.stringify(ph)}`);
      bosd = await cluster.startBosd();
      expect(componentCount.get()!.n).toBe(NODES);
    }
    await waitFor('every node to settle', () => { assertRunning(bosd); return activeCount.get()!.n === 0; }, 240_000, 100);
    console.log(`chaos: settled ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);
    expect(await stopChild(bosd.child, 10_000)).toBe(0);

    // ---- no row lost: every row committed before a kill is still there, unchanged --------
    const final = new Map(allEvents.all().map((e) => [e.id, e]));
    for (const [i, kill] of kills.entries()) {
      const missing = kill.before.filter((e) => JSON.stringify(final.get(e.id)) !== JSON.stringify(e));
      expect(missing, `events committed before kill ${i + 1} missing or changed after it`).toEqual([]);
    }
    expect(componentCount.get()!.n).toBe(NODES);
    cluster.logs().forEach((log, i) => expect(findSecrets(log, `bosd log ${i}`, [cluster!.nodeToken])).toEqual([]));

    // ---- every node converged -----------------------------------------------------------
    const comps = await backend.listComponents({ ids: nodes });
    const byNode = new Map<string, EventRow[]>();
    for (const e of final.values()) if (e.kind === 'component') byNode.set(e.subject, [...(byNode.get(e.subject) ?? []), e]);
    const paths: Record<string, number> = {};
    const lostPerKill = kills.map(() => 0);
    let retried = 0;
    for (const c of comps) {
      const story = () => `${c.id}: ${c.error}\nevents: ${JSON.stringify(byNode.get(c.id)?.map((e) => [e.at, e.action, e.detail]))}\nrequests: ${JSON.stringify(sim.resetLog().filter((r) => r.xname === c.id))}\npower: ${JSON.stringify(sim.powerTimeline().filter((t) => t.xname === c.id))}\nkills: ${JSON.stringify(kills.map((k) => new Date(k.at).toISOString()))}`;
      expect(c.status.status, story()).toBe('stable');
      expect(c.actual_state.boot_artifacts?.kernel).toBe(V2_KERNEL);
      const view = sim.node(c.id);
      expect(view.power).toBe('On');
      expect(view.booted?.kernel).toBe(V2_KERNEL);
      expect(view.configStatus).toBe('configured');

      // ---- exactly the power requests its path needed ------------------------------------
      const { path, lostAt, requests, failedCalls } = checkPowerPath(c.id, sim, byNode.get(c.id) ?? [], kills.map((k) => k.at));
      // A reboot needs one power-off request and one power-on request, a forced one only after
      // the wait. Only a call bosd saw fail (a time-out on a very busy machine) is repeated.
      const count = (t: string) => requests.filter((q) => q.type === t).length;
      if (failedCalls === 0) {
        expect(count('Off') + count('ForceOff'), `${c.id}: power-off requests ${JSON.stringify(requests)}`).toBe(1);
        expect(count('On'), `${c.id}: power-on requests`).toBe(1);
        if (count('ForceOff') > 0) {
          const ev = byNode.get(c.id)!;
          const graceful = ev.find((e) => e.action === 'powering_off_gracefully');
          const forced = ev.find((e) => e.action === 'powering_off_forcefully');
          // Event times are commit times, a little after the decision the wait counts from.
          expect(graceful && forced && Date.parse(forced.at) - Date.parse(graceful.at) >= POWER_WAIT_S * 1000 - COMMIT_SLACK_MS, `${c.id}: forced power-off before the wait; events ${JSON.stringify(ev.map((e) => [e.at, e.action]))}, requests ${JSON.stringify(requests)}, kills ${JSON.stringify(kills.map((k) => new Date(k.at).toISOString()))}`).toBe(true);
        }
      } else retried++;
      paths[path] = (paths[path] ?? 0) + 1;
      for (const k of lostAt) lostPerKill[k]++;
    }
    console.log(`chaos: power requests stored but never sent, per kill (bosd died holding them): ${lostPerKill.join(', ')}`);
    // An intent is stored only once its Redfish call may start: no more are in doubt than calls in flight.
    for (const n of lostPerKill) expect(n).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    console.log(`chaos: ${NODES} nodes by power path: ${JSON.stringify(paths)}; ${retried} with a call bosd saw fail; took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);
});
