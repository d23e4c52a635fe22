import { bosError } from '../core/errors.js';
import { prepared } from './db.js';
import type { Driver } from './driver.js';
import { SCHEMA_VERSION } from './migrations.js';
import type { Store } from './store.js';

type Row = Record<string, unknown>;

/** Tables others reference: filled first, emptied last. */
const PARENTS = ['nodes'];
/** Rows per INSERT (well under both engines' parameter limits). */
const CHUNK = 200;

const ordered = (names: string[]) => [...PARENTS.filter((p) => names.includes(p)), ...names.filter((n) => !PARENTS.includes(n))];

/**
 * Writes `data` (Store.tables() of another database at this schema version) into the driver's
 * database, inside the caller's write transaction; `replace` empties every table first (the
 * append-only events too: this is the one place allowed to).
 */
export function loadRows(driver: Driver, data: Record<string, Row[]>, replace: boolean): void {
  const names = driver.tableNames();
  const order = ordered(names);
  const missing = Object.keys(data).filter((t) => !names.includes(t));
  if (missing.length > 0) throw bosError('BOS_CONFLICT', `the target has no table ${missing.join(', ')}: both databases must be at schema version ${SCHEMA_VERSION}`);
  if (replace) driver.clearTables([...order].reverse());
  for (const table of order) {
    const rows = data[table] ?? [];
    if (rows.length === 0) continue;
    const cols = Object.keys(rows[0]!);
    const one = `(${cols.map(() => '?').join(', ')})`;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      const sql = `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES ${part.map(() => one).join(', ')}`;
      prepared(driver.db, sql).run(...part.flatMap((r) => cols.map((c) => r[c] ?? null)));
    }
  }
  driver.afterLoad();
}

export interface CopyReport {
  from: string;
  to: string;
  schema_version: number;
  /** The target held rows and --force replaced them. */
  replaced: boolean;
  tables: Array<{ table: string; rows: number }>;
  rows: number;
}

/**
 * Copies every table of `from` into `to` in one transaction on `to`. A target with rows is
 * refused (BOS_CONFLICT) unless `force`, which replaces them; the source is only read.
 */
export function copyStore(from: Store, to: Store, force: boolean): CopyReport {
  const data = from.tables();
  const target = to.tables();
  const sourceNames = Object.keys(data).sort();
  const targetNames = Object.keys(target).sort();
  if (sourceNames.join() !== targetNames.join()) {
    throw bosError('BOS_CONFLICT', `the databases' tables differ (${sourceNames.join(', ')} vs ${targetNames.join(', ')}): run both at the same bosctl version`);
  }
  const held = Object.entries(target).filter(([, rows]) => rows.length > 0);
  if (held.length > 0 && !force) {
    throw bosError('BOS_CONFLICT', `${to.path} is not empty (${held.map(([t, r]) => `${t}: ${r.length}`).join(', ')}): pass --force to replace its rows, or copy to an empty database`);
  }
  to.loadTables(data as Record<string, Row[]>, held.length > 0);
  const tables = sourceNames.map((t) => ({ table: t, rows: data[t]!.length }));
  return { from: from.path, to: to.path, schema_version: SCHEMA_VERSION, replaced: held.length > 0, tables, rows: tables.reduce((n, t) => n + t.rows, 0) };
}
