/**
 * Runs a suite on both store engines: SQLite (a temporary file) and PostgreSQL (a fresh
 * database on a throwaway server, src/testbed/postgres.ts, one server per test file).
 *
 *   describe.each(ENGINES)('on %s', (engine) => { const db = databases(engine); ... await db.fresh() ... });
 *
 * When PostgreSQL is missing, CI (CI set) fails and elsewhere the PostgreSQL cases are left
 * out, saying why — as test/slurm/real-slurm.test.ts does for Slurm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { inCi, postgresMissing, startPostgres, testbedPostgresDatabase, type PostgresServer } from '../../src/testbed/postgres.js';

export type Engine = 'sqlite' | 'postgres';

export const PG_WHY_NOT = postgresMissing();
if (PG_WHY_NOT && !inCi()) console.warn(`PostgreSQL cases left out: ${PG_WHY_NOT}`);
/** Whether the PostgreSQL cases run (in CI they always do, and fail when PostgreSQL is missing). */
export const PG_RUNS = !PG_WHY_NOT || inCi();

// In the daemon suites' PostgreSQL run (vitest.config.ts) every testbed is on PostgreSQL already.
export const ENGINES: Engine[] = process.env.BOSCTL_TESTBED_POSTGRES ? ['postgres'] : PG_RUNS ? ['sqlite', 'postgres'] : ['sqlite'];

let server: Promise<PostgresServer> | undefined;
const dirs: string[] = [];
let hooked = false;

/** This file's PostgreSQL server, started on first use and stopped after the file's tests. */
export function pgServer(): Promise<PostgresServer> {
  hook();
  server ??= startPostgres();
  return server;
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  afterAll(async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    const s = server;
    server = undefined;
    if (s) await (await s).stop();
  });
}

/** Where a fresh, empty database of `engine` is: a file path or a postgres:// URL. */
export async function freshDatabase(engine: Engine): Promise<string> {
  hook();
  if (engine === 'sqlite') {
    const d = mkdtempSync(join(tmpdir(), 'bosctl-engine-'));
    dirs.push(d);
    return join(d, 'bosd.db');
  }
  const s = await pgServer();
  return s.url(await s.createDatabase());
}

/**
 * A fresh database for a daemon suite's own store: on the PostgreSQL server of the "on
 * postgres" run (vitest.config.ts), else bosd.db in `dir`.
 */
export function suiteDatabase(dir: string): string {
  return testbedPostgresDatabase() ?? join(dir, 'bosd.db');
}
