/**
 * Every bosctl command, end to end: the real CLI as a child process on a real SQLite file.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  EXAMPLES, GPU, ROOT, V1_KERNEL, V2_INITRD, V2_KERNEL, XNAMES,
  bosctl, dump, json, lines, ok, okAll, removeTmpDirs, seeded, tmpDb,
} from './helpers.js';

afterAll(removeTmpDirs);

const sorted = (xs: string[]) => [...xs].sort();
const nameLines = (stdout: string) => lines(stdout).filter((l) => l.trim() !== '');

/** A seeded database with a staged reboot to compute-v2 of every Compute node, named `up`. */
async function staged(): Promise<string> {
  const t = await seeded();
  await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute', '--name', 'up'], { db: t.db });
  return t.db;
}

async function component(db: string, name: string): Promise<any> {
  return json(['component', 'describe', name], { db });
}

describe.concurrent('inventory', () => {
  const csv = (host3: string) => [
    'xname,nid,hostname,role,subrole,groups,bmc_address',
    'x3000c0s1b0n0,101,alpha,Compute,,blue;green,x3000c0s1b0',
    'x3000c0s1b0n1,102,beta,Compute,,blue,x3000c0s1b0',
    `x3000c0s2b0n0,103,${host3},Application,UAN,,x3000c0s2b0`,
    '',
  ].join('\n');
  const records = (host3: string) => [
    { xname: 'x3000c0s1b0n0', nid: 101, hostname: 'alpha', role: 'Compute', groups: ['blue', 'green'] },
    { xname: 'x3000c0s1b0n1', nid: 102, hostname: 'beta', role: 'Compute', groups: ['blue'] },
    { xname: 'x3000c0s2b0n0', nid: 103, hostname: host3, role: 'Application', subrole: 'UAN' },
  ];
  const yamlText = (host3: string) => `nodes:\n${records(host3).map((r) => `  - ${JSON.stringify(r)}`).join('\n')}\n`;
  const all = ['x3000c0s1b0n0', 'x3000c0s1b0n1', 'x3000c0s2b0n0'];

  for (const [format, ext, text] of [
    ['CSV', 'csv', csv],
    ['JSON', 'json', (h: string) => JSON.stringify(records(h), null, 2)],
    ['YAML', 'yaml', yamlText],
  ] as const) {
    it(`imports ${format}: added, then unchanged on re-import, then one updated after changing one row`, async () => {
      const t = tmpDb();
      const f = t.file(`nodes.${ext}`, text('gamma'));
      const first = await bosctl(['inventory', 'import', f], { db: t.db });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^added: 3\b/m);
      expect(first.stdout).toMatch(/^updated: 0$/m);
      expect(first.stdout).toMatch(/^unchanged: 0$/m);

      const again = await json(['inventory', 'import', f], { db: t.db });
      expect(again).toEqual({ added: [], updated: [], unchanged: sorted(all) });

      t.file(`nodes.${ext}`, text('gamma2'));
      const changed = await bosctl(['inventory', 'import', f], { db: t.db });
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stdout).toMatch(/^added: 0$/m);
      expect(changed.stdout).toMatch(/^updated: 1 +x3000c0s2b0n0$/m);
      expect(changed.stdout).toMatch(/^unchanged: 2\b/m);

      const nodes = await json<any[]>(['inventory', 'list'], { db: t.db });
      expect(nodes.map((n) => n.xname)).toEqual(all);
      const n3 = nodes.find((n) => n.xname === 'x3000c0s2b0n0');
      expect(n3).toMatchObject({ nid: 103, hostname: 'gamma2', role: 'Application', subrole: 'UAN' });
      expect(nodes[0]).toMatchObject({ nid: 101, hostname: 'alpha', groups: ['blue', 'green'], enabled: true });
    });
  }

  it('importing a node with the hostname of an existing node never leaves two nodes with one hostname', async () => {
    const t = await seeded();
    const before = dump(t.db);
    const f = t.file('clash.csv', 'xname,nid,hostname\nx1000c3s0b0n0,201,nid000002\n');
    const r = await bosctl(['inventory', 'import', f], { db: t.db });
    if (r.code === 0) {
      const nodes = await json<any[]>(['inventory', 'list'], { db: t.db });
      const holders = nodes.filter((n) => n.hostname === 'nid000002').map((n) => n.xname);
      expect(holders, 'nodes with hostname nid000002').toHaveLength(1);
      const byName = await json(['inventory', 'describe', 'nid000002'], { db: t.db });
      expect(byName.node.xname).toBe(holders[0]);
    } else {
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(dump(t.db)).toEqual(before);
    }
  });

  it('importing a node with the nid of an existing node reports every node it changes', async () => {
    const t = await seeded();
    const before = await json<any[]>(['inventory', 'list'], { db: t.db });
    const f = t.file('nid.csv', 'xname,nid,hostname\nx1000c3s0b0n0,1,newnode\n');
    const r = await bosctl(['-o', 'json', 'inventory', 'import', f], { db: t.db });
    if (r.code === 0) {
      const report = JSON.parse(r.stdout);
      const after = await json<any[]>(['inventory', 'list'], { db: t.db });
      const changed = after
        .filter((n) => JSON.stringify(n) !== JSON.stringify(before.find((b) => b.xname === n.xname)))
        .map((n) => n.xname);
      expect(sorted([...report.added, ...report.updated]), 'nodes changed by the import').toEqual(sorted(changed));
    } else {
      expect(r.code).toBe(2);
      expect(await json<any[]>(['inventory', 'list'], { db: t.db })).toEqual(before);
    }
  });

  it('lists the inventory as a table, as JSON and as names', async () => {
    const t = await seeded();
    const [table, asJson, names] = await Promise.all([
      ok(['inventory', 'list'], { db: t.db }),
      json<any[]>(['inventory', 'list'], { db: t.db }),
      ok(['-o', 'name', 'inventory', 'list'], { db: t.db }),
    ]);
    const rows = lines(table.stdout);
    expect(rows[0].split(/\s+/)).toEqual(['XNAME', 'NID', 'HOSTNAME', 'ROLE', 'GROUPS', 'ENABLED']);
    expect(rows).toHaveLength(17);
    expect(rows[1].split(/\s+/)).toEqual(['x1000c0s0b0n0', '1', 'nid000001', 'Compute', 'compute,rack1', 'true']);
    expect(asJson.map((n) => n.xname)).toEqual(XNAMES);
    expect(asJson[6]).toMatchObject({
      xname: 'x1000c0s3b0n0', nid: 7, hostname: 'nid000007', role: 'Compute', groups: ['compute', 'rack1', 'gpu'],
      bmc_address: 'x1000c0s3b0', credentials_ref: 'bmc-default', enabled: true,
    });
    expect(nameLines(names.stdout)).toEqual(XNAMES);
  });

  it('describes a node by xname, by nid000001, by 1 and by hostname', async () => {
    const t = await seeded();
    await ok(['inventory', 'import', t.file('extra.csv', 'xname,nid,hostname,aliases\nx1000c2s0b0n0,17,login-a,la\n')], { db: t.db });
    const [byX, byNid, byNum, byHost, byAlias] = await Promise.all(
      ['x1000c0s0b0n0', 'nid000001', '1', 'login-a', 'la'].map((n) => json(['inventory', 'describe', n], { db: t.db })),
    );
    expect(byX.node).toMatchObject({ xname: 'x1000c0s0b0n0', nid: 1, hostname: 'nid000001' });
    expect(byX.component).toMatchObject({ id: 'x1000c0s0b0n0', enabled: false });
    expect(byNid).toEqual(byX);
    expect(byNum).toEqual(byX);
    expect(byHost.node).toMatchObject({ xname: 'x1000c2s0b0n0', nid: 17, hostname: 'login-a', aliases: ['la'] });
    expect(byAlias).toEqual(byHost);
    const text = await ok(['inventory', 'describe', 'nid000001'], { db: t.db });
    expect(text.stdout).toMatch(/^xname: +x1000c0s0b0n0$/m);
    expect(text.stdout).toMatch(/^component:$/m);
  });
});

describe.concurrent('sessiontemplate', () => {
  it('creates from a JSON and a YAML file: describe -o json gives the file with BOS field names', async () => {
    const t = await seeded(); // seed created compute-v1 from YAML and compute-v2 from JSON
    const v1 = await json(['sessiontemplate', 'describe', 'compute-v1'], { db: t.db });
    const v2 = await json(['sessiontemplate', 'describe', 'compute-v2'], { db: t.db });
    expect(v1).toEqual({ name: 'compute-v1', ...parseYaml(readFileSync(join(EXAMPLES, 'compute-v1.yaml'), 'utf8')) });
    expect(v2).toEqual({ name: 'compute-v2', ...JSON.parse(readFileSync(join(EXAMPLES, 'compute-v2.json'), 'utf8')) });
    expect(Object.keys(v2).sort()).toEqual(['boot_sets', 'cfs', 'description', 'enable_cfs', 'name']);
    expect(Object.keys(v2.boot_sets.compute).sort()).toEqual(['arch', 'initrd', 'kernel', 'kernel_parameters', 'node_roles_groups']);
    // On a terminal describe prints YAML; piped with the default table format too.
    const asYaml = await ok(['sessiontemplate', 'describe', 'compute-v2'], { db: t.db });
    expect(parseYaml(asYaml.stdout)).toEqual(v2);
  });

  it('creates from quick flags with --node-list, --node-groups and --node-roles', async () => {
    const t = await seeded();
    const common = ['--kernel', 's3://img/k', '--initrd', 's3://img/i', '--params', 'console=ttyS0 quiet'];
    const created = await okAll([
      ['sessiontemplate', 'create', 'q-list', ...common, '--node-list', 'x1000c0s0b0n0,x1000c0s0b0n1'],
      ['sessiontemplate', 'create', 'q-groups', ...common, '--node-groups', 'gpu,rack1', '--cfs-configuration', 'cfg-g'],
      ['sessiontemplate', 'create', 'q-roles', ...common, '--node-roles', 'Compute', '--cfs-configuration', 'cfg-r'],
    ], { db: t.db });
    expect(created.map((r) => r.stdout.trim())).toEqual([
      'sessiontemplate q-list created', 'sessiontemplate q-groups created', 'sessiontemplate q-roles created',
    ]);
    const [l, g, r] = await Promise.all(['q-list', 'q-groups', 'q-roles'].map((n) => json(['sessiontemplate', 'describe', n], { db: t.db })));
    const bs = { kernel: 's3://img/k', initrd: 's3://img/i', kernel_parameters: 'console=ttyS0 quiet' };
    expect(l).toMatchObject({ name: 'q-list', enable_cfs: false, boot_sets: { compute: { ...bs, node_list: ['x1000c0s0b0n0', 'x1000c0s0b0n1'] } } });
    expect(l.cfs).toBeUndefined();
    expect(g).toMatchObject({ name: 'q-groups', enable_cfs: true, cfs: { configuration: 'cfg-g' }, boot_sets: { compute: { ...bs, node_groups: ['gpu', 'rack1'] } } });
    expect(r).toMatchObject({ name: 'q-roles', enable_cfs: true, cfs: { configuration: 'cfg-r' }, boot_sets: { compute: { ...bs, node_roles_groups: ['Compute'] } } });
    expect(Object.keys(l.boot_sets)).toEqual(['compute']);
  });

  it('lists templates (table and names)', async () => {
    const t = await seeded();
    const [table, names, asJson] = await Promise.all([
      ok(['sessiontemplate', 'list'], { db: t.db }),
      ok(['-o', 'name', 'template', 'ls'], { db: t.db }),
      json<any[]>(['sessiontemplate', 'list'], { db: t.db }),
    ]);
    const rows = lines(table.stdout);
    expect(rows[0].split(/\s{2,}/)).toEqual(['NAME', 'BOOT SETS', 'KERNEL', 'CONFIGURATION']);
    expect(rows.slice(1).map((r) => r.split(/\s+/))).toEqual([
      ['compute-v1', 'compute', 'compute-v1/kernel', 'compute-config-v1'],
      ['compute-v2', 'compute', 'compute-v2/kernel', 'compute-config-v2'],
    ]);
    expect(nameLines(names.stdout)).toEqual(['compute-v1', 'compute-v2']);
    expect(asJson.map((x) => x.name)).toEqual(['compute-v1', 'compute-v2']);
  });

  it('validate: a stored template and a valid file exit 0', async () => {
    const t = await seeded();
    const [stored, file] = await Promise.all([
      bosctl(['sessiontemplate', 'validate', 'compute-v2'], { db: t.db }),
      bosctl(['sessiontemplate', 'validate', '--file', join(EXAMPLES, 'compute-v1.yaml')], { db: t.db }),
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout.trim()).toBe('sessiontemplate compute-v2 is valid');
    expect(file.code, file.stderr).toBe(0);
    const asJson = await json(['sessiontemplate', 'validate', 'compute-v1'], { db: t.db });
    expect(asJson).toEqual({ name: 'compute-v1', valid: true, problems: [] });
  });

  it('validate: a file with rule problems in several boot sets exits 2 and lists every one', async () => {
    const t = await seeded();
    const f = t.file('bad.yaml', [
      'boot_sets:',
      '  nonodes:',
      '    kernel: s3://k', '    initrd: s3://i',
      '  badxname:',
      '    kernel: s3://k', '    initrd: s3://i',
      '    node_list: [x1000c0s0n0]',
      '  ok:',
      '    kernel: s3://k', '    initrd: s3://i',
      '    node_list: [x1000c0s0b0n0]',
      '',
    ].join('\n'));
    const before = await json(['sessiontemplate', 'list'], { db: t.db });
    const r = await bosctl(['sessiontemplate', 'validate', '--file', f], { db: t.db });
    expect(r.code).toBe(2);
    const problems = lines(r.stdout);
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.includes('"nonodes"'))).toMatch(/no nodes/);
    expect(problems.find((p) => p.includes('"badxname"'))).toMatch(/x1000c0s0n0/);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^bosctl: .*2 problem/);
    expect(await json(['sessiontemplate', 'list'], { db: t.db })).toEqual(before);
  });

  it('validate: a file with shape and rule problems exits 2 and lists every problem of every boot set', async () => {
    const t = await seeded();
    // Three problems, one per boot set: no initrd (a shape problem for the schema), no nodes,
    // and a malformed xname in node_list.
    const f = t.file('bad.json', JSON.stringify({
      boot_sets: {
        noinitrd: { kernel: 's3://k', node_list: ['x1000c0s0b0n0'] },
        nonodes: { kernel: 's3://k', initrd: 's3://i' },
        badxname: { kernel: 's3://k', initrd: 's3://i', node_list: ['x1000c0s0n0'] },
      },
    }));
    const r = await bosctl(['sessiontemplate', 'validate', '--file', f], { db: t.db });
    expect(r.code).toBe(2);
    const problems = lines(r.stdout);
    expect(problems.some((p) => p.includes('noinitrd') && p.includes('initrd'))).toBe(true);
    expect(problems.some((p) => p.includes('nonodes'))).toBe(true);
    expect(problems.some((p) => p.includes('badxname') && p.includes('x1000c0s0n0'))).toBe(true);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^bosctl: .*3 problem/);
  });

  it('update: --kernel changes only the kernel; --file patches top-level fields', async () => {
    const t = await seeded();
    const before = await json(['sessiontemplate', 'describe', 'compute-v2'], { db: t.db });
    const upd = await bosctl(['sessiontemplate', 'update', 'compute-v2', '--kernel', 's3://boot-images/compute-v3/kernel'], { db: t.db });
    expect(upd.code, upd.stderr).toBe(0);
    expect(upd.stdout.trim()).toBe('sessiontemplate compute-v2 updated');
    const after = await json(['sessiontemplate', 'describe', 'compute-v2'], { db: t.db });
    expect(after).toEqual({
      ...before,
      boot_sets: { compute: { ...before.boot_sets.compute, kernel: 's3://boot-images/compute-v3/kernel' } },
    });

    const patch = t.file('patch.yaml', 'description: patched\ncfs:\n  configuration: compute-config-v3\n');
    await ok(['sessiontemplate', 'update', 'compute-v2', '--file', patch], { db: t.db });
    const patched = await json(['sessiontemplate', 'describe', 'compute-v2'], { db: t.db });
    expect(patched).toEqual({ ...after, description: 'patched', cfs: { configuration: 'compute-config-v3' } });
  });

  it('delete: the template is gone, other templates stay', async () => {
    const t = await seeded();
    const del = await bosctl(['sessiontemplate', 'delete', 'compute-v1'], { db: t.db });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout.trim()).toBe('sessiontemplate compute-v1 deleted');
    const gone = await bosctl(['sessiontemplate', 'describe', 'compute-v1'], { db: t.db });
    expect(gone.code).toBe(3);
    expect((await json<any[]>(['sessiontemplate', 'list'], { db: t.db })).map((x) => x.name)).toEqual(['compute-v2']);
  });
});

describe.concurrent('session', () => {
  it('create --stage --limit Compute: each node gets the v2 staged state; desired state unchanged', async () => {
    const t = await seeded();
    await ok(['session', 'create', '--template', 'compute-v1', '--operation', 'boot', '--name', 'boot-v1', '--yes'], { db: t.db });
    const before = await json<any[]>(['component', 'list'], { db: t.db });
    const r = await bosctl(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute', '--name', 'up'], { db: t.db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/session up created: reboot staged 16 node\(s\)/);
    const after = await json<any[]>(['component', 'list'], { db: t.db });
    expect(after.map((c) => c.id)).toEqual(XNAMES);
    for (const c of after) {
      const b = before.find((x) => x.id === c.id);
      expect(c.staged_state).toMatchObject({
        session: 'up',
        configuration: 'compute-config-v2',
        boot_artifacts: { kernel: V2_KERNEL, initrd: V2_INITRD, kernel_parameters: 'console=ttyS0,115200 ip=dhcp quiet spectre_v2=on bos_update_frequency=4h' },
      });
      expect(c.desired_state).toEqual(b.desired_state);
      expect(c.desired_state.boot_artifacts.kernel).toBe(V1_KERNEL);
      expect(c.enabled).toBe(b.enabled);
      expect(c.session).toBe('boot-v1');
    }
    // component describe gives the same
    const one = await component(t.db, 'nid000003');
    expect(one.staged_state.boot_artifacts.kernel).toBe(V2_KERNEL);
    expect(one.staged_state.session).toBe('up');
  });

  it('accepts the cray CLI spellings --template-name, --stage true and --staged', async () => {
    const t = await seeded();
    const [a, b, c, d] = await Promise.all([
      json(['session', 'create', '--template-name', 'compute-v2', '--operation', 'reboot', '--stage', 'true', '--limit', 'nid000001', '--name', 'a'], { db: t.db }),
      json(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--staged', '--limit', 'nid000002', '--name', 'b'], { db: t.db }),
      json(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--staged', 'true', '--limit', 'nid000003', '--name', 'c'], { db: t.db }),
      json(['session', 'create', '--template', 'compute-v2', '--operation', 'boot', '--stage', 'false', '--limit', 'nid000004', '--name', 'd'], { db: t.db }),
    ]);
    // The created session as BOS's POST answers it (components "" until setup); describe shows them.
    expect([a, b, c, d].map((s: any) => [s.name, s.template_name, s.stage, s.components])).toEqual([
      ['a', 'compute-v2', true, ''], ['b', 'compute-v2', true, ''], ['c', 'compute-v2', true, ''], ['d', 'compute-v2', false, ''],
    ]);
    const described = await Promise.all(['a', 'b', 'c', 'd'].map((n) => json(['session', 'describe', n], { db: t.db })));
    expect(described.map((s: any) => s.components)).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0', 'x1000c0s1b0n1']);
    const [ca, cb, cc, cd] = await Promise.all(['1', '2', '3', '4'].map((n) => component(t.db, n)));
    expect([ca.staged_state.session, cb.staged_state.session, cc.staged_state.session]).toEqual(['a', 'b', 'c']);
    // As BOS's discovery left them (operators/discovery.py): the empty desired state.
    for (const x of [ca, cb, cc]) expect(x.desired_state).toMatchObject({ boot_artifacts: { kernel: '', initrd: '', kernel_parameters: '' }, configuration: '' });
    // --stage false set the desired state at once.
    expect(cd.staged_state.session).toBeUndefined();
    expect(cd.desired_state.boot_artifacts.kernel).toBe(V2_KERNEL);
    expect(cd).toMatchObject({ enabled: true, session: 'd' });
  });

  it('--limit: &, !, groups, roles, all, hostlists', async () => {
    const t = await seeded();
    const cases: [string, string[]][] = [
      ['Compute', XNAMES],
      ['all', XNAMES],
      ['gpu', GPU],
      ['Compute,&gpu', GPU],
      ['all,!gpu', XNAMES.filter((x) => !GPU.includes(x))],
      ['rack1,&gpu,!nid000007', GPU.filter((x) => x !== 'x1000c0s3b0n0')],
      ['nid[000001-000004]', XNAMES.slice(0, 4)],
      ['x1000c1s0b0n0,nid000002', ['x1000c0s0b0n1', 'x1000c1s0b0n0']],
      ['compute,!rack1', []],
    ];
    const results = await Promise.all(cases.map(([limit], i) => bosctl(
      ['-o', 'json', 'session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', limit, '--name', `s${i}`],
      { db: t.db },
    )));
    cases.forEach(([limit, want], i) => {
      const r = results[i];
      if (want.length === 0) {
        expect(r.code, `limit ${limit}`).toBe(2);
        return;
      }
      expect(r.code, `limit ${limit}: ${r.stderr}`).toBe(0);
    });
    // Which nodes each session set, as a read shows them (the create answers components "", as BOS's POST).
    const ok2 = cases.map((c, i) => [c, i] as const).filter(([[, want]]) => want.length > 0);
    const described = await Promise.all(ok2.map(([, i]) => json(['session', 'describe', `s${i}`], { db: t.db })));
    ok2.forEach(([[limit, want]], k) => expect((described[k] as { components: string }).components.split(','), `limit ${limit}`).toEqual(want));
  });

  it('list, describe, status and delete', async () => {
    const db = await staged();
    await ok(['apply-staged', 'nid[000001-000004]'], { db });
    const [table, asJson, desc, descText, status, statusText] = await Promise.all([
      ok(['session', 'list'], { db }),
      json<any[]>(['session', 'list'], { db }),
      json(['session', 'describe', 'up'], { db }),
      ok(['session', 'describe', 'up'], { db }),
      json(['session', 'status', 'up'], { db }),
      ok(['session', 'status', 'up'], { db }),
    ]);
    const rows = lines(table.stdout);
    expect(rows[0].split(/\s+/)).toEqual(['NAME', 'TEMPLATE', 'OPERATION', 'STAGED', 'STATUS', 'NODES', 'STARTED']);
    const row1 = rows[1].split(/\s+/);
    expect([...row1.slice(0, 4), row1[5]]).toEqual(['up', 'compute-v2', 'reboot', 'true', '16']);
    // A new session is pending or running (BOS: pending until set up, then running), never complete.
    expect(['pending', 'running']).toContain(row1[4]);
    expect(row1[4]).toBe(desc.status.status);
    expect(asJson).toHaveLength(1);
    expect(asJson[0]).toEqual(desc);
    expect(desc).toMatchObject({
      name: 'up', operation: 'reboot', template_name: 'compute-v2', limit: 'Compute', stage: true,
      components: XNAMES.join(','), include_disabled: false,
      status: { end_time: null, error: null },
    });
    expect(['pending', 'running']).toContain(desc.status.status);
    expect(Object.keys(desc)).toEqual(expect.arrayContaining(['components', 'include_disabled', 'limit', 'name', 'operation', 'stage', 'status', 'template_name']));
    expect(descText.stdout).toMatch(/^name: +up$/m);
    expect(descText.stdout).toMatch(/^nodes: +16 +x1000c0s0b0n\[0-1\],x1000c0s1b0n\[0-1\],x1000c0s2b0n\[0-1\],x1000c0s3b0n\[0-1\],x1000c1s0b0n\[0-1\],x1000c1s1b0n\[0-1\],x1000c1s2b0n\[0-1\],x1000c1s3b0n\[0-1\]$/m);
    expect(Object.keys(status)).toEqual(expect.arrayContaining([
      'error_summary', 'managed_components_count', 'percent_failed', 'percent_staged', 'percent_successful', 'phases', 'status', 'timing',
    ]));
    expect(status.status).toBe(desc.status.status);
    expect(status).toMatchObject({
      percent_failed: 0,
      percent_successful: 0,
      error_summary: {},
      phases: { percent_complete: 0, percent_powering_on: 0, percent_powering_off: 0, percent_configuring: 0 },
      timing: { end_time: null },
    });
    expect(status.managed_components_count).toBeGreaterThanOrEqual(16);
    expect(status.percent_staged).toBeGreaterThan(0);
    expect(status.percent_staged).toBeLessThanOrEqual(100);
    expect(status.timing.duration).toMatch(/^\d+:\d\d:\d\d$/);
    expect(statusText.stdout).toMatch(/^Session: +up \(reboot, staged, template compute-v2\)$/m);
    expect(statusText.stdout).toMatch(/^PHASE +NODES$/m);

    const del = await bosctl(['session', 'delete', 'up'], { db });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout.trim()).toBe('session up deleted');
    expect((await bosctl(['session', 'describe', 'up'], { db })).code).toBe(3);
    expect(await json(['session', 'list'], { db })).toEqual([]);
    const none = await bosctl(['session', 'list'], { db });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('status -o json of a freshly staged session: every node staged', async () => {
    const db = await staged();
    const status = await json(['session', 'status', 'up'], { db });
    expect(status.managed_components_count).toBe(16);
    expect(status.percent_staged).toBe(100);
    expect(status.phases.percent_complete).toBe(0);
  });
});

describe.concurrent('apply-staged', () => {
  it('by hostlist, by comma-separated xnames, by several arguments and from stdin', async () => {
    const db = await staged();
    const r1 = await bosctl(['apply-staged', 'nid[000001-000004]'], { db });
    expect(r1.code, r1.stderr).toBe(0);
    // As Slurm writes it: only a trailing number in brackets.
    expect(r1.stdout).toMatch(/^succeeded: 4 +x1000c0s0b0n\[0-1\],x1000c0s1b0n\[0-1\]$/m);
    expect(r1.stdout).toMatch(/^failed: 0$/m);
    expect(r1.stdout).toMatch(/^ignored: 0$/m);
    expect(r1.stderr).toBe('');

    const r2 = await json(['apply-staged', 'x1000c0s2b0n0,x1000c0s2b0n1'], { db });
    expect(r2).toEqual({ succeeded: ['x1000c0s2b0n0', 'x1000c0s2b0n1'], failed: [], ignored: [] });
    const r3 = await json(['apply-staged', 'nid000007', 'x1000c0s3b0n1', 'nid000009'], { db });
    expect(r3).toEqual({ succeeded: ['x1000c0s3b0n0', 'x1000c0s3b0n1', 'x1000c1s0b0n0'], failed: [], ignored: [] });
    const r4 = await json(['apply-staged', '-'], { db, input: 'nid000010\nnid000011 x1000c1s2b0n0,nid000014\n' });
    expect(r4).toEqual({ succeeded: ['x1000c1s0b0n1', 'x1000c1s1b0n0', 'x1000c1s2b0n0', 'x1000c1s2b0n1'], failed: [], ignored: [] });

    const comps = await json<any[]>(['component', 'list'], { db });
    const applied = new Set(XNAMES.slice(0, 14).filter((x) => x !== 'x1000c1s1b0n1'));
    for (const c of comps) {
      if (applied.has(c.id)) expect(c.desired_state.boot_artifacts?.kernel, c.id).toBe(V2_KERNEL);
      // Not applied: BOS's empty desired state (common/values.py), no artifacts.
      else expect(c.desired_state.boot_artifacts?.kernel ?? '', c.id).toBe('');
    }
  });

  it('reads a hostlist with commas inside brackets from stdin, as on the command line', async () => {
    const db = await staged();
    const want = { succeeded: ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s2b0n0'], failed: [], ignored: [] };
    const fromArgs = await bosctl(['-o', 'json', 'apply-staged', 'nid[000001-000002,000005]'], { db });
    expect(fromArgs.code, fromArgs.stderr).toBe(0);
    expect(JSON.parse(fromArgs.stdout)).toEqual(want);
    const fromStdin = await bosctl(['-o', 'json', 'apply-staged', '-'], { db, input: 'nid[000001-000002,000005]\n' });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toEqual(want);
  });

  it('an unknown name is ignored with a warning and exit 0; --strict makes it exit 1', async () => {
    const db = await staged();
    const r = await bosctl(['-o', 'json', 'apply-staged', 'nid000001,nid000099'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ succeeded: ['x1000c0s0b0n0'], failed: [], ignored: ['nid000099'] });
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^bosctl: .*ignored.*nid000099/);

    const strict = await bosctl(['apply-staged', '--strict', 'nid000002', 'nid000099'], { db });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/nid000099/);
    expect(strict.stderr).toMatch(/--strict/);
    expect(strict.stderr).not.toMatch(/^\s+at /m);
    // --strict still applied the known node.
    expect((await component(db, 'nid000002')).desired_state.boot_artifacts.kernel).toBe(V2_KERNEL);
  });

  it('a node with nothing staged is ignored', async () => {
    const t = await seeded();
    const r = await bosctl(['-o', 'json', 'apply-staged', 'nid000001'], { db: t.db });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ succeeded: [], failed: [], ignored: ['x1000c0s0b0n0'] });
    expect(r.stderr).toMatch(/ignored/);
  });

  it('a node whose staged session was deleted fails: exit 1, error set, component disabled', async () => {
    const db = await staged();
    await ok(['apply-staged', 'nid000002'], { db });
    await ok(['session', 'delete', 'up'], { db });
    const r = await bosctl(['-o', 'json', 'apply-staged', 'nid000001'], { db });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ succeeded: [], failed: ['x1000c0s0b0n0'], ignored: [] });
    expect(r.stderr).toMatch(/failed.*x1000c0s0b0n0.*up/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const c = await component(db, 'nid000001');
    expect(c.enabled).toBe(false);
    expect(c.error).toMatch(/up/);
    expect(c.desired_state).toMatchObject({ boot_artifacts: { kernel: '', initrd: '', kernel_parameters: '' }, configuration: '' });
    expect(c.last_action.failed).toBe(true);
  });

  it('-o json gives exactly {succeeded, failed, ignored}', async () => {
    const db = await staged();
    const r = await ok(['-o', 'json', 'apply-staged', 'nid000001', 'nosuchnode'], { db });
    const body = JSON.parse(r.stdout);
    expect(Object.keys(body)).toEqual(['succeeded', 'failed', 'ignored']);
    expect(body).toEqual({ succeeded: ['x1000c0s0b0n0'], failed: [], ignored: ['nosuchnode'] });
  });

  it('after apply: desired = former staged, enabled, last_action apply_staged, actual state cleared, staged kept', async () => {
    const db = await staged();
    // Give the node an actual state (as bosd would record it) so that clearing it shows.
    const raw = new Database(db);
    raw.prepare('UPDATE components SET actual_state = ? WHERE id = ?')
      .run(JSON.stringify({ boot_artifacts: { kernel: V1_KERNEL, initrd: 'i', kernel_parameters: '' }, last_updated: '2020-01-01T00:00:00.000Z' }), 'x1000c0s0b0n0');
    raw.close();
    const before = await component(db, 'nid000001');
    expect(before.actual_state.boot_artifacts.kernel).toBe(V1_KERNEL);
    await ok(['apply-staged', 'nid000001'], { db });
    const after = await component(db, 'nid000001');
    expect(after.desired_state.boot_artifacts).toEqual(before.staged_state.boot_artifacts);
    expect(after.desired_state.configuration).toBe(before.staged_state.configuration);
    expect(after.enabled).toBe(true);
    expect(after.session).toBe('up');
    expect(after.error).toBe('');
    expect(after.last_action).toMatchObject({ action: 'apply_staged', failed: false });
    // BOS's EMPTY_ACTUAL_STATE (common/values.py).
    expect(after.actual_state.boot_artifacts).toEqual({ kernel: '', initrd: '', kernel_parameters: '' });
    expect(after.staged_state).toEqual(before.staged_state);
  });

  it('with clear_stage=true the staged state is cleared when applied', async () => {
    const db = await staged();
    await ok(['options', 'update', 'clear_stage=true'], { db });
    const before = await component(db, 'nid000005');
    await ok(['apply-staged', 'nid000005'], { db });
    const after = await component(db, 'nid000005');
    expect(after.desired_state.boot_artifacts).toEqual(before.staged_state.boot_artifacts);
    expect(after.staged_state.session).toBeUndefined();
    expect(after.staged_state.boot_artifacts).toBeUndefined();
    // A second apply finds nothing staged.
    expect(await json(['apply-staged', 'nid000005'], { db })).toEqual({ succeeded: [], failed: [], ignored: ['x1000c0s2b0n0'] });
  });
});

describe.concurrent('component', () => {
  it('list filters: --enabled, --phase, --status, --session, --staged-session, --ids', async () => {
    const db = await staged();
    await ok(['session', 'create', '--template', 'compute-v1', '--operation', 'reboot', '--stage', '--limit', 'gpu', '--name', 'gpu-v1'], { db });
    await ok(['apply-staged', 'nid[000001-000003]'], { db });
    const names = async (...args: string[]) => nameLines((await ok(['-o', 'name', 'component', 'list', ...args], { db })).stdout);
    const [enabled, disabled, phaseNone, phaseOn, onHold, stable, bySession, byStaged, byStagedGpu, byIds, combined] = await Promise.all([
      names('--enabled', 'true'),
      names('--enabled', 'false'),
      names('--phase', 'none'),
      names('--phase', 'powering_on'),
      names('--status', 'on_hold'),
      names('--status', 'stable,failed'),
      names('--session', 'up'),
      names('--staged-session', 'up'),
      names('--staged-session', 'gpu-v1'),
      names('--ids', 'x1000c0s0b0n0,x1000c1s3b0n1'),
      names('--enabled', 'false', '--staged-session', 'gpu-v1'),
    ]);
    const first3 = XNAMES.slice(0, 3);
    expect(enabled).toEqual(first3);
    expect(disabled).toEqual(XNAMES.slice(3));
    expect(phaseNone).toEqual(XNAMES);
    expect(phaseOn).toEqual([]);
    expect(onHold).toEqual(first3);
    expect(stable).toEqual(XNAMES.slice(3));
    expect(bySession).toEqual(first3);
    expect(byStaged).toEqual(XNAMES.filter((x) => !GPU.includes(x)));
    expect(byStagedGpu).toEqual(GPU);
    expect(byIds).toEqual(['x1000c0s0b0n0', 'x1000c1s3b0n1']);
    expect(combined).toEqual(GPU);
    const none = await bosctl(['component', 'list', '--phase', 'powering_on'], { db });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(await json(['component', 'list', '--phase', 'powering_on'], { db })).toEqual([]);
  });

  it('describe: table and JSON with BOS field names', async () => {
    const db = await staged();
    const [asJson, text, byX] = await Promise.all([
      component(db, 'nid000001'),
      ok(['component', 'describe', 'nid000001'], { db }),
      component(db, 'x1000c0s0b0n0'),
    ]);
    expect(asJson).toEqual(byX);
    expect(Object.keys(asJson)).toEqual(expect.arrayContaining([
      'actual_state', 'desired_state', 'enabled', 'error', 'event_stats', 'id', 'last_action', 'session', 'staged_state', 'status',
    ]));
    expect(asJson.status).toEqual({ phase: '', status: 'stable', status_override: '' });
    expect(text.stdout).toMatch(/^id: +x1000c0s0b0n0$/m);
    expect(text.stdout).toMatch(/^staged_state:$/m);
  });

  it('update: --enabled false, --clear-staged, --clear-error', async () => {
    const db = await staged();
    await ok(['apply-staged', 'nid000001'], { db });
    const u1 = await bosctl(['component', 'update', 'nid000001', '--enabled', 'false'], { db });
    expect(u1.code, u1.stderr).toBe(0);
    expect(u1.stdout.trim()).toBe('component x1000c0s0b0n0 updated');
    expect((await component(db, 'nid000001')).enabled).toBe(false);

    await ok(['component', 'update', 'x1000c0s0b0n1', '--clear-staged'], { db });
    const c2 = await component(db, 'nid000002');
    expect(c2.staged_state.session).toBeUndefined();
    expect(c2.staged_state.boot_artifacts).toBeUndefined();
    expect(await json(['apply-staged', 'nid000002'], { db })).toEqual({ succeeded: [], failed: [], ignored: ['x1000c0s0b0n1'] });

    // A failed apply sets an error; --clear-error clears it, --enabled true re-enables.
    await ok(['session', 'delete', 'up'], { db });
    expect((await bosctl(['apply-staged', 'nid000003'], { db })).code).toBe(1);
    const failed = await component(db, 'nid000003');
    expect(failed.error).not.toBe('');
    expect(failed.enabled).toBe(false);
    await ok(['component', 'update', 'nid000003', '--clear-error', '--enabled', 'true'], { db });
    const cleared = await component(db, 'nid000003');
    expect(cleared.error).toBe('');
    expect(cleared.enabled).toBe(true);
  });

  it('history lists events with actor and via', async () => {
    const db = await staged();
    await ok(['apply-staged', 'nid000001'], { db });
    const [events, text, last] = await Promise.all([
      json<any[]>(['component', 'history', 'nid000001'], { db }),
      ok(['component', 'history', 'x1000c0s0b0n0'], { db }),
      json<any[]>(['component', 'history', 'nid000001', '--last', '1'], { db }),
    ]);
    const user = userInfo().username;
    expect(events.map((e) => [e.action, e.via])).toEqual([
      ['newly_discovered', 'bosctl inventory import'],
      ['staged', 'bosctl session create'],
      ['apply_staged', 'bosctl apply-staged'],
    ]);
    for (const e of events) {
      expect(e.actor).toBe(user);
      expect(e).toMatchObject({ kind: 'component', subject: 'x1000c0s0b0n0' });
    }
    expect(events[2].detail).toMatchObject({ session: 'up' });
    expect(last).toEqual([events[2]]);
    const rows = lines(text.stdout);
    expect(rows[0].split(/\s+/)).toEqual(['TIME', 'ACTION', 'BY', 'VIA', 'DETAIL']);
    expect(rows[3]).toMatch(new RegExp(`apply_staged +${user} +bosctl apply-staged +session=up`));
  });
});

describe.concurrent('options', () => {
  it('list shows BOS defaults', async () => {
    const t = tmpDb();
    // options list only reads: it needs a database (a fresh one, with nothing set).
    new Database(t.db).close();
    const opts = await json(['options', 'list'], { db: t.db });
    expect(opts).toMatchObject({
      polling_frequency: 15,
      max_boot_wait_time: 1200,
      default_retry_policy: 3,
      clear_stage: false,
      component_actual_state_ttl: '4h',
      cleanup_completed_session_ttl: '7d',
      max_power_on_wait_time: 120,
      max_power_off_wait_time: 300,
      max_component_batch_size: 2800,
      discovery_frequency: 300,
      logging_level: 'INFO',
      reject_nids: false,
      session_limit_required: false,
    });
    const table = await ok(['options', 'list'], { db: t.db });
    const rows = lines(table.stdout);
    expect(rows[0].split(/\s+/)).toEqual(['KEY', 'VALUE', 'DEFAULT']);
    expect(rows).toContainEqual(expect.stringMatching(/^polling_frequency +15 +15$/));
    expect(rows).toHaveLength(Object.keys(opts).length + 1);
  });

  it('update sets several KEY=VALUE at once', async () => {
    const t = tmpDb();
    const r = await bosctl(['options', 'update', 'max_boot_wait_time=1800', 'clear_stage=true', 'component_actual_state_ttl=6h'], { db: t.db });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual(['max_boot_wait_time set to 1800', 'clear_stage set to true', 'component_actual_state_ttl set to 6h']);
    const opts = await json(['options', 'list'], { db: t.db });
    expect(opts).toMatchObject({ max_boot_wait_time: 1800, clear_stage: true, component_actual_state_ttl: '6h', polling_frequency: 15 });
    const again = await json(['options', 'set', 'clear_stage=false'], { db: t.db });
    expect(again).toEqual({ ...opts, clear_stage: false });
  });
});

describe('help, version, demo', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const [a, b] = await Promise.all([bosctl(['--version']), bosctl(['-V'])]);
    expect(a.code).toBe(0);
    expect(a.stdout.trim()).toBe(pkg.version);
    expect(b.stdout).toBe(a.stdout);
  });

  /** Command names listed under "Commands:" of a help text (first name of name|alias). */
  /** The commands listed under "Commands:" or a group heading ("Rolling upgrades:", ...). */
  function commandsOf(help: string): string[] {
    const out: string[] = [];
    let inCommands = false;
    for (const line of help.split('\n')) {
      if (/^\S/.test(line)) { inCommands = /^[A-Z][\w -]*:$/.test(line) && !/^(Usage|Arguments|Options|Global Options|Examples):$/.test(line); continue; }
      const m = inCommands ? /^ {2}(\S+)/.exec(line) : null;
      if (m && !/^ {3}/.test(line)) out.push(m[1].split('|')[0]);
    }
    return out.filter((c) => c !== 'help');
  }

  async function walk(): Promise<{ groups: string[][]; leaves: string[][]; helps: Map<string, string> }> {
    const helps = new Map<string, string>();
    const top = await bosctl(['--help']);
    expect(top.code).toBe(0);
    helps.set('', top.stdout);
    const groups: string[][] = [];
    const leaves: string[][] = [];
    const firstLevel = commandsOf(top.stdout);
    const helpsOf = await Promise.all(firstLevel.map((c) => bosctl([c, '--help'])));
    const second: string[][] = [];
    firstLevel.forEach((c, i) => {
      expect(helpsOf[i].code, `${c} --help`).toBe(0);
      helps.set(c, helpsOf[i].stdout);
      const subs = commandsOf(helpsOf[i].stdout);
      if (subs.length === 0) leaves.push([c]);
      else { groups.push([c]); for (const s of subs) second.push([c, s]); }
    });
    const secondHelps = await Promise.all(second.map((p) => bosctl([...p, '--help'])));
    second.forEach((p, i) => {
      expect(secondHelps[i].code, `${p.join(' ')} --help`).toBe(0);
      helps.set(p.join(' '), secondHelps[i].stdout);
      leaves.push(p);
    });
    return { groups, leaves, helps };
  }

  it('--help and every command\'s --help have an "Examples:" section', async () => {
    const { groups, leaves, helps } = await walk();
    expect(groups.map((g) => g[0]).sort()).toEqual(['component', 'db', 'hostlist', 'image', 'inventory', 'options', 'session', 'sessiontemplate', 'slurm', 'tenant', 'token']);
    expect(leaves.map((l) => l.join(' ')).sort()).toEqual([
      'apply-staged',
      'completion',
      'component describe', 'component history', 'component list', 'component update', 'component wait',
      'db copy',
      'demo',
      'doctor',
      'hostlist compress', 'hostlist count', 'hostlist expand',
      'image inspect',
      'inventory describe', 'inventory import', 'inventory list',
      'options list', 'options update',
      'rollback',
      'session abort', 'session create', 'session delete', 'session describe', 'session history', 'session list', 'session resume', 'session status',
      'sessiontemplate create', 'sessiontemplate delete', 'sessiontemplate describe', 'sessiontemplate list',
      'sessiontemplate update', 'sessiontemplate validate',
      'sim',
      'slurm config', 'slurm reboot-program', 'slurm reboot-staged',
      'tenant create', 'tenant delete', 'tenant describe', 'tenant list', 'tenant update',
      'token create', 'token list', 'token revoke',
    ]);
    expect(helps.get('')).toMatch(/^Examples:$/m);
    const missing = leaves.map((l) => l.join(' ')).filter((l) => !/^Examples:$/m.test(helps.get(l)!));
    expect(missing).toEqual([]);
  });

  it('every command group\'s --help (bosctl inventory --help, ...) has an "Examples:" section', async () => {
    const { groups, helps } = await walk();
    const missing = groups.map((g) => g[0]).filter((g) => !/^Examples:$/m.test(helps.get(g)!));
    expect(missing).toEqual([]);
  });

  it('bosctl demo exits 0 with 8 of 16 nodes upgraded (at a faster time scale than the default)', async () => {
    const r = await bosctl(['demo', '--time-scale', '0.005']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Demo complete in [\d.]+ s: 8 of 16 nodes upgraded to v2, 8 still have it staged/);
    expect((r.stdout.match(/compute-v1 +compute-v2/g) ?? []).length).toBe(8);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
