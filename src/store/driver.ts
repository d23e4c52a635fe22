import { prepared, storeError, type Db, type SqliteDb } from './db.js';

/**
 * What differs between the engines below the Store: how a transaction, a savepoint and a read
 * snapshot are made, what "another connection committed" is, and how a table is dumped. The
 * Store (store.ts) holds every rule above that once, for both.
 */
export interface Driver {
  /** The connection the table families query through `prepared`. */
  readonly db: Db;
  readonly engine: 'sqlite' | 'postgres';
  inTransaction(): boolean;
  /** A write transaction that takes the write lock first. */
  writeTx<T>(fn: () => T): T;
  /** A savepoint of the current transaction: `fn`'s writes are undone alone when it throws. */
  savepoint<T>(fn: () => T): T;
  /** A read transaction: one consistent snapshot. */
  readTx<T>(fn: () => T): T;
  dataVersion(): number;
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void;
  /** The bosctl tables' names, sorted. */
  tableNames(): string[];
  /** A table's rows ordered by its primary key (as bytes), so that equal data dumps equally on both engines. */
  rows(table: string): unknown[];
  /** Empties the tables (in this order) inside the current write, append-only ones too: `bosctl db copy --force`. */
  clearTables(tables: string[]): void;
  /** After rows were loaded with their own ids: the next generated ids follow them. */
  afterLoad(): void;
  error(e: unknown, where: string): Error;
  close(): void;
}

export class SqliteDriver implements Driver {
  readonly engine = 'sqlite';
  constructor(readonly db: SqliteDb) {}

  inTransaction(): boolean { return this.db.inTransaction; }
  writeTx<T>(fn: () => T): T { return this.db.transaction(fn).immediate(); }
  savepoint<T>(fn: () => T): T { return this.db.transaction(fn)(); }
  readTx<T>(fn: () => T): T { return this.db.transaction(fn).deferred(); }
  // pragma() compiles its statement at every call; the daemon asks this at every node step.
  private dataVersionStmt: ReturnType<SqliteDb['prepare']> | undefined;
  dataVersion(): number { return (this.dataVersionStmt ??= this.db.prepare('PRAGMA data_version').pluck()).get() as number; }
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void { this.db.pragma(`wal_checkpoint(${mode})`); }

  tableNames(): string[] {
    return prepared<[], { name: string }>(this.db,
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
  }

  rows(table: string): unknown[] {
    const pk = (this.db.pragma(`table_info("${table}")`) as Array<{ name: string; pk: number }>)
      .filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => `"${c.name}" COLLATE BINARY`);
    return this.db.prepare(`SELECT * FROM "${table}" ORDER BY ${pk.length ? pk.join(', ') : 'rowid'}`).all();
  }

  clearTables(tables: string[]): void {
    // The append-only triggers are dropped and made again in the same transaction.
    const triggers = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(tables)) as Array<{ sql: string }>;
    const names = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(tables)) as Array<{ name: string }>;
    for (const t of names) this.db.exec(`DROP TRIGGER "${t.name}"`);
    for (const t of tables) this.db.exec(`DELETE FROM "${t}"`);
    for (const t of triggers) this.db.exec(t.sql);
  }

  afterLoad(): void {
    // AUTOINCREMENT's counter (sqlite_sequence) follows explicit ids by itself.
  }

  error(e: unknown, where: string): Error { return storeError(e, where); }
  close(): void { if (this.db.open) this.db.close(); }
}
