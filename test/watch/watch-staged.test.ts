/**
 * The case, end to end: a staged session whose 4 nodes were all applied and are
 * stable. `session status` says 4 node(s), not 8, and `--watch` ends (exit 0) although the
 * session stays running while the nodes keep its stage (clear_stage false, as in BOS).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import { BIN } from '../cli/helpers.js';

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2' };
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

function bosctl(t: Testbed, args: string[]) {
  // The timeout only ends a watch that would never end (the bug); it is not a speed check.
  return spawnSync(process.execPath, [BIN, '--db', t.dbPath, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
}

describe('status of a staged session that has been applied', () => {
  it('counts each node once and --watch ends when every applied node is stable', async () => {
    const t = tb = await startTestbed({ sim: { nodes: 4, timeScale: 0.002 }, options: { max_boot_wait_time: 30 } });
    await t.backend.createTemplate('v2', { boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    expect((await t.backend.applyStaged(s.nodes)).succeeded).toHaveLength(4);
    await waitFor('4 nodes stable', async () => (await t.backend.listComponents({ ids: s.nodes })).every((c: Component) => !c.enabled && c.status.status === 'stable'), 60_000);
    expect((await t.backend.listComponents({ ids: s.nodes })).every((c) => c.staged_state.session === 'up')).toBe(true);

    const status = bosctl(t, ['session', 'status', 'up']);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Status: +running, 100% complete, 4 node\(s\), running for /m);
    expect(status.stdout).toMatch(/^staged +0$/m);
    expect(status.stdout).toMatch(/^stable +4$/m);

    const w = bosctl(t, ['session', 'status', 'up', '--watch', '--interval', '100']);
    expect(w.signal, 'the watch never ended').toBeNull();
    expect(w.status, w.stderr).toBe(0);
    const last = w.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^\d\d:\d\d:\d\d running: staged 0, powering_off 0, powering_on 0, configuring 0, on_hold 0, stable 4, failed 0$/);
  });

  it('a complete session shows how long it took, not "running for" or a live rate', async () => {
    const t = tb = await startTestbed({ sim: { nodes: 2, timeScale: 0.002 }, options: { max_boot_wait_time: 30 } });
    await t.backend.createTemplate('v2', { boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await waitFor('session complete', async () => (await t.backend.getSession('r')).status.status === 'complete', 60_000);
    const status = bosctl(t, ['session', 'status', 'r']);
    expect(status.stdout).toMatch(/^Status: +complete, 100% complete, 2 node\(s\), took \d+:\d\d:\d\d/m);
    const w = bosctl(t, ['session', 'status', 'r', '--watch']);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/ complete: staged 0, .*stable 2, failed 0; took \d+:\d\d:\d\d/);
    expect(w.stdout).not.toMatch(/nodes\/min(?! on average)|running for/);
  });
});
