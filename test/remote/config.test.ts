/**
 * How bosctl picks its backend and defaults: --server / BOSCTL_SERVER / config file server:,
 * token and CA settings, output: default, and the conflicts that are errors (exit 2).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearCliConfigCache, configPath, parseCliConfig } from '../../src/cli/config-file.js';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { Store } from '../../src/store/store.js';
import { removeTmpDirs, tmpDir } from './helpers.js';

/** A database file that exists (options list only reads: it never creates one). */
function existingDb(): string {
  const p = join(tmpDir(), 'x.db');
  Store.open(p).close();
  return p;
}

afterAll(() => removeTmpDirs());

function envWith(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tmpDir('bosctl-home-');
  return { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.state'), NO_COLOR: '1', ...extra };
}

function writeConfig(env: NodeJS.ProcessEnv, text: string): string {
  const p = configPath(env);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  clearCliConfigCache();
  return p;
}

async function bosctl(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = createTestIo();
  const code = await run(argv, io, env);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('the configuration file', () => {
  it('is $XDG_CONFIG_HOME/bosctl/config.yaml, else ~/.config/bosctl/config.yaml', () => {
    expect(configPath({ HOME: '/home/a', XDG_CONFIG_HOME: '/x' })).toBe('/x/bosctl/config.yaml');
    expect(configPath({ HOME: '/home/a' })).toBe('/home/a/.config/bosctl/config.yaml');
  });

  it('parses key: value lines, quotes and comments; file paths are relative to it', () => {
    const c = parseCliConfig([
      '# bosctl',
      'server: "https://bosd.example:8443"   # the admin node',
      "token_file: 'tokens/it''s'",
      'ca_bundle: ~/ca.pem',
      'output: wide',
      '',
    ].join('\n'), '/etc/bosctl/config.yaml', { HOME: '/home/a' });
    expect(c).toEqual({ path: '/etc/bosctl/config.yaml', server: 'https://bosd.example:8443', token_file: "/etc/bosctl/tokens/it's", ca_bundle: '/home/a/ca.pem', output: 'wide' });
  });

  it('hands other YAML to the yaml package, and refuses unknown settings naming the file', () => {
    expect(parseCliConfig('{server: "unix:///run/bosd/bosd.sock", output: json}\n', '/c.yaml')).toEqual({ path: '/c.yaml', server: 'unix:///run/bosd/bosd.sock', output: 'json' });
    expect(() => parseCliConfig('token: bos_secret\n', '/c.yaml')).toThrow(/^\/c\.yaml: unknown setting "token": expected server, token_file, ca_bundle, output$/);
    expect(() => parseCliConfig('server: [a\n', '/c.yaml')).toThrow(/^\/c\.yaml: not valid YAML/);
  });
});

describe('choosing the backend', () => {
  it('--server with --db is one line, exit 2', async () => {
    const r = await bosctl(['--server', 'http://127.0.0.1:1', '--db', '/tmp/x.db', 'component', 'list'], envWith());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bosctl: give either --server (bosd\'s API) or --db (a database file), not both (hint: see the command\'s --help for its arguments and flags)\n');
  });

  it('BOSCTL_SERVER with BOSCTL_DB is an error; a flag settles it', async () => {
    const env = envWith({ BOSCTL_SERVER: 'http://127.0.0.1:1', BOSCTL_DB: join(tmpDir(), 'x.db') });
    const r = await bosctl(['options', 'list'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bosctl: BOSCTL_SERVER and BOSCTL_DB are both set/);
    expect((await bosctl(['--db', existingDb(), 'options', 'list'], env)).code).toBe(0);
  });

  it('--token-file and --ca-bundle need a server; an empty --server is an error', async () => {
    const env = envWith();
    expect((await bosctl(['--token-file', '/x', 'options', 'list'], env)).stderr).toMatch(/^bosctl: --token-file goes with --server/);
    expect((await bosctl(['--ca-bundle', '/x', 'options', 'list'], env)).code).toBe(2);
    const r = await bosctl(['--server', ' ', 'options', 'list'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bosctl: --server is empty/);
  });

  it('a server from the config file is used, unless --db or BOSCTL_DB says local', async () => {
    const env = envWith();
    const port = await deadPort();
    writeConfig(env, `server: http://127.0.0.1:${port}\n`);
    const r = await bosctl(['options', 'list'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`bosctl: bosd at http://127.0.0.1:${port} is not reachable: connection refused (3 attempts) (hint: check --server (or BOSCTL_SERVER) and that bosd is running)\n`);
    expect((await bosctl(['--db', existingDb(), 'options', 'list'], env)).code).toBe(0);
    expect((await bosctl(['options', 'list'], { ...env, BOSCTL_DB: existingDb() })).code).toBe(0);
  });

  it('a bad server URL is exit 2 and does not echo credentials', async () => {
    const r = await bosctl(['--server', 'https://root:hunter2@bosd:8443', 'component', 'list'], envWith());
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});

describe('output: in the configuration file', () => {
  it('sets the default of -o; -o wins; a bad value names the file', async () => {
    const env = envWith({ BOSCTL_DB: '' });
    const db = existingDb();
    writeConfig(env, 'output: json\n');
    const r = await bosctl(['--db', db, 'options', 'list'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).polling_frequency).toBe(15);
    expect((await bosctl(['--db', db, '-o', 'name', 'options', 'list'], env)).stdout.split('\n')[0]).toBe('bss_read_timeout');
    const p = writeConfig(env, 'output: fancy\n');
    const bad = await bosctl(['--db', db, 'options', 'list'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^bosctl: ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: output: `));
  });
});
