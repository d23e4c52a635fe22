import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { NameKind } from './kinds.js';
import { countedNamed, mayBeNid, nidNamed, nodeNamed, sessionNamed, tokenNamed, type NameSource, type Named } from './names.js';

/**
 * Names straight from the database file, read-only: completion never creates, migrates
 * or locks the database, and reads only the columns it shows (the services would load
 * every row of a 10,000-node inventory in full).
 */
export function localNameSource(path: string): NameSource | undefined {
  if (!existsSync(path)) return undefined;
  // A short busy wait: a tab press must not hang behind a writer's lock.
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 500 });
  // Names from `prefix` up to prefix + the highest code point: an index range, not a scan.
  let range: [string, string] = ['', '\u{10ffff}'];
  const rows = <T>(sql: string) => db.prepare<[string, string], T>(sql).all(...range);
  const counted = (sql: string) => countedNamed(rows<{ k: string; n: number }>(sql).map((r) => [r.k, r.n]));

  const queries: Record<NameKind, () => Named[]> = {
    template: () => rows<{ name: string; description: string | null }>(
      "SELECT name, json_extract(body, '$.description') AS description FROM templates WHERE name >= ? AND name < ?",
    ).map((r) => (r.description ? { value: r.name, description: r.description } : { value: r.name })),
    session: () => rows<{ name: string; operation: string; template_name: string; status: string }>(
      'SELECT name, operation, template_name, status FROM sessions WHERE name >= ? AND name < ?',
    ).map((r) => sessionNamed(r.name, r.operation, r.template_name, r.status)),
    node: () => [
      ...rows<{ xname: string; hostname: string | null }>('SELECT xname, hostname FROM nodes WHERE xname >= ? AND xname < ?').map((r) => nodeNamed(r.xname, r.hostname)),
      ...rows<{ name: string; xname: string }>('SELECT name, xname FROM node_names WHERE name >= ? AND name < ?').map((r) => nodeNamed(r.name, r.xname)),
      ...(mayBeNid(range[0]) ? db.prepare<[], { nid: number; xname: string }>('SELECT nid, xname FROM nodes WHERE nid IS NOT NULL').all().map((r) => nidNamed(r.nid, r.xname)) : []),
    ],
    group: () => counted('SELECT grp AS k, count(*) AS n FROM node_groups WHERE grp >= ? AND grp < ? GROUP BY grp'),
    role: () => counted(`SELECT k, count(*) AS n FROM (
        SELECT role AS k FROM nodes WHERE role IS NOT NULL AND role <> ''
        UNION ALL SELECT role || '_' || subrole FROM nodes WHERE role IS NOT NULL AND role <> '' AND subrole IS NOT NULL AND subrole <> ''
      ) WHERE k >= ? AND k < ? GROUP BY k`),
    token: () => rows<{ id: string; role: string; description: string }>(
      'SELECT id, role, description FROM tokens WHERE revoked_at IS NULL AND id >= ? AND id < ?',
    ).map((r) => tokenNamed(r.id, r.role, r.description)),
    tenant: () => rows<{ name: string; description: string }>('SELECT name, description FROM tenants WHERE name >= ? AND name < ?')
      .map((r) => (r.description ? { value: r.name, description: r.description } : { value: r.name })),
  };

  return {
    async names(kind, prefix) {
      range = [prefix, prefix + '\u{10ffff}'];
      return queries[kind]();
    },
    close() { db.close(); },
  };
}
