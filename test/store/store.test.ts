import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { newComponent } from '../../src/core/component.js';

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
