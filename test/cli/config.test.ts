/**
 * The default of -o: the flag, else BOSCTL_OUTPUT, else output: in
 * $XDG_CONFIG_HOME/bosctl/config.yaml, else table. A bad value names where it came from.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearCliConfigCache, configPath } from '../../src/cli/config-file.js';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';

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
