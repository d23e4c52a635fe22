import { openDatabase, storeError, type Db } from './db.js';
import { BssTokenStore } from './bss-tokens.js';
import { ComponentStore } from './components.js';
import { EventStore } from './events.js';
import { InventoryStore } from './inventory.js';
import { OptionStore } from './options.js';
import { SessionStore } from './sessions.js';
import { TemplateStore } from './templates.js';

/** The database and its tables; every command runs inside one `write` or `read`. */
export class Store {
  readonly bssTokens: BssTokenStore;
  readonly components: ComponentStore;
  readonly events: EventStore;
  readonly inventory: InventoryStore;
  readonly options: OptionStore;
  readonly sessions: SessionStore;
  readonly templates: TemplateStore;

  private constructor(readonly db: Db, readonly path: string) {
    this.bssTokens = new BssTokenStore(db);
    this.components = new ComponentStore(db);
    this.events = new EventStore(db);
    this.inventory = new InventoryStore(db);
    this.options = new OptionStore(db);
    this.sessions = new SessionStore(db);
    this.templates = new TemplateStore(db);
  }

  static open(path: string): Store {
    const db = openDatabase(path);
    try {
      return new Store(db, path);
    } catch (e) {
      db.close();
      throw storeError(e, path);
    }
  }

  /** One IMMEDIATE transaction: it takes the write lock first, so it never fails half way with SQLITE_BUSY. */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      throw storeError(e, this.path);
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

  close(): void {
    if (this.db.open) this.db.close();
  }
}
