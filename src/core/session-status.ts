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

/** Where a node stands in a session: one of the SessionCounts keys. */
export type SessionNodeState = keyof SessionCounts;

/**
 * Where one node stands in session `name`, so that each node counts once (undefined: not
 * the session's). A node the session acts on (its `session`) counts by its phase, even
 * while it keeps the session's staged state (clear_stage false); `staged` is a node with
 * the session's stage that it has not taken up. A node marked stable that bosd has not
 * yet disabled (it disables a node when done) is not done: it is on_hold.
 */
export function nodeState(name: string, c: Component): SessionNodeState | undefined {
  if (c.session !== name) return c.staged_state.session === name ? 'staged' : undefined;
  const st = computeStatus(c);
  if (st === 'failed' || st === 'on_hold') return st;
  if (st === 'stable') return c.enabled ? 'on_hold' : 'stable';
  if (c.status.phase === 'powering_off' || c.status.phase === 'powering_on' || c.status.phase === 'configuring') return c.status.phase;
  return 'on_hold';
}

export function sessionCounts(name: string, components: Component[]): SessionCounts {
  const c: SessionCounts = { staged: 0, powering_off: 0, powering_on: 0, configuring: 0, on_hold: 0, stable: 0, failed: 0 };
  for (const comp of components) {
    const st = nodeState(name, comp);
    if (st !== undefined) c[st]++;
  }
  return c;
}

/** bosctl's own totals from counts in which each node counts once: nodes, and the share settled (stable or failed). */
export function countsSummary(c: SessionCounts): { nodes: number; percentComplete: number } {
  const nodes = Object.values(c).reduce((a, b) => a + b, 0);
  return { nodes, percentComplete: nodes === 0 ? 0 : Math.round(((c.stable + c.failed) / nodes) * 10000) / 100 };
}

/** Nodes still to settle: staged ones wait for apply-staged; a halted session starts no more. */
export function unsettledCount(c: SessionCounts, halted: boolean): number {
  const working = c.powering_off + c.powering_on + c.configuring;
  return halted ? working : working + c.on_hold + c.staged;
}

/**
 * BOS's extended session status (GET /v2/sessions/{id}/status), counted as BOS counts it
 * (server/controllers/v2/session_status.py): the session's nodes plus the nodes it staged, so a
 * node staged and applied counts twice there. bosctl's own views count each node once
 * (sessionCounts); the API keeps BOS's numbers for scripts written against BOS.
 */
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
