/**
 * bosctl rollback says what it does to staged state: the dry run, the real run and -o json
 * name the nodes whose stage of the session rolled back from is cleared; a refused
 * rollback leaves the database as it was, row for row.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import { BIN, dump } from './helpers.js';

const V = (n: number) => ({ kernel: `s3://img/v${n}/kernel`, initrd: `s3://img/v${n}/initrd`, kernel_parameters: `v${n}` });
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

function bosctl(t: Testbed, args: string[]) {
  return spawnSync(process.execPath, [BIN, '--db', t.dbPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config' } });
}

describe('rollback and the staged state', () => {
  it('dry run, -o json and the real run say which stage is cleared; apply-staged then ignores the node', async () => {
    const t = tb = await startTestbed({ sim: { nodes: 2, timeScale: 0.002 }, options: { max_boot_wait_time: 30 } });
    for (const n of [1, 2]) await t.backend.createTemplate(`v${n}`, { boot_sets: { compute: { ...V(n), node_roles_groups: ['Compute'] } } });
    const a = await t.backend.createSession({ template_name: 'v1', operation: 'reboot', name: 'a' });
    const settled = async (ids: string[]) => waitFor('nodes to settle', async () => (await t.backend.listComponents({ ids })).every((c) => !c.enabled), 60_000);
    await settled(a.nodes);
    const [n0, n1] = a.nodes;
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    await t.backend.applyStaged([n0]);
    await settled([n0]);
    await t.stopBosd();

    const before = dump(t.dbPath);
    const plan = bosctl(t, ['rollback', '--session', 'up', '--dry-run']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toBe(
      `rollback would reboot 1 node(s) back to their previous state (dry run: nothing written): ${n0}\n`
      + `would clear the staged state of session up on 2 node(s): x1000c0s0b0n[0-1]\n`);
    const planJson = JSON.parse(bosctl(t, ['-o', 'json', 'rollback', '--session', 'up', '--dry-run']).stdout);
    expect(planJson).toMatchObject({ dry_run: true, nodes: [n0], unstaged: { [n0]: 'up', [n1]: 'up' }, kept_stage: {} });
    // Refused: the name is taken. Nothing changes, the dry runs changed nothing either.
    const refused = bosctl(t, ['rollback', '--session', 'up', '--name', 'a']);
    expect(refused.status).toBe(4);
    expect(dump(t.dbPath)).toEqual(before);

    const done = bosctl(t, ['rollback', '--session', 'up', '--name', 'back']);
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toBe(
      `session back created: rollback of 1 node(s): ${n0}\n`
      + `staged state of session up cleared on 2 node(s): x1000c0s0b0n[0-1]\n`);
    const apply = bosctl(t, ['-o', 'json', 'apply-staged', n0, n1]);
    expect(JSON.parse(apply.stdout)).toMatchObject({ succeeded: [], failed: [], ignored: [n0, n1] });
  });
});
