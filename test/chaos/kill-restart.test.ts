/**
 * Chaos: a rollout of 1,000 simulated nodes during which bosd (a child process) is killed
 * with SIGKILL five times at random moments and restarted on the same database. Every node
 * must converge with exactly the power requests its path needed, and no event or component
 * row committed before a kill may be missing after it.
 *
 * The moments are seeded: CHAOS_SEED=<n> reproduces a run's choice of moments (the printed
 * seed). CHAOS_NODES scales the fleet (default 1000).
 */
import Database from 'better-sqlite3';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// One process runner for bosd: the benchmarks' (logs to a file, resolves on "listening").
import { startBosd, stopChild } from '../../bench/lib.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { prng } from '../../src/sim/random.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { waitFor } from '../../src/testbed/index.js';
import { BMC_CREDENTIALS, findSecrets } from '../secrets.js';

const NODES = Number(process.env.CHAOS_NODES ?? 1000);
const SEED = Number(process.env.CHAOS_SEED ?? randomInt(1, 2 ** 31));
const KILLS = 5;
const TIME_SCALE = 0.02;
const V2_KERNEL = 's3://img/v2/kernel';
/** Real seconds; well above the scaled graceful power-off (30 × TIME_SCALE s), so only a lost request escalates. */
const POWER_WAIT_S = 5;
const MAX_IN_FLIGHT = 128;

interface EventRow { id: number; at: string; kind: string; subject: string; action: string; detail: string }

const cleanups: Array<() => unknown> = [];
afterAll(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

describe('chaos: bosd killed with SIGKILL five times during a rollout', () => {
  it(`${NODES} nodes converge with exactly the power requests their paths needed; no row lost`, async () => {
    console.log(`chaos seed ${SEED} (reproduce: CHAOS_SEED=${SEED} npx vitest run test/chaos/kill-restart.test.ts)`);
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'bosctl-chaos-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sim: Simulator = await startSimulator({
      nodes: NODES, timeScale: TIME_SCALE, seed: SEED, credentials: BMC_CREDENTIALS,
      // Boot reports retry quickly while bosd is down.
      reportRetry: { initialMs: 50, maxMs: 250, giveUpMs: 300_000 },
    });
    cleanups.push(() => sim.close());
    const credentialsFile = join(dir, 'redfish.json');
    writeFileSync(credentialsFile, JSON.stringify({ refs: { sim: BMC_CREDENTIALS } }), { mode: 0o600 });
    const db = join(dir, 'bosd.db');
    const backend = new LocalBackend(db, { user: 'chaos', via: 'test' });
    cleanups.push(() => backend.close());
    await backend.importInventory(sim.inventory().map((r, i) => normalizeInventoryRecord(r as unknown as Record<string, unknown>, `n${i}`)));
    // bosd cannot tell a request it stored but died before sending from one the BMC ignored, so
    // each kill may cost a node one attempt: the policy leaves room for all of them. Extra
    // requests would still show in the exact counts checked below.
    await backend.updateOptions({ max_power_off_wait_time: POWER_WAIT_S, max_power_on_wait_time: POWER_WAIT_S, max_boot_wait_time: 300, default_retry_policy: KILLS + 1 });
    await backend.createTemplate('v2', { boot_sets: { c: { kernel: V2_KERNEL, initrd: 's3://img/v2/initrd', kernel_parameters: 'v2', node_roles_groups: ['Compute'] } }, cfs: { configuration: 'cfg-v2' } });
    const nodeToken = (await backend.createToken({ role: 'node' })).secret;
    const session = await backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'chaos' });
    expect(session.nodes).toHaveLength(NODES);

    let run = 0;
    const bosdArgs = ['--power-poll-ms', '500', '--cfs-poll-ms', '500', '--retry-backoff-ms', '200', '--max-in-flight', String(MAX_IN_FLIGHT)];
    const start = async () => {
      const b = await startBosd({ db, bssUrl: sim.bssUrl, cfsUrl: sim.cfsUrl, credentialsFile, args: bosdArgs, logFile: join(dir, `bosd-${run++}.log`) });
      cleanups.push(() => stopChild(b.child, 5000));
      sim.setBosUrl(b.url, nodeToken);
      return b;
    };
    let bosd = await start();

    // The test's own connection, read-only: what was committed before a kill.
    const ro = new Database(db, { readonly: true, fileMustExist: true });
    cleanups.push(() => ro.close());
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

    await backend.applyStaged(session.nodes);
    const kills: Array<{ at: number; progress: number; phases: Record<string, number>; before: EventRow[] }> = [];
    for (let k = 0; k < KILLS; k++) {
      const target = Math.ceil(points[k] * 3 * NODES);
      await waitFor(`progress ${target} of ${3 * NODES} before kill ${k + 1}`, () => milestones.get()!.n >= target, 120_000, 20);
      await new Promise((r) => setTimeout(r, jitters[k]));
      const before = allEvents.all();
      expect(componentCount.get()!.n).toBe(NODES);
      const ph = Object.fromEntries(phases.all().map((r) => [r.phase || '(none)', r.n]));
      bosd.child.kill('SIGKILL');
      await new Promise((r) => bosd.child.once('exit', r));
      kills.push({ at: Date.now(), progress: milestones.get()!.n / (3 * NODES), phases: ph, before });
      console.log(`kill ${k + 1}: at ${(kills[k].progress * 100).toFixed(1)} % of the rollout, ${before.length} events; nodes by phase ${JSON.stringify(ph)}`);
      // Every row committed before the kill is still there, unchanged, when bosd comes back.
      bosd = await start();
      expect(componentCount.get()!.n).toBe(NODES);
    }
    await waitFor('every node to settle', () => activeCount.get()!.n === 0, 240_000, 100);
    console.log(`chaos: settled ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);
    expect(await stopChild(bosd.child, 10_000)).toBe(0);

    // ---- no row lost -----------------------------------------------------------------
    const final = new Map(allEvents.all().map((e) => [e.id, e]));
    for (const [i, kill] of kills.entries()) {
      const missing = kill.before.filter((e) => JSON.stringify(final.get(e.id)) !== JSON.stringify(e));
      expect(missing, `events committed before kill ${i + 1} missing or changed after it`).toEqual([]);
    }
    expect(componentCount.get()!.n).toBe(NODES);
    for (let i = 0; i < run; i++) {
      expect(findSecrets(readFileSync(join(dir, `bosd-${i}.log`), 'utf8'), `bosd log ${i}`, [nodeToken])).toEqual([]);
    }

    // ---- every node converged -----------------------------------------------------------
    const comps = await backend.listComponents({ ids: session.nodes });
    const byNode = new Map<string, EventRow[]>();
    for (const e of final.values()) if (e.kind === 'component') byNode.set(e.subject, [...(byNode.get(e.subject) ?? []), e]);
    const paths: Record<string, number> = {};
    const lostPerKill = kills.map(() => 0);
    for (const c of comps) {
      const story = () => `${c.id}: ${c.error}\nevents: ${JSON.stringify(byNode.get(c.id)?.map((e) => [e.at, e.action, e.detail]))}\nrequests: ${JSON.stringify(sim.resetLog().filter((r) => r.xname === c.id))}\npower: ${JSON.stringify(sim.powerTimeline().filter((t) => t.xname === c.id))}\nkills: ${JSON.stringify(kills.map((k) => new Date(k.at).toISOString()))}`;
      expect(c.status.status, story()).toBe('stable');
      expect(c.actual_state.boot_artifacts?.kernel).toBe(V2_KERNEL);
      const view = sim.node(c.id);
      expect(view.power).toBe('On');
      expect(view.booted?.kernel).toBe(V2_KERNEL);
      expect(view.configStatus).toBe('configured');

      // ---- exactly the power requests its path needed ------------------------------------
      const { path, lostAt } = checkPowerPath(c.id, sim, byNode.get(c.id) ?? [], kills.map((k) => k.at));
      paths[path] = (paths[path] ?? 0) + 1;
      for (const k of lostAt) lostPerKill[k]++;
    }
    console.log(`chaos: power requests stored but never sent, per kill (bosd died holding them): ${lostPerKill.join(', ')}`);
    // An intent is stored only once its Redfish call may start: no more are in doubt than calls in flight.
    for (const n of lostPerKill) expect(n).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    console.log(`chaos: ${NODES} nodes by power path: ${JSON.stringify(paths)}; took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);
});

/**
 * Checks one node's power history against its path and names the path.
 * - Physically one power cycle: On → PoweringOff → Off → PoweringOn → On, nothing else.
 * - Each request the BMC got (Off, ForceOff, On) answers one intent bosd stored first
 *   (powering_off_gracefully, powering_off_forcefully, powering_on), in order: no resend.
 * - An intent with no request is one bosd died holding: its node's last event before a kill.
 * - A forced power-off follows a graceful one by at least the wait (the BMC still said On),
 *   and a reboot needs one power-off request and one power-on request.
 */
function checkPowerPath(id: string, sim: Simulator, events: EventRow[], killTimes: number[]): { path: string; lostAt: number[] } {
  const timeline = sim.powerTimeline().filter((t) => t.xname === id).map((t) => t.to);
  expect(timeline, `${id} power transitions`).toEqual(['PoweringOff', 'Off', 'PoweringOn', 'On']);
  const requests = sim.resetLog().filter((r) => r.xname === id);
  const intents = events.filter((e) => ['powering_off_gracefully', 'powering_off_forcefully', 'powering_on'].includes(e.action));
  const typeOf: Record<string, string> = { powering_off_gracefully: 'Off', powering_off_forcefully: 'ForceOff', powering_on: 'On' };
  let r = 0;
  const lost: string[] = [];
  const lostAt: number[] = [];
  for (const [i, intent] of intents.entries()) {
    const at = Date.parse(intent.at);
    const nextIntentAt = i + 1 < intents.length ? Date.parse(intents[i + 1].at) : Number.POSITIVE_INFINITY;
    const req = requests[r];
    if (req && req.type === typeOf[intent.action] && req.at >= at && req.at <= nextIntentAt) { r++; continue; }
    // Not sent: bosd must have been killed after storing it, before any later event of the node.
    const later = events.find((e) => Date.parse(e.at) > at || (e.at === intent.at && e.id > intent.id));
    const killed = killTimes.findIndex((k) => k >= at && (!later || k <= Date.parse(later.at)));
    expect(killed >= 0, `${id}: intent ${intent.action} at ${intent.at} was never sent and no kill explains it (requests ${JSON.stringify(requests)})`).toBe(true);
    lost.push(intent.action);
    lostAt.push(killed);
  }
  expect(requests.slice(r), `${id}: requests with no stored intent before them`).toEqual([]);
  const count = (t: string) => requests.filter((q) => q.type === t).length;
  expect(count('Off') + count('ForceOff'), `${id}: power-off requests ${JSON.stringify(requests)}`).toBe(1);
  expect(count('On'), `${id}: power-on requests`).toBe(1);
  expect(requests.every((q) => q.accepted)).toBe(true);
  if (count('ForceOff') === 1) {
    const graceful = intents.find((e) => e.action === 'powering_off_gracefully');
    const forced = intents.find((e) => e.action === 'powering_off_forcefully');
    expect(graceful && forced && Date.parse(forced.at) - Date.parse(graceful.at) >= POWER_WAIT_S * 1000, `${id}: forced power-off before the wait: ${JSON.stringify(events.map((e) => [e.at, e.action, e.detail]))}`).toBe(true);
  }
  return { path: lost.length === 0 ? 'off, on' : `${count('ForceOff') ? 'forced off' : 'off'}, on after lost ${lost.join(' + ')}`, lostAt };
}
