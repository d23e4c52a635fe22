/**
 * The chaos tests' cluster: the simulator in the test process (its reset log and power
 * timeline are read directly), a database staged with a reboot onto v2 for every node, and
 * bosd as a child process (the benchmarks' runner) that can be killed and started again.
 */
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBosd as spawnBosd, stopChild } from '../../bench/lib.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { startSimulator, type SimOptions, type Simulator } from '../../src/sim/index.js';
import { BMC_CREDENTIALS } from '../secrets.js';

export const V2_KERNEL = 's3://img/v2/kernel';

export interface BosdChild {
  child: import('node:child_process').ChildProcess;
  url: string;
  /** The end of its log. */
  tail(): string;
}

/** Throws, with the end of its log, when bosd has exited on its own. */
export function assertRunning(b: BosdChild): void {
  if (b.child.exitCode !== null || b.child.signalCode !== null) {
    throw new Error(`bosd exited on its own (${b.child.exitCode ?? b.child.signalCode}): ${b.tail().slice(-3000)}`);
  }
}

/** kill -9, and wait until it is gone. */
export async function killHard(b: BosdChild): Promise<void> {
  assertRunning(b);
  const gone = new Promise((r) => b.child.once('exit', r));
  b.child.kill('SIGKILL');
  await gone;
}

export interface Cluster {
  dir: string;
  db: string;
  sim: Simulator;
  backend: LocalBackend;
  /** The test's own read-only connection (WAL: it sees every committed row). */
  ro: Database.Database;
  /** The staged session's nodes (every node). */
  nodes: string[];
  nodeToken: string;
  /** Starts bosd (log file bosd-<n>.log in dir) and points the nodes' boot reports at it. */
  startBosd(): Promise<BosdChild>;
  /** Stops every bosd started (SIGTERM), leaving their logs. */
  stopBosd(): Promise<void>;
  /** Every bosd log written so far. */
  logs(): string[];
  close(): Promise<void>;
}

/**
 * A staged cluster on `db` (a file, or a postgres:// URL): the simulator, the database with
 * every node staged for a reboot onto v2, and a starter of bosd children (logs in `dir`).
 */
export async function stageCluster(dir: string, db: string, o: { sim: SimOptions; options: Record<string, unknown>; bosdArgs: string[] }) {
  const sim = await startSimulator({ credentials: BMC_CREDENTIALS, ...o.sim });
  const credentialsFile = join(dir, 'redfish.json');
  writeFileSync(credentialsFile, JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
  const backend = new LocalBackend(db, { user: 'chaos', via: 'test' });
  await backend.importInventory(sim.inventory().map((r, i) => normalizeInventoryRecord(r as unknown as Record<string, unknown>, `n${i}`)));
  await backend.updateOptions(o.options);
  await backend.createTemplate('v2', { boot_sets: { c: { kernel: V2_KERNEL, initrd: 's3://img/v2/initrd', kernel_parameters: 'v2', node_roles_groups: ['Compute'] } }, cfs: { configuration: 'cfg-v2' } });
  const nodeToken = (await backend.createToken({ role: 'node', description: 'simulated nodes' })).secret;
  const session = await backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'rollout' });
  const children: BosdChild[] = [];
  return {
    sim, backend, nodeToken, nodes: session.nodes, children,
    async startBosd(): Promise<BosdChild> {
      const b = await spawnBosd({ db, bssUrl: sim.bssUrl, cfsUrl: sim.cfsUrl, credentialsFile, args: o.bosdArgs, logFile: join(dir, `bosd-${children.length}.log`) });
      children.push(b);
      sim.setBosUrl(b.url, nodeToken);
      return b;
    },
    logs: () => children.map((_, i) => readFileSync(join(dir, `bosd-${i}.log`), 'utf8')),
  };
}

export async function startCluster(o: { sim: SimOptions; options: Record<string, unknown>; bosdArgs: string[] }): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-chaos-'));
  const db = join(dir, 'bosd.db');
  const { sim, backend, nodeToken, nodes, children, startBosd, logs } = await stageCluster(dir, db, o);
  const ro = new Database(db, { readonly: true, fileMustExist: true });
  return {
    dir, db, sim, backend, ro, nodes, nodeToken, startBosd, logs,
    async stopBosd() {
      for (const c of children) await stopChild(c.child, 5000);
    },
    async close() {
      for (const c of children) await stopChild(c.child, 5000);
      ro.close();
      backend.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EventRow { id: number; at: string; kind: string; subject: string; action: string; detail: string }

const REQUEST_OF: Record<string, string> = { powering_off_gracefully: 'Off', powering_off_forcefully: 'ForceOff', powering_on: 'On' };

/**
 * Checks one node's power history against the intents bosd stored for it (its events, in
 * order) and names its path:
 * - physically one power cycle: On → PoweringOff → Off → PoweringOn → On, nothing else;
 * - each request the BMC got (Off, ForceOff, On) answers its own intent stored before it
 *   (powering_off_gracefully, powering_off_forcefully, powering_on), in order: no resend;
 * - an intent the BMC never got is explained: bosd died holding it (it is the node's last
 *   event before a kill), or its call failed (call_failed follows it; the request may also
 *   have arrived late, after bosd gave up on it).
 */
export function checkPowerPath(id: string, sim: Simulator, events: EventRow[], killTimes: number[]) {
  const timeline = sim.powerTimeline().filter((t) => t.xname === id).map((t) => t.to);
  expect(timeline, `${id} power transitions`).toEqual(['PoweringOff', 'Off', 'PoweringOn', 'On']);
  const requests = sim.resetLog().filter((r) => r.xname === id);
  const intents = events.filter((e) => e.action in REQUEST_OF);
  const lost: string[] = [];
  const lostAt: number[] = [];
  let failedCalls = 0;
  let r = 0;
  for (const [i, intent] of intents.entries()) {
    const at = Date.parse(intent.at);
    const next = events.find((e) => e.id > intent.id && e.action in REQUEST_OF);
    const failed = events.some((e) => e.id > intent.id && (!next || e.id < next.id) && e.action === 'call_failed');
    if (failed) failedCalls++;
    const req = requests[r];
    const inTime = req && req.at >= at && (failed || !next || req.at <= Date.parse(next.at));
    if (req && req.type === REQUEST_OF[intent.action] && inTime) { r++; continue; }
    if (failed) { lost.push(`${intent.action} (call failed)`); continue; }
    // bosd died after storing it: a kill after it and before the node's next event.
    const later = events.find((e) => e.id > intent.id);
    const killed = killTimes.findIndex((k) => k >= at && (!later || k <= Date.parse(later.at)));
    expect(killed >= 0, `${id}: intent ${i + 1} (${intent.action} at ${intent.at}) never reached the BMC and no kill or failed call explains it; requests ${JSON.stringify(requests)}`).toBe(true);
    lost.push(intent.action);
    lostAt.push(killed);
  }
  expect(requests.slice(r), `${id}: requests with no stored intent of their own; events ${JSON.stringify(events.map((e) => [e.at, e.action]))}`).toEqual([]);
  expect(requests.every((q) => q.accepted)).toBe(true);
  const offs = requests.filter((q) => q.type !== 'On').map((q) => q.type).join(' + ');
  const path = `${offs}, On${lost.length ? ` after lost ${lost.join(' + ')}` : ''}`;
  return { path, lostAt, requests, failedCalls };
}
