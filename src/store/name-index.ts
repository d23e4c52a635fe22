import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { prepared, type SqliteDb } from './db.js';

/**
 * Names for shell completion straight from the database file, read-only: it never creates,
 * migrates or locks the database, and reads only the columns shown (loading whole rows of a
 * 10,000-node inventory would be too slow for a tab press). Each lookup takes a prefix and
 * reads an index range from it up to prefix + the highest code point, not the whole table.
 */
export class NameIndex {
  private constructor(private readonly db: SqliteDb) {}

  /** The index of the database at `path`, or undefined when there is none yet. */
  static open(path: string): NameIndex | undefined {
    if (!existsSync(path)) return undefined;
    // A short busy wait: a tab press must not hang behind a writer's lock.
    return new NameIndex(new Database(path, { readonly: true, fileMustExist: true, timeout: 500 }));
  }

  templates(prefix: string): Array<{ name: string; description: string | null }> {
    return this.range("SELECT name, json_extract(body, '$.description') AS description FROM templates WHERE name >= ? AND name < ?", prefix);
  }

  sessions(prefix: string): Array<{ name: string; operation: string; template_name: string; status: string }> {
    return this.range('SELECT name, operation, template_name, status FROM sessions WHERE name >= ? AND name < ?', prefix);
  }

  nodes(prefix: string): Array<{ xname: string; hostname: string | null }> {
    return this.range('SELECT xname, hostname FROM nodes WHERE xname >= ? AND xname < ?', prefix);
  }

  /** Other names of nodes (host names, aliases) starting with `prefix`. */
  nodeNames(prefix: string): Array<{ name: string; xname: string }> {
    return this.range('SELECT name, xname FROM node_names WHERE name >= ? AND name < ?', prefix);
  }

  /** Every node with a NID (a NID prefix is not an index range). */
  nids(): Array<{ nid: number; xname: string }> {
    return prepared<[], { nid: number; xname: string }>(this.db, 'SELECT nid, xname FROM nodes WHERE nid IS NOT NULL').all();
  }

  /** Groups starting with `prefix` and their node counts. */
  groups(prefix: string): Array<{ k: string; n: number }> {
    return this.range('SELECT grp AS k, count(*) AS n FROM node_groups WHERE grp >= ? AND grp < ? GROUP BY grp', prefix);
  }

  /** Roles and role_subrole pairs starting with `prefix` and their node counts. */
  roles(prefix: string): Array<{ k: string; n: number }> {
    return this.range(`SELECT k, count(*) AS n FROM (
        SELECT role AS k FROM nodes WHERE role IS NOT NULL AND role <> ''
        UNION ALL SELECT role || '_' || subrole FROM nodes WHERE role IS NOT NULL AND role <> '' AND subrole IS NOT NULL AND subrole <> ''
      ) WHERE k >= ? AND k < ? GROUP BY k`, prefix);
  }

  /** Tokens not revoked whose id starts with `prefix`. */
  tokens(prefix: string): Array<{ id: string; role: string; description: string }> {
    return this.range('SELECT id, role, description FROM tokens WHERE revoked_at IS NULL AND id >= ? AND id < ?', prefix);
  }

  tenants(prefix: string): Array<{ name: string; description: string }> {
    return this.range('SELECT name, description FROM tenants WHERE name >= ? AND name < ?', prefix);
  }

  close(): void {
    this.db.close();
  }

  private range<T>(sql: string, prefix: string): T[] {
    return prepared<[string, string], T>(this.db, sql).all(prefix, prefix + '\u{10ffff}');
  }
}
