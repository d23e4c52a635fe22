/**
 * `bosctl doctor`: every check of an installation, each bounded in time, gathered into one
 * report (all problems at once, not the first one). The CLI command only turns flags into
 * DoctorOptions and prints the report.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { defaultDbPath } from '../core/paths.js';
import { loadConfig, loadCredentials, type BosdConfig, type CredentialsBook } from '../daemon/config.js';
import type { TlsOptions } from '../integrations/http.js';
import type { InventoryNode } from '../core/types.js';
import { bmcOf, compareXnames } from '../core/xname.js';
import { checkBmc, type BmcCheckContext } from './bmc.js';
import { checkDaemon, type DaemonTarget } from './daemon.js';
import { backlogCheck } from './backlog.js';
import { checkDatabase } from './database.js';
import { sampleBmcs } from './sample.js';
import { checkBss, checkCfs } from './services.js';
import { messageOf, type CheckResult, type CheckStatus } from './types.js';

export type { CheckResult, CheckStatus, StepResult } from './types.js';

export const DEFAULT_BOSD_CONFIG = '/etc/bosd/bosd.yaml';
export const DEFAULT_SOCKET = '/run/bosd/bosd.sock';

export interface DoctorOptions {
  /** bosd's configuration file. */
  configPath: string;
  /** Given on the command line: then a missing file is a failure, not a skip. */
  configExplicit: boolean;
  /** --db, when given. */
  db?: string;
  /** --db-password-file (PostgreSQL), when given. */
  dbPasswordFile?: string;
  /** bosd's API as bosctl is configured to use it (--server, BOSCTL_SERVER, server:). */
  remote?: DaemonTarget;
  bmcSample: number;
  timeoutMs: number;
  now: Date;
  env: NodeJS.ProcessEnv;
  /** Warn about BMC certificates expiring within this many days (default 30). */
  warnDays?: number;
}

export interface DoctorReport {
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  const cfg = await configCheck(o);
  checks.push(cfg.result);
  let credentials: BmcCheckContext['credentials'] = { unavailable: `no bosd configuration (${o.configPath})` };
  if (cfg.config) {
    const c = await credentialsCheck(cfg.config);
    checks.push(c.result);
    credentials = c.book ?? { unavailable: 'the credentials file is not usable' };
  }

  const dbPath = o.db ?? cfg.config?.db ?? (o.remote ? undefined : defaultDbPath(o.env));
  const db = dbPath === undefined ? undefined : checkDatabase(dbPath, o.dbPasswordFile ?? cfg.config?.dbPasswordFile ?? undefined);
  checks.push(db?.result ?? { check: 'database', status: 'skip', detail: `bosctl works through bosd at ${o.remote!.server}; the database is bosd's` });
  // This host's kernel matters only where bosd runs: with its configuration here.
  checks.push(cfg.config ? backlogCheck() : { check: 'backlog', status: 'skip', detail: 'no bosd configuration here: bosd\'s host is not this one' });

  const tls: TlsOptions = cfg.tls ?? {};
  const pending: Array<Promise<CheckResult[]>> = [
    checkDaemon(daemonTarget(o, cfg.config), o.timeoutMs).then((r) => [r]),
    cfg.config ? checkBss(cfg.config.bssUrl, tls, o.timeoutMs).then((r) => [r]) : Promise.resolve([skip('bss', 'bss_url')]),
    cfg.config
      ? cfg.config.cfsUrl ? checkCfs(cfg.config.cfsUrl, tls, o.timeoutMs).then((r) => [r]) : Promise.resolve([{ check: 'cfs', status: 'skip' as const, detail: 'no cfs_url: bosd runs without a configuration phase' }])
      : Promise.resolve([skip('cfs', 'cfs_url')]),
    bmcChecks(o, db?.inventory, credentials, tls, cfg.config?.allowInsecureBmcHttp === true),
  ];
  for (const rows of await Promise.all(pending)) checks.push(...rows);
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return { checks, summary };
}

function skip(check: string, key: string): CheckResult {
  return { check, status: 'skip', detail: `no bosd configuration to read ${key} from`, fix: 'give --config FILE (bosd.yaml)' };
}

interface ConfigOutcome {
  result: CheckResult;
  config?: BosdConfig;
  tls?: TlsOptions;
}

async function configCheck(o: DoctorOptions): Promise<ConfigOutcome> {
  const check = 'config';
  if (!o.configExplicit && !existsSync(o.configPath)) {
    return { result: { check, status: 'skip', detail: `no ${o.configPath}: BSS, CFS and BMC credentials not checked`, fix: 'give bosd\'s configuration file with --config FILE' } };
  }
  let config: BosdConfig;
  try {
    config = await loadConfig(o.configPath, {}, defaultDbPath(o.env));
  } catch (e) {
    return { result: { check, status: 'fail', detail: messageOf(e), fix: `correct ${o.configPath} (man bosd.yaml)` } };
  }
  let ca: Buffer | undefined;
  if (config.caBundle) {
    try {
      ca = readFileSync(config.caBundle);
    } catch (e) {
      return { result: { check, status: 'fail', detail: `cannot read ca_bundle ${config.caBundle}: ${(e as NodeJS.ErrnoException).code ?? messageOf(e)}`, fix: 'give a readable PEM file as ca_bundle' }, config };
    }
  }
  const tls: TlsOptions = { ...(ca ? { ca } : {}), insecureSkipTlsVerify: config.insecureSkipTlsVerify };
  if (config.insecureSkipTlsVerify) {
    return { result: { check, status: 'warn', detail: `${o.configPath}: insecure_skip_tls_verify is on: bosd trusts any certificate`, fix: 'set ca_bundle to the CAs of the BMCs, BSS and CFS and turn insecure_skip_tls_verify off' }, config, tls };
  }
  return { result: { check, status: 'pass', detail: o.configPath }, config, tls };
}

async function credentialsCheck(config: BosdConfig): Promise<{ result: CheckResult; book?: CredentialsBook }> {
  const check = 'credentials';
  if (!config.credentialsFile) {
    return { result: { check, status: 'fail', detail: 'no credentials_file in the configuration: bosd will not start', fix: 'set credentials_file: /etc/bosd/redfish.yaml (mode 600)' } };
  }
  try {
    const book = await loadCredentials(config.credentialsFile);
    const mode = (statSync(config.credentialsFile).mode & 0o777).toString(8);
    return { result: { check, status: 'pass', detail: `${config.credentialsFile} (mode ${mode})` }, book };
  } catch (e) {
    return { result: { check, status: 'fail', detail: messageOf(e), fix: `fix ${config.credentialsFile}: owner-only (chmod 600), YAML with default, refs or bmcs entries` } };
  }
}

/** Where doctor looks for bosd: as bosctl is configured, else as bosd.yaml says, else its defaults. */
function daemonTarget(o: DoctorOptions, config: BosdConfig | undefined): DaemonTarget {
  if (o.remote) return o.remote;
  if (config?.socket) return { server: `unix://${config.socket}`, source: `socket: in ${o.configPath}` };
  if (config && config.listen !== '') {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(config.listen);
    const host = m?.[1] === '0.0.0.0' ? '127.0.0.1' : m?.[1] === '[::]' ? '[::1]' : m?.[1] ?? '127.0.0.1';
    const tls = config.tlsCert !== null;
    return { server: `${tls ? 'https' : 'http'}://${host}:${m?.[2] ?? '8180'}`, source: `listen: in ${o.configPath}`, ...(tls ? { caBundle: config.tlsCert! } : {}) };
  }
  if (existsSync(DEFAULT_SOCKET)) return { server: `unix://${DEFAULT_SOCKET}`, source: 'the default socket' };
  return { server: 'http://127.0.0.1:8180', source: 'bosd\'s default listen address' };
}

async function bmcChecks(
  o: DoctorOptions,
  inventory: InventoryNode[] | undefined,
  credentials: BmcCheckContext['credentials'],
  tls: TlsOptions,
  allowInsecureBmcHttp: boolean,
): Promise<CheckResult[]> {
  if (o.bmcSample === 0) return [{ check: 'bmcs', status: 'skip', detail: '--bmc-sample 0' }];
  if (!inventory) return [{ check: 'bmcs', status: 'skip', detail: 'no inventory to sample BMCs from (the database could not be read)' }];
  const sample = sampleBmcs(inventory, o.bmcSample);
  if (sample.length === 0) return [{ check: 'bmcs', status: 'skip', detail: 'the inventory has no nodes', fix: 'bosctl inventory import FILE' }];
  const ctx: BmcCheckContext = { credentials, tls, timeoutMs: o.timeoutMs, now: o.now, warnDays: o.warnDays ?? 30, allowInsecureBmcHttp };
  // Every node behind a sampled BMC is matched to its system, not only the sampled one.
  const behind = new Map<string, InventoryNode[]>();
  for (const n of inventory) {
    let bmc: string;
    try { bmc = bmcOf(n.xname); } catch { continue; }
    const list = behind.get(bmc);
    if (list) list.push(n);
    else behind.set(bmc, [n]);
  }
  return Promise.all(sample.map((s) => checkBmc(s, ctx, (behind.get(s.bmcXname) ?? [s.node]).slice().sort((a, b) => compareXnames(a.xname, b.xname)))));
}
