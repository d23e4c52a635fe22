import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import type { SimOptions } from '../../src/sim/index.js';
import { dump } from '../cli/helpers.js';
import { ENGINES, freshDatabase, type Engine } from '../store/engines.js';

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet v2' };
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

async function bed(sim: Partial<SimOptions> = {}, options: Record<string, unknown> = {}, noCfs = false, engine: Engine = 'sqlite'): Promise<Testbed> {
  const db = engine === 'sqlite' ? {} : { db: await freshDatabase(engine) };
  tb = await startTestbed({ sim: { nodes: 16, timeScale: 0.002, ...sim }, options: { max_boot_wait_time: 30, ...options }, noCfs, ...db });
  await tb.backend.createTemplate('v2', {
    enable_cfs: true, cfs: { configuration: 'cfg-v2' },
    boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } },
  });
  return tb;
}

const settled = (c: Component) => !c.enabled || c.status.status === 'failed';
async function untilSettled(t: Testbed, ids: string[]): Promise<Component[]> {
  await waitFor(`${ids.length} nodes to settle`, async () => (await t.backend.listComponents({ ids })).every(settled), 60_000);
  return t.backend.listComponents({ ids });
}
const totalResets = (t: Testbed, x: string) => Object.values(t.sim.node(x).resets).reduce((a, b) => a + b, 0);

describe.each(ENGINES)('bosd rolling upgrade through the simulator on %s', (engine) => {
  it('stage v2, apply to 8: those 8 are stable on v2 with BSS and CFS updated; the other 8 get no reset', async () => {
    const t = await bed({}, {}, false, engine);
    const staged = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    expect(staged.nodes).toHaveLength(16);
    const applied = staged.nodes.slice(0, 8);
    const rest = staged.nodes.slice(8);
    const r = await t.backend.applyStaged(applied);
    expect(r.succeeded).toEqual(applied);
    const comps = await untilSettled(t, applied);
    for (const c of comps) {
      expect(c.status.status, c.id).toBe('stable');
      // BOS appends bos_update_frequency (the actual-state TTL) to every boot set's parameters.
      expect(c.actual_state.boot_artifacts).toEqual({ ...V2, kernel_parameters: `${V2.kernel_parameters} bos_update_frequency=4h` });
      expect(c.desired_state.bss_token).toBeTruthy();
      expect(c.actual_state.bss_token).toBe(c.desired_state.bss_token);
      const sim = t.sim.node(c.id);
      expect(sim.booted?.kernel).toBe(V2.kernel);
      expect(sim.booted?.params).toContain('quiet v2');
      expect(sim.cfs).toMatchObject({ desired_config: 'cfg-v2', enabled: true, configuration_status: 'configured' });
      expect(sim.resets.Off).toBe(1);
      expect(sim.resets.On).toBe(1);
      expect(sim.resets.ForceOff).toBe(0);
    }
    for (const x of rest) expect(totalResets(t, x), x).toBe(0);
    // BSS got the v2 parameters for the applied nodes only, batched.
    const bssHosts = t.sim.bssCalls().filter((c) => c.method === 'PUT').flatMap((c) => c.hosts);
    expect(new Set(bssHosts)).toEqual(new Set(applied));
    expect(t.sim.bssCalls().filter((c) => c.method === 'PUT').length).toBeLessThan(8);
    // The events say who did what.
    const history = (await t.backend.componentHistory(applied[0])).map((e) => e.action);
    expect(history).toEqual(expect.arrayContaining(['apply_staged', 'powering_off_gracefully', 'boot_parameters_set', 'powering_on', 'boot_reported', 'configuration_enabled', 'stable']));
  });

  it('a boot session moves pending → running → complete', async () => {
    const t = await bed({ initialPower: 'Off', nodes: 4 }, {}, false, engine);
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'boot', name: 'b' });
    expect(s.session.status.status).toBe('pending');
    await untilSettled(t, s.nodes);
    await waitFor('session complete', async () => (await t.backend.getSession('b')).status.status === 'complete', 10_000);
    const st = await t.backend.sessionStatus('b');
    expect(st.extended.percent_successful).toBe(100);
    // Nodes that were off are only powered on.
    for (const x of s.nodes) expect(t.sim.node(x).resets).toMatchObject({ On: 1, Off: 0, ForceOff: 0 });
  });

  it('a shutdown powers nodes off and leaves them off', async () => {
    const t = await bed({ nodes: 4 }, {}, false, engine);
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'shutdown', limit: 'nid000001,nid000002', name: 'off' });
    const comps = await untilSettled(t, s.nodes);
    for (const c of comps) {
      expect(c.status.status).toBe('stable');
      expect(t.sim.node(c.id).power).toBe('Off');
    }
    expect(t.sim.node('x1000c0s1b0n0').power).toBe('On');
  });

  it('without CFS, a rebooted node is stable once it reports the new artifacts', async () => {
    const t = await bed({ nodes: 2 }, {}, true, engine);
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const comps = await untilSettled(t, ['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    expect(comps.map((c) => c.status.status)).toEqual(['stable', 'stable']);
    expect(t.sim.cfsCalls()).toHaveLength(0);
  });
});

describe('bosd under faults', () => {
  it('graceful shutdown ignored → ForceOff after max_power_off_wait_time, counted', async () => {
    const t = await bed({ nodes: 2, faults: [{ kind: 'graceful_ignored', xnames: ['x1000c0s0b0n0'] }] }, { max_power_off_wait_time: 1 });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const [bad, good] = await untilSettled(t, ['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    expect(bad.status.status).toBe('stable');
    // Counted while it worked; reset once it is stable, as BOS's status operator does (operators/status.py).
    expect(bad.event_stats).toEqual({ power_off_graceful_attempts: 0, power_off_forceful_attempts: 0, power_on_attempts: 0 });
    expect((await t.backend.componentHistory(bad.id)).map((e) => e.action).filter((a) => a.startsWith('powering_'))).toEqual(['powering_off_gracefully', 'powering_off_forcefully', 'powering_on']);
    expect(t.sim.node(bad.id).resets).toMatchObject({ Off: 1, ForceOff: 1, On: 1 });
    expect(good.event_stats.power_off_forceful_attempts).toBe(0);
    expect(t.sim.node(good.id).resets.ForceOff).toBe(0);
  });

  it('a BMC answering 500 is retried, then its node fails with a reason; the others finish', async () => {
    const t = await bed({ nodes: 4, faults: [{ kind: 'bmc_5xx', xnames: ['x1000c0s0b0'] }] }, { default_retry_policy: 2 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const comps = await untilSettled(t, s.nodes);
    const byId = new Map(comps.map((c) => [c.id, c]));
    for (const x of ['x1000c0s0b0n0', 'x1000c0s0b0n1']) {
      const c = byId.get(x)!;
      expect(c.status.status).toBe('failed');
      expect(c.error).toMatch(/x1000c0s0b0/);
      expect(c.error).toMatch(/500/);
      expect(c.error).not.toContain(t.sim.credentials.password);
    }
    for (const x of ['x1000c0s1b0n0', 'x1000c0s1b0n1']) expect(byId.get(x)!.status.status).toBe('stable');
  });

  it('a node that never boots fails after max_boot_wait_time with a reason', async () => {
    const t = await bed({ nodes: 2, faults: [{ kind: 'never_boots', xnames: ['x1000c0s0b0n1'] }] }, { max_boot_wait_time: 1, default_retry_policy: 1 });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const [ok, bad] = await untilSettled(t, ['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    expect(ok.status.status).toBe('stable');
    expect(bad.status.status).toBe('failed');
    expect(bad.error).toMatch(/did not report booting s3:\/\/img\/v2\/kernel within 1 s after power-on/);
    const st = await t.backend.sessionStatus('r');
    expect(st.extended.percent_failed).toBe(50);
    expect(Object.keys(st.extended.error_summary)[0]).toMatch(/did not report booting/);
  });

  it('a node that boots the wrong artifacts is retried, then failed saying so', async () => {
    const t = await bed({ nodes: 2, faults: [{ kind: 'wrong_artifacts', xnames: ['x1000c0s0b0n0'] }] }, { max_boot_wait_time: 1, default_retry_policy: 2 });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const [bad] = await untilSettled(t, ['x1000c0s0b0n0']);
    expect(bad.status.status).toBe('failed');
    expect(bad.event_stats.power_on_attempts).toBe(2);
    expect(t.sim.node(bad.id).resets.On).toBe(2);
  });

  it('a CFS failure fails the node naming the configuration', async () => {
    const t = await bed({ nodes: 2, faults: [{ kind: 'cfs_fails', xnames: ['x1000c0s0b0n0'] }] });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const [bad, ok] = await untilSettled(t, ['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    expect(bad.error).toBe('CFS failed to apply configuration cfg-v2');
    expect(ok.status.status).toBe('stable');
  });

  it('Cray EX-like BMCs get Off, generic BMCs GracefulShutdown', async () => {
    const t = await bed({ nodes: 4, profile: (bmc: string) => (bmc === 'x1000c0s0b0' ? 'cray-ex' : 'generic') });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await untilSettled(t, s.nodes);
    expect(t.sim.node('x1000c0s0b0n0').resets).toMatchObject({ Off: 1, GracefulShutdown: 0 });
    expect(t.sim.node('x1000c0s1b0n0').resets).toMatchObject({ Off: 0, GracefulShutdown: 1 });
  });
});

describe('rollback clears the stage it rolls back from', () => {
  it('stage v2, apply to 2 of 4, roll back: the 2 go back to v1 and apply-staged ignores them; the 2 never applied are only unstaged; a later stage is kept', async () => {
    const V1 = { kernel: 's3://img/v1/kernel', initrd: 's3://img/v1/initrd', kernel_parameters: 'v1' };
    const t = await bed({ nodes: 4 });
    await t.backend.createTemplate('v1', { boot_sets: { compute: { ...V1, node_roles_groups: ['Compute'] } } });
    const first = await t.backend.createSession({ template_name: 'v1', operation: 'reboot', name: 'a' });
    await untilSettled(t, first.nodes);
    const [n0, n1, n2, n3] = first.nodes;
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    expect((await t.backend.applyStaged([n0, n1])).succeeded).toEqual([n0, n1]);
    await untilSettled(t, [n0, n1]);
    // A later session staged on n1: not the stage rolled back from.
    await t.backend.createSession({ template_name: 'v1', operation: 'reboot', stage: true, name: 'later', limit: n1 });
    const resetsBefore = new Map([n2, n3].map((x) => [x, totalResets(t, x)]));

    const plan = await t.backend.rollback({ session: 'up', name: 'back', dry_run: true });
    expect(plan.nodes).toEqual([n0, n1]);
    expect(plan.unstaged).toEqual({ [n0]: 'up', [n2]: 'up', [n3]: 'up' });
    expect(plan.kept_stage).toEqual({ [n1]: 'later' });
    expect((await t.backend.listComponents({ ids: [n0, n2] })).map((c) => c.staged_state.session)).toEqual(['up', 'up']);
    // --stage would replace the later stage: that node is left out, and said why.
    const stagedPlan = await t.backend.rollback({ session: 'up', stage: true, dry_run: true });
    expect(stagedPlan.nodes).toEqual([n0]);
    expect(stagedPlan.skipped[n1]).toMatch(/staged by session later/);

    const rb = await t.backend.rollback({ session: 'up', name: 'back' });
    expect(rb).toMatchObject({ nodes: [n0, n1], unstaged: plan.unstaged, kept_stage: plan.kept_stage });
    const comps = await untilSettled(t, [n0, n1]);
    for (const c of comps) expect(t.sim.node(c.id).booted?.kernel, c.id).toBe(V1.kernel);
    const byId = new Map((await t.backend.listComponents({ ids: first.nodes })).map((c) => [c.id, c]));
    for (const x of [n0, n2, n3]) expect(byId.get(x)!.staged_state.session ?? '', x).toBe('');
    expect(byId.get(n1)!.staged_state.session).toBe('later');
    for (const x of [n2, n3]) expect(totalResets(t, x), `${x} was not applied: not rebooted`).toBe(resetsBefore.get(x));
    expect((await t.backend.componentHistory(n0)).filter((e) => e.action === 'unstaged').map((e) => e.detail)).toEqual([{ session: 'up', reason: 'rolled back by session back' }]);

    // Slurm's next reboot of the rolled-back node: nothing of "up" comes back.
    const again = await t.backend.applyStaged([n0, n2]);
    expect(again).toMatchObject({ succeeded: [], failed: [], ignored: [n0, n2] });
    expect(again.reasons[n0]).toBe('nothing is staged for it');
  });

  it('a refused rollback changes nothing: the database is the same row for row', async () => {
    const V1 = { kernel: 's3://img/v1/kernel', initrd: 's3://img/v1/initrd', kernel_parameters: 'v1' };
    const t = await bed({ nodes: 2 });
    await t.backend.createTemplate('v1', { boot_sets: { compute: { ...V1, node_roles_groups: ['Compute'] } } });
    const first = await t.backend.createSession({ template_name: 'v1', operation: 'reboot', name: 'a' });
    await untilSettled(t, first.nodes);
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    await t.stopBosd();
    const before = dump(t.dbPath);
    // Nothing applied: each node's stage would be cleared, then there is nothing to roll back.
    await expect(t.backend.rollback({ session: 'up' })).rejects.toMatchObject({ code: 'BOS_LIMIT_INVALID', message: expect.stringMatching(/nothing to roll back/), hint: expect.stringMatching(/session abort up/) });
    await expect(t.backend.rollback({ session: 'a', name: 'up' })).rejects.toMatchObject({ code: 'BOS_SESSION_EXISTS' });
    expect(dump(t.dbPath)).toEqual(before);
  });
});

describe('rollback target', () => {
  it('a node that failed on the new state goes back to the state it was last stable on, not the one before', async () => {
    const v = (n: number) => ({ kernel: `s3://img/v${n}/kernel`, initrd: `s3://img/v${n}/initrd`, kernel_parameters: `v${n}` });
    const t = await bed({ nodes: 1 }, { max_boot_wait_time: 1, default_retry_policy: 1 });
    for (const n of [1, 3]) await t.backend.createTemplate(`v${n}`, { boot_sets: { compute: { ...v(n), node_roles_groups: ['Compute'] } } });
    const [x] = (await t.backend.createSession({ template_name: 'v1', operation: 'reboot', name: 's1' })).nodes;
    await untilSettled(t, [x]);
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 's2' });
    await untilSettled(t, [x]);
    t.sim.setFault('never_boots', [x], true);
    await t.backend.createSession({ template_name: 'v3', operation: 'reboot', name: 's3' });
    const [failed] = await untilSettled(t, [x]);
    expect(failed.status.status).toBe('failed');
    // Stable on v2 before v3 failed: back to v2 (v1 is the state before that).
    const rb = await t.backend.rollback({ session: 's3', dry_run: true });
    expect(rb.nodes).toEqual([x]);
    t.sim.setFault('never_boots', [x], false);
    await t.backend.rollback({ session: 's3', name: 'back' });
    const [back] = await untilSettled(t, [x]);
    expect(back.desired_state.boot_artifacts?.kernel).toBe(V2.kernel);
  });
});
