import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { bosError, isBosError } from '../core/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type SqliteDb = Database.Database;

/** A PostgreSQL connection as the table families see it (src/store/pg/driver.ts). */
export interface PgDb {
  readonly dialect: 'postgres';
  statement(sql: string): unknown;
}

/** A connection of either engine: the table families query it through `prepared` only. */
export type Db = SqliteDb | PgDb;

export function isPg(db: Db): db is PgDb {
  return (db as PgDb).dialect === 'postgres';
}

/** A JSON value at `path` (e.g. ['boot_artifacts', 'kernel']) of a TEXT column, as text compared bytewise. */
export function jsonText(db: Db, column: string, path: string[]): string {
  return isPg(db) ? `(${column}::json #>> '{${path.join(',')}}') COLLATE "C"` : `json_extract(${column}, '$.${path.join('.')}')`;
}

/** A subquery of the integers in a JSON array given as the parameter `?`. */
export function jsonArrayIntegers(db: Db): string {
  return isPg(db) ? 'SELECT (json_array_elements_text(?::json))::bigint' : 'SELECT value FROM json_each(?)';
}

/** A subquery of the strings in a JSON array given as the parameter `?`. */
export function jsonArrayValues(db: Db, bytewise = true): string {
  // Not bytewise: compared in the other side's collation (a NOCASE column's).
  return isPg(db) ? `SELECT json_array_elements_text(?::json)${bytewise ? ' COLLATE "C"' : ''}` : 'SELECT value FROM json_each(?)';
}

const statementCache = new WeakMap<SqliteDb, Map<string, Database.Statement>>();

/** The statement for `sql`, prepared once per connection (preparing costs more than running). */
export function prepared<P extends unknown[] | {} = unknown[], R = unknown>(db: Db, sql: string): Database.Statement<P, R> {
  // Both engines' statements offer get/all/run with better-sqlite3's arguments and results.
  if (isPg(db)) return db.statement(sql) as Database.Statement<P, R>;
  let cache = statementCache.get(db);
  if (!cache) { cache = new Map(); statementCache.set(db, cache); }
  let stmt = cache.get(sql);
  if (!stmt) {
    // Queries built from filters vary (LIMIT n): a bound keeps the cache from growing forever.
    if (cache.size >= 256) cache.clear();
    stmt = db.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt as unknown as Database.Statement<P, R>;
}

/** How long a write may wait for another connection's lock in all (bosctl: in one blocking wait). */
export const BUSY_TIMEOUT_MS = 30_000;

/**
 * Opens (creating if needed) the bosctl database: WAL, busy timeout, foreign keys, and
 * migrations to this version. A database from a newer bosctl is refused before anything
 * is written to it — even the WAL switch would change its header.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): SqliteDb {
  if (opts.readonly && path !== ':memory:') return openReadOnly(path, opts);
  let db: SqliteDb | undefined;
  // The database holds token hashes and every node's state: files it creates (the database,
  // -wal, -shm) are never readable by others, whatever the caller's umask.
  const umask = isMainThread ? process.umask(0o007) : undefined;
  if (umask !== undefined) process.umask(umask | 0o007);
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw bosError('BOS_DB_TOO_NEW', `database ${path} has schema version ${version}, newer than this bosctl's ${SCHEMA_VERSION}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (version < SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (e) {
    db?.close();
    throw storeError(e, path);
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
}

export interface OpenOptions {
  /**
   * For commands that only read: never creates the file (a missing one is BOS_DB_MISSING),
   * never migrates or switches the journal, and works on a read-only filesystem.
   */
  readonly?: boolean;
  /**
   * SQLite's own busy wait, which blocks the thread (default BUSY_TIMEOUT_MS). bosd passes a
   * short one and retries asynchronously (Store.writeAsync), so its event loop never stalls.
   */
  busyTimeoutMs?: number;
  /** PostgreSQL: a file holding the password (else PGPASSFILE or ~/.pgpass, as libpq). */
  passwordFile?: string;
}

function openReadOnly(path: string, opts: OpenOptions): SqliteDb {
  let missing: string | undefined;
  try {
    statSync(path);
  } catch (e) {
    missing = (e as NodeJS.ErrnoException).code;
  }
  if (missing === 'ENOTDIR') throw bosError('BOS_DB_UNWRITABLE', `cannot open database ${path}: a parent of it is not a directory`);
  if (missing === 'ENOENT') {
    throw bosError('BOS_DB_MISSING', `no database at ${path}: nothing to read yet`);
  }
  let db: SqliteDb | undefined;
  try {
    try {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
      db.pragma('user_version', { simple: true });
    } catch (e) {
      db?.close();
      db = undefined;
      const code = (e as { code?: string }).code ?? '';
      // A WAL database needs its -shm file, which a read-only directory cannot get: read a
      // copy instead, which is whole when no -wal file is left (bosd checkpoints it at stop).
      if (!(code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY')) || existsSync(`${path}-wal`)) throw e;
      db = snapshot(path);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw bosError('BOS_DB_TOO_NEW', `database ${path} has schema version ${version}, newer than this bosctl's ${SCHEMA_VERSION}`);
    }
    if (version < SCHEMA_VERSION) {
      // Written by an older bosctl: upgrade it as any command would (this needs write access).
      db.close();
      db = undefined;
      return openDatabase(path, { ...opts, readonly: false });
    }
    return db;
  } catch (e) {
    db?.close();
    throw storeError(e, path);
  }
}

/** The database read into memory, its header set to rollback journal (a WAL header cannot be read from memory). */
function snapshot(path: string): SqliteDb {
  const bytes = readFileSync(path);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) { bytes[18] = 1; bytes[19] = 1; }
  return new Database(bytes, { readonly: true });
}

function migrate(db: SqliteDb, path: string): void {
  // IMMEDIATE: many processes may open a fresh database at once; one migrates, the others
  // wait on the lock and then find the work done.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw bosError('BOS_DB_TOO_NEW', `database ${path} has schema version ${current}, newer than this bosctl's ${SCHEMA_VERSION}`);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Maps SQLite's failures to our error kinds, naming the file. */
export function storeError(e: unknown, path: string): Error {
  if (isBosError(e)) return e;
  const code = (e as { code?: string }).code ?? '';
  const msg = (e as Error).message ?? String(e);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return bosError('BOS_DB_CORRUPT', `database ${path} is not a bosctl database or is damaged (${msg})`);
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')
    || code === 'EACCES' || code === 'ENOTDIR' || code === 'EROFS' || code === 'EPERM' || code === 'EEXIST') {
    return bosError('BOS_DB_UNWRITABLE', `cannot write database ${path}: ${code === 'ENOTDIR' ? 'a parent of it is not a directory' : msg}`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return bosError('BOS_DB_BUSY', `database ${path} stayed locked for ${BUSY_TIMEOUT_MS / 1000} s`);
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return bosError('BOS_DB_FULL', `cannot write database ${path}: the disk is full (${msg})`);
  }
  if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR')) {
    return bosError('BOS_DB_UNWRITABLE', `cannot write database ${path}: ${msg}`);
  }
  return e instanceof Error ? e : new Error(msg);
}
