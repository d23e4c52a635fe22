/**
 * Bad input: for each case the exit code is the documented one, stderr is exactly one line
 * starting with "bosctl:" and no stack trace, and the database is exactly as it was.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES, type RunResult, bosctl, dump, lines, ok, removeTmpDirs, seeded, tmpDb } from './helpers.js';

afterAll(removeTmpDirs);

function expectOneLineError(r: RunResult, code: number): void {
  const detail = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.code, detail).toBe(code);
  expect(r.stderr.endsWith('\n'), detail).toBe(true);
  const errLines = lines(r.stderr);
  expect(errLines, detail).toHaveLength(1);
  expect(errLines[0], detail).toMatch(/^bosctl: \S/);
  expect(r.stderr, detail).not.toMatch(/^ {4}at /m);
  expect(r.stdout, detail).not.toMatch(/^ {4}at /m);
}

interface Case {
  name: string;
  args: string[] | ((t: { file(name: string, content: string): string }) => string[]);
  code: number;
  /** More checks on stderr's one line. */
  message?: RegExp;
  input?: string;
  /** Stage a session first, so commands that act on staged nodes have something to change. */
  staged?: boolean;
}

const template = (bootSet: Record<string, unknown>) => JSON.stringify({ boot_sets: { compute: bootSet } });

const cases: Case[] = [
  { name: 'malformed xname in apply-staged', args: ['apply-staged', 'nid000001', 'x1000c0s0n0'], code: 2, message: /x1000c0s0n0/, staged: true },
  { name: 'reversed hostlist nid[5-1]', args: ['apply-staged', 'nid[5-1]'], code: 2, message: /nid\[5-1\]/, staged: true },
  { name: 'unbalanced hostlist nid[1-4', args: ['apply-staged', 'nid[1-4'], code: 2, message: /nid\[1-4/, staged: true },
  { name: 'unbalanced hostlist in a limit', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'nid[1-4'], code: 2 },
  { name: 'limit naming an unknown group', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute,&nosuchgroup'], code: 2, message: /nosuchgroup/ },
  { name: 'template file that is not valid JSON', args: (t) => ['sessiontemplate', 'create', 'broken', '--file', t.file('broken.json', '{"boot_sets": {"compute": ')], code: 2, message: /JSON/ },
  { name: 'template file that is not valid YAML', args: (t) => ['sessiontemplate', 'create', 'broken', '--file', t.file('broken.yaml', 'boot_sets:\n  compute: [kernel: s3://k\n   initrd: {\n')], code: 2, message: /YAML/ },
  { name: 'template update with a file that is not valid YAML', args: (t) => ['sessiontemplate', 'update', 'compute-v2', '--file', t.file('broken.yaml', 'description: "open\n  boot_sets: [\n')], code: 2 },
  { name: 'a boot set without a kernel', args: (t) => ['sessiontemplate', 'create', 'nokernel', '--file', t.file('nokernel.json', template({ initrd: 's3://i', node_roles_groups: ['Compute'] }))], code: 2, message: /kernel/ },
  { name: 'a template update that removes the kernel', args: (t) => ['sessiontemplate', 'update', 'compute-v2', '--file', t.file('patch.json', JSON.stringify({ boot_sets: { compute: { initrd: 's3://i', node_roles_groups: ['Compute'] } } }))], code: 2, message: /kernel/ },
  { name: 'quick flags without --initrd', args: ['sessiontemplate', 'create', 'quick', '--kernel', 's3://k', '--node-roles', 'Compute'], code: 2 },
  { name: 'session naming an unknown template', args: ['session', 'create', '--template', 'nosuchtemplate', '--operation', 'reboot', '--stage'], code: 3, message: /nosuchtemplate/ },
  { name: 'unknown operation', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'explode', '--stage'], code: 2, message: /explode/ },
  { name: 'session without --operation', args: ['session', 'create', '--template', 'compute-v2', '--stage'], code: 2 },
  { name: 'invalid --stage value', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', 'maybe'], code: 2, message: /maybe/ },
  { name: 'session name already used', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'up'], code: 4, staged: true },
  { name: 'apply-staged with no nodes', args: ['apply-staged'], code: 2, staged: true },
  { name: 'apply-staged with blank names', args: ['apply-staged', ' ', ''], code: 2, staged: true },
  { name: 'apply-staged - with nothing on stdin', args: ['apply-staged', '-'], code: 2, input: '\n', staged: true },
  { name: 'option out of range', args: ['options', 'update', 'max_component_batch_size=999999'], code: 2, message: /max_component_batch_size/ },
  { name: 'unknown option key (with a valid one first)', args: ['options', 'update', 'polling_frequency=30', 'no_such_option=1'], code: 2, message: /no_such_option/ },
  { name: 'non-integer option value', args: ['options', 'update', 'max_boot_wait_time=1.5'], code: 2, message: /max_boot_wait_time/ },
  { name: 'non-integer option value (words)', args: ['options', 'update', 'polling_frequency=often'], code: 2, message: /polling_frequency/ },
  { name: 'option that is not KEY=VALUE', args: ['options', 'update', 'clear_stage'], code: 2 },
  { name: 'template create of an existing name', args: ['sessiontemplate', 'create', 'compute-v1', '--file', join(EXAMPLES, 'compute-v1.yaml')], code: 4, message: /compute-v1/ },
  { name: 'describe of an unknown session', args: ['session', 'describe', 'nosuchsession'], code: 3, message: /nosuchsession/ },
  { name: 'status of an unknown session', args: ['session', 'status', 'nosuchsession'], code: 3 },
  { name: 'delete of an unknown session', args: ['session', 'delete', 'nosuchsession'], code: 3 },
  { name: 'describe of an unknown component', args: ['component', 'describe', 'x9999c0s0b0n0'], code: 3, message: /x9999c0s0b0n0/ },
  { name: 'update of an unknown component', args: ['component', 'update', 'nid000999', '--enabled', 'false'], code: 3 },
  { name: 'describe of an unknown node', args: ['inventory', 'describe', 'nosuchhost'], code: 3 },
  { name: 'delete of an unknown template', args: ['sessiontemplate', 'delete', 'nosuchtemplate'], code: 3 },
  { name: 'unknown output format -o xml', args: ['-o', 'xml', 'component', 'list'], code: 2, message: /xml/ },
  { name: 'unknown flag', args: ['component', 'list', '--frobnicate'], code: 2, message: /--frobnicate/ },
  { name: 'unknown command', args: ['frobnicate'], code: 2 },
  { name: 'invalid --enabled value', args: ['component', 'update', 'nid000001', '--enabled', 'sometimes'], code: 2 },
  { name: 'component update with nothing to change', args: ['component', 'update', 'nid000001'], code: 2 },
  { name: 'inventory file with a malformed xname', args: (t) => ['inventory', 'import', t.file('bad.csv', 'xname,nid\nx1000c0s0b0n0,1\nx1000c0s0n1,2\n')], code: 2, message: /x1000c0s0n1/ },
  { name: 'inventory CSV row with too many fields', args: (t) => ['inventory', 'import', t.file('wide.csv', 'xname,nid\nx1000c0s0b0n0,1,extra\n')], code: 2 },
  { name: 'inventory file naming one xname twice', args: (t) => ['inventory', 'import', t.file('dup.csv', 'xname,nid\nx1000c5s0b0n0,91\nx1000c5s0b0n0,92\n')], code: 2 },
  { name: 'inventory --format xml', args: ['inventory', 'import', join(EXAMPLES, 'inventory.csv'), '--format', 'xml'], code: 2 },
  { name: 'invalid session name', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'bad name!'], code: 2 },
  { name: 'invalid template name', args: ['sessiontemplate', 'create', 'bad name', '--file', join(EXAMPLES, 'compute-v2.json')], code: 2 },
  { name: 'template --file and quick flags together', args: ['sessiontemplate', 'create', 'x', '--file', join(EXAMPLES, 'compute-v2.json'), '--kernel', 's3://k'], code: 2 },
  { name: 'template with an unknown field', args: (t) => ['sessiontemplate', 'create', 'x', '--file', t.file('u.json', JSON.stringify({ bogus: 1, boot_sets: { compute: { kernel: 'k', initrd: 'i', node_list: ['x1000c0s0b0n0'] } } }))], code: 2, message: /bogus/ },
  { name: 'template file holding a YAML scalar', args: (t) => ['sessiontemplate', 'create', 'x', '--file', t.file('s.yaml', 'hello\n')], code: 2 },
  { name: 'limit that names nothing (&)', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', '&'], code: 2 },
  { name: 'reversed hostlist in a limit', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'nid[5-1]'], code: 2 },
  { name: 'limit that leaves no nodes', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'gpu,!gpu'], code: 2 },
  { name: 'empty limit (an unset shell variable)', args: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', ''], code: 2, message: /empty --limit/ },
  { name: 'unknown component status filter', args: ['component', 'list', '--status', 'bogus'], code: 2 },
  { name: 'history --last 0', args: ['component', 'history', 'nid000001', '--last', '0'], code: 2 },
  { name: 'inventory file that does not exist', args: ['inventory', 'import', '/nonexistent/nodes.csv'], code: 2 },
  // issue 13: unknown fields, names and values out of their grammar, files that are not files
  { name: 'inventory CSV with a mistyped column', args: (t) => ['inventory', 'import', t.file('typo.csv', 'xname,hostnme\nx1000c0s0b0n0,nid000001\n')], code: 2, message: /typo\.csv data row 1 \(x1000c0s0b0n0\): unknown field "hostnme" \(did you mean "hostname"\?\): known fields are xname, nid/ },
  { name: 'inventory YAML record with an unknown field (the first record is fine)', args: (t) => ['inventory', 'import', t.file('typo.yaml', '- xname: x1000c0s0b0n0\n  nid: 1\n- xname: x1000c0s0b0n1\n  bmc_adress: b\n')], code: 2, message: /typo\.yaml record 2 \(x1000c0s0b0n1\): unknown field "bmc_adress"/ },
  { name: 'inventory hostname of 300 characters', args: (t) => ['inventory', 'import', t.file('long.csv', `xname,hostname\nx1000c0s0b0n0,${'a'.repeat(300)}\n`)], code: 2, message: /hostname is 300 characters long: at most 253/ },
  { name: 'inventory from a directory', args: (t) => ['inventory', 'import', t.file('nodes.csv', 'xname\n').replace(/nodes\.csv$/, '')], code: 2, message: /a directory, not a regular file/ },
  { name: 'inventory from /dev/zero', args: ['inventory', 'import', '/dev/zero', '--format', 'json'], code: 2, message: /a device, not a regular file/ },
  { name: 'options update component_actual_state_ttl=99999999999999w', args: ['options', 'update', 'component_actual_state_ttl=99999999999999w'], code: 2, message: /at most 365d/ },
  { name: 'options update max_boot_wait_time=0', args: ['options', 'update', 'max_boot_wait_time=0'], code: 2, message: /from 1 to 604800/ },
  { name: 'options update default_retry_policy=0', args: ['options', 'update', 'default_retry_policy=0'], code: 2, message: /from 1 to 100/ },
  { name: 'template with kernel parameters holding a newline', args: (t) => ['sessiontemplate', 'create', 'x', '--file', t.file('nl.json', JSON.stringify({ boot_sets: { compute: { kernel: 's3://b/k', initrd: 's3://b/i', kernel_parameters: 'quiet\ninit=/bin/sh', node_list: ['x1000c0s0b0n0'] } } }))], code: 2, message: /control characters/ },
  { name: 'template with rootfs_provider nope', args: (t) => ['sessiontemplate', 'create', 'x', '--file', t.file('rp.json', JSON.stringify({ boot_sets: { compute: { kernel: 's3://b/k', initrd: 's3://b/i', rootfs_provider: 'nope', node_list: ['x1000c0s0b0n0'] } } }))], code: 2, message: /must be one of "sbps", "cpss3"/ },
  { name: 'template with a kernel ../../etc/passwd', args: ['sessiontemplate', 'create', 'x', '--kernel', '../../etc/passwd', '--initrd', 's3://b/i', '--node-list', 'x1000c0s0b0n0'], code: 2, message: /kernel: must be an s3:\/\/, http:\/\/ or https:\/\/ URL or an absolute path/ },
  { name: 'template with node_list bad!', args: ['sessiontemplate', 'create', 'x', '--kernel', 's3://b/k', '--initrd', 's3://b/i', '--node-list', 'bad!'], code: 2, message: /node_list\[0\]/ },
];

describe.concurrent('bad input: one-line error, right exit code, database unchanged', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const t = await seeded();
      if (c.staged) {
        await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute', '--name', 'up'], { db: t.db });
      }
      const args = typeof c.args === 'function' ? c.args(t) : c.args;
      const before = dump(t.db);
      const r = await bosctl(args, { db: t.db, input: c.input });
      expectOneLineError(r, c.code);
      if (c.message) expect(lines(r.stderr)[0]).toMatch(c.message);
      expect(dump(t.db)).toEqual(before);
    });
  }
});

describe.concurrent('database problems: exit 1, one line, nothing written', () => {
  it('--db under a path whose parent is a regular file', async () => {
    const t = tmpDb();
    const file = t.file('plain-file', 'not a directory\n');
    for (const db of [join(file, 'bosd.db'), join(file, 'sub', 'bosd.db')]) {
      const r = await bosctl(['options', 'list'], { db });
      expectOneLineError(r, 1);
      expect(r.stderr).toContain(db);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
    // Same through BOSCTL_DB.
    const viaEnv = await bosctl(['inventory', 'import', join(EXAMPLES, 'inventory.csv')], { env: { BOSCTL_DB: join(file, 'x.db') } });
    expectOneLineError(viaEnv, 1);
  });

  it('a corrupt database file: exit 1, file bytes unchanged, no WAL created', async () => {
    const t = tmpDb();
    // 4096 bytes of deterministic garbage (not an SQLite header).
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    writeFileSync(t.db, garbage);
    for (const args of [['options', 'list'], ['inventory', 'import', join(EXAMPLES, 'inventory.csv')], ['apply-staged', 'nid000001']]) {
      const r = await bosctl(args, { db: t.db });
      expectOneLineError(r, 1);
      expect(r.stderr).toContain(t.db);
      expect(readFileSync(t.db).equals(garbage), `${args.join(' ')} changed the file`).toBe(true);
      expect(existsSync(t.db + '-wal')).toBe(false);
      expect(existsSync(t.db + '-journal')).toBe(false);
    }
  });

  it('a database from a newer bosctl (user_version 999): exit 1, names the version, file unchanged, no WAL', async () => {
    const t = tmpDb();
    const db = new Database(t.db);
    db.exec("CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('keep me');");
    db.pragma('user_version = 999');
    db.close();
    const bytes = readFileSync(t.db);
    for (const args of [['options', 'list'], ['options', 'update', 'clear_stage=true'], ['inventory', 'import', join(EXAMPLES, 'inventory.csv')]]) {
      const r = await bosctl(args, { db: t.db });
      expectOneLineError(r, 1);
      expect(lines(r.stderr)[0]).toMatch(/999/);
      expect(readFileSync(t.db).equals(bytes), `${args.join(' ')} changed the file`).toBe(true);
      expect(existsSync(t.db + '-wal'), `${args.join(' ')} created a WAL`).toBe(false);
      expect(existsSync(t.db + '-shm')).toBe(false);
      expect(existsSync(t.db + '-journal')).toBe(false);
    }
    // Also through BOSCTL_DB.
    const viaEnv = await bosctl(['component', 'list'], { env: { BOSCTL_DB: t.db } });
    expectOneLineError(viaEnv, 1);
    expect(readFileSync(t.db).equals(bytes)).toBe(true);
  });

  it('--db "" (an empty path) is refused, not a throwaway temporary database', async () => {
    const t = tmpDb();
    const r = await bosctl(['options', 'update', 'polling_frequency=30'], { db: '', cwd: t.dir });
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).not.toBe(0);
    expectOneLineError(r, r.code === 1 ? 1 : 2);
  });

  it('an empty database file is initialised, not refused', async () => {
    const t = tmpDb();
    writeFileSync(t.db, '');
    const r = await bosctl(['-o', 'json', 'options', 'list'], { db: t.db });
    expect(r.code, r.stderr).toBe(0);
    expect(dump(t.db).user_version).toBeGreaterThan(0);
  });
});
