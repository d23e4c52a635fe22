import { prepared, type Db } from './db.js';

/** A tenant of bosctl's own registry: its nodes as the admin gave them, and as resolved then. */
export interface TenantRecord {
  name: string;
  /** The limit expression given at create/update time (xnames, groups, roles, nids, hostlists). */
  nodes: string;
  /** What that expression named when it was set, in xname order: the tenant's nodes. */
  xnames: string[];
  description: string;
  created_at: string;
  updated_at: string;
}

interface Row { name: string; nodes_expr: string; xnames: string; description: string; created_at: string; updated_at: string }

const fromRow = (r: Row): TenantRecord => ({
  name: r.name, nodes: r.nodes_expr, xnames: JSON.parse(r.xnames) as string[], description: r.description, created_at: r.created_at, updated_at: r.updated_at,
});

export class TenantStore {
  constructor(private readonly db: Db) {}

  get(name: string): TenantRecord | undefined {
    const r = prepared<[string], Row>(this.db, 'SELECT * FROM tenants WHERE name = ?').get(name);
    return r ? fromRow(r) : undefined;
  }

  list(): TenantRecord[] {
    return prepared<[], Row>(this.db, 'SELECT * FROM tenants ORDER BY name').all().map(fromRow);
  }

  put(t: TenantRecord): void {
    prepared(this.db, `INSERT INTO tenants (name, nodes_expr, xnames, description, created_at, updated_at)
      VALUES (@name, @nodes_expr, @xnames, @description, @created_at, @updated_at)
      ON CONFLICT(name) DO UPDATE SET nodes_expr = excluded.nodes_expr, xnames = excluded.xnames,
        description = excluded.description, updated_at = excluded.updated_at`)
      .run({ name: t.name, nodes_expr: t.nodes, xnames: JSON.stringify(t.xnames), description: t.description, created_at: t.created_at, updated_at: t.updated_at });
  }

  delete(name: string): boolean {
    return prepared(this.db, 'DELETE FROM tenants WHERE name = ?').run(name).changes > 0;
  }

  /** Whether anything is still keyed by this tenant (templates, sessions, bound tokens still usable). */
  usage(name: string): { templates: number; sessions: number; tokens: number } {
    const count = (sql: string) => (prepared<[string], { n: number }>(this.db, sql).get(name)?.n ?? 0);
    return {
      templates: count('SELECT count(*) AS n FROM templates WHERE tenant = ?'),
      sessions: count('SELECT count(*) AS n FROM sessions WHERE tenant = ?'),
      tokens: count('SELECT count(*) AS n FROM tokens WHERE tenant = ? AND revoked_at IS NULL'),
    };
  }
}
