import { BUSY_TIMEOUT_MS, openDatabase, storeError, type Db, type OpenOptions } from './db.js';
import { SqliteDriver, type Driver } from './driver.js';
import { PgDriver } from './pg/driver.js';
import { isPostgresUrl } from './pg/url.js';
import { loadRows } from './copy.js';
import { BssTokenStore } from './bss-tokens.js';
import { ComponentStore } from './components.js';
import { EventStore } from './events.js';
import { InventoryStore } from './inventory.js';
import { OptionStore } from './options.js';
import { SessionStore } from './sessions.js';
import { TemplateStore } from './templates.js';
import { TenantStore } from './tenants.js';
import { TokenStore } from './tokens.js';
import { LeaseStore } from './leases.js';
import { WriteHealth } from './write-health.js';
import type { StoreEngine } from './engine.js';

/**
 * The store on either engine (a SQLite file, or a PostgreSQL database by postgres:// URL): the
 * database and its tables; every command runs inside one `write` or `read`. The rules of
 * transactions live here once; what differs per engine is a Driver (driver.ts, pg/driver.ts).
 * The connection stays private: every query lives in this directory.
 */
export class Store implements StoreEngine {
  readonly bssTokens: BssTokenStore;
  readonly components: ComponentStore;
  readonly events: EventStore;
  readonly inventory: InventoryStore;
  readonly options: OptionStore;
  readonly sessions: SessionStore;
  readonly templates: TemplateStore;
  readonly tenants: TenantStore;
  readonly tokens: TokenStore;
  readonly leases: LeaseStore;
  readonly writeHealth = new WriteHealth();
  /** Times a write yielded because another connection held the lock (for tests and logs). */
  busyRetries = 0;
  /** Write transactions committed on this connection. */
  commits = 0;

  /** The connection (a better-sqlite3 Database on SQLite; tests read SQLite's settings through it). */
  private readonly db: Db;

  private constructor(private readonly driver: Driver, readonly path: string) {
    const db = this.db = driver.db;
    this.bssTokens = new BssTokenStore(db);
    this.components = new ComponentStore(db);
    this.events = new EventStore(db);
    this.inventory = new InventoryStore(db);
    this.options = new OptionStore(db);
    this.sessions = new SessionStore(db);
    this.templates = new TemplateStore(db);
    this.tenants = new TenantStore(db);
    this.tokens = new TokenStore(db);
    this.leases = new LeaseStore(db);
  }

  /** `path`: a SQLite file, or postgres://USER@HOST:PORT/DB (then `path` is that URL without a password). */
  static open(path: string, opts: OpenOptions = {}): Store {
    if (isPostgresUrl(path)) {
      const { driver, display } = PgDriver.open(path, opts);
      try {
        return new Store(driver, display);
      } catch (e) {
        driver.close();
        throw driver.error(e, display);
      }
    }
    const db = openDatabase(path, opts);
    try {
      return new Store(new SqliteDriver(db), path);
    } catch (e) {
      db.close();
      throw storeError(e, path);
    }
  }

  /** Which engine holds the data. */
  get engine(): 'sqlite' | 'postgres' {
    return this.driver.engine;
  }

  /**
   * One IMMEDIATE transaction: it takes the write lock first, so it never fails half way with
   * SQLITE_BUSY. Inside another write (an item of `writeEach`) it is a savepoint of that one.
   */
  write<T>(fn: () => T): T {
    const nested = this.driver.inTransaction();
    let result: T;
    try {
      result = this.driver.writeTx(fn);
    } catch (e) {
      const err = this.driver.error(e, this.path);
      this.writeHealth.failed(err);
      throw err;
    }
    if (nested) return result;
    this.commits++;
    this.writeHealth.succeeded();
    return result;
  }

  /**
   * Many callers' writes in one transaction, each in its own savepoint: an item that throws is
   * rolled back alone and its error is its result; the others commit together.
   */
  writeEach<T>(items: ReadonlyArray<() => T>): Array<T | Error> {
    return this.write(() => items.map((fn) => {
      try {
        return this.driver.savepoint(fn);
      } catch (e) {
        // Some failures (a full disk, a lost connection) end the whole transaction: then no item stands.
        if (!this.driver.inTransaction()) throw e;
        return this.driver.error(e, this.path);
      }
    }));
  }

  /**
   * `write`, retried without blocking while another connection holds the lock (up to
   * BUSY_TIMEOUT_MS in all). Safe to repeat: an IMMEDIATE transaction that cannot take the lock
   * fails before `fn` runs.
   */
  writeAsync<T>(fn: () => T): Promise<T> {
    return this.retryBusy(() => this.write(fn));
  }

  /**
   * Runs `work` (a request handler: reads and writes through this store) and, when it failed
   * only because another connection held the lock before it committed anything, runs it again
   * after a pause that does not block the thread, for up to BUSY_TIMEOUT_MS in all.
   */
  async retryBusy<T>(work: () => T | Promise<T>): Promise<T> {
    const started = performance.now();
    let delay = 5;
    for (;;) {
      const commitsBefore = this.commits;
      try {
        return await work();
      } catch (e) {
        if (!isBusy(e) || this.commits !== commitsBefore || performance.now() - started + delay > BUSY_TIMEOUT_MS) throw e;
        this.busyRetries++;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 250);
      }
    }
  }

  /** One read transaction: a consistent snapshot. */
  read<T>(fn: () => T): T {
    try {
      return this.driver.readTx(fn);
    } catch (e) {
      throw this.driver.error(e, this.path);
    }
  }

  /** Changes whenever another connection commits: the daemon's cheap wake-up check. */
  dataVersion(): number {
    return this.driver.dataVersion();
  }

  /**
   * Changes whenever anything is committed, by this connection or another: a value read in a
   * transaction stays current while this stays the same.
   */
  changeStamp(): string {
    return `${this.dataVersion()}:${this.commits}`;
  }

  /** Copies the WAL into the database file (TRUNCATE also empties the WAL). */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE' = 'PASSIVE'): void {
    this.driver.checkpoint(mode);
  }

  /**
   * Every table's rows in primary-key order (as bytes), by table name: whole-state comparisons
   * in tests and tools, equal on both engines for equal data.
   */
  tables(): Record<string, unknown[]> {
    return this.read(() => Object.fromEntries(this.driver.tableNames().map((t) => [t, this.driver.rows(t)])));
  }

  /** Writes another database's tables() into this one in one transaction (`bosctl db copy`, see copy.ts). */
  loadTables(data: Record<string, Array<Record<string, unknown>>>, replace: boolean): void {
    this.write(() => loadRows(this.driver, data, replace));
  }

  close(): void {
    this.driver.close();
  }
}

export function isBusy(e: unknown): boolean {
  return (e as { code?: string }).code === 'BOS_DB_BUSY';
}
