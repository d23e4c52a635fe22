import { prepared, type Db } from './db.js';
import type { Operation, Session, SessionStatusLabel } from '../core/types.js';

interface Row {
  name: string;
  /** '' for no tenant: sessions are keyed by (tenant, name), as BOS keys them. */
  tenant: string;
  operation: string;
  template_name: string;
  limit_expr: string;
  stage: number;
  include_disabled: number;
  components: string;
  status: string;
  start_time: string;
  end_time: string | null;
  error: string | null;
}

function fromRow(r: Row): Session {
  const s: Session = {
    name: r.name,
    operation: r.operation as Operation,
    template_name: r.template_name,
    limit: r.limit_expr,
    stage: r.stage === 1,
    components: r.components,
    include_disabled: r.include_disabled === 1,
    status: statusFromRow(r),
  };
  if (r.tenant !== '') s.tenant = r.tenant;
  return s;
}

type StatusRow = Pick<Row, 'status' | 'start_time' | 'end_time' | 'error'>;

function statusFromRow(r: StatusRow): Session['status'] {
  return { status: r.status as SessionStatusLabel, start_time: r.start_time, end_time: r.end_time, error: r.error };
}

export interface SessionControl {
  max_failures: string | null;
  halted_at: string | null;
}

export interface SessionQuery {
  /** One tenant's sessions ('' those with none); undefined: every session. */
  tenant?: string;
  status?: SessionStatusLabel;
  minStart?: string;
  maxStart?: string;
}

/**
 * The one row a (name, tenant) names. tenant undefined (callers that know only a name, as a
 * component's session field gives it): the row with no tenant, else the first tenant's.
 */
const KEY = 'name = @name AND tenant = (SELECT tenant FROM sessions WHERE name = @name AND (CAST(@tenant AS TEXT) IS NULL OR tenant = @tenant) ORDER BY tenant LIMIT 1)';
const key = (name: string, tenant: string | undefined) => ({ name, tenant: tenant ?? null });

export class SessionStore {
  private readonly getStmt;

  constructor(private readonly db: Db) {
    this.getStmt = prepared<[{ name: string; tenant: string | null }], Row>(db, `SELECT * FROM sessions WHERE ${KEY}`);
  }

  get(name: string, tenant?: string): Session | undefined {
    const r = this.getStmt.get(key(name, tenant));
    return r ? fromRow(r) : undefined;
  }

  list(q: SessionQuery = {}): Session[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.tenant !== undefined) { where.push('tenant = ?'); params.push(q.tenant); }
    if (q.status) { where.push('status = ?'); params.push(q.status); }
    if (q.minStart) { where.push('start_time >= ?'); params.push(q.minStart); }
    if (q.maxStart) { where.push('start_time <= ?'); params.push(q.maxStart); }
    const sql = `SELECT * FROM sessions${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY start_time, name`;
    return prepared<unknown[], Row>(this.db, sql).all(...params).map(fromRow);
  }

  put(s: Session): void {
    prepared(this.db, `INSERT INTO sessions (name, tenant, operation, template_name, limit_expr, stage, include_disabled, components, status, start_time, end_time, error)
      VALUES (@name, @tenant, @operation, @template_name, @limit, @stage, @include_disabled, @components, @status, @start_time, @end_time, @error)
      ON CONFLICT(tenant, name) DO UPDATE SET components = excluded.components, status = excluded.status, end_time = excluded.end_time, error = excluded.error`)
      .run({
        name: s.name, tenant: s.tenant ?? '', operation: s.operation, template_name: s.template_name, limit: s.limit,
        stage: s.stage ? 1 : 0, include_disabled: s.include_disabled ? 1 : 0, components: s.components,
        status: s.status.status, start_time: s.status.start_time, end_time: s.status.end_time, error: s.status.error,
      });
  }

  /** Names and states of the sessions not complete yet, without their (long) component lists. */
  unfinished(): Array<{ name: string; tenant: string; status: Session['status'] }> {
    return prepared<[], StatusRow & Pick<Row, 'name' | 'tenant'>>(this.db,
      "SELECT name, tenant, status, start_time, end_time, error FROM sessions WHERE status IN ('pending', 'running') ORDER BY start_time, name").all()
      .map((r) => ({ name: r.name, tenant: r.tenant, status: statusFromRow(r) }));
  }

  /** One session's state, without its component list. */
  statusOf(name: string, tenant?: string): Session['status'] | undefined {
    const r = prepared<[ReturnType<typeof key>], StatusRow>(this.db, `SELECT status, start_time, end_time, error FROM sessions WHERE ${KEY}`).get(key(name, tenant));
    return r ? statusFromRow(r) : undefined;
  }

  setStatus(name: string, st: Session['status'], tenant?: string): void {
    prepared(this.db, `UPDATE sessions SET status = @status, end_time = @end_time, error = @error WHERE ${KEY}`)
      .run({ status: st.status, end_time: st.end_time, error: st.error, ...key(name, tenant) });
  }

  /** bosctl's controls beside the BOS fields: the failure budget and whether it ran out. */
  control(name: string, tenant?: string): SessionControl {
    const r = prepared<[ReturnType<typeof key>], SessionControl>(this.db, `SELECT max_failures, halted_at FROM sessions WHERE ${KEY}`).get(key(name, tenant));
    return r ?? { max_failures: null, halted_at: null };
  }

  setControl(name: string, c: SessionControl, tenant?: string): void {
    prepared(this.db, `UPDATE sessions SET max_failures = @max_failures, halted_at = @halted_at WHERE ${KEY}`).run({ ...c, ...key(name, tenant) });
  }

  /** The extended status saved at completion (JSON as the API returns it), if any. */
  savedStatus(name: string, tenant?: string): unknown {
    const r = prepared<[ReturnType<typeof key>], { saved_status: string | null }>(this.db, `SELECT saved_status FROM sessions WHERE ${KEY}`).get(key(name, tenant));
    return r?.saved_status ? JSON.parse(r.saved_status) : undefined;
  }

  saveStatus(name: string, status: unknown, tenant?: string): void {
    prepared(this.db, `UPDATE sessions SET saved_status = @saved WHERE ${KEY}`).run({ saved: JSON.stringify(status), ...key(name, tenant) });
  }

  delete(name: string, tenant?: string): boolean {
    return prepared(this.db, `DELETE FROM sessions WHERE ${KEY}`).run(key(name, tenant)).changes > 0;
  }
}
