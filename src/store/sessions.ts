import { prepared, type Db } from './db.js';
import type { Operation, Session, SessionStatusLabel } from '../core/types.js';

interface Row {
  name: string;
  tenant: string | null;
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
  if (r.tenant !== null) s.tenant = r.tenant;
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
  status?: SessionStatusLabel;
  minStart?: string;
  maxStart?: string;
}

export class SessionStore {
  private readonly getStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM sessions WHERE name = ?');
  }

  get(name: string): Session | undefined {
    const r = this.getStmt.get(name);
    return r ? fromRow(r) : undefined;
  }

  list(q: SessionQuery = {}): Session[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) { where.push('status = ?'); params.push(q.status); }
    if (q.minStart) { where.push('start_time >= ?'); params.push(q.minStart); }
    if (q.maxStart) { where.push('start_time <= ?'); params.push(q.maxStart); }
    const sql = `SELECT * FROM sessions${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY start_time, name`;
    return prepared<unknown[], Row>(this.db, sql).all(...params).map(fromRow);
  }

  put(s: Session): void {
    prepared(this.db, `INSERT INTO sessions (name, tenant, operation, template_name, limit_expr, stage, include_disabled, components, status, start_time, end_time, error)
      VALUES (@name, @tenant, @operation, @template_name, @limit, @stage, @include_disabled, @components, @status, @start_time, @end_time, @error)
      ON CONFLICT(name) DO UPDATE SET components = excluded.components, status = excluded.status, end_time = excluded.end_time, error = excluded.error`)
      .run({
        name: s.name, tenant: s.tenant ?? null, operation: s.operation, template_name: s.template_name, limit: s.limit,
        stage: s.stage ? 1 : 0, include_disabled: s.include_disabled ? 1 : 0, components: s.components,
        status: s.status.status, start_time: s.status.start_time, end_time: s.status.end_time, error: s.status.error,
      });
  }

  /** Names and states of the sessions not complete yet, without their (long) component lists. */
  unfinished(): Array<{ name: string; status: Session['status'] }> {
    return prepared<[], StatusRow & Pick<Row, 'name'>>(this.db,
      "SELECT name, status, start_time, end_time, error FROM sessions WHERE status IN ('pending', 'running') ORDER BY start_time, name").all()
      .map((r) => ({ name: r.name, status: statusFromRow(r) }));
  }

  /** One session's state, without its component list. */
  statusOf(name: string): Session['status'] | undefined {
    const r = prepared<[string], StatusRow>(this.db, 'SELECT status, start_time, end_time, error FROM sessions WHERE name = ?').get(name);
    return r ? statusFromRow(r) : undefined;
  }

  setStatus(name: string, st: Session['status']): void {
    prepared(this.db, 'UPDATE sessions SET status = ?, end_time = ?, error = ? WHERE name = ?').run(st.status, st.end_time, st.error, name);
  }

  /** bosctl's controls beside the BOS fields: the failure budget and whether it ran out. */
  control(name: string): SessionControl {
    const r = prepared<[string], SessionControl>(this.db, 'SELECT max_failures, halted_at FROM sessions WHERE name = ?').get(name);
    return r ?? { max_failures: null, halted_at: null };
  }

  setControl(name: string, c: SessionControl): void {
    prepared(this.db, 'UPDATE sessions SET max_failures = ?, halted_at = ? WHERE name = ?').run(c.max_failures, c.halted_at, name);
  }

  delete(name: string): boolean {
    return prepared(this.db, 'DELETE FROM sessions WHERE name = ?').run(name).changes > 0;
  }
}
