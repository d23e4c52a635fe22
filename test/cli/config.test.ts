/**
 * The default of -o: the flag, else BOSCTL_OUTPUT, else output: in
 * $XDG_CONFIG_HOME/bosctl/config.yaml, else table. A bad value names where it came from.
 * YAML everywhere bosctl and bosd read it: an alias bomb is bad input. bosd.yaml's settings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearCliConfigCache, configPath } from '../../src/cli/config-file.js';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { Store } from '../../src/store/store.js';
import { parseYamlText } from '../../src/core/yaml.js';
import { loadConfig } from '../../src/daemon/config.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup(config?: string): { env: NodeJS.ProcessEnv; db: string } {
  const home = mkdtempSync(join(tmpdir(), 'bosctl-config-'));
  dirs.push(home);
  const env: NodeJS.ProcessEnv = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), NO_COLOR: '1' };
  if (config !== undefined) {
    mkdirSync(join(home, 'cfg', 'bosctl'), { recursive: true });
    writeFileSync(configPath(env), config);
  }
  clearCliConfigCache();
  // options list only reads: the database must exist (a read never creates one).
  Store.open(join(home, 'bosd.db')).close();
  return { env, db: join(home, 'bosd.db') };
}

/** Which format `options list` printed in. */
async function formatOf(args: string[], env: NodeJS.ProcessEnv, db: string): Promise<string> {
  const io = createTestIo();
  const code = await run(['--db', db, ...args, 'options', 'list'], io, env);
  if (code !== 0) return `exit ${code}: ${io.stderr.trim()}`;
  if (io.stdout.startsWith('{')) return 'json';
  if (io.stdout.startsWith('KEY ')) return /MEANING/.test(io.stdout.split('\n')[0]!) ? 'wide' : 'table';
  if (/^[a-z_]+: /.test(io.stdout)) return 'yaml';
  return 'name';
}

describe('the default output format', () => {
  it('is table with nothing set', async () => {
    const { env, db } = setup();
    expect(await formatOf([], env, db)).toBe('table');
  });

  it('-o wins over BOSCTL_OUTPUT, which wins over output: in the config file', async () => {
    const { env, db } = setup('output: yaml\n');
    expect(await formatOf([], env, db)).toBe('yaml');
    expect(await formatOf([], { ...env, BOSCTL_OUTPUT: 'json' }, db)).toBe('json');
    expect(await formatOf(['-o', 'wide'], { ...env, BOSCTL_OUTPUT: 'json' }, db)).toBe('wide');
    expect(await formatOf(['-o', 'table'], { ...env, BOSCTL_OUTPUT: 'json' }, db)).toBe('table');
    expect(await formatOf([], { ...env, BOSCTL_OUTPUT: '' }, db)).toBe('yaml');
  });

  it('a bad BOSCTL_OUTPUT is one line naming the variable, exit 2', async () => {
    const { env, db } = setup('output: yaml\n');
    expect(await formatOf([], { ...env, BOSCTL_OUTPUT: 'xml' }, db))
      .toBe('exit 2: bosctl: BOSCTL_OUTPUT: unknown output format "xml": expected one of table, wide, json, yaml, name (hint: the output format is one of table, wide, json, yaml, name)');
  });
});

/** A "billion laughs" document: nine levels of nine aliases each. */
function aliasBomb(prefix = ''): string {
  const lines = [`${prefix}a0: &a0 [x, x, x, x, x, x, x, x, x]`];
  for (let i = 1; i < 9; i++) lines.push(`${prefix}a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

describe('YAML with too many aliases is bad input (exit 2), never "internal error"', () => {
  it('in bosctl\'s config file', async () => {
    const { env, db } = setup(`output: yaml\n${aliasBomb()}`);
    const r = await formatOf([], env, db);
    expect(r).toMatch(/^exit 2: /);
    expect(r).toMatch(/too many aliases/);
    expect(r).not.toMatch(/internal|bug/);
  });

  it('in a template file', async () => {
    const { env, db } = setup();
    const file = join(env.HOME!, 'bomb.yaml');
    writeFileSync(file, `description: bomb\n${aliasBomb()}`);
    const io = createTestIo();
    const code = await run(['--db', db, 'sessiontemplate', 'create', 'bomb', '--file', file], io, env);
    expect(code, io.stderr).toBe(2);
    expect(io.stderr).toMatch(/too many aliases/);
    expect(io.stderr).not.toMatch(/internal|bug/);
  });

  it('in bosd.yaml and the credentials file', async () => {
    const { env } = setup();
    const cfg = join(env.HOME!, 'bosd.yaml');
    writeFileSync(cfg, `bss_url: http://127.0.0.1:9\n${aliasBomb()}`);
    await expect(loadConfig(cfg, {}, '/x.db')).rejects.toMatchObject({ code: 'BOS_VALUE_INVALID', message: expect.stringMatching(/too many aliases/) });
    expect(() => parseYamlText(aliasBomb(), 'f.yaml')).toThrow(/f\.yaml is not valid YAML: too many aliases/);
    // A few aliases are fine.
    expect(parseYamlText('a: &k [1]\nb: *k\nc: *k\n', 'f.yaml')).toEqual({ a: [1], b: [1], c: [1] });
  });
});

describe('bosd.yaml settings', () => {
  it('cfs_url: none (file or flag) runs without CFS', async () => {
    const { env } = setup();
    const cfg = join(env.HOME!, 'bosd.yaml');
    writeFileSync(cfg, 'bss_url: http://127.0.0.1:9\ncfs_url: none\n');
    expect((await loadConfig(cfg, {}, '/x.db')).cfsUrl).toBeNull();
    expect((await loadConfig(undefined, { bssUrl: 'http://b', cfsUrl: 'none' }, '/x.db')).cfsUrl).toBeNull();
    expect((await loadConfig(undefined, { bssUrl: 'http://b', cfsUrl: 'http://cfs' }, '/x.db')).cfsUrl).toBe('http://cfs');
  });

  it('image_dirs: a list or comma-separated, absolute paths only; allow_insecure_bmc_http: a boolean', async () => {
    const { env } = setup();
    const cfg = join(env.HOME!, 'bosd.yaml');
    writeFileSync(cfg, 'bss_url: http://127.0.0.1:9\nimage_dirs: [/srv/images, /data/img]\nallow_insecure_bmc_http: true\n');
    expect(await loadConfig(cfg, {}, '/x.db')).toMatchObject({ imageDirs: ['/srv/images', '/data/img'], allowInsecureBmcHttp: true });
    const defaults = await loadConfig(undefined, { bssUrl: 'http://b' }, '/x.db');
    expect(defaults).toMatchObject({ imageDirs: [], allowInsecureBmcHttp: false });
    expect((await loadConfig(undefined, { bssUrl: 'http://b', imageDirs: '/a, /b' as unknown as string[] }, '/x.db')).imageDirs).toEqual(['/a', '/b']);
    await expect(loadConfig(undefined, { bssUrl: 'http://b', imageDirs: ['relative'] }, '/x.db')).rejects.toThrow(/invalid image_dirs entry "relative": expected an absolute directory path/);
    // allow_insecure_bmc_http reaches bosd's Redfish client, and its warnings bosd's log.
    const { realDrivers } = await import('../../src/daemon/bosd.js');
    const lines: string[] = [];
    const drivers = await realDrivers({ ...defaults, allowInsecureBmcHttp: true }, { lookup: () => ({ username: 'u', password: 'p' }), secrets: () => [] },
      { log: (_l, msg) => { lines.push(msg); }, secret() {} });
    const opts = (drivers.power as unknown as { opts: { allowInsecureHttp?: boolean; warn?: (m: string, f: Record<string, unknown>) => void } }).opts;
    expect(opts.allowInsecureHttp).toBe(true);
    opts.warn!('plain http to x', {});
    expect(lines).toEqual(['plain http to x']);
    await Promise.all([drivers.power.close?.(), drivers.bss.close?.(), drivers.cfs?.close?.()]);
    writeFileSync(cfg, 'bss_url: http://127.0.0.1:9\nallow_insecure_bmc_http: "yes"\n');
    await expect(loadConfig(cfg, {}, '/x.db')).rejects.toThrow(/invalid allow_insecure_bmc_http "yes": expected true or false/);
  });
});
