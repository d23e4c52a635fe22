/**
 * Opening the database for commands that only read: never creates a file (a missing one is
 * "not found", exit 3), never writes, works on a read-only filesystem; and a full disk is
 * reported as such (BOS_DB_FULL), not as a permissions problem.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { isBosError } from '../../src/core/errors.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { openDatabase } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';

const dirs: string[] = [];
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bosctl-ro-'));
  dirs.push(d);
  return d;
}

async function bosctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = createTestIo();
  const code = await run(args, io, { NO_COLOR: '1', HOME: tmp() });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function seed(db: string): Promise<void> {
  const b = new LocalBackend(db, { user: 'test', via: 'test' });
  await b.importInventory([normalizeInventoryRecord({ xname: 'x1000c0s0b0n0', nid: 1, hostname: 'nid000001', role: 'Compute' }, 'n1')]);
  b.close();
}

/**
 * Makes `dir` read-only for this process: a read-only tmpfs mount where we may mount (root),
 * else mode 0555 (which binds everyone but root).
 */
function readOnlyDir(): { dir: string; how: string } {
  const dir = tmp();
  if (process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]).status === 0) {
    cleanups.push(() => { spawnSync('umount', ['-l', dir]); });
    return { dir, how: 'mount' };
  }
  return { dir, how: 'chmod' };
}

function lock(dir: string, how: string): void {
  if (how === 'mount') expect(spawnSync('mount', ['-o', 'remount,ro', dir]).status).toBe(0);
  else chmodSync(dir, 0o555);
}

describe('read-only commands', () => {
  it('on a database that does not exist: exit 3 naming it, and no file or directory is created', async () => {
    const d = tmp();
    const db = join(d, 'sub', 'bosd.db');
    for (const args of [['session', 'list'], ['component', 'list'], ['inventory', 'list'], ['options', 'list'], ['sessiontemplate', 'list']]) {
      const r = await bosctl(['--db', db, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`no database at ${db}`);
      expect(r.stderr).not.toContain('No sessions');
    }
    expect(existsSync(join(d, 'sub'))).toBe(false);
    expect(() => openDatabase(join(d, 'x.db'), { readonly: true })).toThrow(/no database at/);
    try { openDatabase(join(d, 'x.db'), { readonly: true }); } catch (e) { expect(isBosError(e) && e.code).toBe('BOS_DB_MISSING'); }
    expect(readdirSync(d)).toEqual([]);
  });

  it('never change the database file', async () => {
    const d = tmp();
    const db = join(d, 'bosd.db');
    await seed(db);
    const before = readFileSync(db);
    for (const args of [['inventory', 'list'], ['component', 'list'], ['session', 'list'], ['options', 'list'], ['token', 'list']]) {
      const r = await bosctl(['--db', db, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('work on a read-only filesystem; a write command there says it cannot write', async () => {
    const { dir, how } = readOnlyDir();
    const db = join(dir, 'bosd.db');
    await seed(db);
    lock(dir, how);
    const list = await bosctl(['--db', db, '-o', 'json', 'inventory', 'list']);
    expect(list.code, `${how}: ${list.stderr}`).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ xname: 'x1000c0s0b0n0' }]);
    expect((await bosctl(['--db', db, 'component', 'list'])).code).toBe(0);
    if (how === 'mount' || process.getuid?.() !== 0) {
      const write = await bosctl(['--db', db, 'options', 'update', 'max_boot_wait_time=600']);
      expect(write.code, write.stderr).toBe(1);
      expect(write.stderr).toMatch(/cannot write database/);
    }
  });
});

describe('a full disk', () => {
  it('is BOS_DB_FULL with a hint about free space (not permissions), and nothing is half written', async () => {
    const d = tmp();
    mkdirSync(join(d, 'db'));
    const path = join(d, 'db', 'bosd.db');
    await seed(path);
    const store = Store.open(path);
    try {
      // The store keeps its connection private: reach past it to cap the file at its size.
      const db = (store as unknown as { db: { pragma(sql: string, o?: object): unknown } }).db;
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      const before = store.tables().events!.length;
      let caught: unknown;
      try {
        store.write(() => { for (let i = 0; i < 2000; i++) store.events.record(new Date().toISOString(), 'test', `s${i}`, 'filled', { pad: 'x'.repeat(500) }, { user: 't', via: 't' }); });
      } catch (e) { caught = e; }
      expect(isBosError(caught) && caught.code, String(caught)).toBe('BOS_DB_FULL');
      expect((caught as Error).message).toMatch(/the disk is full/);
      expect(isBosError(caught) && caught.hint).toMatch(/free space/);
      expect(isBosError(caught) && caught.hint).not.toMatch(/permission/);
      expect(store.tables().events).toHaveLength(before);
    } finally {
      store.close();
    }
  });
});
