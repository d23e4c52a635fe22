import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import type { SimOptions } from '../../src/sim/index.js';

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet v2' };
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

async function bed(sim: Partial<SimOptions> = {}, options: Record<string, unknown> = {}, noCfs = false): Promise<Testbed> {
  tb = await startTestbed({ sim: { nodes: 16, timeScale: 0.002, ...sim }, options: { max_boot_wait_time: 30, ...options }, noCfs });
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

describe('bosd rolling upgrade through the simulator', () => {
  it('stage v2, apply to 8: those 8 are stable on v2 with BSS and CFS updated; the other 8 get no reset', async () => {
    const t = await bed();
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
    const t = await bed({ initialPower: 'Off', nodes: 4 });
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
    const t = await bed({ nodes: 4 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'shutdown', limit: 'nid000001,nid000002', name: 'off' });
    const comps = await untilSettled(t, s.nodes);
    for (const c of comps) {
      expect(c.status.status).toBe('stable');
      expect(t.sim.node(c.id).power).toBe('Off');
    }
    expect(t.sim.node('x1000c0s1b0n0').power).toBe('On');
  });

  it('without CFS, a rebooted node is stable once it reports the new artifacts', async () => {
    const t = await bed({ nodes: 2 }, {}, true);
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
    expect(bad.event_stats).toMatchObject({ power_off_graceful_attempts: 1, power_off_forceful_attempts: 1, power_on_attempts: 1 });
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
