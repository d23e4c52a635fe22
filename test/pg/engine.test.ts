/**
 * What only the PostgreSQL engine has: other connections' commits as dataVersion (LISTEN/NOTIFY),
 * writers of several processes serialized by the advisory lock, its schema history, the password
 * rules, TLS, and its failures mapped to the BOS_DB_* kinds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import { loadConfig } from '../../src/daemon/config.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations.js';
import { WRITE_LOCK } from '../../src/store/pg/driver.js';
import { PG_MIGRATIONS } from '../../src/store/pg/migrations.js';
import { Store } from '../../src/store/store.js';
import { postgresBinDir, startPostgres, type PostgresServer } from '../../src/testbed/postgres.js';
import { waitFor } from '../../src/testbed/wait.js';
import { bosctl, ROOT, spawnNode } from '../cli/helpers.js';
import { pgServer, PG_RUNS } from '../store/engines.js';

const DIST_STORE = join(ROOT, 'dist', 'store', 'store.js');
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'bosctl-pg-test-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

it('has one PostgreSQL migration for each SQLite one', () => {
  expect(PG_MIGRATIONS).toHaveLength(MIGRATIONS.length);
});

describe.runIf(PG_RUNS)('the PostgreSQL engine', () => {
  let pg: PostgresServer;
  beforeAll(async () => { pg = await pgServer(); });
  const fresh = async () => pg.url(await pg.createDatabase());

  it('moves dataVersion when another connection commits, not on its own commits', async () => {
    const url = await fresh();
    const a = Store.open(url);
    const b = Store.open(url);
    try {
      const a0 = a.dataVersion();
      const b0 = b.dataVersion();
      a.write(() => a.components.put(newComponent('x1c0s0b0n0')));
      a.write(() => a.components.put(newComponent('x1c0s0b0n1')));
      for (let i = 0; i < 20; i++) b.write(() => b.components.put(newComponent(`x1c0s1b0n${i}`)));
      a.write(() => a.components.put(newComponent('x1c0s0b0n2')));
      // Notifications arrive in commit order: had b counted its own 20, it would pass 3 before a's last.
      await waitFor('b to see a\'s three commits', () => b.dataVersion() - b0 >= 3);
      expect(b.dataVersion() - b0).toBe(3);
      await waitFor('a to see b\'s commits', () => a.dataVersion() - a0 >= 20);
      expect(a.dataVersion() - a0).toBe(20);
      // A read-only transaction announces nothing.
      b.read(() => b.components.count());
      a.write(() => a.components.put(newComponent('x1c0s0b0n3')));
      await waitFor('b to see a\'s fourth commit', () => b.dataVersion() - b0 >= 4);
      expect(b.dataVersion() - b0).toBe(4);
      expect(b.read(() => b.components.count())).toBe(24);
    } finally {
      a.close();
      b.close();
    }
  });

  it('writes a transaction\'s queued statements in one message with every value intact, and a failing one rolls all back', async () => {
    const url = await fresh();
    const s = Store.open(url);
    try {
      const hostile = ["it's", 'back\\slash \\x00', '$1 $2 ?', "'); DROP TABLE events; --", 'line\nbreak', 'ünï €', '"quoted"', 'E\'x\'', ''];
      const actor = { user: "o'brien\\", via: '$1' };
      const before = s.read(() => s.events.lastId());
      s.write(() => {
        hostile.forEach((h, i) => s.events.record('2026-01-01T00:00:00.000Z', 'component', `x1c0s0b0n${i}`, 'note', { h, i, n: null }, actor));
      });
      const got = s.read(() => s.events.ofKind('component')).filter((e) => e.id > before);
      expect(got.map((e) => e.detail)).toEqual(hostile.map((h, i) => ({ h, i, n: null })));
      expect(new Set(got.map((e) => `${e.actor}|${e.via}`))).toEqual(new Set([`${actor.user}|${actor.via}`]));
      // The second insert breaks the primary key: neither row of the transaction stays.
      expect(() => s.write(() => {
        s.components.put(newComponent('x1c0s9b0n0'));
        s.events.record('2026-01-01T00:00:00.000Z', 'component', 'x1c0s9b0n0', 'note', {}, actor);
        s.tokens.insert({ id: 'dup00000', role: 'admin', node: null, tenant: null, hash: 'a', description: '', created_at: 'x', created_by: 'x', expires_at: null, revoked_at: null });
        s.tokens.insert({ id: 'dup00000', role: 'admin', node: null, tenant: null, hash: 'b', description: '', created_at: 'x', created_by: 'x', expires_at: null, revoked_at: null });
      })).toThrow();
      expect(s.read(() => s.components.get('x1c0s9b0n0'))).toBeUndefined();
      expect(s.read(() => s.tokens.get('dup00000'))).toBeUndefined();
      expect(s.read(() => s.events.lastId())).toBe(got[got.length - 1]!.id);
    } finally {
      s.close();
    }
  });

  it('serializes writers of two processes (read-modify-write loses nothing)', async () => {
    const url = await fresh();
    const s = Store.open(url);
    s.write(() => s.options.set({ max_boot_wait_time: 0 }));
    s.close();
    const script = `
      const { Store } = await import(${JSON.stringify(DIST_STORE)});
      const s = Store.open(process.argv[1]);
      for (let i = 0; i < 40; i++) s.write(() => {
        const n = s.options.get().max_boot_wait_time;
        s.options.set({ max_boot_wait_time: n + 1 });
      });
      s.close();`;
    const run = () => spawnNode(['--input-type=module', '-e', script, url], { env: process.env });
    const results = await Promise.all([run(), run()]);
    for (const r of results) expect(r.stderr).toBe('');
    const t = Store.open(url);
    expect(t.read(() => t.options.get().max_boot_wait_time)).toBe(80);
    t.close();
  });

  it('a writer that waits for the write lock longer than its busy wait gets BOS_DB_BUSY; writeAsync waits it out', async () => {
    const url = await fresh();
    const s = Store.open(url, { busyTimeoutMs: 50 });
    try {
      const db = url.split('/').pop()!;
      // Another client holds the write lock for a while (as a long write of another bosd would).
      const holder = pg.psql(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK}); SELECT pg_sleep(1.5); COMMIT;`, db);
      await waitFor('the lock to be held', async () => (await pg.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", db)).trim() === '1');
      expect(() => s.write(() => s.components.put(newComponent('x1c0s0b0n0')))).toThrow(expect.objectContaining({ code: 'BOS_DB_BUSY' }));
      expect(s.read(() => s.components.count())).toBe(0);
      await s.writeAsync(() => s.components.put(newComponent('x1c0s0b0n0')));
      expect(s.busyRetries).toBeGreaterThan(0);
      expect(s.read(() => s.components.count())).toBe(1);
      await holder;
    } finally {
      s.close();
    }
  });

  it('migrates a fresh database once when two processes open it at the same time', async () => {
    const url = await fresh();
    const script = `const { Store } = await import(${JSON.stringify(DIST_STORE)}); Store.open(process.argv[1]).close();`;
    const results = await Promise.all([0, 1, 2].map(() => spawnNode(['--input-type=module', '-e', script, url], { env: process.env })));
    for (const r of results) expect(r.stderr).toBe('');
    const db = url.split('/').pop()!;
    expect((await pg.psql('SELECT version FROM schema_version', db)).trim()).toBe(String(SCHEMA_VERSION));
  });

  it('refuses a database from a newer bosctl and changes nothing in it', async () => {
    const url = await fresh();
    Store.open(url).close();
    const db = url.split('/').pop()!;
    await pg.psql('UPDATE schema_version SET version = 999', db);
    const tablesBefore = await pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", db);
    expect(() => Store.open(url)).toThrow(expect.objectContaining({ code: 'BOS_DB_TOO_NEW' }));
    expect(await pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", db)).toBe(tablesBefore);
    expect((await pg.psql('SELECT version FROM schema_version', db)).trim()).toBe('999');
  });

  it('reads an empty database as missing without creating anything', async () => {
    const url = await fresh();
    expect(() => Store.open(url, { readonly: true })).toThrow(expect.objectContaining({ code: 'BOS_DB_MISSING' }));
    const r = await bosctl(['inventory', 'list'], { db: url });
    expect(r.code).toBe(3);
  });

  it('refuses a password in the URL, in one line that does not repeat it', async () => {
    const r = await bosctl(['inventory', 'list'], { db: `postgres://alice:Sekr3tPw@127.0.0.1:${pg.port}/x` });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('Sekr3tPw');
    expect(r.stderr).toMatch(/password.*--db-password-file/);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/password/);
    expect(() => Store.open(`postgres://alice@127.0.0.1:${pg.port}/x?password=Sekr3tPw`)).toThrow(expect.objectContaining({ code: 'BOS_USAGE' }));
  });

  it('logs in with a password file; a wrong password fails without showing it', async () => {
    const db = await pg.createDatabase();
    const role = `alice_${db}`;
    await pg.createRole(role, 'Right-Pw-1');
    await pg.psql(`GRANT ALL ON DATABASE "${db}" TO "${role}"; ALTER DATABASE "${db}" OWNER TO "${role}"`);
    const d = tmp();
    writeFileSync(join(d, 'right'), 'Right-Pw-1\n', { mode: 0o600 });
    writeFileSync(join(d, 'wrong'), 'Wrong-Pw-2\n', { mode: 0o600 });
    const url = `postgres://${role}@127.0.0.1:${pg.port}/${db}`;
    const s = Store.open(url, { passwordFile: join(d, 'right') });
    s.write(() => s.components.put(newComponent('x1c0s0b0n0')));
    expect(s.path).not.toContain('Right-Pw-1');
    s.close();
    let err: Error | undefined;
    try { Store.open(url, { passwordFile: join(d, 'wrong') }); } catch (e) { err = e as Error; }
    expect(err).toMatchObject({ code: 'BOS_DB_UNWRITABLE' });
    expect(err!.message).toMatch(/authentication failed/);
    expect(err!.message).not.toContain('Wrong-Pw-2');
    const cli = await bosctl(['-o', 'json', 'component', 'list'], { db: url, env: { BOSCTL_DB_PASSWORD_FILE: join(d, 'right') } });
    expect(cli.stderr).toBe('');
    expect(JSON.parse(cli.stdout).map((c: { id: string }) => c.id)).toEqual(['x1c0s0b0n0']);
    const bad = await bosctl(['component', 'list'], { db: url, env: { BOSCTL_DB_PASSWORD_FILE: join(d, 'wrong') } });
    expect(bad.code).toBe(1);
    expect(bad.stderr + bad.stdout).not.toContain('Wrong-Pw-2');
  });

  it('reports a lost connection in writeHealth and reconnects for the next write', async () => {
    const url = await fresh();
    const s = Store.open(url);
    try {
      s.write(() => s.components.put(newComponent('x1c0s0b0n0')));
      const db = url.split('/').pop()!;
      expect(() => s.write(() => {
        s.components.put(newComponent('x1c0s0b0n1'));
        execFileSync(join(postgresBinDir()!, 'psql'), ['-X', '-q', '-h', pg.socketDir, '-p', String(pg.port), '-U', pg.user, '-d', db, '-c',
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query NOT LIKE 'LISTEN%'"],
        { stdio: 'ignore' });
        s.components.put(newComponent('x1c0s0b0n2'));
      })).toThrow(expect.objectContaining({ code: 'BOS_DB_UNWRITABLE' }));
      expect(s.writeHealth.failing).toMatch(/lost the connection/);
      s.write(() => s.components.put(newComponent('x1c0s0b0n3')));
      expect(s.writeHealth.failing).toBeNull();
      expect(s.read(() => s.components.list().map((c) => c.id))).toEqual(['x1c0s0b0n0', 'x1c0s0b0n3']);
    } finally {
      s.close();
    }
  });

  it('bosctl doctor checks the PostgreSQL database without creating its tables', async () => {
    const url = await fresh();
    const checkOf = async (db: string) => {
      const r = await bosctl(['-o', 'json', 'doctor', '--config', join(tmp(), 'none.yaml'), '--bmc-sample', '0', '--timeout', '1s'], { db });
      return (JSON.parse(r.stdout) as { checks: Array<{ check: string; status: string; detail: string }> }).checks.find((c) => c.check === 'database')!;
    };
    expect(await checkOf(url)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/no bosctl tables yet/) });
    expect(await pg.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", url.split('/').pop()!)).toBe('0\n');
    const s = Store.open(url);
    s.close();
    expect(await checkOf(url)).toMatchObject({ status: 'pass', detail: expect.stringMatching(new RegExp(`PostgreSQL 1\\d.*schema ${SCHEMA_VERSION}, 0 nodes, no TLS`)) });
    expect(await checkOf('postgres://bosctl@127.0.0.1:1/x')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/cannot reach PostgreSQL/) });
  });

  it('calls a server nobody listens on unreachable', () => {
    expect(() => Store.open('postgres://bosctl@127.0.0.1:1/x')).toThrow(expect.objectContaining({ code: 'BOS_DB_UNWRITABLE', message: expect.stringMatching(/cannot reach PostgreSQL.*ECONNREFUSED/) }));
  });
});

describe.runIf(PG_RUNS)('PostgreSQL over TLS (sslmode=verify-full)', () => {
  let pg: PostgresServer;
  let dir = '';
  beforeAll(async () => {
    dir = tmp();
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    for (const ca of ['ca', 'other-ca']) run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=bosctl test ${ca}`);
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
    pg = await startPostgres({ tls: { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') } });
  });
  afterAll(async () => { await pg?.stop(); });

  it('connects when the server\'s certificate is from the given CA, and refuses one that is not', async () => {
    const db = await pg.createDatabase();
    const role = 'tls_user';
    await pg.createRole(role, 'Tls-Pw-3');
    await pg.psql(`ALTER DATABASE "${db}" OWNER TO ${role}`);
    writeFileSync(join(dir, 'pw'), 'Tls-Pw-3\n', { mode: 0o600 });
    const url = (ca: string) => `postgres://${role}@127.0.0.1:${pg.port}/${db}?sslmode=verify-full&sslrootcert=${join(dir, ca)}`;
    const s = Store.open(url('ca.pem'), { passwordFile: join(dir, 'pw') });
    s.write(() => s.components.put(newComponent('x1c0s0b0n0')));
    s.close();
    expect(() => Store.open(url('other-ca.pem'), { passwordFile: join(dir, 'pw') })).toThrow(expect.objectContaining({ code: 'BOS_DB_UNWRITABLE', message: expect.stringMatching(/TLS|certificate/) }));
    // The server lets this role in over TLS only (hostssl): so the first connection was TLS.
    expect(() => Store.open(`postgres://${role}@127.0.0.1:${pg.port}/${db}?sslmode=disable`, { passwordFile: join(dir, 'pw') })).toThrow(expect.objectContaining({ code: 'BOS_DB_UNWRITABLE' }));
  });
});

describe('bosd.yaml with a PostgreSQL database', () => {
  const load = async (yaml: string) => {
    const d = tmp();
    writeFileSync(join(d, 'bosd.yaml'), yaml);
    return loadConfig(join(d, 'bosd.yaml'), {}, '/nonexistent/bosd.db');
  };

  it('takes db: postgres://... and db_password_file', async () => {
    const c = await load('db: postgres://bosd@db.example:5432/bosd\ndb_password_file: /etc/bosd/db-password\nbss_url: http://bss\n');
    expect(c).toMatchObject({ db: 'postgres://bosd@db.example:5432/bosd', dbPasswordFile: '/etc/bosd/db-password' });
  });

  it('refuses a password in the URL without repeating it, and a password file for a SQLite file', async () => {
    const e = await load('db: postgres://bosd:Yaml-Pw-4@db.example/bosd\nbss_url: http://bss\n').catch((x: Error) => x);
    expect(e).toMatchObject({ exitCode: 2, message: expect.stringMatching(/must not carry a password/) });
    expect((e as Error).message).not.toContain('Yaml-Pw-4');
    await expect(load('db: /var/lib/bosd/bosd.db\ndb_password_file: /x\nbss_url: http://bss\n')).rejects.toThrow(/db_password_file is for a PostgreSQL database/);
  });
});
