import { isPg, jsonText, prepared, type Db } from './db.js';
import type { Actor } from '../core/types.js';

export type EventKind = 'component' | 'session' | 'template' | 'options' | 'inventory' | 'token' | 'tenant' | 'api';

export interface EventRecord {
  id: number;
  at: string;
  kind: EventKind;
  subject: string;
  action: string;
  detail: Record<string, unknown>;
  actor: string;
  via: string;
}

/** One event to record (recordMany). */
export interface NewEvent {
  at: string;
  kind: EventKind;
  subject: string;
  action: string;
  detail: Record<string, unknown>;
  actor: Actor;
}

/** The append-only history: who changed what, when (triggers forbid UPDATE and DELETE). */
export class EventStore {
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = prepared(db, 'INSERT INTO events (at, kind, subject, action, detail, actor, via) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(at: string, kind: EventKind, subject: string, action: string, detail: Record<string, unknown>, actor: Actor): void {
    this.insertStmt.run(at, kind, subject, action, JSON.stringify(detail), actor.user, actor.via);
  }

  /** Records these events in order (on PostgreSQL in one statement: many nodes' writes cost one). */
  recordMany(events: NewEvent[]): void {
    if (!isPg(this.db) || events.length < 2) {
      for (const e of events) this.record(e.at, e.kind, e.subject, e.action, e.detail, e.actor);
      return;
    }
    const rows = events.map((e) => ({ at: e.at, kind: e.kind, subject: e.subject, action: e.action, detail: JSON.stringify(e.detail), actor: e.actor.user, via: e.actor.via }));
    prepared(this.db, `INSERT INTO events (at, kind, subject, action, detail, actor, via)
      SELECT e->>'at', e->>'kind', e->>'subject', e->>'action', e->>'detail', e->>'actor', e->>'via'
      FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`).run(JSON.stringify(rows));
  }

  /**
   * Components changed since event `afterId` (every component change records an event), but
   * for changes made by `except` (the caller's own, which it knows already).
   */
  changedComponentsSince(afterId: number, except?: Actor): { ids: string[]; lastId: number } {
    const lastId = this.lastId(afterId);
    const rows = prepared<[number, number, string, string], { subject: string }>(this.db,
      "SELECT DISTINCT subject FROM events WHERE id > ? AND id <= ? AND kind = 'component' AND NOT (actor = ? AND via = ?)")
      .all(afterId, lastId, except?.user ?? '', except?.via ?? '');
    return { ids: rows.map((r) => r.subject), lastId };
  }

  lastId(fallback = 0): number {
    return (prepared(this.db, 'SELECT max(id) AS m FROM events').get() as { m: number | null }).m ?? fallback;
  }

  sessionHistory(session: string, limit = 5000): EventRecord[] {
    const rows = prepared<[{ s: string; n: number }], Omit<EventRecord, 'detail'> & { detail: string }>(this.db,
      `SELECT * FROM (SELECT * FROM events WHERE (kind = 'session' AND subject = @s)
         OR (kind = 'component' AND ${jsonText(this.db, 'detail', ['session'])} = @s) ORDER BY id DESC LIMIT @n) AS e ORDER BY id`,
    ).all({ s: session, n: limit });
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  /** The last `limit` events of one kind, oldest first. */
  ofKind(kind: EventKind, limit = 1000): EventRecord[] {
    const rows = prepared<[string, number], Omit<EventRecord, 'detail'> & { detail: string }>(this.db,
      'SELECT * FROM (SELECT * FROM events WHERE kind = ? ORDER BY id DESC LIMIT ?) AS e ORDER BY id',
    ).all(kind, limit);
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }

  history(kind: EventKind, subject: string, limit = 1000): EventRecord[] {
    const rows = prepared<[string, string, number], Omit<EventRecord, 'detail'> & { detail: string }>(this.db,
      'SELECT * FROM (SELECT * FROM events WHERE kind = ? AND subject = ? ORDER BY id DESC LIMIT ?) AS e ORDER BY id',
    ).all(kind, subject, limit);
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  }
}
