/**
 * Questions on a terminal: the confirmation before nodes reboot or shut down at once, and the
 * session template wizard. bosctl runs in-process on a test Io whose keyboard is scripted
 * (inquirer reads the keys from a stream), against real SQLite files.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { createTestIo, type TestIo } from '../../src/cli/io.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import { cloneDb, dump, EXAMPLES, removeTmpDirs, tmpDb, XNAMES } from './helpers.js';
import { DOWN, ENTER, KILL_LINE, terminal } from './prompt-harness.js';

const ENV = { XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config', NO_COLOR: '1' };

async function bosctl(db: string, args: string[], io: TestIo = createTestIo()): Promise<{ code: number; io: TestIo }> {
  return { code: await run(['--db', db, ...args], io, ENV), io };
}

async function jsonOf<T = any>(db: string, args: string[]): Promise<T> {
  const { code, io } = await bosctl(db, ['-o', 'json', ...args]);
  expect(code, io.stderr).toBe(0);
  return JSON.parse(io.stdout) as T;
}

let seeded: string;
beforeAll(async () => {
  const t = tmpDb();
  for (const args of [
    ['inventory', 'import', join(EXAMPLES, 'inventory.csv')],
    ['sessiontemplate', 'create', 'compute-v2', '--file', join(EXAMPLES, 'compute-v2.json')],
  ]) expect((await bosctl(t.db, args)).code).toBe(0);
  seeded = t.db;
});
afterAll(removeTmpDirs);

const REBOOT_ALL = ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--limit', 'Compute', '--name', 'now'];
const QUESTION = 'Reboot 16 nodes now (session create, template compute-v2)?';

describe('confirmation before nodes reboot or shut down at once', () => {
  it('on a terminal: shows the plan, asks with the node count, and "y" creates the session', async () => {
    const { db } = cloneDb(seeded);
    const t = terminal();
    const done = bosctl(db, REBOOT_ALL, t.io);
    await t.answer(QUESTION, 'y' + ENTER);
    const { code } = await done;
    expect(code, t.io.stderr).toBe(0);
    expect(t.io.stdout).toMatch(/The plan:\n {2}16 node\(s\) x1000c0s0b0n\[0-1\],x1000c0s1b0n\[0-1\],.*,x1000c1s3b0n\[0-1\]:/);
    expect(t.io.stdout).toMatch(/\(y\/N\)/);
    expect(t.io.stdout).toMatch(/session now created: reboot set to 16 node\(s\)/);
    const comps = await jsonOf<any[]>(db, ['component', 'list', '--session', 'now']);
    expect(comps.map((c) => c.id).sort()).toEqual([...XNAMES].sort());
    expect(comps.every((c) => c.desired_state.boot_artifacts.kernel === 's3://boot-images/compute-v2/kernel')).toBe(true);
  });

  it('the default answer is no: Enter alone changes nothing and exits 1', async () => {
    const { db } = cloneDb(seeded);
    const before = dump(db);
    const t = terminal();
    const done = bosctl(db, REBOOT_ALL, t.io);
    await t.answer(QUESTION, ENTER);
    const { code } = await done;
    expect(code).toBe(1);
    expect(t.io.stderr).toBe('bosctl: not confirmed: nothing was changed\n');
    expect(dump(db)).toEqual(before);
  });

  it('"n" changes nothing either', async () => {
    const { db } = cloneDb(seeded);
    const before = dump(db);
    const t = terminal();
    const done = bosctl(db, ['session', 'create', '--template', 'compute-v2', '--operation', 'shutdown', '--limit', 'gpu'], t.io);
    await t.answer('Shut down 4 nodes now (session create, template compute-v2)?', 'n' + ENTER);
    expect((await done).code).toBe(1);
    expect(dump(db)).toEqual(before);
  });

  it('without a terminal: exit 2, one line naming --yes, nothing written', async () => {
    for (const io of [createTestIo(), createTestIo({ tty: true, stdinIsTTY: false })]) {
      const { db } = cloneDb(seeded);
      const before = dump(db);
      const { code } = await bosctl(db, REBOOT_ALL, io);
      expect(code).toBe(2);
      expect(io.stdout).toBe('');
      expect(io.stderr.trim().split('\n')).toHaveLength(1);
      expect(io.stderr).toMatch(/^bosctl: session create would reboot 16 nodes now and there is no terminal to confirm it on: nothing was changed \(hint: add --yes/);
      expect(dump(db)).toEqual(before);
    }
  });

  it('--yes and -y go ahead without asking, with or without a terminal', async () => {
    for (const [flag, io] of [['--yes', createTestIo()], ['-y', createTestIo({ tty: true })]] as const) {
      const { db } = cloneDb(seeded);
      const { code } = await bosctl(db, [...REBOOT_ALL, flag], io);
      expect(code, io.stderr).toBe(0);
      expect(io.stdout).not.toMatch(/Reboot 16 nodes/);
      expect(io.stdout).toMatch(/session now created: reboot set to 16 node\(s\)/);
    }
  });

  it('one node, a staged session and a dry run never ask', async () => {
    const { db } = cloneDb(seeded);
    const cases = [
      ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--limit', 'nid000001', '--name', 'one'],
      ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute', '--name', 'staged'],
      [...REBOOT_ALL, '--dry-run'],
    ];
    for (const args of cases) {
      const io = createTestIo();
      const { code } = await bosctl(db, args, io);
      expect(code, `${args.join(' ')}: ${io.stderr}`).toBe(0);
      expect(io.stderr).toBe('');
    }
    expect((await jsonOf<any[]>(db, ['session', 'list'])).map((s) => s.name).sort()).toEqual(['one', 'staged']);
  });

  it('a boot of more than one node asks too (nodes that are on are power-cycled)', async () => {
    const { db } = cloneDb(seeded);
    const io = createTestIo();
    const { code } = await bosctl(db, ['session', 'create', '--template', 'compute-v2', '--operation', 'boot'], io);
    expect(code).toBe(2);
    expect(io.stderr).toMatch(/would boot 16 nodes now, power-cycling those that are on/);
  });
});

describe('rollback asks too', () => {
  let tb: Testbed | undefined;
  afterEach(async () => { await tb?.close(); tb = undefined; });

  it('without --yes and a terminal: exit 2, nothing written; --dry-run lists the nodes; --yes rolls back', async () => {
    tb = await startTestbed({ sim: { nodes: 4, timeScale: 0.002 } });
    const t = tb;
    const v = (n: number) => ({ kernel: `s3://img/v${n}/kernel`, initrd: `s3://img/v${n}/initrd`, kernel_parameters: '' });
    for (const n of [1, 2]) {
      await t.backend.createTemplate(`v${n}`, { boot_sets: { compute: { ...v(n), node_roles_groups: ['Compute'] } } });
      const s = await t.backend.createSession({ template_name: `v${n}`, operation: 'reboot', name: `s${n}` });
      await waitFor('the nodes to settle', async () => (await t.backend.listComponents({ ids: s.nodes })).every((c) => c.status.status === 'stable'), 60_000);
    }
    const sessionsBefore = (await t.backend.listSessions({})).length;

    const refused = await bosctl(t.dbPath, ['rollback', '--session', 's2']);
    expect(refused.code).toBe(2);
    expect(refused.io.stderr).toMatch(/^bosctl: rollback would reboot 4 nodes now and there is no terminal to confirm it on: nothing was changed \(hint: add --yes/);
    expect(refused.io.stderr.trim().split('\n')).toHaveLength(1);

    const plan = await bosctl(t.dbPath, ['rollback', '--session', 's2', '--dry-run']);
    expect(plan.code, plan.io.stderr).toBe(0);
    expect(plan.io.stdout).toMatch(/^rollback would reboot 4 node\(s\) back to their previous state \(dry run: nothing written\): x1000c0s0b0n\[0-1\],x1000c0s1b0n\[0-1\]\n$/);
    expect((await t.backend.listSessions({})).length).toBe(sessionsBefore);

    // The same through bosd's API: the dry runs that count the nodes go over the wire too.
    const { secret } = await t.backend.createToken({ role: 'admin' });
    const remote = async (args: string[]) => {
      const io = createTestIo();
      return { code: await run(['--server', t.bosd!.url, ...args], io, { ...ENV, BOSCTL_TOKEN: secret }), io };
    };
    const overApi = await remote(['rollback', '--session', 's2']);
    expect(overApi.code).toBe(2);
    expect(overApi.io.stderr).toMatch(/^bosctl: rollback would reboot 4 nodes now .*--yes/);
    const planOverApi = await remote(['rollback', '--session', 's2', '--dry-run', '-o', 'json']);
    expect(planOverApi.code, planOverApi.io.stderr).toBe(0);
    expect(JSON.parse(planOverApi.io.stdout)).toMatchObject({ dry_run: true, nodes: ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0', 'x1000c0s1b0n1'] });
    const createOverApi = await remote(['session', 'create', '--template', 'v1', '--operation', 'reboot']);
    expect(createOverApi.code).toBe(2);
    expect(createOverApi.io.stderr).toMatch(/^bosctl: session create would reboot 4 nodes now .*--yes/);
    expect((await t.backend.listSessions({})).length).toBe(sessionsBefore);

    const term = terminal();
    const asked = bosctl(t.dbPath, ['rollback', '--session', 's2', '--name', 'back'], term.io);
    await term.answer('Roll back: reboot 4 nodes now (nodes of session s2)?', 'y' + ENTER);
    expect((await asked).code, term.io.stderr).toBe(0);
    expect(term.io.stdout).toMatch(/session back created: rollback of 4 node\(s\)/);
    const comps = await t.backend.listComponents({ session: 'back' });
    expect(comps.map((c) => c.desired_state.boot_artifacts?.kernel)).toEqual(Array(4).fill('s3://img/v1/kernel'));
  });
});

describe('sessiontemplate create NAME on a terminal asks for the template', () => {
  /** `sessiontemplate create v3` on a fresh copy, answered by kernelWizard. */
  async function wizardRun(o: { nodes: string; save: string }) {
    const { db } = cloneDb(seeded);
    const before = dump(db);
    const t = terminal();
    const done = bosctl(db, ['sessiontemplate', 'create', 'v3'], t.io);
    await kernelWizard(t, o);
    return { db, before, io: t.io, code: (await done).code };
  }

  /** Types the answers of one wizard run; `nodes` is typed after choosing the kind of node field. */
  async function kernelWizard(t: ReturnType<typeof terminal>, o: { nodes: string; save: string }): Promise<void> {
    await t.answer('Boot set name', 'bad name!' + ENTER);
    await t.answer('use letters, digits', KILL_LINE + 'compute-a' + ENTER);
    await t.answer('Boot artifacts from', DOWN + ENTER);
    await t.answer('Kernel path', 's3://boot-images/v3/kernel' + ENTER);
    await t.answer('Initrd path', 's3://boot-images/v3/initrd' + ENTER);
    await t.answer('Kernel parameters', 'console=ttyS0 quiet' + ENTER);
    await t.answer('Which nodes', DOWN + DOWN + ENTER);
    await t.answer('Nodes: a list of nodes', o.nodes + ENTER);
    await t.answer('CFS configuration name', 'compute-config-v3' + ENTER);
    await t.answer('enable_cfs', ENTER);
    await t.answer('Description', 'made by the wizard' + ENTER);
    await t.answer('Save session template v3?', o.save + ENTER);
  }

  it('kernel and initrd: the answers become the stored template, shown as YAML first', async () => {
    const { db, io, code } = await wizardRun({ nodes: 'x1000c0s0b0n0, x1000c0s0b0n1', save: 'y' });
    expect(code, io.stderr).toBe(0);
    const expected = {
      description: 'made by the wizard',
      boot_sets: {
        'compute-a': {
          kernel: 's3://boot-images/v3/kernel', initrd: 's3://boot-images/v3/initrd', kernel_parameters: 'console=ttyS0 quiet',
          node_list: ['x1000c0s0b0n0', 'x1000c0s0b0n1'],
        },
      },
      cfs: { configuration: 'compute-config-v3' },
      enable_cfs: true,
    };
    expect(await jsonOf(db, ['sessiontemplate', 'describe', 'v3'])).toEqual({ name: 'v3', ...expected });
    // The YAML shown before the question, then the line saying it was stored.
    expect(io.stdout).toMatch(/sessiontemplate v3:\ndescription: made by the wizard\nboot_sets:\n {2}compute-a:\n {4}kernel: s3:\/\/boot-images\/v3\/kernel\n/);
    expect(io.stdout).toMatch(/sessiontemplate v3 created\n$/);
  });

  it('an image manifest: path, type from its form, rootfs provider; roles by default', async () => {
    const t0 = tmpDb();
    const { db } = cloneDb(seeded);
    const manifest = t0.file('manifest.json', JSON.stringify({
      version: '1.0', created: '2024-05-14 19:34:53',
      artifacts: [
        { type: 'application/vnd.cray.image.kernel', link: { path: 's3://boot-images/abc/kernel', etag: 'k', type: 's3' }, md5: 'k' },
        { type: 'application/vnd.cray.image.initrd', link: { path: 's3://boot-images/abc/initrd', etag: 'i', type: 's3' }, md5: 'i' },
        { type: 'application/vnd.cray.image.rootfs.squashfs', link: { path: 's3://boot-images/abc/rootfs', etag: 'r', type: 's3' }, md5: 'r' },
      ],
    }));
    const t = terminal();
    const done = bosctl(db, ['sessiontemplate', 'create', 'img', '--description', 'from a manifest'], t.io);
    await t.answer('Boot set name', ENTER);
    await t.answer('Boot artifacts from', ENTER);
    await t.answer('Image manifest path', 'not-a-path' + ENTER);
    await t.answer('give s3://BUCKET/KEY', KILL_LINE + manifest + ENTER);
    await t.answer('Root filesystem provider (', 'sbps' + ENTER);
    await t.answer('Root filesystem provider passthrough', 'sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.example.com:300' + ENTER);
    await t.answer('Kernel parameters', ENTER);
    await t.answer('Which nodes', ENTER);
    await t.answer('Nodes: roles', 'Compute' + ENTER);
    await t.answer('CFS configuration name', ENTER);
    await t.answer('Description', ENTER);
    await t.answer('Save session template img?', ENTER);
    const { code } = await done;
    expect(code, t.io.stdout + t.io.stderr).toBe(0);
    expect(t.io.stdout).not.toMatch(/problem:/);
    expect(await jsonOf(db, ['sessiontemplate', 'describe', 'img'])).toEqual({
      name: 'img', description: 'from a manifest', enable_cfs: false,
      boot_sets: {
        compute: {
          path: manifest, type: 'file', rootfs_provider: 'sbps',
          rootfs_provider_passthrough: 'sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.example.com:300',
          kernel_parameters: '', node_roles_groups: ['Compute'],
        },
      },
    });
  });

  it('an invalid answer is shown as a problem, and the same validation as a file refuses it (exit 2)', async () => {
    const { db, before, io, code } = await wizardRun({ nodes: 'x1000c0s0b0', save: 'y' });
    expect(code).toBe(2);
    expect(io.stdout).toMatch(/problem: boot set "compute-a": node_list entry "x1000c0s0b0" is not a valid xname/);
    expect(io.stderr).toMatch(/^bosctl: session template "v3" is invalid: .*x1000c0s0b0/);
    expect(dump(db)).toEqual(before);
  });

  it('answering no to "save" stores nothing (exit 1)', async () => {
    const { db, before, io, code } = await wizardRun({ nodes: 'x1000c0s0b0n0', save: 'n' });
    expect(code).toBe(1);
    expect(io.stderr).toBe('bosctl: sessiontemplate v3 not saved\n');
    expect(dump(db)).toEqual(before);
  });

  it('Ctrl+C at a question cancels: one line, exit 1, nothing stored', async () => {
    const { db } = cloneDb(seeded);
    const before = dump(db);
    const t = terminal();
    const done = bosctl(db, ['sessiontemplate', 'create', 'v3'], t.io);
    await t.answer('Boot set name', ENTER);
    await t.answer('Boot artifacts from', '\u0003');
    expect((await done).code).toBe(1);
    expect(t.io.stderr).toBe('bosctl: cancelled: nothing was changed\n');
    expect(dump(db)).toEqual(before);
  });

  it('an existing name is refused before any question', async () => {
    const { db } = cloneDb(seeded);
    const t = terminal();
    const { code } = await bosctl(db, ['sessiontemplate', 'create', 'compute-v2'], t.io);
    expect(code).toBe(4);
    expect(t.io.stdout).toBe('');
  });

  it('without a terminal and without a file: one line, exit 2, no question', async () => {
    const { db } = cloneDb(seeded);
    const io = createTestIo();
    const { code } = await bosctl(db, ['sessiontemplate', 'create', 'v3'], io);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toMatch(/^bosctl: nothing to create: give --file FILE, or --kernel, --initrd and .*\n$/);
  });
});
