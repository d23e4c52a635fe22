/**
 * The database check: the file opens (read-only: doctor never creates, migrates or writes
 * it), its schema is this bosctl's, SQLite's quick_check finds no damage, it is in WAL mode,
 * and others cannot read it (it holds node boot tokens and every event).
 */
import { statSync } from 'node:fs';
import type { InventoryNode } from '../core/types.js';
import { inspectDatabase, SCHEMA_VERSION, type DatabaseFacts } from '../store/inspect.js';
import { messageOf, type CheckResult } from './types.js';

export interface DatabaseReport {
  result: CheckResult;
  /** The inventory, when the database could be read. */
  inventory?: InventoryNode[];
}

const CHECK = 'database';

export function checkDatabase(path: string): DatabaseReport {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      result: code === 'ENOENT'
        ? { check: CHECK, status: 'fail', detail: `no database at ${path}`, fix: 'give --db PATH (or db: in bosd.yaml), or create it with bosctl inventory import FILE' }
        : { check: CHECK, status: 'fail', detail: `cannot read ${path}: ${code ?? messageOf(e)}`, fix: 'run doctor as bosd\'s user or root' },
    };
  }
  let facts: DatabaseFacts;
  try {
    facts = inspectDatabase(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    const damaged = code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
    return {
      result: {
        check: CHECK, status: 'fail',
        detail: damaged ? `${path} is not a bosctl database or is damaged (${messageOf(e)})` : `cannot open ${path}: ${messageOf(e)}`,
        fix: damaged ? 'restore it from a backup (stop bosd first)' : 'run doctor as bosd\'s user or root, or check the file',
      },
    };
  }
  return judge(facts, path, mode);
}

function judge(facts: DatabaseFacts, path: string, mode: number): DatabaseReport {
  const version = facts.schemaVersion;
  if (version > SCHEMA_VERSION) {
    return { result: { check: CHECK, status: 'fail', detail: `${path} has schema version ${version}, newer than this bosctl's ${SCHEMA_VERSION}`, fix: 'upgrade bosctl to the version bosd runs' } };
  }
  if (version === 0) {
    return { result: { check: CHECK, status: 'fail', detail: `${path} is not a bosctl database (no schema)`, fix: 'give the path of bosd\'s database with --db' } };
  }
  const problems = facts.damage ?? [];
  if (problems.length > 0) {
    return { result: { check: CHECK, status: 'fail', detail: `${path} is damaged: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, fix: 'stop bosd and restore the database from a backup' } };
  }
  const inventory = facts.inventory;
  const notes: string[] = [`schema ${version}`, ...(inventory ? [`${inventory.length} nodes`] : [])];
  const warnings: Array<{ detail: string; fix: string }> = [];
  if (version < SCHEMA_VERSION) {
    warnings.push({ detail: `schema version ${version} is older than this bosctl's ${SCHEMA_VERSION}`, fix: 'it is migrated when bosd (or any bosctl command) next opens it; restart bosd after upgrading' });
  }
  const journal = facts.journalMode ?? '';
  if (journal.toLowerCase() === 'wal') notes.push('WAL');
  else warnings.push({ detail: `journal mode is ${journal}, not WAL`, fix: 'open it once with bosd or bosctl, which switch it to WAL' });
  notes.push(`mode ${(mode & 0o777).toString(8)}`);
  const open = openToOthers(path, mode);
  if (open) {
    return {
      result: { check: CHECK, status: 'fail', detail: `${open} can be read by any user (it holds node boot tokens)`, fix: `chmod o-rwx ${path} ${path}-wal ${path}-shm` },
      ...(inventory ? { inventory } : {}),
    };
  }
  const result: CheckResult = warnings.length > 0
    ? { check: CHECK, status: 'warn', detail: `${path}: ${warnings.map((w) => w.detail).join('; ')}`, fix: warnings.map((w) => w.fix).join('; ') }
    : { check: CHECK, status: 'pass', detail: `${path} (${notes.join(', ')})` };
  return { result, ...(inventory ? { inventory } : {}) };
}

/** The database file or its WAL when others may read it, else undefined. */
function openToOthers(path: string, mode: number): string | undefined {
  if ((mode & 0o004) !== 0) return path;
  try {
    if ((statSync(`${path}-wal`).mode & 0o004) !== 0) return `${path}-wal`;
  } catch { /* no WAL file */ }
  return undefined;
}
