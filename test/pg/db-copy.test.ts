/**
 * bosctl db copy between a SQLite file and PostgreSQL, both ways: every table's rows equal after
 * (Store.tables()), a target with rows refused unless --force, rows per table reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import { Store } from '../../src/store/store.js';
import type { PostgresServer } from '../../src/testbed/postgres.js';
import { bosctl } from '../cli/helpers.js';
import { pgServer, PG_RUNS } from '../store/engines.js';
import { exercise } from '../store/exercise.js';

const dirs: string[] = [];
const tmpFile = () => { const d = mkdtempSync(join(tmpdir(), 'bosctl-copy-')); dirs.push(d); return join(d, 'bosd.db'); };
afterAll(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const dumpOf = (where: string) => { const s = Store.open(where); try { return s.tables(); } finally { s.close(); } };
const copy = (from: string, to: string, ...more: string[]) => bosctl(['db', 'copy', '--from', from, '--to', to, ...more]);

describe.runIf(PG_RUNS)('bosctl db copy', () => {
  let pg: PostgresServer;
  beforeAll(async () => { pg = await pgServer(); });

  it('copies a file to PostgreSQL and back with every row equal, reporting rows per table', async () => {
    const file = tmpFile();
    const s = Store.open(file);
    exercise(s);
    s.close();
    const url = pg.url(await pg.createDatabase());
    const r = await copy(file, url, '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const source = dumpOf(file);
    expect(report).toMatchObject({ from: file, to: url, replaced: false });
    expect(report.tables).toEqual(Object.keys(source).sort().map((t) => ({ table: t, rows: source[t]!.length })));
    expect(report.rows).toBeGreaterThan(20);
    expect(dumpOf(url)).toEqual(source);

    // New events on the copy follow the copied ones.
    const p = Store.open(url);
    const last = p.read(() => p.events.lastId());
    p.write(() => p.events.record('2026-01-03T00:00:00Z', 'component', 'x1', 'after_copy', {}, { user: 't', via: 't' }));
    expect(p.read(() => p.events.lastId())).toBe(last + 1);
    p.close();

    const back = tmpFile();
    const b = await copy(url, back);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^TABLE\s+ROWS/);
    expect(b.stdout).toMatch(/copied \d+ rows from postgres:\/\/.* to /);
    expect(dumpOf(back)).toEqual(dumpOf(url));
  });

  it('refuses a target with rows and changes nothing; --force replaces its rows, events included', async () => {
    const file = tmpFile();
    const s = Store.open(file);
    exercise(s);
    s.close();
    const url = pg.url(await pg.createDatabase());
    const t = Store.open(url);
    t.write(() => { t.components.put(newComponent('x9c0s0b0n0')); t.events.record('2020-01-01T00:00:00Z', 'component', 'x9', 'old', {}, { user: 'o', via: 'o' }); });
    t.close();
    const before = dumpOf(url);
    const r = await copy(file, url);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/is not empty \(components: 1, events: 1\): pass --force/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(dumpOf(url)).toEqual(before);

    const f = await copy(file, url, '--force', '-o', 'json');
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout).replaced).toBe(true);
    expect(dumpOf(url)).toEqual(dumpOf(file));

    // And the other way: a file with rows is refused, then replaced.
    const other = tmpFile();
    const o = Store.open(other);
    o.write(() => o.components.put(newComponent('x8c0s0b0n0')));
    o.close();
    expect((await copy(url, other)).code).toBe(4);
    expect((await copy(url, other, '--force')).code).toBe(0);
    expect(dumpOf(other)).toEqual(dumpOf(url));
  });

  it('refuses the same database on both sides and a missing source', async () => {
    const url = pg.url(await pg.createDatabase());
    expect((await copy(url, url)).code).toBe(2);
    const r = await copy(join(tmpdir(), 'no-such-bosctl-db', 'x.db'), url);
    expect(r.code).toBe(3);
  });
});
