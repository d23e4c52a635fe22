/**
 * Several bosd on one database (issue 18), on SQLite or PostgreSQL: the cluster (simulator,
 * staged rollout, bosd children), which child leads (the lease row, read on the test's own
 * connection), each child's log as it comes, and the takeover time after a disruption — from the
 * disruption to the new term in the database, and to the new leader's first reconciler event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '../../bench/lib.js';
import { LEASE_NAME } from '../../src/daemon/leadership.js';
import type { LocalBackend } from '../../src/services/local-backend.js';
import type { SimOptions, Simulator } from '../../src/sim/index.js';
import { waitFor } from '../../src/testbed/index.js';
import { stageCluster, type BosdChild } from './cluster.js';

export interface HaBosd extends BosdChild {
  pid: number;
  /** Everything it wrote to stderr since it started listening. */
  out(): string;
}

export interface LeaseRow { holder: string; epoch: number; beat: number }

/** Starts one more bosd on the cluster's database, keeping its log text. */
export async function startInstance(cluster: HaCluster): Promise<HaBosd> {
  const b = await cluster.startBosd();
  let text = '';
  b.child.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
  return { ...b, pid: b.child.pid!, out: () => text };
}

export function lease(ro: Reader): LeaseRow | undefined {
  const r = ro.get<LeaseRow>('SELECT holder, epoch, beat FROM leases WHERE name = ?', LEASE_NAME);
  return r && { holder: r.holder, epoch: Number(r.epoch), beat: Number(r.beat) };
}

/** The instance holding the lease (default instance ids are hostname:pid). */
export function leaderOf(ro: Reader, all: HaBosd[]): HaBosd | undefined {
  const l = lease(ro);
  return l ? all.find((b) => l.holder.endsWith(`:${b.pid}`)) : undefined;
}

/** The highest event id (what existed before a disruption). */
export function lastEventId(ro: Reader): number {
  return Number(ro.get<{ n: number | null }>('SELECT max(id) AS n FROM events')!.n ?? 0);
}

/**
 * Waits for a term after `epochBefore` and then for its first reconciler event (a node's step
 * stored); both in ms after `t0` (Date.now() at the disruption).
 */
export async function takeover(ro: Reader, epochBefore: number, eventBefore: number, t0: number, timeoutMs = 60_000): Promise<{ leaseMs: number; firstActionMs: number; holder: string; takenAt: number }> {
  const l = await waitFor('a standby to take the lease over', () => { const r = lease(ro); return r && r.epoch > epochBefore ? r : undefined; }, timeoutMs, 10);
  const takenAt = Date.now();
  const leaseMs = takenAt - t0;
  await waitFor('the new leader\'s first reconciler event', () => ro.get("SELECT id FROM events WHERE id > ? AND kind = 'component' AND via = 'bosd reconciler' LIMIT 1", eventBefore), timeoutMs, 10);
  return { leaseMs, firstActionMs: Date.now() - t0, holder: l.holder, takenAt };
}

/** The reconciler's milestones of one node, in order, as one string (its expected sequence is checked by a pattern). */
export function milestones(actions: string[]): string {
  return actions.filter((a) => ['powering_off_gracefully', 'powering_off_forcefully', 'powering_on', 'stable'].includes(a)).join(' ');
}

/** A reboot: one or more power-off intents, then power-on intents, then stable, nothing after. */
export const REBOOT_SEQUENCE = /^(powering_off_(gracefully|forcefully) )+(powering_on )+stable$/;

/**
 * Power requests a frozen-then-woken instance logged after `fromOffset` of its log (taken while
 * it was frozen) for which the BMC got no such request before `takenAt`, the takeover: until
 * then no other instance could call, so a request the BMC got earlier was sent by the frozen one
 * before it froze (its answer, and the log line, came after it woke). Any other is a call made
 * after waking, which the guard must prevent.
 */
export function callsAfterWake(b: HaBosd, fromOffset: number, resetLog: Array<{ xname: string; type: string; at: number }>, takenAt: number): string[] {
  const out: string[] = [];
  const typeOf: Record<string, string> = { 'power on requested': 'On', 'power off (graceful) requested': 'Off', 'power off (forceful) requested': 'ForceOff' };
  for (const line of b.out().slice(fromOffset).split('\n')) {
    const msg = /"msg":"(power [^"]* requested)"/.exec(line)?.[1];
    if (!msg) continue;
    const id = /"component":"([^"]+)"/.exec(line)?.[1] ?? '';
    if (!resetLog.some((r) => r.xname === id && r.type === typeOf[msg] && r.at < takenAt)) out.push(line);
  }
  return out;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * SIGSTOP at a moment the instance holds no write lock, and when it was. A process frozen inside
 * a write transaction keeps its locks until it wakes or dies: SQLite's one write lock (no other
 * process can write, a takeover included), or on PostgreSQL the lease row its fenced write
 * locked (README, "High availability": what is not covered). After each stop the test's own
 * connection tries to take that lock briefly; if it cannot, the frozen instance holds it: it is
 * woken and stopped again a moment later.
 */
export async function freezeOutsideWrite(b: HaBosd, c: HaCluster): Promise<{ at: number; retries: number }> {
  const probe = await lockProbe(c);
  try {
    for (let retries = 0; ; retries++) {
      b.child.kill('SIGSTOP');
      const at = Date.now();
      if (probe.free()) return { at, retries };
      if (retries >= 50) throw new Error('the frozen instance held the write lock 50 times in a row');
      b.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 20 + retries * 7));
    }
  } finally {
    probe.close();
  }
}

async function lockProbe(c: HaCluster): Promise<{ free(): boolean; close(): void }> {
  if (c.engine === 'sqlite') {
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(c.db, { timeout: 300, fileMustExist: true });
    return {
      free: () => {
        try { db.exec('BEGIN IMMEDIATE'); db.exec('ROLLBACK'); return true; } catch (e) {
          if (String((e as { code?: string }).code).startsWith('SQLITE_BUSY')) return false;
          throw e;
        }
      },
      close: () => db.close(),
    };
  }
  const { Store } = await import('../../src/store/store.js');
  const { prepared } = await import('../../src/store/db.js');
  const store = Store.open(c.db);
  const conn = (store as unknown as { db: import('../../src/store/db.js').Db }).db;
  prepared(conn, "SET lock_timeout = '300ms'").run();
  return {
    free: () => {
      try { prepared(conn, 'UPDATE leases SET epoch = epoch WHERE name = ?').run(LEASE_NAME); return true; } catch (e) {
        if (/lock timeout|55P03/i.test(`${(e as Error).message} ${(e as { code?: string }).code ?? ''}`)) return false;
        throw e;
      }
    },
    close: () => store.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// The same cluster on either engine: SQLite (a file) or PostgreSQL (a throwaway server).

/** What the HA tests read, on either engine (SQL with ? parameters). */
export interface Reader {
  all<T>(sql: string, ...params: unknown[]): T[];
  get<T>(sql: string, ...params: unknown[]): T | undefined;
  close(): void;
}

export interface HaCluster {
  engine: 'sqlite' | 'postgres';
  dir: string;
  /** A file path or a postgres:// URL. */
  db: string;
  sim: Simulator;
  backend: LocalBackend;
  reader: Reader;
  nodes: string[];
  nodeToken: string;
  startBosd(): Promise<BosdChild>;
  logs(): string[];
  close(): Promise<void>;
}

/**
 * As startCluster (cluster.ts), on `db`: a temporary SQLite file, or the postgres:// URL of a
 * fresh database. The reader is a read-only connection (SQLite) or a Store connection's
 * statements (PostgreSQL).
 */
export async function startHaCluster(o: { db?: string; sim: SimOptions; options: Record<string, unknown>; bosdArgs: string[] }): Promise<HaCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-ha-'));
  const db = o.db ?? join(dir, 'bosd.db');
  const engine = db.startsWith('postgres') ? 'postgres' : 'sqlite';
  const { sim, backend, nodeToken, nodes, children, startBosd, logs } = await stageCluster(dir, db, o);
  const reader = await openReader(db, engine);
  return {
    engine, dir, db, sim, backend, reader, nodes, nodeToken, startBosd, logs,
    async close() {
      for (const c of children) { if (c.child.signalCode === 'SIGSTOP') c.child.kill('SIGCONT'); await stopChild(c.child, 5000); }
      reader.close();
      backend.close();
      await sim.close();
      // HA_KEEP=1 keeps the logs (bosd-N.log) for a look after a failure.
      if (process.env.HA_KEEP) console.log(`ha cluster kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openReader(db: string, engine: 'sqlite' | 'postgres'): Promise<Reader> {
  if (engine === 'sqlite') {
    const { default: Sqlite } = await import('better-sqlite3');
    const ro = new Sqlite(db, { readonly: true, fileMustExist: true });
    return {
      all: <T>(sql: string, ...p: unknown[]) => ro.prepare(sql).all(...p) as T[],
      get: <T>(sql: string, ...p: unknown[]) => ro.prepare(sql).get(...p) as T | undefined,
      close: () => ro.close(),
    };
  }
  const { Store } = await import('../../src/store/store.js');
  const { prepared } = await import('../../src/store/db.js');
  const store = Store.open(db);
  const conn = (store as unknown as { db: import('../../src/store/db.js').Db }).db;
  return {
    all: <T>(sql: string, ...p: unknown[]) => (prepared(conn, sql) as unknown as { all(...a: unknown[]): T[] }).all(...p),
    get: <T>(sql: string, ...p: unknown[]) => (prepared(conn, sql) as unknown as { get(...a: unknown[]): T | undefined }).get(...p),
    close: () => store.close(),
  };
}
