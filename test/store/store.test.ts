import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { newComponent } from '../../src/core/component.js';
import { prepared, type Db } from '../../src/store/db.js';
import { ENGINES, freshDatabase, PG_RUNS } from './engines.js';
import { exercise } from './exercise.js';
import { commitNodeWrites } from '../../src/services/node-writes.js';
import { resolveNodeArgs } from '../../src/core/node-names.js';
import type { Component } from '../../src/core/types.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'bosctl-store-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const actor = { user: 'test', via: 'vitest' };
/** The connection the store keeps private: for checks of SQLite's own settings and triggers. */
const raw = (s: Store) => (s as unknown as { db: Database.Database }).db;

describe('store', () => {
  it('creates the schema, in WAL mode, with foreign keys on', () => {
    const s = Store.open(join(tmp(), 'a', 'b', 'x.db'));
    expect(raw(s).pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw(s).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw(s).pragma('foreign_keys', { simple: true })).toBe(1);
    s.close();
  });

  it('creates its files unreadable by others, whatever the umask', () => {
    const before = process.umask(0o022);
    try {
      const path = join(tmp(), 'perm.db');
      const s = Store.open(path);
      s.write(() => s.components.put(newComponent('x1000c0s0b0n0')));
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o007, f).toBe(0);
      expect(statSync(path).mode & 0o600).toBe(0o600);
      s.close();
      expect(process.umask(0o022)).toBe(0o022);
    } finally {
      process.umask(before);
    }
  });

  it('reopens an existing database without migrating again', () => {
    const path = join(tmp(), 'x.db');
    const s = Store.open(path);
    s.write(() => s.components.put(newComponent('x1c0s0b0n0')));
    s.close();
    const t = Store.open(path);
    expect(t.components.get('x1c0s0b0n0')?.id).toBe('x1c0s0b0n0');
    t.close();
  });

  it('refuses a database from a newer bosctl and leaves its bytes alone', () => {
    const path = join(tmp(), 'new.db');
    const db = new Database(path);
    db.exec('CREATE TABLE future (x)');
    db.pragma('user_version = 999');
    db.close();
    const before = readFileSync(path);
    expect(() => Store.open(path)).toThrow(expect.objectContaining({ code: 'BOS_DB_TOO_NEW' }));
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(path + '-wal')).toBe(false);
  });

  it('calls a file that is not SQLite corrupt', () => {
    const path = join(tmp(), 'bad.db');
    writeFileSync(path, Buffer.alloc(4096, 7));
    expect(() => Store.open(path)).toThrow(expect.objectContaining({ code: 'BOS_DB_CORRUPT' }));
  });

  it('calls a path under a regular file unwritable', () => {
    const d = tmp();
    writeFileSync(join(d, 'file'), 'x');
    expect(() => Store.open(join(d, 'file', 'x.db'))).toThrow(expect.objectContaining({ code: 'BOS_DB_UNWRITABLE' }));
  });

  it('rolls a failed transaction back whole', () => {
    const s = Store.open(join(tmp(), 'x.db'));
    expect(() => s.write(() => {
      s.components.put(newComponent('x1c0s0b0n0'));
      throw new Error('boom');
    })).toThrow('boom');
    expect(s.components.get('x1c0s0b0n0')).toBeUndefined();
    s.close();
  });

  it('keeps events append-only', () => {
    const s = Store.open(join(tmp(), 'x.db'));
    s.write(() => s.events.record('2026-01-01T00:00:00Z', 'component', 'x1', 'test', {}, actor));
    expect(() => raw(s).exec('UPDATE events SET action = \'x\'')).toThrow(/append-only/);
    expect(() => raw(s).exec('DELETE FROM events')).toThrow(/append-only/);
    expect(s.events.history('component', 'x1')).toHaveLength(1);
    s.close();
  });

  it('stores options as typed values over BOS defaults', () => {
    const s = Store.open(join(tmp(), 'x.db'));
    s.write(() => s.options.set({ max_boot_wait_time: 10, clear_stage: true }));
    expect(s.options.get()).toMatchObject({ max_boot_wait_time: 10, clear_stage: true, polling_frequency: 15 });
    s.close();
  });
});

describe.each(ENGINES)('the store on %s', (engine) => {
  const open = async () => Store.open(await freshDatabase(engine));

  it('reopens an existing database without migrating again', async () => {
    const where = await freshDatabase(engine);
    const s = Store.open(where);
    s.write(() => s.components.put(newComponent('x1c0s0b0n0')));
    s.close();
    const t = Store.open(where);
    expect(t.read(() => t.components.get('x1c0s0b0n0'))?.id).toBe('x1c0s0b0n0');
    t.close();
  });

  it('the reconciler\'s group writes: revisions read in one query, each update one revision on, a second write of a node in the group sees the first', async () => {
    const s = await open();
    const put = (id: string) => s.write(() => s.components.put(newComponent(id)));
    put('x1c0s0b0n0');
    put('x1c0s0b0n1');
    put('x1c0s0b0n1');
    expect(s.read(() => [...s.components.revisions(['x1c0s0b0n0', 'x1c0s0b0n1', 'x1c0s0b0n9'])])).toEqual([['x1c0s0b0n0', 0], ['x1c0s0b0n1', 1]]);
    const a = s.read(() => s.components.getVersioned('x1c0s0b0n0'))!;
    const b = s.read(() => s.components.getVersioned('x1c0s0b0n1'))!;
    const setError = (error: string) => (cur: typeof a.component) => ({ ...cur, error });
    const out = await commitNodeWrites(s, [
      { id: a.component.id, known: a, fn: setError('first') },
      { id: b.component.id, known: b, fn: setError('b') },
      // Known as it was before the first write of this group: read again, not overwritten blind.
      { id: a.component.id, known: a, fn: (cur, rev) => ({ ...cur, error: `${cur.error}+second@${rev}` }) },
      { id: 'x1c0s0b0n9', known: { component: newComponent('x1c0s0b0n9'), rev: 0 }, fn: setError('gone') },
    ], '2026-01-01T00:00:00Z');
    expect(out.map((r) => (typeof r === 'string' ? r : r.rev))).toEqual([a.rev + 1, b.rev + 1, a.rev + 2, 'gone']);
    const stored = s.read(() => s.components.getVersioned('x1c0s0b0n0'))!;
    expect(stored).toMatchObject({ rev: a.rev + 2, component: { error: `first+second@${a.rev + 1}` } });
    expect(s.read(() => s.components.revisions(['x1c0s0b0n1']).get('x1c0s0b0n1'))).toBe(b.rev + 1);
    s.close();
  });

  it('a group\'s rows, events and stable states are written whole: events in order, last and previous stable states kept per node', async () => {
    const s = await open();
    const ids = ['x1c0s0b0n0', 'x1c0s0b0n1', 'x1c0s0b0n2'];
    s.write(() => { for (const id of ids) s.components.put(newComponent(id)); });
    const state = (k: string) => ({ boot_artifacts: { kernel: k, initrd: 'i', kernel_parameters: '' }, configuration: '' });
    const stableOn = (k: string) => (cur: Component) => ({ ...cur, desired_state: state(k) });
    const before = s.read(() => s.events.lastId());
    const group = (k: string) => commitNodeWrites(s, ids.map((id, i) => ({ id, fn: stableOn(k), stable: i !== 2, event: { action: `stable-${k}`, detail: { i } } })), '2026-01-01T00:00:00Z');
    await group('v1');
    await group('v2');
    // The same again: a node stable on its last state keeps its previous one.
    await group('v2');
    for (const id of ids.slice(0, 2)) {
      expect(s.read(() => s.components.lastStable(id))?.boot_artifacts?.kernel, id).toBe('v2');
      expect(s.read(() => s.components.previousStable(id))?.boot_artifacts?.kernel, id).toBe('v1');
    }
    expect(s.read(() => s.components.lastStable(ids[2]))).toEqual({});
    expect(s.read(() => s.components.revisions(ids))).toEqual(new Map(ids.map((id) => [id, 3])));
    const events = s.read(() => s.events.ofKind('component')).filter((e) => e.id > before);
    expect(events.map((e) => `${e.action}:${e.subject}:${e.detail.i}`)).toEqual(['v1', 'v2', 'v2'].flatMap((k) => ids.map((id, i) => `stable-${k}:${id}:${i}`)));
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set(['bosd']));
    s.close();
  });

  it('names resolve the same with the inventory read in bulk as name by name (case, nids, xnames, unknown, non-ASCII)', async () => {
    const s = await open();
    const node = (i: number, hostname: string, aliases: string[] = []) => ({ xname: `x1000c0s${i}b0n0`, nid: i + 1, hostname, aliases, role: 'Compute', subrole: null, groups: [], enabled: true, arch: null, bmc_address: null, redfish_system_id: null, credentials_ref: null });
    s.write(() => {
      s.inventory.put(node(0, 'nid000001', ['Login-A']), '2026-01-01T00:00:00Z');
      s.inventory.put(node(1, 'nid000002', ['ÉCOLE1']), '2026-01-01T00:00:00Z');
      s.inventory.put(node(2, 'gpu01'), '2026-01-01T00:00:00Z');
    });
    const args = ['NID000001,login-a,x1000c0s2b0n0,x1000c0s7b0n0,nid000002,nid[000003-000004],7,GPU01,école1,nobody'];
    const plain = { hasXname: (x: string) => s.inventory.hasXname(x), xnameByName: (n: string) => s.inventory.xnameByName(n), xnameByNid: (n: number) => s.inventory.xnameByNid(n) };
    const one = s.read(() => resolveNodeArgs(args, plain));
    const bulk = s.read(() => resolveNodeArgs(args, s.inventory));
    expect(bulk).toEqual(one);
    expect(bulk.xnames).toEqual(['x1000c0s0b0n0', 'x1000c0s2b0n0', 'x1000c0s1b0n0']);
    // école1 is unknown on SQLite (NOCASE folds ASCII only) and found on PostgreSQL: the same either way here.
    expect(bulk.unknown.filter((n) => n !== 'école1')).toEqual(['x1000c0s7b0n0', 'nid000004', '7', 'nobody']);
    s.close();
  });

  it('rolls a failed transaction back whole, a failed nested write alone', async () => {
    const s = await open();
    expect(() => s.write(() => {
      s.components.put(newComponent('x1c0s0b0n0'));
      throw new Error('boom');
    })).toThrow('boom');
    expect(s.read(() => s.components.get('x1c0s0b0n0'))).toBeUndefined();
    s.write(() => {
      s.components.put(newComponent('x1c0s0b0n1'));
      expect(() => s.write(() => { s.components.put(newComponent('x1c0s0b0n2')); throw new Error('inner'); })).toThrow('inner');
    });
    expect(s.read(() => s.components.list().map((c) => c.id))).toEqual(['x1c0s0b0n1']);
    const out = s.writeEach([() => s.components.put(newComponent('x1c0s0b0n3')), () => s.tokens.insert({ id: 'dup' } as never), () => 7]);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeInstanceOf(Error);
    expect(out[2]).toBe(7);
    expect(s.read(() => s.components.count())).toBe(2);
    s.close();
  });

  it('keeps events append-only', async () => {
    const s = await open();
    s.write(() => s.events.record('2026-01-01T00:00:00Z', 'component', 'x1', 'test', {}, actor));
    const db = (s as unknown as { db: Db }).db;
    expect(() => s.write(() => prepared(db, "UPDATE events SET action = 'x'").run())).toThrow(/append-only/);
    expect(() => s.write(() => prepared(db, 'DELETE FROM events').run())).toThrow(/append-only/);
    expect(s.read(() => s.events.history('component', 'x1'))).toHaveLength(1);
    s.close();
  });

  it('answers every table family as SQLite does', async () => {
    const s = await open();
    exercise(s);
    s.read(() => {
      expect(s.options.get()).toMatchObject({ max_boot_wait_time: 10, clear_stage: true, polling_frequency: 15 });
      expect(s.components.revisions(['x1000c0s1b0n0']).get('x1000c0s1b0n0')).toBe(1);
      expect(s.components.list({ ids: ['x1000c0s1b0n0', 'x1000c0s_b0n0', 'nope'] }).map((c) => c.id)).toEqual(['x1000c0s1b0n0', 'x1000c0s_b0n0']);
      expect(s.components.list({ startAfterId: 'x1000c0s0b0n0', limit: 1 }).map((c) => c.id)).toEqual(['x1000c0s1b0n0']);
      expect(s.components.actualStatesBefore('2026-02-01').map((c) => c.id)).toEqual(['x1000c0s0b0n0', 'x1000c0s1b0n0', 'x1000c0s_b0n0']);
      expect(s.components.actualStatesBefore('2025-01-01')).toEqual([]);
      expect(s.inventory.xnameByName('NODE-1')).toBe('x1000c0s1b0n0');
      expect(s.inventory.xnameByName('nid000002')).toBe('x1000c0s1b0n0');
      expect(s.inventory.xnameByNid(3)).toBe('x1000c0s2b0n0');
      expect(s.inventory.count()).toBe(3);
      expect(s.bssTokens.get('tok-1')).toEqual({ kernel: 'a2', initrd: 'b2', kernel_parameters: 'c2' });
      expect(s.templates.list().map((t) => t.tenant ?? '')).toEqual(['', 'blue']);
      expect(s.sessions.get('s1')?.tenant).toBeUndefined();
      expect(s.sessions.get('s1', 'blue')?.tenant).toBe('blue');
      expect(s.sessions.control('s1')).toEqual({ max_failures: '2', halted_at: null });
      expect(s.sessions.control('s1', 'blue')).toEqual({ max_failures: null, halted_at: null });
      expect(s.events.sessionHistory('s1').map((e) => e.action)).toEqual(['boot', 'create']);
      expect(s.events.changedComponentsSince(0, { user: 'x', via: 'y' })).toEqual({ ids: ['x1000c0s0b0n0'], lastId: 2 });
      expect(s.tenants.usage('blue')).toEqual({ templates: 1, sessions: 1, tokens: 0 });
    });
    s.close();
  });

  it('fails a nested write whose statement fails in it, and the outer write commits the rest', async () => {
    const s = await open();
    s.write(() => s.events.record('2026-01-01T00:00:00Z', 'component', 'x1', 'test', {}, actor));
    const db = (s as unknown as { db: Db }).db;
    s.write(() => {
      expect(() => s.write(() => { prepared(db, 'DELETE FROM events').run(); })).toThrow(/append-only/);
      s.components.put(newComponent('x1c0s0b0n0'));
    });
    expect(s.read(() => [s.components.count(), s.events.history('component', 'x1').length])).toEqual([1, 1]);
    expect(s.write(() => prepared(db, "UPDATE components SET error = 'e' WHERE id = ?").run('x1c0s0b0n0').changes)).toBe(1);
    s.close();
  });

  it('takes a consistent snapshot in read and sees its own writes', async () => {
    const s = await open();
    s.write(() => s.components.put(newComponent('x1c0s0b0n0')));
    expect(s.read(() => [s.components.count(), s.components.get('x1c0s0b0n0')?.id])).toEqual([1, 'x1c0s0b0n0']);
    s.close();
  });
});

describe.runIf(PG_RUNS)('both engines', () => {
  it('dump equal data equally (tables())', async () => {
    const dumps = [];
    for (const engine of ENGINES) {
      const s = Store.open(await freshDatabase(engine));
      exercise(s);
      dumps.push(s.tables());
      s.close();
    }
    expect(Object.keys(dumps[0]!).length).toBeGreaterThan(10);
    expect(dumps[1]).toEqual(dumps[0]);
  });
});
