import { isPg, jsonArrayValues, jsonText, prepared, type Db } from './db.js';
import type { Component } from '../core/types.js';
import { withStatus, zeroEventStats } from '../core/component.js';

interface Row {
  id: string;
  enabled: number;
  phase: string;
  status_override: string;
  session: string;
  staged_session: string;
  error: string;
  retry_policy: number | null;
  actual_state: string;
  desired_state: string;
  staged_state: string;
  last_action: string;
  event_stats: string;
  rev: number;
}

function fromRow(r: Row): Component {
  const c: Component = {
    id: r.id,
    enabled: r.enabled === 1,
    actual_state: JSON.parse(r.actual_state),
    desired_state: JSON.parse(r.desired_state),
    staged_state: JSON.parse(r.staged_state),
    last_action: JSON.parse(r.last_action),
    event_stats: { ...zeroEventStats(), ...JSON.parse(r.event_stats) },
    status: { phase: r.phase as Component['status']['phase'], status: 'stable', status_override: r.status_override },
    error: r.error,
    session: r.session,
  };
  if (r.retry_policy !== null) c.retry_policy = r.retry_policy;
  return withStatus(c);
}

function toParams(c: Component) {
  return {
    id: c.id,
    enabled: c.enabled ? 1 : 0,
    phase: c.status.phase,
    status_override: c.status.status_override,
    session: c.session,
    staged_session: c.staged_state.session ?? '',
    error: c.error,
    retry_policy: c.retry_policy ?? null,
    actual_state: JSON.stringify(c.actual_state),
    desired_state: JSON.stringify(c.desired_state),
    staged_state: JSON.stringify(c.staged_state),
    last_action: JSON.stringify(c.last_action),
    event_stats: JSON.stringify(c.event_stats),
  };
}

export interface ComponentQuery {
  ids?: string[];
  session?: string;
  stagedSession?: string;
  enabled?: boolean;
  startAfterId?: string;
  limit?: number;
}

export class ComponentStore {
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly updateStmt;

  constructor(private readonly db: Db) {
    this.getStmt = prepared<[string], Row>(db, 'SELECT * FROM components WHERE id = ?');
    this.updateStmt = prepared(db, `UPDATE components SET rev = rev + 1, enabled = @enabled, phase = @phase, status_override = @status_override,
        session = @session, staged_session = @staged_session, error = @error, retry_policy = @retry_policy,
        actual_state = @actual_state, desired_state = @desired_state, staged_state = @staged_state,
        last_action = @last_action, event_stats = @event_stats
      WHERE id = @id`);
    this.upsertStmt = prepared(db, `INSERT INTO components (id, enabled, phase, status_override, session, staged_session, error, retry_policy,
        actual_state, desired_state, staged_state, last_action, event_stats)
      VALUES (@id, @enabled, @phase, @status_override, @session, @staged_session, @error, @retry_policy,
        @actual_state, @desired_state, @staged_state, @last_action, @event_stats)
      ON CONFLICT(id) DO UPDATE SET rev = components.rev + 1, enabled = excluded.enabled, phase = excluded.phase, status_override = excluded.status_override,
        session = excluded.session, staged_session = excluded.staged_session, error = excluded.error, retry_policy = excluded.retry_policy,
        actual_state = excluded.actual_state, desired_state = excluded.desired_state, staged_state = excluded.staged_state,
        last_action = excluded.last_action, event_stats = excluded.event_stats
      RETURNING rev`);
    this.deleteStmt = prepared<[string]>(db, 'DELETE FROM components WHERE id = ?');
  }

  get(id: string): Component | undefined {
    const r = this.getStmt.get(id);
    return r ? fromRow(r) : undefined;
  }

  /** Stores the component; returns its new revision. */
  put(c: Component): number {
    return (this.upsertStmt.get(toParams(c)) as { rev: number }).rev;
  }

  /**
   * Stores a component that exists at revision `rev`, as read inside this same write
   * transaction (its lock keeps every other writer out): the new revision is rev + 1, known
   * without waiting for the database's answer (PostgreSQL sends it with the next round trip).
   */
  update(c: Component, rev: number): number {
    this.updateStmt.run(toParams(c));
    return rev + 1;
  }

  /**
   * As update() for each item in order, where `rev` is the row's revision before that item
   * (read in this write transaction). On PostgreSQL one statement writes them all, each row
   * once with its last item, at revision rev + 1 of that item.
   */
  updateMany(items: Array<{ component: Component; rev: number }>): void {
    if (!isPg(this.db) || items.length < 2) {
      for (const it of items) this.update(it.component, it.rev);
      return;
    }
    const last = new Map<string, { component: Component; rev: number }>();
    for (const it of items) last.set(it.component.id, it);
    const rows = [...last.values()].map((it) => ({ ...toParams(it.component), rev: it.rev + 1 }));
    const text = (k: string) => `e->>'${k}' AS ${k}`;
    const int = (k: string) => `(e->>'${k}')::bigint AS ${k}`;
    const cols = ['phase', 'status_override', 'session', 'staged_session', 'error', 'actual_state', 'desired_state', 'staged_state', 'last_action', 'event_stats'];
    prepared(this.db, `UPDATE components AS c SET rev = v.rev, enabled = v.enabled, retry_policy = v.retry_policy, ${cols.map((k) => `${k} = v.${k}`).join(', ')}
      FROM (SELECT e->>'id' COLLATE "C" AS id, ${int('rev')}, ${int('enabled')}, ${int('retry_policy')}, ${cols.map(text).join(', ')}
        FROM jsonb_array_elements(?::jsonb) AS e) AS v
      WHERE c.id = v.id`).run(JSON.stringify(rows));
  }

  /** These components with their revisions, by id (absent: no such component), in one query. */
  getManyVersioned(ids: string[]): Map<string, { component: Component; rev: number }> {
    if (ids.length === 0) return new Map();
    return new Map(prepared<[string], Row>(this.db, `SELECT * FROM components WHERE id IN (${jsonArrayValues(this.db)})`)
      .all(JSON.stringify(ids)).map((r) => [r.id, { component: fromRow(r), rev: Number(r.rev) }]));
  }

  /** The revisions of these components (absent: no such component), in one query. */
  revisions(ids: string[]): Map<string, number> {
    if (ids.length === 0) return new Map();
    return new Map(prepared<[string], { id: string; rev: number }>(this.db, `SELECT id, rev FROM components WHERE id IN (${jsonArrayValues(this.db)})`)
      .all(JSON.stringify(ids)).map((r) => [r.id, Number(r.rev)]));
  }

  /** The component and its revision, which every put increments. */
  getVersioned(id: string): { component: Component; rev: number } | undefined {
    const r = this.getStmt.get(id);
    return r ? { component: fromRow(r), rev: r.rev } : undefined;
  }

  /** Components whose reported boot (any artifact set) was last updated before `iso`. */
  actualStatesBefore(iso: string): Component[] {
    const art = (k: string) => `coalesce(${jsonText(this.db, 'actual_state', ['boot_artifacts', k])}, '') <> ''`;
    return prepared<[string], Row>(this.db, `SELECT * FROM components WHERE ${jsonText(this.db, 'actual_state', ['last_updated'])} < ?
      AND (${art('kernel')} OR ${art('initrd')} OR ${art('kernel_parameters')}) ORDER BY id`).all(iso).map(fromRow);
  }

  /** Active components with their revisions, for the daemon's start. */
  activeVersioned(): Array<{ component: Component; rev: number }> {
    return prepared<[], Row>(this.db, "SELECT * FROM components WHERE enabled = 1 AND status_override <> 'failed' ORDER BY id").all()
      .map((r) => ({ component: fromRow(r), rev: r.rev }));
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  /** Filters that SQL can do; status and phase filters are applied by the caller. */
  list(q: ComponentQuery = {}): Component[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.ids) {
      if (q.ids.length === 0) return [];
      where.push(`id IN (${jsonArrayValues(this.db)})`);
      params.push(JSON.stringify(q.ids));
    }
    if (q.session !== undefined) { where.push('session = ?'); params.push(q.session); }
    if (q.stagedSession !== undefined) { where.push('staged_session = ?'); params.push(q.stagedSession); }
    if (q.enabled !== undefined) { where.push('enabled = ?'); params.push(q.enabled ? 1 : 0); }
    if (q.startAfterId !== undefined) { where.push('id > ?'); params.push(q.startAfterId); }
    const sql = `SELECT * FROM components${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id${q.limit ? ` LIMIT ${Math.floor(q.limit)}` : ''}`;
    return (prepared<unknown[], Row>(this.db, sql).all(...params)).map(fromRow);
  }

  /**
   * The state a node was last stable on (kept beside the BOS fields, for rollback), given
   * `prev`, its last stable state as read in this transaction (lastStable, lastStableMany).
   */
  setLastStable(id: string, state: Component['desired_state'], prev: Component['desired_state'] | undefined): void {
    // The state before becomes the previous one, unless the node is stable on the same again.
    const same = JSON.stringify(prev?.boot_artifacts ?? null) === JSON.stringify(state.boot_artifacts ?? null) && (prev?.configuration ?? '') === (state.configuration ?? '');
    if (same) return;
    prepared(this.db, 'UPDATE components SET previous_stable_state = last_stable_state, last_stable_state = ? WHERE id = ?').run(JSON.stringify(state), id);
  }

  previousStable(id: string): Component['desired_state'] | undefined {
    const r = prepared<[string], { s: string }>(this.db, 'SELECT previous_stable_state AS s FROM components WHERE id = ?').get(id);
    return r ? JSON.parse(r.s) : undefined;
  }

  /** lastStable() of each of these nodes (absent: no such node), in one query. */
  lastStableMany(ids: string[]): Map<string, Component['desired_state']> {
    if (ids.length === 0) return new Map();
    return new Map(prepared<[string], { id: string; s: string }>(this.db, `SELECT id, last_stable_state AS s FROM components WHERE id IN (${jsonArrayValues(this.db)})`)
      .all(JSON.stringify(ids)).map((r) => [r.id, JSON.parse(r.s)]));
  }

  lastStable(id: string): Component['desired_state'] | undefined {
    const r = prepared<[string], { s: string }>(this.db, 'SELECT last_stable_state AS s FROM components WHERE id = ?').get(id);
    return r ? JSON.parse(r.s) : undefined;
  }

  count(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM components').get() as { n: number }).n;
  }
}
