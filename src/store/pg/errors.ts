import { bosError } from '../../core/errors.js';
import type { WireError } from './protocol.js';

/**
 * PostgreSQL's failures as the same BOS_DB_* kinds SQLite's map to, naming the database by its
 * URL without a password. Anything that stops writes (unreachable server, refused login, lost
 * connection, read-only server) is BOS_DB_UNWRITABLE, so writeHealth reports it.
 */
export function pgError(e: WireError, where: string): Error {
  const code = e.code ?? '';
  const msg = e.message;
  if (code === '53100') return bosError('BOS_DB_FULL', `cannot write database ${where}: the server's disk is full (${msg})`);
  if (code === '25006') return bosError('BOS_DB_UNWRITABLE', `cannot write database ${where}: the server is read-only (a standby?): ${msg}`);
  if (code === '28P01' || code === '28000') return bosError('BOS_DB_UNWRITABLE', `cannot open database ${where}: authentication failed (${msg})`);
  if (code === '3D000') return bosError('BOS_DB_MISSING', `no database ${where}: create it first (createdb), then run bosctl again`);
  if (code === '42501') return bosError('BOS_DB_UNWRITABLE', `cannot write database ${where}: permission denied (${msg})`);
  if (code === '55P03' || code === '40001' || code === '40P01') return bosError('BOS_DB_BUSY', `database ${where} stayed locked by another writer (${msg})`);
  if (code === 'XX001' || code === 'XX002') return bosError('BOS_DB_CORRUPT', `database ${where} is damaged (${msg})`);
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOENT|EACCES)$/.test(code) || /timeout expired|connection timeout/i.test(msg)) {
    return bosError('BOS_DB_UNWRITABLE', `cannot reach PostgreSQL for database ${where}: ${code || msg}`);
  }
  if (/self[- ]signed|certificate|Hostname\/IP does not match|does not support SSL|SSL/i.test(msg)) {
    return bosError('BOS_DB_UNWRITABLE', `cannot open database ${where}: TLS failed (${msg})`);
  }
  if (/^(57P0[123]|08\d\d\d)$/.test(code) || e.lost) {
    return bosError('BOS_DB_UNWRITABLE', `lost the connection to database ${where} (${msg}); the next command reconnects`);
  }
  return Object.assign(new Error(msg), { code: code || undefined });
}
