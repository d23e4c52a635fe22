/** Messages between the store's thread and the worker that owns the PostgreSQL connections. */
import type { PgConnectConfig } from './url.js';

export interface WorkerInit {
  config: PgConnectConfig;
  /** Int32 slots: REPLY (0/1, the worker answered) and NOTIFIED (commits by other connections). */
  shared: SharedArrayBuffer;
  /** The channel on which NOTIFY announces commits. */
  channel: string;
  /** lock_timeout for every statement (ms): how long a writer waits for the write lock. */
  lockTimeoutMs: number;
}

export const REPLY = 0;
export const NOTIFIED = 1;

export interface Stmt {
  /** SQL with $n placeholders. */
  text: string;
  values: unknown[];
}

export type Request =
  | { t: 'exec'; stmts: Stmt[]; /** A statement list inside an open transaction: never reconnect for it. */ inTx: boolean }
  | { t: 'close' };

export interface WireError {
  code?: string;
  message: string;
  detail?: string;
  /** The connection was lost (or could not be made): the next call reconnects. */
  lost: boolean;
}

export type Reply =
  | { ok: true; results: Array<{ rows: Array<Record<string, unknown>>; rowCount: number }> }
  | { ok: false; index: number; error: WireError };
