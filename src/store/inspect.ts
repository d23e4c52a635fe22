import Database from 'better-sqlite3';
import type { InventoryNode } from '../core/types.js';
import { SCHEMA_VERSION } from './migrations.js';
import { InventoryStore } from './inventory.js';

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
