import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import type { SimOptions } from '../../src/sim/index.js';
import { dump } from '../cli/helpers.js';

const BOSCTL = new URL('../../bin/bosctl.js', import.meta.url).pathname;
const V1 = { kernel: 's3://img/v1/kernel', initrd: 's3://img/v1/initrd', kernel_parameters: 'v1' };
const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2' };
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

async function bed(sim: Partial<SimOptions> = {}, options: Record<string, unknown> = {}): Promise<Testbed> {
  tb = await startTestbed({ sim: { nodes: 8, timeScale: 0.002, ...sim }, options: { max_boot_wait_time: 30, ...options } });
  for (const [name, a] of [['v1', V1], ['v2', V2]] as const) {
    await tb.backend.createTemplate(name, { boot_sets: { compute: { ...a, node_roles_groups: ['Compute'] } } });
  }
  return tb;
}
const settled = (c: Component) => !c.enabled || c.status.status === 'failed';
async function untilSettled(t: Testbed, ids: string[]): Promise<Component[]> {
  await waitFor(`${ids.length} nodes to settle`, async () => (await t.backend.listComponents({ ids })).every(settled), 60_000);
  return t.backend.listComponents({ ids });
}
/** The most nodes in a power transition at once, from the simulator's record. */
function maxConcurrentTransitions(t: Testbed, filter: (x: string) => boolean = () => true): number {
  const inTransition = new Set<string>();
  let max = 0;
  for (const tr of t.sim.powerTimeline()) {
    if (!filter(tr.xname)) continue;
    if (tr.to === 'PoweringOff' || tr.to === 'PoweringOn') inTransition.add(tr.xname);
    else inTransition.delete(tr.xname);
    max = Math.max(max, inTransition.size);
  }
  return max;
}
function bosctl(t: Testbed, args: string[]) {
  return spawnSync(process.execPath, [BOSCTL, '--db', t.dbPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('caps on power operations', () => {
  it('a global cap of 2 never has more than 2 nodes powering at once', async () => {
    const t = await bed({}, { max_concurrent_power_operations: 2 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const comps = await untilSettled(t, s.nodes);
    expect(comps.every((c) => c.status.status === 'stable')).toBe(true);
    expect(maxConcurrentTransitions(t)).toBeLessThanOrEqual(2);
    expect(maxConcurrentTransitions(t)).toBeGreaterThan(0);
    const queued = (await t.backend.componentHistory(s.nodes[7])).some((e) => e.action === 'queued');
    const anyQueued = (await Promise.all(s.nodes.map((x) => t.backend.componentHistory(x)))).flat().filter((e) => e.action === 'queued');
    expect(anyQueued.length).toBeGreaterThan(0);
    expect(String(anyQueued[0].detail.reason)).toMatch(/max_concurrent_power_operations is 2/);
    void queued;
  });

  it('a per-chassis cap of 1 never has two nodes of one chassis powering at once', async () => {
    const t = await bed({ nodes: 32 }, { max_power_operations_per_chassis: 1 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await untilSettled(t, s.nodes);
    expect(maxConcurrentTransitions(t, (x) => x.startsWith('x1000c0s'))).toBe(1);
    expect(maxConcurrentTransitions(t, (x) => x.startsWith('x1000c1s'))).toBe(1);
    // Two chassis may work at the same time.
    expect(maxConcurrentTransitions(t)).toBe(2);
  });
});

describe('failure budget', () => {
  it('a budget of 2 with 3 bad nodes halts the session and spares the rest', async () => {
    const bad = ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0'];
    const t = await bed({ faults: [{ kind: 'never_boots', xnames: bad }] }, { max_boot_wait_time: 1, default_retry_policy: 1 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up', max_failures: '2' });
    // Slurm applies the first four; three of them never come back.
    await t.backend.applyStaged(s.nodes.slice(0, 4));
    await untilSettled(t, s.nodes.slice(0, 4));
    await waitFor('the session to halt', async () => (await t.backend.sessionStatus('up')).control.halted_at !== null, 10_000);
    const st = await t.backend.sessionStatus('up');
    // The three bad nodes fail together when their power events come at once (2 or 3 by the halt).
    expect(st.session.status.error).toMatch(/halted: failure budget 2 exhausted \([23] of 8 nodes failed\)/);
    expect((await t.backend.listComponents({ session: 'up', status: ['failed'] })).map((c) => c.id).sort()).toEqual(bad);
    // Later applies of its staged state are refused, and those nodes are never touched.
    const later = await t.backend.applyStaged(s.nodes.slice(4));
    expect(later.failed).toEqual(s.nodes.slice(4));
    expect(later.reasons[s.nodes[4]]).toMatch(/failure budget of session up exhausted/);
    for (const x of s.nodes.slice(4)) expect(Object.values(t.sim.node(x).resets).reduce((a, b) => a + b, 0), x).toBe(0);
    // Resume with a larger budget: applies work again.
    await t.backend.resumeSession('up', '50%');
    const again = await t.backend.applyStaged([s.nodes[4]]);
    expect(again.succeeded).toEqual([s.nodes[4]]);
    const [c] = await untilSettled(t, [s.nodes[4]]);
    expect(c.status.status).toBe('stable');
  });

  it('nodes of a halted session that have not started are held, and released by resume', async () => {
    // One power operation at a time, each slow; the nodes of one BMC fail at once.
    const t = await bed({ timeScale: 0.01, timings: { gracefulOff: 100 }, faults: [{ kind: 'bmc_5xx', xnames: ['x1000c0s0b0'] }] },
      { default_retry_policy: 1, max_concurrent_power_operations: 1 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r', max_failures: '1' });
    await waitFor('the session to halt', async () => (await t.backend.sessionStatus('r')).control.halted_at !== null, 30_000);
    // Queued nodes are held as their turn comes, within a poll or two.
    await waitFor('held nodes', async () => (await t.backend.listComponents({ session: 'r' })).filter((c) => c.status.status === 'on_hold' && c.error.startsWith('held:')).length >= 4, 10_000);
    const held = (await t.backend.listComponents({ session: 'r' })).filter((c) => c.error.startsWith('held:')).map((c) => c.id);
    expect(held.length).toBeGreaterThanOrEqual(4);
    for (const x of held) expect(Object.values(t.sim.node(x).resets).reduce((a, b) => a + b, 0), x).toBe(0);
    t.sim.setFault('bmc_5xx', ['x1000c0s0b0'], false);
    const r = await t.backend.resumeSession('r', '8');
    expect(r.released.sort()).toEqual(held.sort());
    const comps = await untilSettled(t, held);
    expect(comps.map((c) => `${c.id} ${c.status.status} ${c.error}`)).toEqual(comps.map((c) => `${c.id} stable `));
    void s;
  });
});

describe('dry run, no-op skip, rollback', () => {
  it('dry runs of session create and apply-staged leave the database byte-for-byte (PostgreSQL: row for row) the same', async () => {
    const t = await bed({}, {});
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    await t.stopBosd();
    t.backend.close();
    const snapshot = () => (t.dbPath.startsWith('postgres://') ? dump(t.dbPath) : readFileSync(t.dbPath));
    const before = snapshot();
    const plan = bosctl(t, ['session', 'create', '--template', 'v1', '--operation', 'reboot', '--limit', 'nid[000001-000004]', '--dry-run']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/would set reboot for 4 node\(s\) \(dry run: nothing written\)/);
    // bosd never saw these nodes boot, so what they run now is unknown.
    expect(plan.stdout).toMatch(/kernel\s+\(none\) → s3:\/\/img\/v1\/kernel/);
    const apply = bosctl(t, ['apply-staged', 'nid[000001-000003],nid000099', '--dry-run', '-o', 'json']);
    expect(apply.status, apply.stderr).toBe(0);
    const j = JSON.parse(apply.stdout);
    expect(j.succeeded).toHaveLength(3);
    expect(j.ignored).toEqual(['nid000099']);
    expect(j.plan[0].change.kernel[1]).toBe(V2.kernel);
    expect(snapshot()).toEqual(before);
  });

  it('a node already running the target is not rebooted, unless --force', async () => {
    const t = await bed({ nodes: 2 });
    const first = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'one' });
    await untilSettled(t, first.nodes);
    const before = t.sim.nodes().map((n) => n.resets.On);
    const again = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'two' });
    expect(again.current.sort()).toEqual(first.nodes.sort());
    await untilSettled(t, again.nodes);
    expect(t.sim.nodes().map((n) => n.resets.On)).toEqual(before);
    const forced = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'three', force: true });
    expect(forced.current).toEqual([]);
    await untilSettled(t, forced.nodes);
    expect(t.sim.nodes().map((n) => n.resets.On)).toEqual(before.map((n) => n + 1));
  });

  it('rollback returns nodes to their previous kernel', async () => {
    const t = await bed({ nodes: 2 });
    for (const [tpl, name] of [['v1', 'a'], ['v2', 'b']]) {
      const s = await t.backend.createSession({ template_name: tpl, operation: 'reboot', name });
      await untilSettled(t, s.nodes);
    }
    expect(t.sim.node('x1000c0s0b0n0').booted?.kernel).toBe(V2.kernel);
    const rb = await t.backend.rollback({ session: 'b' });
    expect(rb.nodes).toHaveLength(2);
    const comps = await untilSettled(t, rb.nodes);
    for (const c of comps) {
      expect(c.status.status).toBe('stable');
      expect(c.actual_state.boot_artifacts?.kernel).toBe(V1.kernel);
      expect(t.sim.node(c.id).booted?.kernel).toBe(V1.kernel);
    }
  });
});

describe('watch and history', () => {
  it('status --watch off a terminal appends one line per change and ends when the session completes', async () => {
    // Slow enough (~4 s of hardware) that the watcher, started after the session, sees it change.
    const t = await bed({ nodes: 4, timeScale: 0.02 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'w' });
    const child = spawn(process.execPath, [BOSCTL, '--db', t.dbPath, 'session', 'status', 'w', '--watch', '--interval', '100'], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(out).not.toMatch(/\u001b/);
    for (const l of lines) expect(l).toMatch(/^\d\d:\d\d:\d\d (pending|running|complete)/);
    expect(lines.at(-1)).toMatch(/^\d\d:\d\d:\d\d complete: .*stable 4, failed 0/);
    // No two consecutive lines say the same.
    for (let i = 1; i < lines.length; i++) expect(lines[i].slice(9).replace(/; [\d.]+ nodes\/min.*$/, '')).not.toBe(lines[i - 1].slice(9).replace(/; [\d.]+ nodes\/min.*$/, ''));
    const history = await t.backend.sessionHistory('w');
    expect(history.map((e) => e.action)).toEqual(expect.arrayContaining(['created', 'running', 'powering_off_gracefully', 'powering_on', 'stable', 'complete']));
    expect(new Set(history.map((e) => e.subject))).toEqual(new Set(['w', ...s.nodes]));
  });
});
