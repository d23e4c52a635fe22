/**
 * bosd as BOS behaves, with the simulator: each test names the BOS source it mirrors
 * (Cray-HPE/bos, src/bos/...). The API is called as BOS's own clients call it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Component, Session } from '../../src/core/types.js';
import type { SessionExtendedStatus } from '../../src/core/session-status.js';
import type { SimOptions } from '../../src/sim/index.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import { bosctl } from '../cli/helpers.js';

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet v2' };
const EMPTY_ARTIFACTS = { kernel: '', kernel_parameters: '', initrd: '' };
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

async function bed(sim: Partial<SimOptions> = {}, options: Record<string, unknown> = {}): Promise<Testbed> {
  tb = await startTestbed({ sim: { nodes: 4, timeScale: 0.002, ...sim }, options: { max_boot_wait_time: 30, ...options }, noCfs: true });
  await tb.backend.createTemplate('v2', { boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
  return tb;
}

/** A call to bosd's API as an admin script would make it. */
async function api(t: Testbed, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const admin = (await t.backend.createToken({ role: 'admin' })).secret;
  const res = await fetch(`${t.bosd!.url}${path}`, {
    method, headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const sessionDone = (t: Testbed, name: string) => waitFor(`session ${name} complete`, async () => (await t.backend.getSession(name)).status.status === 'complete', 60_000);
const settled = (c: Component) => !c.enabled;
const untilSettled = (t: Testbed, ids: string[]) => waitFor(`${ids.length} node(s) to settle`, async () => (await t.backend.listComponents({ ids })).every(settled), 60_000);

describe('a failed node (operators/status.py, operators/session_completion.py)', () => {
  it('is disabled with its failed status and error kept, its session completes, and bosctl session status says so', async () => {
    const bad = 'x1000c0s0b0n1';
    const t = await bed({ nodes: 2, faults: [{ kind: 'never_boots', xnames: [bad] }] }, { max_boot_wait_time: 1, default_retry_policy: 1 });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await sessionDone(t, 'r');
    const c = await t.backend.getComponent(bad);
    expect(c).toMatchObject({ enabled: false, status: { status: 'failed', status_override: 'failed' } });
    expect(c.error).toMatch(/did not report booting/);
    const st = await t.backend.sessionStatus('r');
    expect(st.extended).toMatchObject({ status: 'complete', percent_failed: 50, percent_successful: 50, phases: { percent_complete: 100, percent_powering_on: 0, percent_powering_off: 0 } });
    // Through the CLI, as an admin reads it: complete, with the failure named.
    const cli = await bosctl(['session', 'status', 'r'], { db: t.dbPath });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/Status:\s+complete/);
    expect(cli.stdout).toMatch(/did not report booting/);
    const watched = await bosctl(['session', 'status', 'r', '--watch', '--interval', '100'], { db: t.dbPath });
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(/1 of 2 node\(s\) failed/);
    // A new session takes it up again: enabled, its error cleared (operators/session_setup.py).
    await t.sim.setFault('never_boots', [bad], false);
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'again', limit: bad });
    await sessionDone(t, 'again');
    expect(await t.backend.getComponent(bad)).toMatchObject({ enabled: false, error: '', status: { status: 'stable' } });
  });
});

describe('a node that never reported booting (operators/power_off_graceful.py, power_off_forceful.py)', () => {
  it('is powered off gracefully, not forced, before it is powered on again', async () => {
    const x = 'x1000c0s0b0n0';
    const t = await bed({ nodes: 1, faults: [{ kind: 'never_boots', xnames: [x] }] }, { max_boot_wait_time: 1, default_retry_policy: 2 });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await untilSettled(t, [x]);
    const resets = t.sim.node(x).resets;
    // The first power-off of the reboot and the recovery after the lost report: both graceful.
    expect(resets.ForceOff).toBe(0);
    expect(resets.Off + resets.GracefulShutdown).toBe(2);
    expect(resets.On).toBe(2);
    expect((await t.backend.componentHistory(x)).map((e) => e.action).filter((a) => a.startsWith('powering_off'))).toEqual(['powering_off_gracefully', 'powering_off_gracefully']);
  });
});

describe('a node that succeeds (operators/status.py _check_phase)', () => {
  it('has its event_stats reset; while rebooting its actual_state had BOS\'s empty boot_artifacts and bss_token (common/values.py)', async () => {
    const t = await bed({ nodes: 1 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    const rebooting = await t.backend.getComponent(s.nodes[0]);
    expect(rebooting.actual_state).toMatchObject({ boot_artifacts: EMPTY_ARTIFACTS, bss_token: '' });
    await sessionDone(t, 'r');
    const c = await t.backend.getComponent(s.nodes[0]);
    expect(c.status.status).toBe('stable');
    expect(c.event_stats).toEqual({ power_on_attempts: 0, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 });
  });
});

describe('POST /v2/sessions as BOS answers it (server/controllers/v2/sessions.py, operators/session_setup.py)', () => {
  it('an unknown name in the limit is stored as given, answered 201 with components "", and the session ends with BOS\'s error', async () => {
    const t = await bed();
    const r = await api(t, 'POST', '/apis/bos/v2/sessions', { template_name: 'v2', operation: 'reboot', limit: 'x9999c0s0b0n0', name: 'ghost' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'ghost', limit: 'x9999c0s0b0n0', components: '', status: { status: 'pending' } });
    await sessionDone(t, 'ghost');
    const s = (await api(t, 'GET', '/v2/sessions/ghost')).json as Session;
    expect(s.status).toMatchObject({ status: 'complete', error: 'No nodes were found to act upon.' });
    for (const x of t.sim.inventory().map((n) => n.xname)) expect(Object.values(t.sim.node(x).resets).reduce((a, b) => a + b, 0), x).toBe(0);
  });

  it('a known and an unknown name: the known node is acted on; the POST answers components "", a read gives them', async () => {
    const t = await bed();
    const r = await api(t, 'POST', '/v2/sessions', { template_name: 'v2', operation: 'reboot', limit: 'x1000c0s0b0n0,nosuchgroup', name: 'mixed', stage: true });
    expect(r.status).toBe(201);
    expect((r.json as Session).components).toBe('');
    await waitFor('setup', async () => (await t.backend.getSession('mixed')).status.status !== 'pending', 10_000);
    expect((await api(t, 'GET', '/v2/sessions/mixed')).json).toMatchObject({ components: 'x1000c0s0b0n0', status: { status: 'running' } });
  });
});

describe('a session some of whose nodes a newer session took over (operators/session_completion.py)', () => {
  it('completes, and its status stays as saved at completion (server/controllers/v2/sessions.py)', async () => {
    const t = await bed({ nodes: 2, timings: { boot: 400 } });
    const [a, b] = ['x1000c0s0b0n0', 'x1000c0s0b0n1'];
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'old' });
    // The newer session takes node b while it still works for the old one.
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'new', limit: b });
    expect((await t.backend.getComponent(b)).session).toBe('new');
    await sessionDone(t, 'old');
    await sessionDone(t, 'new');
    const saved = (await api(t, 'GET', '/v2/sessions/old/status')).json as SessionExtendedStatus;
    expect(saved).toMatchObject({ status: 'complete', managed_components_count: 1, percent_successful: 100 });
    // Node a joins a later session: the old session's status does not change.
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'later', limit: a });
    expect((await t.backend.getComponent(a)).session).toBe('later');
    expect((await api(t, 'GET', '/v2/sessions/old/status')).json).toEqual(saved);
    // POST computes, saves and returns it anew.
    const posted = await api(t, 'POST', '/v2/sessions/old/status');
    expect(posted.status).toBe(200);
    expect(posted.json).toMatchObject({ status: 'complete', managed_components_count: 0 });
    expect((await api(t, 'GET', '/v2/sessions/old/status')).json).toEqual(posted.json);
  });
});
