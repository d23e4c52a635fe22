import { BUSY_TIMEOUT_MS, openDatabase, prepared, storeError, type Db, type OpenOptions } from './db.js';
import { BssTokenStore } from './bss-tokens.js';
import { ComponentStore } from './components.js';
import { EventStore } from './events.js';
import { InventoryStore } from './inventory.js';
import { OptionStore } from './options.js';
import { SessionStore } from './sessions.js';
import { TemplateStore } from './templates.js';
import { TenantStore } from './tenants.js';
import { TokenStore } from './tokens.js';
import { WriteHealth } from './write-health.js';
import type { StoreEngine } from './engine.js';

/**
 * The SQLite engine: the database and its tables; every command runs inside one `write` or
 * `read`. The connection stays private: every query lives in this directory.
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
  readonly writeHealth = new WriteHealth();
  /** Times a write yielded because another connection held the lock (for tests and logs). */
  busyRetries = 0;
  /** Write transactions committed on this connection. */
  commits = 0;

  private constructor(private readonly db: Db, readonly path: string) {
    this.bssTokens = new BssTokenStore(db);
    this.components = new ComponentStore(db);
    this.events = new EventStore(db);
    this.inventory = new InventoryStore(db);
    this.options = new OptionStore(db);
    this.sessions = new SessionStore(db);
    this.templates = new TemplateStore(db);
    this.tenants = new TenantStore(db);
    this.tokens = new TokenStore(db);
  }

  static open(path: string, opts: OpenOptions = {}): Store {
    const db = openDatabase(path, opts);
    try {
      return new Store(db, path);
    } catch (e) {
      db.close();
      throw storeError(e, path);
    }
  }

  /**
   * One IMMEDIATE transaction: it takes the write lock first, so it never fails half way with
   * SQLITE_BUSY. Inside another write (an item of `writeEach`) it is a savepoint of that one.
   */
  write<T>(fn: () => T): T {
    const nested = this.db.inTransaction;
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (e) {
      const err = storeError(e, this.path);
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
        return this.db.transaction(fn)();
      } catch (e) {
        // Some failures (a full disk) end SQLite's whole transaction: then no item stands.
        if (!this.db.inTransaction) throw e;
        return storeError(e, this.path);
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
      return this.db.transaction(fn).deferred();
    } catch (e) {
      throw storeError(e, this.path);
    }
  }

  /** Changes whenever another connection commits: the daemon's cheap wake-up check. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Copies the WAL into the database file (TRUNCATE also empties the WAL). */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE' = 'PASSIVE'): void {
    this.db.pragma(`wal_checkpoint(${mode})`);
  }

  /** Every table's rows in insertion order, by table name: whole-state comparisons in tests and tools. */
  tables(): Record<string, unknown[]> {
    return this.read(() => {
      const names = prepared<[], { name: string }>(this.db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
      return Object.fromEntries(names.map((t) => [t, this.db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function isBusy(e: unknown): boolean {
  return (e as { code?: string }).code === 'BOS_DB_BUSY';
}
