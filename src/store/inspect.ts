import Database from 'better-sqlite3';
import type { InventoryNode } from '../core/types.js';
import { SCHEMA_VERSION } from './migrations.js';
import { InventoryStore } from './inventory.js';
import { PgDriver } from './pg/driver.js';

/** What a database file says about itself, for `bosctl doctor`. */
export interface DatabaseFacts {
  schemaVersion: number;
  /** SQLite's quick_check findings ("ok" left out); only for a schema this bosctl knows. */
  damage?: string[];
  /** e.g. "wal"; only for a schema this bosctl knows. */
  journalMode?: string;
  /** The inventory, when the schema is this bosctl's own. */
  inventory?: InventoryNode[];
}

export { SCHEMA_VERSION };

/** What a PostgreSQL database says about itself, for `bosctl doctor`. */
export interface PostgresFacts {
  /** The URL without a password. */
  where: string;
  /** 0 when it has no bosctl tables yet. */
  schemaVersion: number;
  server: string;
  tls: boolean;
  inventory?: InventoryNode[];
}

/**
 * Connects and reads the schema version, the server's version, whether the connection is TLS
 * and, at this bosctl's schema, the inventory: never creates, migrates or writes anything.
 * Throws the mapped BOS_DB_* error when it cannot connect.
 */
export function inspectPostgres(url: string, passwordFile?: string): PostgresFacts {
  const { driver, display } = PgDriver.connect(url, passwordFile ? { passwordFile } : {});
  try {
    const schemaVersion = driver.version() ?? 0;
    const facts = driver.readTx(() => {
      const r = driver.db.query("SELECT current_setting('server_version') AS v, coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS tls", []).rows[0]!;
      const inventory = schemaVersion === SCHEMA_VERSION ? new InventoryStore(driver.db).list() : undefined;
      return { server: String(r.v), tls: r.tls === true, ...(inventory ? { inventory } : {}) };
    });
    return { where: display, schemaVersion, ...facts };
  } finally {
    driver.close();
  }
}

/**
 * Opens the database read-only (never creating, migrating or writing it) and reads its
 * schema version, its damage, its journal mode and, at this bosctl's schema, the inventory.
 * Throws SQLite's own error when the file cannot be opened or is not a database.
 */
export function inspectDatabase(path: string): DatabaseFacts {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    if (schemaVersion === 0 || schemaVersion > SCHEMA_VERSION) return { schemaVersion };
    const damage = (db.pragma('quick_check', { simple: false }) as Array<Record<string, string>>).map((r) => Object.values(r)[0]).filter((v) => v !== 'ok');
    if (damage.length > 0) return { schemaVersion, damage };
    const inventory = schemaVersion === SCHEMA_VERSION ? new InventoryStore(db).list() : undefined;
    return { schemaVersion, damage, journalMode: String(db.pragma('journal_mode', { simple: true })), ...(inventory ? { inventory } : {}) };
  } finally {
    db.close();
  }
}
