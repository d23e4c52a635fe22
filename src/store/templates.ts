import { prepared, type Db } from './db.js';
import type { SessionTemplate } from '../core/types.js';

export class TemplateStore {
  constructor(private readonly db: Db) {}

  get(name: string): SessionTemplate | undefined {
    const r = prepared<[string], { body: string }>(this.db, 'SELECT body FROM templates WHERE name = ?').get(name);
    return r ? JSON.parse(r.body) : undefined;
  }

  list(): SessionTemplate[] {
    return prepared<[], { body: string }>(this.db, 'SELECT body FROM templates ORDER BY name').all().map((r) => JSON.parse(r.body));
  }

  put(t: SessionTemplate, now: string): void {
    prepared(this.db, `INSERT INTO templates (name, tenant, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET body = excluded.body, tenant = excluded.tenant, updated_at = excluded.updated_at`)
      .run(t.name, t.tenant ?? null, JSON.stringify(t), now, now);
  }

  delete(name: string): boolean {
    return prepared(this.db, 'DELETE FROM templates WHERE name = ?').run(name).changes > 0;
  }
}
