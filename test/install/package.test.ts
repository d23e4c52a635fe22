/**
 * The package as users get it: `npm pack` holds dist, bin, completions, man and contrib (and
 * no tests or sources); `npm install -g --prefix TMP` of the tarball puts bosctl and bosd on
 * that prefix's PATH and the man pages where man finds them; the installed bosctl works on a
 * real database. Needs dist/ (npm test builds first) and the npm registry or a warm npm cache.
 *
 * better-sqlite3 is a native module: without network access to its prebuilt binaries its
 * install script compiles SQLite (a minute or more). Unless BOSCTL_INSTALL_TEST_COMPILE=1,
 * the test hands the install script the binary `npm ci` built for this checkout, as a local
 * prebuild (prebuild-install's documented <package>_local_prebuilds setting); the package,
 * its dependency tree, bin links and man links are installed exactly as for a user.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; man: string[]; scripts: Record<string, string> };
const tmp = mkdtempSync(join(tmpdir(), 'bosctl-install-'));
const prefix = join(tmp, 'prefix');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * npm with no colour, no audit/fund chatter; PATH keeps this node first. Asynchronous: a
 * compiling install takes minutes, and the test worker must keep answering vitest meanwhile.
 */
function npm(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', [...args, '--no-audit', '--no-fund', '--color=false'], {
      cwd, env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`npm ${args.join(' ')} exited ${code}\n${out}\n${err}`))));
  });
}

/** A prebuild-install tarball of the better-sqlite3 binary this checkout already built. */
function localPrebuild(): Record<string, string> {
  if (process.env.BOSCTL_INSTALL_TEST_COMPILE === '1') return {};
  const mod = join(ROOT, 'node_modules', 'better-sqlite3');
  const version = (JSON.parse(readFileSync(join(mod, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(tmp, 'prebuilds');
  mkdirSync(dir);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, name), '-C', mod, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

let tarball = '';
let packed: string[] = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  let t = Date.now();
  // --ignore-scripts: dist/ is already built (npm test builds first), and prepack rebuilding
  // it here would rewrite files other test files are running at the same moment.
  const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
  const info = (JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  tarball = join(tmp, info.filename);
  packed = info.files.map((f) => f.path);
  timings.pack = Date.now() - t;
  t = Date.now();
  await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], tmp, localPrebuild());
  timings.install = Date.now() - t;
  console.log(`npm pack ${timings.pack} ms; npm install -g of the tarball ${timings.install} ms${process.env.BOSCTL_INSTALL_TEST_COMPILE === '1' ? ' (better-sqlite3 compiled)' : ' (better-sqlite3 from the local prebuild)'}`);
}, 900_000);

function installed(bin: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(join(prefix, 'bin', bin), args, {
    encoding: 'utf8', cwd: tmp, timeout: 60_000,
    env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: tmp, NO_COLOR: '1', XDG_CONFIG_HOME: join(tmp, 'no-config'), ...env },
  });
}

describe('npm pack', () => {
  it('holds dist, bin, completions, man and contrib, and no tests, sources or source maps', () => {
    for (const f of ['bin/bosctl.js', 'bin/bosd.js', 'dist/cli/main.js', 'dist/daemon/main.js', 'dist/doctor/index.js', 'README.md',
      'contrib/systemd/bosd.service', 'contrib/systemd/bosd.yaml.example', 'contrib/slurm/bosctl-reboot']) {
      expect(packed, f).toContain(f);
    }
    for (const page of pkg.man) expect(packed).toContain(page.replace(/^\.\//, ''));
    const completions = existsSync(join(ROOT, 'completions')) ? readdirSync(join(ROOT, 'completions')).map((f) => `completions/${f}`) : [];
    for (const f of completions) expect(packed).toContain(f);
    expect(packed.filter((f) => /^(test|src|bench|scripts|\.ci|node_modules)\//.test(f) || /\.map$/.test(f) || /\.test\./.test(f))).toEqual([]);
  });

  it('builds dist/ before packing (prepack), so a pack from a clean checkout is complete', () => {
    expect(pkg.scripts.prepack).toBe('npm run build');
  });
});

describe('npm install -g of the tarball', () => {
  it('puts bosctl and bosd on the prefix\'s PATH', () => {
    const v = installed('bosctl', ['--version']);
    expect(v.stderr).toBe('');
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = installed('bosd', ['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^Usage: bosd \[options\]/);
    // the links point into the installed package, not at this checkout
    expect(realpathSync(join(prefix, 'bin', 'bosctl')).startsWith(realpathSync(prefix))).toBe(true);
  });

  it('the installed bosctl works on a real database (SQLite loads): import, list, doctor', () => {
    const db = join(tmp, 'state', 'bosd.db');
    const imp = installed('bosctl', ['--db', db, 'inventory', 'import', join(ROOT, 'examples', 'inventory.csv')]);
    expect(imp.stderr).toBe('');
    expect(imp.status).toBe(0);
    const list = installed('bosctl', ['--db', db, '-o', 'json', 'component', 'list']);
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(16);
    // created with the umask's mode (0644 here); doctor would fail a database others can read
    for (const f of readdirSync(dirname(db))) chmodSync(join(dirname(db), f), 0o600);
    const doctor = installed('bosctl', ['--db', db, 'doctor', '--config', join(tmp, 'none.yaml'), '--bmc-sample', '0', '-o', 'json'], { BOSCTL_SERVER: '' });
    const db1 = (JSON.parse(doctor.stdout) as { checks: Array<{ check: string; status: string; detail: string }> }).checks.find((c) => c.check === 'database')!;
    expect(db1).toMatchObject({ status: 'pass', detail: expect.stringMatching(/16 nodes, WAL, mode 600/) });
  });

  it('links the man pages where man finds them (MANPATH, and from PATH)', () => {
    for (const page of pkg.man) {
      const file = page.split('/').pop()!;
      const section = file.split('.').pop()!;
      expect(existsSync(join(prefix, 'share', 'man', `man${section}`, file)), file).toBe(true);
    }
    const hasMan = !spawnSync('man', ['--version']).error;
    if (!hasMan) {
      if (process.env.CI) throw new Error('man is not installed: CI must install man-db');
      console.warn('man is not installed: man -w not tried');
      return;
    }
    for (const [name, section] of [['bosctl', '1'], ['bosd', '8'], ['bosd.yaml', '5'], ['bosctl-config', '5']] as const) {
      const viaManpath = spawnSync('man', ['-w', section, name], { encoding: 'utf8', env: { ...process.env, MANPATH: join(prefix, 'share', 'man') } });
      // man names the file the link points to: the page inside the installed package
      expect(viaManpath.stdout.trim(), `${name}(${section})`).toBe(realpathSync(join(prefix, 'share', 'man', `man${section}`, `${name}.${section}`)));
    }
    // man-db maps a PATH entry .../bin to .../share/man: installing puts the pages in reach.
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    delete env.MANPATH;
    const viaPath = spawnSync('man', ['-w', 'bosctl'], { encoding: 'utf8', env });
    expect(viaPath.stdout.trim()).toBe(realpathSync(join(prefix, 'share', 'man', 'man1', 'bosctl.1')));
  });
});
