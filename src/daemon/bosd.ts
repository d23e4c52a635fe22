import { chmodSync } from 'node:fs';
import { MAX_CONFIG_FILE_BYTES, readBoundedSync } from '../core/bounded-read.js';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RefusalLog } from '../api/refusal-log.js';
import { createApi, persistRefusals } from '../api/server.js';
import { bosError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { isLoopback, parseListen, type BosdConfig, type CredentialsBook } from './config.js';
import type { BootParamsDriver, ConfigDriver, PowerDriver } from './drivers.js';
import { HealthBoard, startMonitor, type Probe } from './health.js';
import type { Logger } from './log.js';
import { Reconciler } from './reconciler.js';
import { claimSocketPath, releaseSocketPath, rememberSocket, type SocketClaim } from './socket-path.js';

export interface BosdDrivers {
  power: PowerDriver;
  bss: BootParamsDriver;
  cfs: ConfigDriver | null;
}

export interface RunningBosd {
  url: string;
  reconciler: Reconciler;
  store: Store;
  /** Whether the database, BSS, CFS and S3 answer (the reconciler's owner marks the database). */
  health: HealthBoard;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The board to report on (default: a new one). */
  health?: HealthBoard;
  /** Ping BSS, CFS and S3 now and then (default true). */
  monitor?: boolean;
  /** Clocks (tests move the wall clock): wall for stored times, monotonic for every deadline. */
  clock?: { wall?: () => number; mono?: () => number };
}

/** Builds the real drivers (undici clients) from the configuration. */
export async function realDrivers(config: BosdConfig, credentials: CredentialsBook, log?: Logger): Promise<BosdDrivers> {
  const { RedfishClient } = await import('../integrations/redfish.js');
  const { BssClient } = await import('../integrations/bss.js');
  const { CfsClient } = await import('../integrations/cfs.js');
  const ca = config.caBundle ? readConfigFile(config.caBundle, 'ca_bundle') : undefined;
  const tls = { ca, insecureSkipTlsVerify: config.insecureSkipTlsVerify };
  return {
    // Pools beyond those of the calls in flight are closed when idle: memory follows the work.
    power: new RedfishClient({
      credentials: (ref, bmc) => credentials.lookup(ref, bmc), timeoutMs: config.requestTimeoutMs, maxOpenPools: Math.max(64, 2 * config.maxInFlight), ...tls,
      allowInsecureHttp: config.allowInsecureBmcHttp,
      // Plain http:// to a BMC that is allowed: one warning per BMC in bosd's log.
      ...(log ? { warn: (msg: string, fields: Record<string, unknown>) => log.log('warn', msg, fields) } : {}),
    }),
    bss: new BssClient({ url: config.bssUrl, timeoutMs: config.requestTimeoutMs, ...tls }),
    cfs: config.cfsUrl ? new CfsClient({ url: config.cfsUrl, timeoutMs: config.requestTimeoutMs, ...tls }) : null,
  };
}

/** A file a setting names, read at start: a failure is a configuration error (exit 2). */
function readConfigFile(path: string, setting: string): Buffer {
  try {
    return readBoundedSync(path, MAX_CONFIG_FILE_BYTES);
  } catch (e) {
    throw bosError('BOS_VALUE_INVALID', `cannot read ${setting} ${path}: ${(e as Error).message}`);
  }
}

/** BSS, CFS and S3 as the monitor pings them; a driver without ping() is not checked. */
function probes(config: BosdConfig, drivers: BosdDrivers, health: HealthBoard): Probe[] {
  const out: Probe[] = [];
  const pingable = (d: unknown) => (d as { ping?: () => Promise<void> }).ping?.bind(d);
  const bss = pingable(drivers.bss);
  if (bss) out.push({ name: 'bss', check: async () => { await bss(); return `answers at ${config.bssUrl}`; } });
  if (!drivers.cfs) health.notConfigured('cfs', 'cfs_url: none (no configuration phase)');
  else {
    const cfs = pingable(drivers.cfs);
    if (cfs) out.push({ name: 'cfs', check: async () => { await cfs(); return `answers at ${config.cfsUrl}`; } });
  }
  // S3 is read only for s3:// image manifests: "up" means its configuration loads.
  out.push({
    name: 's3',
    check: async () => {
      const { loadS3Config } = await import('../integrations/s3.js');
      try {
        const c = await loadS3Config(process.env);
        return `configured (${c.path}, endpoint ${c.endpoint})`;
      } catch (e) {
        if (/there is no S3 configuration/.test((e as Error).message)) return { notConfigured: 'no S3 configuration (s3:// manifests cannot be read)' };
        throw e;
      }
    },
  });
  return out;
}

/** The longest bosd's thread blocks on another connection's lock before it yields and retries. */
const BOSD_BUSY_WAIT_MS = 20;

/** Opens the store, starts the reconciler and the HTTP listener. */
export async function startBosd(config: BosdConfig, drivers: BosdDrivers, log: Logger, opts: StartOptions = {}): Promise<RunningBosd> {
  // A --socket path that is not a socket, or one another bosd answers on, is refused before
  // anything is opened; a stale socket (from a crash) is removed.
  if (config.socket) await claimSocketPath(config.socket);
  const health = opts.health ?? new HealthBoard();
  // A short blocking busy wait: longer waits for another process's lock are retried
  // asynchronously (Store.writeAsync), so the API and health stay responsive meanwhile.
  const store = Store.open(config.db, { busyTimeoutMs: BOSD_BUSY_WAIT_MS });
  health.set('database', true, `open: ${config.db}`);
  const reconciler = new Reconciler(store, drivers, log, {
    powerPollMs: config.powerPollMs, cfsPollMs: config.cfsPollMs, retryBackoffMs: config.retryBackoffMs,
    maxInFlight: config.maxInFlight, watchMs: 5, sweepMs: 1000, batchWindowMs: 20,
  }, opts.clock?.wall, opts.clock?.mono);
  const servers: Server[] = [];
  let s3: Promise<import('../integrations/s3.js').S3Client> | undefined;
  const unixServers = new Set<Server>();
  let socketClaim: SocketClaim | undefined;
  const apiNow = () => new Date(opts.clock?.wall?.() ?? Date.now());
  const refusals = new RefusalLog({ log: (level, msg, fields) => log.log(level, msg, fields), wallNow: apiNow, persist: persistRefusals({ store, now: apiNow }) });
  // Summaries of refused requests are written when their minute ends, even if no more come.
  const refusalTimer = setInterval(() => refusals.flush(), 5000);
  refusalTimer.unref();
  // At a CSM site, tenants not in bosctl's registry come from TAPMS (kept 10 s).
  const tapms = config.tapmsUrl ? new (await import('../integrations/tapms.js')).TapmsTenants({ url: config.tapmsUrl, clock: opts.clock?.mono }) : undefined;
  const api = createApi({
    store, now: apiNow, version: VERSION, health, imageDirs: config.imageDirs, refusals,
    onChange: () => reconciler.wake(),
    log: (level, msg, fields) => log.log(level, msg, fields),
    // A missing or bad S3 config is reported per request, and read again on the next one.
    s3: () => (s3 ??= import('../integrations/s3.js').then((m) => m.s3ClientFromEnv(process.env)).catch((e) => { s3 = undefined; throw e; })),
    isTrustedSocket: (req: IncomingMessage) => unixServers.has((req.socket as unknown as { server: Server }).server),
    ...(tapms ? { externalTenants: (name: string) => tapms.nodes(name) } : {}),
  });
  const options = { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 };
  let url = '';
  try {
    if (config.listen !== '') {
      const { host, port } = parseListen(config.listen);
      const tls = config.tlsCert && config.tlsKey;
      if (!isLoopback(host) && !tls && !config.insecureHttp) {
        throw bosError('BOS_VALUE_INVALID', `refusing plain HTTP on ${host}, which is not a loopback address: give --tls-cert and --tls-key, or pass --insecure-http`);
      }
      if (!isLoopback(host) && !tls) log.log('warn', 'serving plain HTTP on a non-loopback address', { listen: config.listen });
      const server = tls
        ? createTlsServer({ ...options, cert: readConfigFile(config.tlsCert!, 'tls_cert'), key: readConfigFile(config.tlsKey!, 'tls_key') }, api as RequestListener)
        : createServer(options, api);
      await listen(server, (cb) => server.listen(port, host, cb));
      const addr = server.address() as AddressInfo;
      url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      servers.push(server);
    }
    if (config.socket) {
      const server = createServer(options, api);
      await listen(server, (cb) => server.listen(config.socket!, cb));
      socketClaim = rememberSocket(config.socket);
      chmodSync(config.socket, 0o660);
      unixServers.add(server);
      servers.push(server);
      if (!url) url = `unix://${config.socket}`;
    }
  } catch (e) {
    clearInterval(refusalTimer);
    for (const s of servers) s.close();
    if (socketClaim) releaseSocketPath(socketClaim);
    store.close();
    throw e;
  }
  const monitor = opts.monitor === false ? undefined : startMonitor(health, probes(config, drivers, health));
  health.onChange((name, h, before) => {
    if (before === 'unknown' && h.status === 'up') return;
    log.log(h.status === 'down' ? 'warn' : 'info', h.status === 'down' ? `${name} is down` : `${name} is ${h.status === 'up' ? 'up' : h.status}`, { dependency: name, detail: h.detail });
  });
  reconciler.start();
  log.log('info', 'listening', { url, socket: config.socket ?? 'none', db: config.db, bss_url: config.bssUrl, cfs_url: config.cfsUrl ?? 'none' });
  if (config.insecureSkipTlsVerify) log.log('warn', 'TLS certificates of BMCs, BSS and CFS are NOT verified (--insecure-skip-tls-verify)');
  return {
    url, reconciler, store, health,
    async stop() {
      monitor?.stop();
      clearInterval(refusalTimer);
      refusals.flush(Number.POSITIVE_INFINITY);
      await Promise.all(servers.map((server) => new Promise<void>((r) => { server.close(() => r()); server.closeIdleConnections(); })));
      if (socketClaim) releaseSocketPath(socketClaim);
      await reconciler.stop(config.stopTimeoutMs);
      await Promise.allSettled([drivers.power.close?.(), drivers.bss.close?.(), drivers.cfs?.close?.(), s3?.then((c) => c.close())]);
      store.close();
    },
  };
}

function listen(server: Server, start: (cb: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    start(() => { server.off('error', reject); resolve(); });
  });
}
