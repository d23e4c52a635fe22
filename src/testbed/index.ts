import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeInventoryRecord } from '../core/inventory.js';
import type { Options } from '../core/options.js';
import { CONFIG_DEFAULTS, loadCredentials, type BosdConfig } from '../daemon/config.js';
import { realDrivers, startBosd, type RunningBosd } from '../daemon/bosd.js';
import { createLogger, type Logger } from '../daemon/log.js';
import { LocalBackend } from '../services/local-backend.js';
import { startSimulator, type SimOptions, type Simulator } from '../sim/index.js';
import { testbedPostgresDatabase } from './postgres.js';

/**
 * A whole cluster on one machine: the simulator (BSS, CFS, BMCs, nodes), a database with
 * the simulator's inventory, and bosd in this process. The demo, the daemon tests and the
 * benchmarks run on it.
 */
export interface TestbedOptions {
  sim: SimOptions;
  /** BOS options stored before bosd starts. */
  options?: Record<string, unknown>;
  bosd?: Partial<BosdConfig>;
  /** Leave CFS out: bosd runs without a configuration phase. */
  noCfs?: boolean;
  log?: Logger;
  /** Start bosd (default true); a test may run it as a child process instead. */
  startBosd?: boolean;
  /** bosd's clocks (a test may move its wall clock). */
  clock?: { wall?: () => number; mono?: () => number };
  /**
   * The database: a postgres:// URL (src/testbed/postgres.ts); default a fresh database on the
   * server BOSCTL_TESTBED_POSTGRES names, else bosd.db in the testbed's directory.
   */
  db?: string;
}

export interface Testbed {
  dir: string;
  dbPath: string;
  credentialsFile: string;
  sim: Simulator;
  bosd: RunningBosd | undefined;
  backend: LocalBackend;
  config: BosdConfig;
  /** Restarts bosd in this process (after stopBosd). */
  startBosd(): Promise<RunningBosd>;
  stopBosd(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestbed(o: TestbedOptions): Promise<Testbed> {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-testbed-'));
  const dbPath = o.db ?? testbedPostgresDatabase() ?? join(dir, 'bosd.db');
  const sim = await startSimulator(o.sim);
  const credentialsFile = join(dir, 'redfish-credentials.json');
  writeFileSync(credentialsFile, JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
  chmodSync(credentialsFile, 0o600);
  const backend = new LocalBackend(dbPath, { user: 'testbed', via: 'testbed' });
  await backend.importInventory(sim.inventory().map((r, i) => normalizeInventoryRecord(r as unknown as Record<string, unknown>, `node ${i + 1}`)));
  if (o.options) await backend.updateOptions(o.options);
  // The simulated nodes report their boots with one fleet-wide node token, as CSM nodes share one.
  const nodeToken = (await backend.createToken({ role: 'node', description: 'simulated nodes' })).secret;
  const config: BosdConfig = {
    ...CONFIG_DEFAULTS, db: dbPath, listen: '127.0.0.1:0', bssUrl: sim.bssUrl, cfsUrl: o.noCfs ? null : sim.cfsUrl,
    credentialsFile, powerPollMs: 100, cfsPollMs: 200, retryBackoffMs: 200, requestTimeoutMs: 2000, stopTimeoutMs: 2000,
    ...o.bosd,
  };
  const log = o.log ?? createLogger({ level: 'warn', json: true, write: () => {} });
  const credentials = await loadCredentials(credentialsFile);
  let bosd: RunningBosd | undefined;
  const tb: Testbed = {
    dir, dbPath, credentialsFile, sim, backend, config,
    get bosd() { return bosd; },
    async startBosd() {
      bosd = await startBosd(config, await realDrivers(config, credentials), log, { clock: o.clock });
      sim.setBosUrl(bosd.url, nodeToken);
      return bosd;
    },
    async stopBosd() {
      await bosd?.stop();
      bosd = undefined;
    },
    async close() {
      await tb.stopBosd();
      backend.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (o.startBosd !== false) await tb.startBosd();
  return tb;
}

export { waitFor } from './wait.js';

export type { Options };
