/**
 * The man pages are generated from the commander definitions behind --help
 * (scripts/gen-man.js, src/cli/man-page.ts): they must be up to date, list every command and
 * flag, and render without warnings. Needs dist/ (npm test builds first).
 * Regenerate with: npm run man
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { createDeps } from '../../src/cli/context.js';
import { createTestIo } from '../../src/cli/io.js';
import { roffCode, walkCommands } from '../../src/cli/man-page.js';
import { CONFIG_KEYS } from '../../src/cli/config-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const man = (f: string) => join(root, 'man', f);
const GENERATED = ['bosctl.1', 'bosctl-config.5', 'bosd.8', 'bosd.yaml.5'];
/** Every page lint checks: the generated ones and the hand-written bosctl-slurm.1. */
const ALL_PAGES = [...GENERATED, 'bosctl-slurm.1'];

const tmp = mkdtempSync(join(tmpdir(), 'bosctl-man-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('generated man pages', () => {
  it('man/ holds what scripts/gen-man.js generates now (run `npm run man` after changing --help)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-man.js'), '--out', tmp], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of GENERATED) {
      expect(existsSync(man(f)), `man/${f} is missing: run npm run man`).toBe(true);
      expect(readFileSync(man(f), 'utf8'), `man/${f} is stale: run npm run man`).toBe(readFileSync(join(tmp, f), 'utf8'));
    }
  });

  it('bosctl.1 has a section per command and every long flag of it', () => {
    const page = readFileSync(man('bosctl.1'), 'utf8');
    const program = buildProgram(createDeps(createTestIo(), {}));
    // the page split into its .SS sections (one per command path) and the global options
    const sections = new Map<string, string>();
    for (const part of page.split(/^\.SS /m).slice(1)) {
      const nl = part.indexOf('\n');
      sections.set(part.slice(0, nl), part.slice(nl).split(/^\.SH /m)[0]);
    }
    const globals = page.split(/^\.SH GLOBAL OPTIONS$/m)[1]?.split(/^\.SH /m)[0] ?? '';
    const commands = walkCommands(program);
    expect(commands.length).toBeGreaterThan(30);
    const missing: string[] = [];
    for (const cmd of [program, ...commands]) {
      const names: string[] = [];
      for (let c: typeof cmd | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
      const path = names.join(' ');
      const text = cmd === program ? globals : sections.get(roffCode(path));
      if (text === undefined) { missing.push(`command "${path}"`); continue; }
      for (const alias of cmd.aliases()) if (!text.includes(`\\fB${roffCode(alias)}\\fR`)) missing.push(`alias ${alias} of "${path}"`);
      for (const opt of cmd.createHelp().visibleOptions(cmd)) {
        if (!opt.long || (opt.long === '--help' && cmd !== program)) continue;
        if (!text.includes(`\\fB${roffCode(opt.long)}\\fR`)) missing.push(`${opt.long} of "${path || 'bosctl'}"`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('bosctl.1 has the sections a man page needs', () => {
    const page = readFileSync(man('bosctl.1'), 'utf8');
    for (const sh of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'GLOBAL OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SEE ALSO']) {
      expect(page).toMatch(new RegExp(`^\\.SH ${sh}$`, 'm'));
    }
    for (const v of ['BOSCTL_DB', 'BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE', 'BOSCTL_OUTPUT', 'BOSCTL_S3_CONFIG', 'NO_COLOR', 'FORCE_COLOR']) {
      expect(page).toContain(`\\fB${v}\\fR`);
    }
    expect(page).toContain('\\fBbosd\\fR(8)');
    expect(page).toContain('\\fBbosd.yaml\\fR(5)');
    expect(page).toContain('\\fBbosctl\\-slurm\\fR(1)');
    expect(page).toContain('\\fBbosctl\\-config\\fR(5)');
  });

  it('bosctl-config.5 describes every setting of the configuration file, with its precedence', () => {
    const page = readFileSync(man('bosctl-config.5'), 'utf8');
    for (const key of CONFIG_KEYS) expect(page).toMatch(new RegExp(`^\\\\fB${roffCode(key)}\\\\fR: `, 'm'));
    for (const sh of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'SETTINGS', 'PRECEDENCE', 'EXAMPLE', 'FILES', 'SEE ALSO']) {
      expect(page).toMatch(new RegExp(`^\\.SH ${sh}$`, 'm'));
    }
  });

  it('package.json installs every page (its "man" field lists man/*)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { man?: string[] };
    const pages = readdirSync(join(root, 'man')).filter((f) => /\.\d$/.test(f)).map((f) => `./man/${f}`).sort();
    expect([...(pkg.man ?? [])].sort()).toEqual(pages);
  });

  it('bosd.8 has every option of bosd --help and bosd.yaml.5 every config key', () => {
    const help = spawnSync(process.execPath, [join(root, 'bin/bosd.js'), '--help'], { encoding: 'utf8' }).stdout;
    const bosd = readFileSync(man('bosd.8'), 'utf8');
    const flags = [...help.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
    expect(flags.length).toBeGreaterThan(15);
    for (const f of flags) expect(bosd).toContain(`\\fB${roffCode(f)}\\fR`);
    const yaml = readFileSync(man('bosd.yaml.5'), 'utf8');
    for (const f of flags.filter((x) => !['--version', '--help', '--config'].includes(x))) {
      expect(yaml).toContain(`\\fB${roffCode(f.slice(2).replace(/-/g, '_'))}\\fR: `);
    }
  });
});

function has(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

describe('man pages render without warnings', () => {
  const mandoc = has('mandoc');
  const groff = has('groff');

  it('a man page linter is installed (in CI: apt-get install mandoc)', () => {
    if (!mandoc && !groff) {
      if (process.env.CI) throw new Error('neither mandoc nor groff is installed: CI must install the mandoc package (apt-get install -y mandoc) to lint man/');
      console.warn('man page lint skipped: install mandoc (apt-get install -y mandoc) or groff');
    }
  });

  it.skipIf(!mandoc)('mandoc -T lint -W warning', () => {
    const r = spawnSync('mandoc', ['-T', 'lint', '-W', 'warning', ...ALL_PAGES.map(man)], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!groff)('groff -ww -z -man', () => {
    for (const f of ALL_PAGES) {
      const r = spawnSync('groff', ['-ww', '-z', '-man', man(f)], { encoding: 'utf8' });
      expect(r.stderr, f).toBe('');
      expect(r.status, f).toBe(0);
    }
  });
});
