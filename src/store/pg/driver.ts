import { bosError, isBosError } from '../../core/errors.js';
import type { Driver } from '../driver.js';
import type { PgDb } from '../db.js';
import { BUSY_TIMEOUT_MS, type OpenOptions } from '../db.js';
import { SCHEMA_VERSION } from '../migrations.js';
import { SyncPg } from './client.js';
import { pgError } from './errors.js';
import { PG_MIGRATIONS } from './migrations.js';
import type { Reply, Stmt } from './protocol.js';
import { bindValues, convertPlaceholders } from './sql.js';
import { parsePostgresUrl } from './url.js';

/** The advisory lock every bosctl writer on a database takes first: writers are serialized as SQLite's are. */
export const WRITE_LOCK = 0x626f7331; // "bos1"
/** Held while migrating, so that concurrent first opens migrate once. */
const MIGRATE_LOCK = 0x626f7332;
/** The NOTIFY channel of commits; other connections count them as dataVersion. */
export const CHANNEL = 'bosctl_commits';

type Row = Record<string, unknown>;

/** A prepared statement with better-sqlite3's surface: get, all, run. */
class PgStatement {
  private readonly conv;
  constructor(private readonly conn: PgConnection, sql: string) {
    this.conv = convertPlaceholders(sql);
  }
  get(...args: unknown[]): Row | undefined { return this.conn.query(this.conv.text, bindValues(this.conv, args)).rows[0]; }
  all(...args: unknown[]): Row[] { return this.conn.query(this.conv.text, bindValues(this.conv, args)).rows; }
  /**
   * In a transaction the statement waits for the next round trip (its count is read lazily:
   * asking for `changes` sends it at once); a failure then fails the transaction as it would
   * have. Outside one it runs now.
   */
  run(...args: unknown[]): { changes: number } {
    const values = bindValues(this.conv, args);
    if (this.conn.depth === 0) return { changes: this.conn.query(this.conv.text, values).rowCount };
    const slot = this.conn.defer(this.conv.text, values);
    const conn = this.conn;
    return { get changes() { if (slot.n === undefined) conn.flush(); return slot.n ?? 0; } };
  }
}

interface Pending extends Stmt {
  /** Receives the row count of a deferred run(). */
  slot?: { n?: number };
}

/**
 * The connection the table families see, and the transaction state: statements that need no
 * answer (BEGIN's lock, SAVEPOINT, RELEASE) wait in `pending` and go with the next round trip.
 */
export class PgConnection implements PgDb {
  readonly dialect = 'postgres';
  private readonly statements = new Map<string, PgStatement>();
  private pending: Pending[] = [];
  /** 0: no transaction; 1: a transaction; n > 1: n - 1 savepoints in it. */
  depth = 0;
  /** The transaction's connection was lost: nothing more may run in it. */
  broken = false;

  constructor(readonly pg: SyncPg, readonly where: string) {}

  statement(sql: string): PgStatement {
    let s = this.statements.get(sql);
    if (!s) {
      if (this.statements.size >= 512) this.statements.clear();
      s = new PgStatement(this, sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  query(text: string, values: unknown[]): { rows: Row[]; rowCount: number } {
    return this.send([{ text, values }])[0]!;
  }

  /** Queues a statement whose result nobody needs; it runs before the next one. */
  later(text: string): void {
    this.pending.push({ text, values: [] });
  }

  /** Queues a statement whose row count may be asked for later (see PgStatement.run). */
  defer(text: string, values: unknown[]): { n?: number } {
    const slot: { n?: number } = {};
    this.pending.push({ text, values, slot });
    return slot;
  }

  /** Ends a savepoint: nothing at all when nothing ran in it; at once when a queued statement may fail. */
  release(name: string): void {
    const last = this.pending[this.pending.length - 1];
    if (last?.text === `SAVEPOINT ${name}`) { this.pending.pop(); return; }
    if (this.pending.some((p) => p.slot)) this.send([{ text: `RELEASE SAVEPOINT ${name}`, values: [] }]);
    else this.later(`RELEASE SAVEPOINT ${name}`);
  }

  /**
   * After a failure in savepoint `name`: drops what of it was never sent. True when the
   * savepoint itself was never sent (nothing to roll back on the server).
   */
  dropUnsent(name: string): boolean {
    const i = this.pending.findIndex((p) => p.text === `SAVEPOINT ${name}`);
    if (i >= 0) { this.pending = this.pending.slice(0, i); return true; }
    this.pending = [];
    return false;
  }

  /** Sends what is queued now. */
  flush(): void {
    if (this.pending.length > 0) this.send([]);
  }

  /** Runs the pending statements and `stmts` in one round trip; throws the first failure, mapped. */
  send(stmts: Stmt[]): Array<{ rows: Row[]; rowCount: number }> {
    if (this.broken) throw pgError({ message: 'the connection to PostgreSQL was lost during this transaction', lost: true }, this.where);
    const queued = this.pending;
    const all: Stmt[] = queued.length ? [...queued.map((p) => ({ text: p.text, values: p.values })), ...stmts] : stmts;
    this.pending = [];
    const reply: Reply = this.pg.exec(all, this.depth > 0 && !all[0]!.text.startsWith('BEGIN'));
    if (!reply.ok) {
      if (reply.error.lost && this.depth > 0) this.broken = true;
      throw pgError(reply.error, this.where);
    }
    for (let i = 0; i < queued.length; i++) if (queued[i]!.slot) queued[i]!.slot!.n = reply.results[i]!.rowCount;
    return reply.results.slice(queued.length);
  }

  /** Ends the transaction (COMMIT or ROLLBACK); a lost connection's is gone already. */
  end(text: 'COMMIT' | 'ROLLBACK', before: Stmt[] = [], prefix?: string): void {
    try {
      if (this.broken) {
        if (text === 'COMMIT') throw pgError({ message: 'the connection to PostgreSQL was lost during this transaction; nothing of it was written', lost: true }, this.where);
        return;
      }
      // A rollback need not run what is queued (unless the transaction never began on the server).
      if (text === 'ROLLBACK') this.pending = this.pending.filter((p) => p.text.startsWith('BEGIN'));
      // A read that ran no statement never began on the server.
      const untouched = before.length === 0 && !prefix && this.pending.length === 1 && this.pending[0]!.text.startsWith('BEGIN');
      if (untouched) return;
      try {
        this.send([...before, { text: prefix ? `${prefix}; ${text}` : text, values: [] }]);
      } catch (e) {
        // A queued statement failed before COMMIT ran: the server's transaction is still open (aborted).
        if (text === 'COMMIT' && !this.broken) {
          this.pending = [];
          try { this.send([{ text: 'ROLLBACK', values: [] }]); } catch { /* lost: nothing left to end */ }
        }
        throw e;
      }
    } finally {
      this.depth = 0;
      this.broken = false;
      this.pending = [];
    }
  }
}

export class PgDriver implements Driver {
  readonly engine = 'postgres';
  /** In a read transaction (READ ONLY on the server). */
  private readOnly = false;
  private constructor(readonly db: PgConnection) {}

  /** Connects (in a worker thread), checks the schema version, and migrates a fresh or older database. */
  static open(url: string, opts: OpenOptions = {}): { driver: PgDriver; display: string } {
    const { driver, display } = PgDriver.connect(url, opts);
    try {
      driver.migrate(opts.readonly === true);
      return { driver, display };
    } catch (e) {
      driver.close();
      throw e;
    }
  }

  /** Connects without migrating or checking the schema (bosctl doctor looks before it touches). */
  static connect(url: string, opts: OpenOptions = {}): { driver: PgDriver; display: string } {
    const { config, display } = parsePostgresUrl(url, opts.passwordFile);
    const lockWait = opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    const pg = new SyncPg(config, CHANNEL, lockWait, lockWait + 60_000);
    return { driver: new PgDriver(new PgConnection(pg, display)), display };
  }

  /** The schema version, or undefined when the database has no bosctl tables. */
  version(): number | undefined {
    const [exists] = this.db.send([{ text: "SELECT to_regclass('schema_version') IS NOT NULL AS e", values: [] }]);
    if (!exists!.rows[0]!.e) return undefined;
    const [r] = this.db.send([{ text: 'SELECT version FROM schema_version', values: [] }]);
    return (r!.rows[0]?.version as number | undefined) ?? 0;
  }

  private tooNew(v: number): Error {
    return bosError('BOS_DB_TOO_NEW', `database ${this.db.where} has schema version ${v}, newer than this bosctl's ${SCHEMA_VERSION}`);
  }

  private migrate(readonly: boolean): void {
    const v = this.version();
    if (v !== undefined && v > SCHEMA_VERSION) throw this.tooNew(v);
    if (v === SCHEMA_VERSION) return;
    if (readonly && v === undefined) throw bosError('BOS_DB_MISSING', `database ${this.db.where} has no bosctl tables yet: nothing to read`);
    // One transaction under a lock: concurrent first opens migrate once, the others find it done.
    this.db.depth = 1;
    try {
      this.db.send([{ text: 'BEGIN', values: [] }, { text: `SELECT pg_advisory_xact_lock(${MIGRATE_LOCK})`, values: [] },
        { text: 'CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)', values: [] }]);
      const [r] = this.db.send([{ text: 'SELECT version FROM schema_version', values: [] }]);
      let current = r!.rows[0]?.version as number | undefined;
      if (current === undefined) {
        this.db.send([{ text: 'INSERT INTO schema_version (version) VALUES (0)', values: [] }]);
        current = 0;
      }
      if (current > SCHEMA_VERSION) throw this.tooNew(current);
      for (let n = current; n < SCHEMA_VERSION; n++) this.db.send([{ text: PG_MIGRATIONS[n]!, values: [] }]);
      this.db.end('COMMIT', [{ text: `UPDATE schema_version SET version = ${SCHEMA_VERSION}`, values: [] }]);
    } catch (e) {
      this.db.end('ROLLBACK');
      throw e;
    }
  }

  inTransaction(): boolean {
    return this.db.depth > 0 && !this.db.broken;
  }

  writeTx<T>(fn: () => T): T {
    if (this.db.depth > 0) {
      // SQLite would take the write lock half way through a read; a READ ONLY snapshot cannot.
      if (this.readOnly) throw new Error('a write inside a read transaction: start the write first (store.write), then read inside it');
      return this.savepoint(fn);
    }
    this.db.depth = 1;
    // Sent with the transaction's first statement (one message): the lock is taken before it.
    this.db.later('BEGIN');
    this.db.later(`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.db.end('ROLLBACK');
      throw e;
    }
    // Delivered at commit: other connections' dataVersion moves.
    this.db.end('COMMIT', [], `NOTIFY ${CHANNEL}`);
    return result;
  }

  savepoint<T>(fn: () => T): T {
    if (this.db.depth === 0) return this.writeTx(fn);
    const name = `sp${this.db.depth}`;
    this.db.later(`SAVEPOINT ${name}`);
    this.db.depth++;
    try {
      const result = fn();
      // A failure of a queued statement must be this savepoint's: send them now.
      this.db.release(name);
      return result;
    } catch (e) {
      if (!this.db.broken && !this.db.dropUnsent(name)) {
        try {
          this.db.send([{ text: `ROLLBACK TO SAVEPOINT ${name}`, values: [] }, { text: `RELEASE SAVEPOINT ${name}`, values: [] }]);
        } catch {
          // the transaction is lost; the outer level reports it
        }
      }
      throw e;
    } finally {
      this.db.depth--;
    }
  }

  readTx<T>(fn: () => T): T {
    if (this.db.depth > 0) return this.savepoint(fn);
    this.db.depth = 1;
    this.readOnly = true;
    this.db.later('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.readOnly = false;
      this.db.end('ROLLBACK');
      throw e;
    }
    this.readOnly = false;
    this.db.end('COMMIT');
    return result;
  }

  dataVersion(): number {
    return this.db.pg.notified();
  }

  checkpoint(): void {
    // The server makes commits durable itself.
  }

  tableNames(): string[] {
    return this.db.query(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_version'
      ORDER BY tablename COLLATE "C"`, []).rows.map((r) => r.name as string);
  }

  rows(table: string): unknown[] {
    const pk = this.db.query(`SELECT a.attname AS name, t.typcategory AS cat FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) JOIN pg_type t ON t.oid = a.atttypid
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`, [table]).rows
      .map((r) => `"${r.name as string}"${r.cat === 'S' ? ' COLLATE "C"' : ''}`);
    return this.db.query(`SELECT * FROM "${table}"${pk.length ? ` ORDER BY ${pk.join(', ')}` : ''}`, []).rows;
  }

  clearTables(tables: string[]): void {
    const list = tables.map((t) => `"${t}"`).join(', ');
    // TRUNCATE in one statement (its foreign keys among the listed tables allow it); the
    // append-only trigger is off for it alone, inside this transaction.
    this.db.send([
      { text: 'ALTER TABLE events DISABLE TRIGGER events_append_only_truncate', values: [] },
      { text: `TRUNCATE ${list}`, values: [] },
      { text: 'ALTER TABLE events ENABLE TRIGGER events_append_only_truncate', values: [] },
    ]);
  }

  afterLoad(): void {
    this.db.query("SELECT setval(pg_get_serial_sequence('events', 'id'), coalesce((SELECT max(id) FROM events), 0) + 1, false)", []);
  }

  error(e: unknown, _where: string): Error {
    if (isBosError(e)) return e;
    return e instanceof Error ? e : new Error(String(e));
  }

  close(): void {
    this.db.pg.close();
  }
}
