/**
 * The database check: the file opens (read-only: doctor never creates, migrates or writes
 * it), its schema is this bosctl's, SQLite's quick_check finds no damage, it is in WAL mode,
 * and others cannot read it (it holds node boot tokens and every event).
 */
import { statSync } from 'node:fs';
import type { InventoryNode } from '../core/types.js';
import { inspectDatabase, inspectPostgres, SCHEMA_VERSION, type DatabaseFacts, type PostgresFacts } from '../store/inspect.js';
import { isPostgresUrl } from '../store/pg/url.js';
import { messageOf, type CheckResult } from './types.js';

export interface DatabaseReport {
  result: CheckResult;
  /** The inventory, when the database could be read. */
  inventory?: InventoryNode[];
}

const CHECK = 'database';

export function checkDatabase(path: string, passwordFile?: string): DatabaseReport {
  if (isPostgresUrl(path)) return checkPostgres(path, passwordFile);
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

/** A PostgreSQL database: the server answers, the login works, the schema is this bosctl's. */
function checkPostgres(url: string, passwordFile: string | undefined): DatabaseReport {
  let facts: PostgresFacts;
  try {
    facts = inspectPostgres(url, passwordFile);
  } catch (e) {
    return {
      result: {
        check: CHECK, status: 'fail', detail: messageOf(e),
        fix: /authentication/.test(messageOf(e)) ? 'check the password file (--db-password-file, database_password_file in bosd.yaml) or ~/.pgpass'
          : /TLS|certificate/.test(messageOf(e)) ? 'check sslrootcert in the URL: the CA that signed the server\'s certificate'
          : /no database/.test(messageOf(e)) ? 'create the database (createdb -O USER NAME), then start bosd on it'
          : 'check that PostgreSQL runs and the URL\'s host, port and database are right (pg_isready -h HOST -p PORT)',
      },
    };
  }
  const where = facts.where;
  const version = facts.schemaVersion;
  if (version > SCHEMA_VERSION) {
    return { result: { check: CHECK, status: 'fail', detail: `${where} has schema version ${version}, newer than this bosctl's ${SCHEMA_VERSION}`, fix: 'upgrade bosctl to the version bosd runs' } };
  }
  if (version === 0) {
    return { result: { check: CHECK, status: 'fail', detail: `${where} has no bosctl tables yet`, fix: 'start bosd on it (it creates them), or copy a database in with bosctl db copy' } };
  }
  const notes = [`PostgreSQL ${facts.server}`, `schema ${version}`, ...(facts.inventory ? [`${facts.inventory.length} nodes`] : []), facts.tls ? 'TLS' : 'no TLS'];
  const inv = facts.inventory ? { inventory: facts.inventory } : {};
  if (version < SCHEMA_VERSION) {
    return { result: { check: CHECK, status: 'warn', detail: `${where}: schema version ${version} is older than this bosctl's ${SCHEMA_VERSION}`, fix: 'it is migrated when bosd (or any bosctl command) next opens it' }, ...inv };
  }
  return { result: { check: CHECK, status: 'pass', detail: `${where} (${notes.join(', ')})` }, ...inv };
}

/** The database file or its WAL when others may read it, else undefined. */
function openToOthers(path: string, mode: number): string | undefined {
  if ((mode & 0o004) !== 0) return path;
  try {
    if ((statSync(`${path}-wal`).mode & 0o004) !== 0) return `${path}-wal`;
  } catch { /* no WAL file */ }
  return undefined;
}
