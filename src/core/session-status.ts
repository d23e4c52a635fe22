import { computeStatus } from './component.js';
import type { Component, Session } from './types.js';

export interface SessionExtendedStatus {
  status: Session['status']['status'];
  managed_components_count: number;
  phases: { percent_complete: number; percent_powering_on: number; percent_powering_off: number; percent_configuring: number };
  percent_successful: number;
  percent_failed: number;
  percent_staged: number;
  error_summary: Record<string, { count: number; list: string }>;
  timing: { start_time: string; end_time: string | null; duration: string };
}

/** Counts of a session's nodes, for tables: what `session status` shows besides BOS's percentages. */
export interface SessionCounts {
  staged: number;
  powering_off: number;
  powering_on: number;
  configuring: number;
  on_hold: number;
  stable: number;
  failed: number;
}

const pct = (n: number, of: number) => (of === 0 ? 0 : Math.round((n * 10000) / of) / 100);

/** Formats a duration as Python's timedelta does ("0:04:05", "1 day, 2:00:00"), as BOS shows it. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return days > 0 ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms;
}

export function sessionCounts(name: string, components: Component[]): SessionCounts {
  const c: SessionCounts = { staged: 0, powering_off: 0, powering_on: 0, configuring: 0, on_hold: 0, stable: 0, failed: 0 };
  for (const comp of components) {
    if (comp.staged_state.session === name) c.staged++;
    if (comp.session !== name) continue;
    const st = computeStatus(comp);
    if (st === 'failed') c.failed++;
    else if (st === 'stable') c.stable++;
    else if (st === 'on_hold') c.on_hold++;
    else if (comp.status.phase === 'powering_off') c.powering_off++;
    else if (comp.status.phase === 'powering_on') c.powering_on++;
    else if (comp.status.phase === 'configuring') c.configuring++;
  }
  return c;
}

/** BOS's extended session status (GET /v2/sessions/{id}/status). */
export function extendedStatus(session: Session, components: Component[], now: Date): SessionExtendedStatus {
  const own = components.filter((c) => c.session === session.name);
  const staged = components.filter((c) => c.staged_state.session === session.name);
  const n = own.length + staged.length;
  let ok = 0;
  let failed = 0;
  let on = 0;
  let off = 0;
  let conf = 0;
  const errors = new Map<string, string[]>();
  for (const c of own) {
    const st = computeStatus(c);
    if (st === 'stable') ok++;
    if (st === 'failed') failed++;
    if (c.enabled && c.status.status_override !== 'on_hold') {
      if (c.status.phase === 'powering_on') on++;
      if (c.status.phase === 'powering_off') off++;
      if (c.status.phase === 'configuring') conf++;
    }
    if (c.error) errors.set(c.error, [...(errors.get(c.error) ?? []), c.id]);
  }
  const error_summary: SessionExtendedStatus['error_summary'] = {};
  for (const [err, ids] of errors) {
    error_summary[err] = { count: ids.length, list: ids.slice(0, 10).join(',') + (ids.length > 10 ? '...' : '') };
  }
  const start = Date.parse(session.status.start_time);
  const end = session.status.end_time ? Date.parse(session.status.end_time) : now.getTime();
  return {
    status: session.status.status,
    managed_components_count: n,
    phases: {
      percent_complete: pct(ok + failed, n),
      percent_powering_on: pct(on, n),
      percent_powering_off: pct(off, n),
      percent_configuring: pct(conf, n),
    },
    percent_successful: pct(ok, n),
    percent_failed: pct(failed, n),
    percent_staged: pct(staged.length, n),
    error_summary,
    timing: { start_time: session.status.start_time, end_time: session.status.end_time, duration: formatDuration(end - start) },
  };
}
