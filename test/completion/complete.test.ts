/**
 * `bosctl __complete`: what it answers for every part of the command tree (derived from the
 * tree, so a new command is covered when it is added), names from a database file or from
 * bosd's API, and its silence when anything goes wrong.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionsFor, renderCompletion, unquote } from '../../src/cli/completion/complete.js';
import { argumentValueKind, optionValueKind } from '../../src/cli/completion/kinds.js';
import { createDeps } from '../../src/cli/context.js';
import { createTestIo } from '../../src/cli/io.js';
import { buildProgram } from '../../src/cli/program.js';
import { OPTION_KEYS } from '../../src/core/options.js';
import { bosctl, ok, removeTmpDirs, tmpDb } from '../cli/helpers.js';
import { remoteBackend } from '../remote/helpers.js';
import { fixtureDb, type Fixture } from './helpers.js';

const ENV = { XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config' };
const program = () => buildProgram(createDeps(createTestIo(), ENV));
const values = async (words: string[], env: NodeJS.ProcessEnv = ENV) => (await completionsFor(program(), words, env)).candidates.map((c) => c.value).sort();

const hidden = (c: Command) => (c as unknown as { _hidden: boolean })._hidden;
function* commands(c: Command, path: string[] = []): Generator<[Command, string[]]> {
  yield [c, path];
  for (const s of c.commands) if (!hidden(s)) yield* commands(s, [...path, s.name()]);
}

let fx: Fixture;
beforeAll(async () => { fx = await fixtureDb(); });
afterAll(() => removeTmpDirs());

describe('the static part comes from the command tree', () => {
  it('offers each command\'s visible subcommands, never a hidden one', async () => {
    const tree = program();
    expect(tree.commands.some((c) => c.name() === '__complete' && hidden(c))).toBe(true);
    for (const [cmd, path] of commands(tree)) {
      if (cmd.commands.length === 0) continue;
      const want = cmd.commands.filter((c) => !hidden(c)).map((c) => c.name()).sort();
      expect(await values([...path, '']), path.join(' ')).toEqual(want);
    }
  });

  it('completes the commands after help', async () => {
    expect(await values(['help', 'sessiont'])).toEqual(['sessiontemplate']);
    expect(await values(['session', 'help', 'st'])).toEqual(['status']);
  });

  it('offers each command\'s visible flags and the global ones, never a hidden one', async () => {
    for (const [cmd, path] of commands(program())) {
      const got = await values([...path, '-']);
      for (const o of cmd.options) {
        if (o.hidden) expect(got, `${path.join(' ')} ${o.long}`).not.toContain(o.long);
        else expect(got, path.join(' ')).toContain(o.long ?? o.short);
      }
      expect(got).toEqual(expect.arrayContaining(['--db', '--server', '--output', '-o', '--help']));
    }
  });

  it('offers the choices of every option and argument that has them, with or without =', async () => {
    let checked = 0;
    for (const [cmd, path] of commands(program())) {
      for (const o of cmd.options) {
        if (!o.argChoices || o.hidden) continue;
        expect(await values([...path, o.long!, '']), `${path.join(' ')} ${o.long}`).toEqual([...o.argChoices].sort());
        expect(await values([...path, `${o.long}=`])).toEqual(o.argChoices.map((v) => `${o.long}=${v}`).sort());
        checked++;
      }
      for (const a of cmd.registeredArguments) {
        if (a.argChoices) { expect(await values([...path, ''])).toEqual([...a.argChoices].sort()); checked++; }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8); // -o, --operation, --phase, --role, --arch, completion's shell, ...
  });

  it('knows what every <node>, <nodes>, <name> and <file> of the tree names', async () => {
    const kinds: string[] = [];
    for (const [cmd, path] of commands(program())) {
      for (const a of cmd.registeredArguments) kinds.push(`${[...path, a.name()].join(' ')}: ${JSON.stringify(argumentValueKind(a, cmd))}`);
      for (const o of cmd.options) if (o.required || o.optional) kinds.push(`${[...path, o.long].join(' ')}: ${JSON.stringify(optionValueKind(o))}`);
    }
    const of = (key: string) => kinds.find((k) => k.startsWith(`${key}: `))?.slice(key.length + 2);
    expect(of('apply-staged nodes')).toContain('"of":["node"],"list":true');
    expect(of('component describe node')).toContain('"of":["node"]');
    expect(of('session describe name')).toContain('"of":["session"]');
    expect(of('sessiontemplate describe name')).toContain('"of":["template"]');
    expect(of('sessiontemplate create name')).toBe('{"type":"none"}');
    expect(of('session create --template')).toContain('"of":["template"]');
    expect(of('session create --name')).toBe('{"type":"none"}');
    expect(of('component list --staged-session')).toContain('"of":["session"]');
    expect(of('token revoke ids')).toContain('"of":["token"]');
    expect(of('inventory import file')).toBe('{"type":"files"}');
    expect(of('--db')).toBe('{"type":"files"}');
  });
});

describe('names from the database', () => {
  const at = (words: string[]) => values(['--db', fx.db, ...words]);

  it('templates, sessions, nodes by xname and hostname, groups, roles, tokens', async () => {
    expect(await at(['session', 'create', '--template', ''])).toEqual(['compute-v1', 'compute-v2']);
    expect(await at(['session', 'describe', ''])).toEqual(['rollout-v2']);
    expect(await at(['component', 'list', '--staged-session', 'roll'])).toEqual(['rollout-v2']);
    expect(await at(['inventory', 'describe', 'x1000c0s3'])).toEqual(['x1000c0s3b0n0', 'x1000c0s3b0n1']);
    expect(await at(['apply-staged', 'nid00000'])).toEqual(['nid000001', 'nid000002', 'nid000003', 'nid000004', 'nid000005', 'nid000006', 'nid000007', 'nid000008', 'nid000009']);
    expect(await at(['apply-staged', ''])).toHaveLength(32);
    expect(await at(['token', 'revoke', ''])).toEqual([fx.tokenId]);
  });

  it('offers nid names (nid000007) where hostnames are something else', async () => {
    const t = tmpDb();
    await ok(['inventory', 'import', t.file('n.csv', 'xname,nid,hostname\nx1000c0s0b0n0,7,cn07\nx1000c0s0b0n1,1234567,cn08\n')], { db: t.db });
    expect(await values(['--db', t.db, 'apply-staged', 'n'])).toEqual(['nid000007', 'nid1234567']);
    expect(await values(['--db', t.db, 'apply-staged', 'c'])).toEqual(['cn07', 'cn08']);
  });

  it('completes a comma list item by item, leaving out what is already listed', async () => {
    expect(await at(['apply-staged', 'x1000c0s0b0n0,x1000c0s0'])).toEqual(['x1000c0s0b0n0,x1000c0s0b0n1']);
    expect(await at(['component', 'list', '--ids', 'x1000c1s3b0n1,x1000c1s3b0n'])).toEqual(['x1000c1s3b0n1,x1000c1s3b0n0']);
    expect(await at(['component', 'list', '--status', 'failed,on'])).toEqual(['failed,on_hold']);
  });

  it('completes a --limit with nodes, groups, roles and all, after & and !', async () => {
    expect(await at(['session', 'create', '--limit', ''])).toEqual(expect.arrayContaining(['Compute', 'compute', 'gpu', 'rack1', 'all', 'x1000c0s0b0n0', 'nid000001']));
    expect(await at(['session', 'create', '--limit', 'Compute,!nid00001'])).toEqual(['nid000010', 'nid000011', 'nid000012', 'nid000013', 'nid000014', 'nid000015', 'nid000016'].map((n) => `Compute,!${n}`));
    expect(await at(['rollback', '-l', 'gpu,&ra'])).toEqual(['gpu,&rack1']);
    expect(await at(['session', 'create', '--limit=gp'])).toEqual(['--limit=gpu']);
  });

  it('completes option keys, then their values, and not a key given already', async () => {
    const keys = await at(['options', 'update', '']);
    expect(keys).toEqual(OPTION_KEYS.map((k) => `${k}=`).sort());
    expect(await at(['options', 'update', 'clear_stage=true', 'clear_st'])).toEqual([]);
    expect(await at(['options', 'update', 'clear_stage='])).toEqual(['clear_stage=false', 'clear_stage=true']);
    expect(await at(['options', 'update', 'logging_level='])).toEqual(['logging_level=CRITICAL', 'logging_level=DEBUG', 'logging_level=ERROR', 'logging_level=INFO', 'logging_level=WARNING']);
    const c = await completionsFor(program(), ['options', 'update', 'max_boot'], ENV);
    expect(c.nospace).toBe(true);
  });

  it('reads the database the line names: --db typed wins over BOSCTL_DB', async () => {
    const other = tmpDb();
    await ok(['sessiontemplate', 'create', 'only-here', '--kernel', 's3://k', '--initrd', 's3://i', '--node-roles', 'Compute'], { db: other.db });
    const env = { ...ENV, BOSCTL_DB: fx.db };
    expect(await values(['sessiontemplate', 'describe', ''], env)).toEqual(['compute-v1', 'compute-v2']);
    expect(await values(['--db', other.db, 'sessiontemplate', 'describe', ''], env)).toEqual(['only-here']);
    expect(await values(['sessiontemplate', 'describe', '--db', other.db, ''], env)).toEqual(['only-here']);
  });

  it('never creates, migrates or writes the database', async () => {
    const missing = join(tmpDb().dir, 'none', 'bosd.db');
    expect(await values(['--db', missing, 'session', 'describe', ''])).toEqual([]);
    expect(existsSync(missing)).toBe(false);
    const before = statSync(fx.db).mtimeMs;
    const bytes = readFileSync(fx.db);
    await values(['--db', fx.db, 'apply-staged', '']);
    expect(statSync(fx.db).mtimeMs).toBe(before);
    expect(readFileSync(fx.db).equals(bytes)).toBe(true);
  });
});

describe('names from bosd\'s API (--server)', () => {
  it('uses the server and token typed on the line', async () => {
    const remote = await remoteBackend();
    try {
      await remote.backend.importInventory([{ xname: 'x3000c0s1b0n0', nid: 1, hostname: 'login1', aliases: [], role: 'Application', subrole: 'UAN', groups: ['login'], enabled: true, arch: null, bmc_address: null, redfish_system_id: null, credentials_ref: null }]);
      await remote.backend.createTemplate('uan-v3', { boot_sets: { uan: { kernel: 's3://k', initrd: 's3://i', node_list: ['x3000c0s1b0n0'] } } } as never);
      const tokenFile = join(tmpDb().dir, 'token');
      writeFileSync(tokenFile, remote.api.adminSecret, { mode: 0o600 });
      const on = (words: string[]) => values(['--server', remote.api.url, '--token-file', tokenFile, ...words], { ...ENV, BOSCTL_DB: fx.db });
      expect(await on(['session', 'create', '--template', ''])).toEqual(['uan-v3']);
      expect(await on(['apply-staged', ''])).toEqual(['login1', 'nid000001', 'x3000c0s1b0n0']);
      expect(await on(['session', 'create', '--limit', 'Appl'])).toEqual(['Application', 'Application_UAN']);
      expect((await on(['token', 'revoke', ''])).length).toBe(1);
      // a token bosd refuses: no names, no error
      writeFileSync(tokenFile, 'bos_wrong_secret', { mode: 0o600 });
      expect(await on(['session', 'create', '--template', ''])).toEqual([]);
    } finally {
      await remote.close();
    }
  });
});

describe('quiet on every failure', () => {
  it('answers only a directive line, exit 0, nothing on stderr', async () => {
    for (const args of [
      ['--db', fx.db, '--server', 'http://127.0.0.1:9', 'session', 'describe', ''], // both: an error for a command
      ['--server', 'http://127.0.0.1:9', 'session', 'describe', ''], // nobody listens there
      ['--server', 'ftp://nowhere', 'session', 'describe', ''],
      ['--db', join(fx.dir, 'inventory.csv'), 'session', 'describe', ''],
      ['no-such-command', '--what', ''],
    ]) {
      writeFileSync(join(fx.dir, 'inventory.csv'), 'not a database');
      const r = await bosctl(['__complete', ...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(':\n');
    }
  });

  it('prints value<TAB>description lines and the directive', async () => {
    const r = await bosctl(['__complete', '--db', fx.db, 'session', 'describe', '']);
    expect(r.stdout).toBe('rollout-v2\treboot compute-v2, pending\n:\n');
    expect(renderCompletion({ candidates: [{ value: 'a=' }], nospace: true })).toBe('a=\n:nospace\n');
    expect(renderCompletion({ candidates: [], files: true })).toBe(':files\n');
  });

  it('reads words as the shell passed them, quotes and backslashes included', () => {
    expect(unquote("'Compute,!x1'")).toBe('Compute,!x1');
    expect(unquote('"a b"c')).toBe('a bc');
    expect(unquote('Compute,\\!x1')).toBe('Compute,!x1');
    expect(unquote("'unterminated")).toBe('unterminated');
  });
});
