import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { bosError } from '../../core/errors.js';

/** Whether `db` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** What the worker needs to connect: node-postgres client settings (no password unless from a file). */
export interface PgConnectConfig {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  ssl?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; verifyHost: boolean };
  applicationName: string;
  connectTimeoutMs: number;
}

const PARAMS = ['host', 'port', 'user', 'dbname', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name', 'connect_timeout'];

/**
 * Parses a postgres:// URL as libpq does for the parameters bosctl supports. A password in the
 * URL is refused: the URL is in argv (ps) and in config files; it belongs in a password file.
 * `display` is the URL for messages: never a password, no query parameters but the socket host.
 */
export function parsePostgresUrl(raw: string, passwordFile?: string): { config: PgConnectConfig; display: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bosError('BOS_USAGE', 'the database URL is not a valid URL; write postgres://USER@HOST:PORT/DATABASE');
  }
  if (u.password !== '') {
    throw bosError('BOS_USAGE', 'the database URL must not carry a password (it would show in ps and logs): put it in a file named by --db-password-file (bosd.yaml: database_password_file), or in PGPASSFILE or ~/.pgpass');
  }
  const q = u.searchParams;
  for (const k of q.keys()) {
    if (k === 'password') throw bosError('BOS_USAGE', 'the database URL must not carry a password: put it in a file named by --db-password-file (bosd.yaml: database_password_file), or in PGPASSFILE or ~/.pgpass');
    if (!PARAMS.includes(k)) throw bosError('BOS_USAGE', `unknown database URL parameter "${k}": the supported ones are ${PARAMS.join(', ')}`);
  }
  const host = q.get('host') ?? (u.hostname ? decodeURIComponent(u.hostname) : (process.env.PGHOST ?? '/var/run/postgresql'));
  const portText = q.get('port') ?? (u.port || process.env.PGPORT || '5432');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bosError('BOS_USAGE', `database URL port "${portText}" is not a port number (1-65535)`);
  const user = q.get('user') ?? (u.username ? decodeURIComponent(u.username) : (process.env.PGUSER ?? userInfo().username));
  const database = q.get('dbname') ?? (decodeURIComponent(u.pathname.replace(/^\//, '')) || (process.env.PGDATABASE ?? user));
  const config: PgConnectConfig = {
    host, port, user, database,
    applicationName: q.get('application_name') ?? 'bosctl',
    connectTimeoutMs: q.has('connect_timeout') ? Math.max(1, Number(q.get('connect_timeout'))) * 1000 : 10_000,
  };
  const sslmode = q.get('sslmode') ?? 'prefer';
  const file = (k: string) => {
    const p = q.get(k);
    if (!p) return undefined;
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      throw bosError('BOS_FILE_UNREADABLE', `cannot read ${k} ${p} named in the database URL: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  switch (sslmode) {
    case 'disable': case 'allow': case 'prefer':
      break;
    case 'require': case 'verify-ca': case 'verify-full':
      config.ssl = { ca: file('sslrootcert'), cert: file('sslcert'), key: file('sslkey'), rejectUnauthorized: sslmode !== 'require', verifyHost: sslmode === 'verify-full' };
      break;
    default:
      throw bosError('BOS_USAGE', `database URL sslmode "${sslmode}" is not one of disable, prefer, require, verify-ca, verify-full`);
  }
  if (passwordFile) config.password = readPasswordFile(passwordFile);
  const hostPart = host.startsWith('/') ? '' : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const display = `postgres://${encodeURIComponent(user)}@${hostPart}/${encodeURIComponent(database)}${host.startsWith('/') ? `?host=${host}` : ''}`;
  return { config, display };
}

/** The password file's first line (its trailing newline is not part of the password). */
export function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (e) {
    throw bosError('BOS_FILE_UNREADABLE', `cannot read the database password file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}
