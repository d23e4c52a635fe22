import { prepared, type Db } from './db.js';
import type { SessionTemplate } from '../core/types.js';

/**
 * Session templates, keyed by (tenant, name) as BOS keys them: '' is no tenant, so the same
 * name may exist once with no tenant and once in each tenant.
 */
export class TemplateStore {
  constructor(private readonly db: Db) {}

  get(name: string, tenant = ''): SessionTemplate | undefined {
    const r = prepared<[string, string], { body: string }>(this.db, 'SELECT body FROM templates WHERE tenant = ? AND name = ?').get(tenant, name);
    return r ? JSON.parse(r.body) : undefined;
  }

  /** One tenant's templates, or with `tenant` undefined every template (BOS's list without a tenant). */
  list(tenant?: string): SessionTemplate[] {
    const rows = tenant === undefined
      ? prepared<[], { body: string }>(this.db, 'SELECT body FROM templates ORDER BY name, tenant').all()
      : prepared<[string], { body: string }>(this.db, 'SELECT body FROM templates WHERE tenant = ? ORDER BY name').all(tenant);
    return rows.map((r) => JSON.parse(r.body));
  }

  put(t: SessionTemplate, now: string): void {
    prepared(this.db, `INSERT INTO templates (tenant, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(tenant, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`)
      .run(t.tenant ?? '', t.name, JSON.stringify(t), now, now);
  }

  delete(name: string, tenant = ''): boolean {
    return prepared(this.db, 'DELETE FROM templates WHERE tenant = ? AND name = ?').run(tenant, name).changes > 0;
  }
}
