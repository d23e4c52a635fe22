/**
 * Output conventions: colour only when asked for off a terminal, YAML equal to JSON,
 * --no-headers, -q.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ANSI_RE, EXAMPLES, XNAMES, bosctl, lines, ok, removeTmpDirs, seeded, tmpDb } from './helpers.js';

afterAll(removeTmpDirs);

/** A seeded database with a staged session `up`, 4 nodes applied (on_hold) and one failed. */
let db: string;
beforeAll(async () => {
  const t = await seeded();
  db = t.db;
  await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute', '--name', 'up'], { db });
  await ok(['session', 'create', '--template', 'compute-v1', '--operation', 'reboot', '--stage', '--limit', 'nid000016', '--name', 'gone'], { db });
  await ok(['apply-staged', 'nid[000001-000004]'], { db });
  await ok(['session', 'delete', 'gone'], { db });
  expect((await bosctl(['apply-staged', 'nid000016'], { db })).code).toBe(1);
});

const noColorEnv = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color' };

describe.concurrent('colour', () => {
  const coloured: string[][] = [
    ['component', 'list', '-o', 'wide'],
    ['session', 'list'],
    ['session', 'status', 'up'],
    ['inventory', 'list'],
    ['options', 'list'],
  ];

  it('piped output has no ANSI escapes, even with a status column and without NO_COLOR', async () => {
    const own = await seeded();
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'up'], { db: own.db });
    const results = await Promise.all([
      ...coloured.map((a) => bosctl(a, { db, env: noColorEnv })),
      // A verdict line on stdout and a warning on stderr (its own database: the shared one stays read-only).
      bosctl(['apply-staged', 'nid000005', 'nid000099'], { db: own.db, env: noColorEnv }),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(ANSI_RE);
      expect(r.stderr).not.toMatch(ANSI_RE);
    }
    // The status column is there, plain.
    expect(results[0].stdout).toMatch(/^x1000c0s0b0n0 +true +- +on_hold /m);
    expect(results[0].stdout).toMatch(/^x1000c1s3b0n1 +false +- +stable /m);
  });

  it('FORCE_COLOR=1 adds ANSI escapes to the status column', async () => {
    const r = await ok(['component', 'list'], { db, env: { ...noColorEnv, FORCE_COLOR: '1' } });
    expect(r.stdout).toMatch(ANSI_RE);
    // on_hold painted, and the table still aligned by visible width.
    expect(r.stdout).toMatch(/\u001b\[\d+mon_hold\u001b\[\d+m/);
    const plain = await ok(['component', 'list'], { db, env: noColorEnv });
    // eslint-disable-next-line no-control-regex
    expect(r.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain.stdout);
  });

  it('NO_COLOR and --no-color win over FORCE_COLOR', async () => {
    const [withNoColor, withFlag, withFlagLast] = await Promise.all([
      ok(['component', 'list'], { db, env: { ...noColorEnv, FORCE_COLOR: '1', NO_COLOR: '1' } }),
      ok(['--no-color', 'component', 'list'], { db, env: { ...noColorEnv, FORCE_COLOR: '1' } }),
      ok(['component', 'list', '--no-color'], { db, env: { ...noColorEnv, FORCE_COLOR: '1' } }),
    ]);
    for (const r of [withNoColor, withFlag, withFlagLast]) {
      expect(r.stdout).not.toMatch(ANSI_RE);
      expect(r.stdout).toMatch(/on_hold/);
    }
  });

  it('FORCE_COLOR=1 colours apply-staged verdicts; --no-color removes them from stdout and stderr', async () => {
    const t = await seeded();
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'up'], { db: t.db });
    const col = await bosctl(['apply-staged', 'nid000001', 'nid000099'], { db: t.db, env: { ...noColorEnv, FORCE_COLOR: '1' } });
    expect(col.code).toBe(0);
    expect(col.stdout).toMatch(ANSI_RE);
    expect(col.stderr).toMatch(ANSI_RE);
    const plain = await bosctl(['--no-color', 'apply-staged', 'nid000002', 'nid000099'], { db: t.db, env: { ...noColorEnv, FORCE_COLOR: '1' } });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(ANSI_RE);
    expect(plain.stderr).not.toMatch(ANSI_RE);
  });

  it('JSON and YAML are never coloured', async () => {
    const env = { ...noColorEnv, FORCE_COLOR: '1' };
    const [j, y] = await Promise.all([
      ok(['-o', 'json', 'component', 'list'], { db, env }),
      ok(['-o', 'yaml', 'component', 'list'], { db, env }),
    ]);
    expect(j.stdout).not.toMatch(ANSI_RE);
    expect(y.stdout).not.toMatch(ANSI_RE);
  });
});

describe.concurrent('-o yaml', () => {
  const commands: string[][] = [
    ['inventory', 'list'],
    ['inventory', 'describe', 'nid000001'],
    ['sessiontemplate', 'list'],
    ['sessiontemplate', 'describe', 'compute-v2'],
    ['session', 'list'],
    ['session', 'describe', 'up'],
    ['component', 'list'],
    ['component', 'describe', 'nid000016'],
    ['component', 'history', 'nid000001'],
    ['options', 'list'],
    ['sessiontemplate', 'validate', 'compute-v1'],
  ];
  for (const args of commands) {
    it(`${args.join(' ')}: -o yaml parses to the same data as -o json`, async () => {
      const [j, y] = await Promise.all([ok(['-o', 'json', ...args], { db }), ok(['-o', 'yaml', ...args], { db })]);
      const fromJson = JSON.parse(j.stdout);
      expect(parseYaml(y.stdout)).toEqual(fromJson);
      expect(y.stdout.trimStart().startsWith('{') || y.stdout.trimStart().startsWith('[')).toBe(false);
    });
  }

  it('apply-staged and inventory import reports: -o yaml equals -o json', async () => {
    const t = await seeded();
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'up'], { db: t.db });
    const j = await ok(['-o', 'json', 'apply-staged', 'nid000001', 'nid000099'], { db: t.db });
    const y = await ok(['-o', 'yaml', 'apply-staged', 'nid000001', 'nid000099'], { db: t.db });
    expect(parseYaml(y.stdout)).toEqual(JSON.parse(j.stdout));
    const ij = await ok(['-o', 'json', 'inventory', 'import', join(EXAMPLES, 'inventory.csv')], { db: t.db });
    const iy = await ok(['-o', 'yaml', 'inventory', 'import', join(EXAMPLES, 'inventory.csv')], { db: t.db });
    expect(parseYaml(iy.stdout)).toEqual(JSON.parse(ij.stdout));
  });
});

describe.concurrent('--no-headers', () => {
  for (const [args, header] of [
    [['inventory', 'list'], 'XNAME'],
    [['component', 'list'], 'XNAME'],
    [['session', 'list'], 'NAME'],
    [['sessiontemplate', 'list'], 'NAME'],
    [['options', 'list'], 'KEY'],
    [['component', 'history', 'nid000001'], 'TIME'],
  ] as const) {
    it(`${args.join(' ')} --no-headers drops the header row only`, async () => {
      const [withH, without] = await Promise.all([ok([...args], { db }), ok(['--no-headers', ...args], { db })]);
      const a = lines(withH.stdout);
      const b = lines(without.stdout);
      expect(a[0].startsWith(header)).toBe(true);
      expect(b).toHaveLength(a.length - 1);
      expect(b.some((l) => l.startsWith(header + ' '))).toBe(false);
      // Same cells, row by row (column widths may differ without the header).
      expect(b.map((l) => l.split(/\s+/))).toEqual(a.slice(1).map((l) => l.split(/\s+/)));
    });
  }
});

describe('--no-headers on session status', () => {
  it('session status --no-headers drops the PHASE/NODES header row', async () => {
    const [withH, without] = await Promise.all([ok(['session', 'status', 'up'], { db }), ok(['--no-headers', 'session', 'status', 'up'], { db })]);
    expect(withH.stdout).toMatch(/^PHASE +NODES$/m);
    expect(without.stdout).toMatch(/^staged +\d+$/m);
    expect(without.stdout).not.toMatch(/^PHASE +NODES$/m);
  });
});

describe.concurrent('-q', () => {
  it('silences success lines of every changing command, keeps requested data', async () => {
    const t = tmpDb();
    const q = (args: string[], input?: string) => bosctl(['-q', ...args], { db: t.db, input });
    const steps: string[][] = [
      ['inventory', 'import', join(EXAMPLES, 'inventory.csv')],
      ['sessiontemplate', 'create', 'compute-v2', '--file', join(EXAMPLES, 'compute-v2.json')],
      ['sessiontemplate', 'create', 'quick', '--kernel', 's3://k', '--initrd', 's3://i', '--node-list', 'x1000c0s0b0n0'],
      ['sessiontemplate', 'update', 'quick', '--kernel', 's3://k2'],
      ['sessiontemplate', 'validate', 'quick'],
      ['sessiontemplate', 'delete', 'quick'],
      ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'up'],
      ['apply-staged', 'nid[000001-000002]'],
      ['component', 'update', 'nid000001', '--enabled', 'false'],
      ['options', 'update', 'clear_stage=true'],
      ['session', 'create', '--template', 'compute-v2', '--operation', 'boot', '--limit', 'nid000003', '--name', 'now'],
      ['session', 'delete', 'now'],
    ];
    for (const s of steps) {
      const r = await q(s);
      expect(r.code, `${s.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, s.join(' ')).toBe('');
      expect(r.stderr, s.join(' ')).toBe('');
    }
    // Requested data is still printed.
    const list = await q(['-o', 'name', 'component', 'list', '--enabled', 'true']);
    expect(lines(list.stdout)).toEqual([XNAMES[1], XNAMES[2]]);
    const opts = await q(['-o', 'json', 'options', 'list']);
    expect(JSON.parse(opts.stdout).clear_stage).toBe(true);
    // Errors are still reported.
    const err = await q(['session', 'describe', 'nosuchsession']);
    expect(err.code).toBe(3);
    expect(lines(err.stderr)).toHaveLength(1);
  });
});
