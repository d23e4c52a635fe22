import { truncatePath } from './refusal-log.js';

/** Where a request's time went, ms: each phase from the end of the one before. */
export interface RequestPhases {
  /** Token check and route match. */
  auth: number;
  /** Reading the body off the connection. */
  body: number;
  /** Waiting for its turn to write (the write group, or another connection's lock). */
  wait: number;
  /** The handler itself (for a grouped write: its own savepoint). */
  work: number;
  /** Writing the answer. */
  reply: number;
}

/** When a request reached each point (performance.now()); a point not reached is absent. */
export interface PhaseMarks {
  authed?: number;
  read?: number;
  started?: number;
  done?: number;
}

/** The phases of a request that began at `start` and was answered at `end`. */
export function phasesOf(start: number, m: PhaseMarks, end: number): RequestPhases {
  const authed = m.authed ?? end;
  const read = m.read ?? authed;
  const started = m.started ?? read;
  const done = m.done ?? started;
  return { auth: authed - start, body: read - authed, wait: started - read, work: done - started, reply: end - done };
}

export interface SlowRequest {
  method: string;
  path: string;
  status: number;
  ms: number;
  phases: RequestPhases;
}

export interface SlowRequestLogOptions {
  log(level: 'warn', msg: string, fields?: Record<string, unknown>): void;
  /** A request that took longer than this is slow (default 1000 ms). */
  thresholdMs?: number;
  intervalMs?: number;
  nowMs?: () => number;
}

/**
 * Requests bosd took longer than a second to answer: the first of an interval is logged at once
 * with where its time went, the rest as one summary line (count and the slowest) when the
 * interval ends, so that an overloaded daemon does not add a log line per request.
 */
export class SlowRequestLog {
  readonly thresholdMs: number;
  private readonly intervalMs: number;
  private readonly nowMs: () => number;
  private window: { start: number; count: number; slowest: SlowRequest | undefined } | undefined;
  /** Every slow request since start (for tests and health). */
  total = 0;

  constructor(private readonly opts: SlowRequestLogOptions) {
    this.thresholdMs = opts.thresholdMs ?? 1000;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.nowMs = opts.nowMs ?? (() => performance.now());
  }

  observe(r: SlowRequest): void {
    const now = this.nowMs();
    this.flush(now);
    if (r.ms <= this.thresholdMs) return;
    this.total++;
    if (!this.window) {
      this.window = { start: now, count: 0, slowest: undefined };
      this.opts.log('warn', 'slow request', fields(r));
      return;
    }
    this.window.count++;
    if (!this.window.slowest || r.ms > this.window.slowest.ms) this.window.slowest = r;
  }

  flush(now = this.nowMs()): void {
    const w = this.window;
    if (!w || now - w.start < this.intervalMs) return;
    this.window = undefined;
    if (w.count === 0 || !w.slowest) return;
    this.opts.log('warn', `${w.count} more slow requests (over ${this.thresholdMs} ms) in the last ${Math.round(this.intervalMs / 1000)} s; the slowest`, {
      count: w.count, ...fields(w.slowest),
    });
  }
}

function fields(r: SlowRequest): Record<string, unknown> {
  const ms = (v: number) => Math.round(v);
  return {
    method: r.method, path: truncatePath(r.path), status: r.status, ms: ms(r.ms),
    phases_ms: { auth: ms(r.phases.auth), body: ms(r.phases.body), wait: ms(r.phases.wait), work: ms(r.phases.work), reply: ms(r.phases.reply) },
  };
}
