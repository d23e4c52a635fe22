import { formatDuration, type SessionCounts } from '../../core/session-status.js';
import type { SessionStatusReport } from '../../services/sessions.js';

/**
 * Nodes finished per minute while a watch lasts. Only finishes seen by this watch count
 * (a node going back to work lowers no total), so the rate is never negative; there is
 * none until a node has finished.
 */
export class RateMeter {
  private finished = 0;
  private last: number | undefined;
  private startedAt: number | undefined;

  /** `done` is stable + failed now; `nowMs` comes from a monotonic clock. */
  observe(done: number, nowMs: number): void {
    this.startedAt ??= nowMs;
    if (this.last !== undefined && done > this.last) this.finished += done - this.last;
    this.last = done;
  }

  perMinute(nowMs: number): number | undefined {
    if (this.finished === 0 || this.startedAt === undefined || nowMs <= this.startedAt) return undefined;
    return (this.finished * 60000) / (nowMs - this.startedAt);
  }
}

const done = (c: SessionCounts) => c.stable + c.failed;

/** "staged 0, powering_off 1, ..., failed 0": every count, each node in one of them. */
export function countsText(c: SessionCounts): string {
  return `staged ${c.staged}, powering_off ${c.powering_off}, powering_on ${c.powering_on}, configuring ${c.configuring}, on_hold ${c.on_hold}, stable ${c.stable}, failed ${c.failed}`;
}

/**
 * A complete session's total time and average rate ("took 0:04:05, 2.9 nodes/min on
 * average"), from its stored start and end; the rate only when it means something.
 */
export function totalText(r: SessionStatusReport): string {
  const { start_time, end_time } = r.extended.timing;
  const ms = end_time ? Date.parse(end_time) - Date.parse(start_time) : NaN;
  if (!(ms >= 0)) return `took ${r.extended.timing.duration}`;
  const n = done(r.counts);
  const avg = n > 0 && ms >= 1000 ? `, ${((n * 60000) / ms).toFixed(1)} nodes/min on average` : '';
  return `took ${formatDuration(ms)}${avg}`;
}

/**
 * One line of progress. While nodes work: the live rate (once a node has finished) and an
 * ETA; on a complete session: its total time and average rate instead.
 */
export function progressLine(r: SessionStatusReport, ratePerMin: number | undefined): string {
  const c = r.counts;
  const head = `${r.session.status.status}${r.control.halted_at ? ' (halted)' : ''}: ${countsText(c)}`;
  if (r.session.status.status === 'complete') return `${head}; ${totalText(r)}`;
  if (ratePerMin === undefined || !(ratePerMin > 0)) return head;
  const active = c.powering_off + c.powering_on + c.configuring + c.on_hold;
  const eta = active > 0 ? `, ETA ${Math.ceil(active / ratePerMin)} min` : '';
  return `${head}; ${ratePerMin.toFixed(1)} nodes/min${eta}`;
}

/** The part of a line that says what changed (not the rate): a pipe gets a line when it differs. */
export function changeKey(line: string): string {
  return line.replace(/; [\d.]+ nodes\/min.*$/, '');
}
