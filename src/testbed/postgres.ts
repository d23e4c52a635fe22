import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PgDriver } from '../store/pg/driver.js';

/**
 * A throwaway PostgreSQL server for tests and benchmarks: initdb + pg_ctl in a fresh temp
 * directory, listening on a unix socket in that directory and on 127.0.0.1 (a port the OS
 * picked). PostgreSQL refuses to run as root, so under root the server runs as `nobody`.
 *
 * Authentication: the superuser `bosctl` is trusted (socket and 127.0.0.1); roles made with
 * createRole() join the group `pw_users`, which must give a password (scram-sha-256) and,
 * when TLS is on, may connect over TLS only with `hostssl`.
 */
export interface PostgresServer {
  dir: string;
  /** The unix socket directory. */
  socketDir: string;
  port: number;
  /** The superuser's name. */
  user: string;
  /** postgres://bosctl@127.0.0.1:PORT/DB (TCP). */
  url(db?: string): string;
  /** The same database through the unix socket (postgres:///DB?host=DIR&port=PORT&user=bosctl). */
  socketUrl(db?: string): string;
  /** A fresh empty database; returns its name. */
  createDatabase(name?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** A login role in `pw_users` (password required); returns its name. */
  createRole(name: string, password: string): Promise<string>;
  /** Runs SQL as the superuser with psql (for setup and inspection); returns stdout. */
  psql(sql: string, db?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Turns TLS on with this certificate and key (PEM files; copied into the data directory). */
  tls?: { certFile: string; keyFile: string };
  /** Extra postgresql.conf lines. */
  conf?: string[];
}

const VERSIONS_DIR = '/usr/lib/postgresql';

/** The directory of initdb/pg_ctl/postgres/psql, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  // Distributions link initdb and pg_ctl into PATH but not psql or postgres: use the real directory.
  if (onPath) return dirname(realpathSync(join(onPath, 'initdb')));
  if (!existsSync(VERSIONS_DIR)) return undefined;
  const versions = readdirSync(VERSIONS_DIR).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(VERSIONS_DIR, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/** Why a PostgreSQL test cannot run here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (!postgresBinDir()) return 'PostgreSQL is not installed (initdb and pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin): apt-get install postgresql';
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser') && !existsSync('/usr/bin/runuser')) {
    return 'running as root needs runuser (util-linux) to start PostgreSQL as nobody';
  }
  return undefined;
}

/** True when CI is set to something other than empty/0/false/no. */
export function inCi(): boolean {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], opts: { cwd?: string; asUser?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const [cmd, argv] = opts.asUser ? ['runuser', ['-u', opts.asUser, '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

let serial = 0;
const live = new Set<() => void>();
let exitHookSet = false;

export async function startPostgres(o: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(postgresMissing());
  const asUser = process.getuid?.() === 0 ? 'nobody' : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-pg-'));
  const data = join(dir, 'data');
  const user = 'bosctl';
  const chownToServer = (p: string) => {
    if (!asUser) return;
    const id = spawnSync('id', ['-u', asUser], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', asUser], { encoding: 'utf8' });
    chownSync(p, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  };
  chmodSync(dir, 0o755);
  chownToServer(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' };
  delete env.PGPASSFILE; delete env.PGPASSWORD; delete env.PGHOST; delete env.PGPORT; delete env.PGUSER; delete env.PGDATABASE;
  await run(join(bin, 'initdb'), ['-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], { cwd: dir, asUser, env });

  const hba = [
    'local all all trust',
    ...(o.tls ? ['hostssl all +pw_users 127.0.0.1/32 scram-sha-256', 'host all +pw_users 127.0.0.1/32 reject'] : ['host all +pw_users 127.0.0.1/32 scram-sha-256']),
    'host all all 127.0.0.1/32 trust',
  ];
  writeFileSync(join(data, 'pg_hba.conf'), hba.join('\n') + '\n');
  const conf = [
    `unix_socket_directories = '${dir}'`,
    "listen_addresses = '127.0.0.1'",
    // A test server: durability is not what is tested, speed is welcome.
    'fsync = off', 'synchronous_commit = off', 'full_page_writes = off',
    'max_connections = 300', 'shared_buffers = 32MB', "timezone = 'UTC'", "log_min_messages = 'warning'",
    ...(o.conf ?? []),
  ];
  if (o.tls) {
    copyFileSync(o.tls.certFile, join(data, 'server.crt'));
    copyFileSync(o.tls.keyFile, join(data, 'server.key'));
    chmodSync(join(data, 'server.key'), 0o600);
    chownToServer(join(data, 'server.crt'));
    chownToServer(join(data, 'server.key'));
    conf.push('ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'");
  }
  appendFileSync(join(data, 'postgresql.conf'), '\n' + conf.join('\n') + '\n');
  chownToServer(join(data, 'pg_hba.conf'));

  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port}`, 'start'], { cwd: dir, asUser, env });
      break;
    } catch (e) {
      // Another process may have taken the port between our probe and the server's bind.
      if (attempt >= 4) throw e;
    }
  }

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    spawnSync(asUser ? 'runuser' : join(bin, 'pg_ctl'), [...(asUser ? ['-u', asUser, '--', join(bin, 'pg_ctl')] : []), '-D', data, '-m', 'immediate', '-w', 'stop'], { cwd: tmpdir(), env, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(stopSync);
  if (!exitHookSet) {
    exitHookSet = true;
    process.once('exit', () => { for (const s of live) s(); });
  }

  const psql = (sql: string, db = 'postgres') =>
    run(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', user, '-d', db, '-c', sql], { cwd: dir, env });
  const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const quoteLit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  await psql('CREATE ROLE pw_users NOLOGIN');

  return {
    dir, socketDir: dir, port, user,
    url: (db = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    socketUrl: (db = 'postgres') => `postgres:///${encodeURIComponent(db)}?host=${encodeURIComponent(dir)}&port=${port}&user=${user}`,
    async createDatabase(name) {
      const db = name ?? `t${process.pid}_${++serial}_${Math.random().toString(36).slice(2, 8)}`;
      await psql(`CREATE DATABASE ${quoteIdent(db)}`);
      return db;
    },
    async dropDatabase(name) {
      await psql(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
    async createRole(name, password) {
      await psql(`CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD ${quoteLit(password)} IN ROLE pw_users`);
      return name;
    },
    psql,
    async stop() {
      live.delete(stopSync);
      stopSync();
    },
  };
}


/**
 * Where a testbed keeps its database when BOSCTL_TESTBED_POSTGRES names a server (the URL of
 * any of its databases, as a superuser): a fresh database there, made now; else undefined (a
 * SQLite file). It is how the daemon suites run again on PostgreSQL (vitest.config.ts).
 */
export function testbedPostgresDatabase(): string | undefined {
  const server = process.env.BOSCTL_TESTBED_POSTGRES;
  if (!server) return undefined;
  const name = `tb${process.pid}_${++serial}_${Math.random().toString(36).slice(2, 8)}`;
  const { driver } = PgDriver.connect(server);
  try {
    driver.db.query(`CREATE DATABASE "${name}"`, []);
  } finally {
    driver.close();
  }
  const u = new URL(server);
  u.pathname = `/${name}`;
  return u.toString();
}
