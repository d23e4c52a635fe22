/**
 * Helpers for the end-to-end CLI tests: they spawn the real `bin/bosctl.js` (which runs
 * dist/, so build first) against real SQLite files in fresh temporary directories.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { PgDriver } from '../../src/store/pg/driver.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(ROOT, 'bin', 'bosctl.js');
export const EXAMPLES = join(ROOT, 'examples');

export const V1_KERNEL = 's3://boot-images/compute-v1/kernel';
export const V2_KERNEL = 's3://boot-images/compute-v2/kernel';
export const V2_INITRD = 's3://boot-images/compute-v2/initrd';

/** The 16 nodes of examples/inventory.csv: nid i (1-based) is XNAMES[i - 1]. */
export const XNAMES: string[] = (() => {
  const out: string[] = [];
  for (const c of [0, 1]) for (const s of [0, 1, 2, 3]) for (const n of [0, 1]) out.push(`x1000c${c}s${s}b0n${n}`);
  return out;
})();
/** Members of the `gpu` group of examples/inventory.csv (nids 7, 8, 15, 16). */
export const GPU = ['x1000c0s3b0n0', 'x1000c0s3b0n1', 'x1000c1s3b0n0', 'x1000c1s3b0n1'];

export interface RunResult {
  /** Exit code; null if killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Database path, passed as `--db PATH` before the other arguments. */
  db?: string;
  /** Extra environment; a value of undefined removes that variable. */
  env?: Record<string, string | undefined>;
  /** Text written to stdin; without it stdin is closed at once (never a TTY). */
  input?: string;
  cwd?: string;
}

/** The environment every spawned bosctl gets: no colour, no inherited database or colour settings. */
function baseEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['BOSCTL_DB', 'BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE', 'BOSCTL_OUTPUT', 'BOSCTL_CONFIG', 'BOSCTL_S3_CONFIG', 'FORCE_COLOR', 'NO_COLOR', 'CLICOLOR', 'CLICOLOR_FORCE', 'NODE_OPTIONS', 'COLUMNS']) delete env[k];
  env.NO_COLOR = '1';
  // No developer's bosctl config file either.
  env.XDG_CONFIG_HOME = '/nonexistent-bosctl-test-config';
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs node with `argv`; resolves when it has exited and its streams are drained. */
export function spawnNode(argv: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, argv, { cwd: opts.cwd ?? ROOT, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => { stdout += d; });
    child.stderr.on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.stdin.on('error', () => { /* the CLI may exit before reading stdin */ });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

/** Runs `node bin/bosctl.js ARGS` and resolves when it has exited and its streams are drained. */
export function bosctl(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = [BIN, ...(opts.db !== undefined ? ['--db', opts.db] : []), ...args];
  return spawnNode(argv, { cwd: opts.cwd, env: baseEnv(opts.env), input: opts.input });
}

/** Like bosctl, but throws (with the output) unless the command exits 0. */
export async function ok(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await bosctl(args, opts);
  if (r.code !== 0) {
    throw new Error(`bosctl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r;
}

/** Runs a command with `-o json` and parses its stdout; throws unless it exits 0. */
export async function json<T = any>(args: string[], opts: RunOptions = {}): Promise<T> {
  const r = await ok(['-o', 'json', ...args], opts);
  try {
    return JSON.parse(r.stdout) as T;
  } catch (e) {
    throw new Error(`bosctl ${args.join(' ')} -o json printed no JSON: ${(e as Error).message}\nstdout: ${r.stdout}`);
  }
}

const tmpDirs: string[] = [];

export interface TmpDb {
  dir: string;
  /** The database path (not created yet). */
  db: string;
  /** Writes a file in the temporary directory and returns its path. */
  file(name: string, content: string | Buffer): string;
}

/** A fresh temporary directory and a database path in it; removed by removeTmpDirs(). */
export function tmpDb(): TmpDb {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-cli-test-'));
  tmpDirs.push(dir);
  return {
    dir,
    db: join(dir, 'bosd.db'),
    file(name, content) {
      const p = join(dir, name);
      mkdirSync(resolve(p, '..'), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
  };
}

/** Removes every directory tmpDb() made; call it from afterAll. */
export function removeTmpDirs(): void {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export type Row = Record<string, unknown>;
export interface Dump {
  user_version: number;
  schema: Row[];
  tables: Record<string, Row[]>;
}

function plainValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { blob: v.toString('hex') };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  return v;
}

/**
 * Every table of the database, row by row in rowid order, with its schema and user_version:
 * equal dumps mean equal contents. Opened read-only.
 */
export function dump(dbPath: string): Dump {
  if (dbPath.startsWith('postgres://')) return dumpPostgres(dbPath);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const user_version = db.pragma('user_version', { simple: true }) as number;
    const schema = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid').all() as Row[];
    const tables: Record<string, Row[]> = {};
    for (const t of schema.filter((s) => s.type === 'table')) {
      const name = String(t.name);
      const rows = db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}" ORDER BY rowid`).all() as Row[];
      tables[name] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plainValue(v)])));
    }
    return { user_version, schema, tables };
  } finally {
    db.close();
  }
}

/** The same for a PostgreSQL database: its schema version, columns, and rows in primary-key order. */
function dumpPostgres(url: string): Dump {
  const { driver } = PgDriver.connect(url);
  try {
    const user_version = driver.version() ?? 0;
    const schema = driver.db.query(`SELECT table_name, column_name, data_type, column_default, is_nullable FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY table_name COLLATE "C", ordinal_position`, []).rows as Row[];
    const tables: Record<string, Row[]> = {};
    for (const name of driver.tableNames()) tables[name] = driver.rows(name) as Row[];
    return { user_version, schema, tables };
  } finally {
    driver.close();
  }
}

/** Runs several commands at once; throws on the first that does not exit 0. */
export async function okAll(cmds: string[][], opts: RunOptions = {}): Promise<RunResult[]> {
  return Promise.all(cmds.map((c) => ok(c, opts)));
}

/** Imports examples/inventory.csv and creates templates compute-v1 (YAML) and compute-v2 (JSON). */
export async function seed(db: string): Promise<void> {
  await ok(['inventory', 'import', join(EXAMPLES, 'inventory.csv')], { db });
  await ok(['sessiontemplate', 'create', 'compute-v1', '--file', join(EXAMPLES, 'compute-v1.yaml')], { db });
  await ok(['sessiontemplate', 'create', 'compute-v2', '--file', join(EXAMPLES, 'compute-v2.json')], { db });
}

/**
 * A copy of a database file in a fresh temporary directory (bosctl checkpoints and removes
 * its WAL when it exits, so the main file holds everything). Seeding once and copying keeps
 * the suite fast.
 */
export function cloneDb(src: string): TmpDb {
  for (const ext of ['-wal', '-shm']) {
    if (existsSync(src + ext)) {
      // A reader left WAL files behind: checkpoint them into the main file first.
      const db = new Database(src);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      break;
    }
  }
  const t = tmpDb();
  copyFileSync(src, t.db);
  return t;
}

let seededCache: Promise<string> | undefined;
/** One seeded database per test file (a template to clone; never change it). */
export function seededTemplate(): Promise<string> {
  seededCache ??= (async () => {
    const t = tmpDb();
    await seed(t.db);
    return t.db;
  })();
  return seededCache;
}

/** A fresh copy of the seeded database. */
export async function seeded(): Promise<TmpDb> {
  return cloneDb(await seededTemplate());
}

/** Stderr as lines, without the trailing newline. */
export function lines(text: string): string[] {
  const t = text.replace(/\n$/, '');
  return t === '' ? [] : t.split('\n');
}

// eslint-disable-next-line no-control-regex
export const ANSI_RE = /\u001b\[/;
