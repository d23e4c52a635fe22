import { createHash } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { MAX_CONFIG_FILE_BYTES, readBoundedSync } from '../core/bounded-read.js';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RefusalLog } from '../api/refusal-log.js';
import { SlowRequestLog } from '../api/slow-requests.js';
import { createApi, persistRefusals } from '../api/server.js';
import { bosError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { isLoopback, LISTEN_BACKLOG, parseListen, type BosdConfig, type CredentialsBook } from './config.js';
import type { BootParamsDriver, ConfigDriver, PowerDriver } from './drivers.js';
import { HealthBoard, startMonitor, type Probe } from './health.js';
import type { Logger } from './log.js';
import { defaultInstanceId, fencedStore, guardedPower, Leadership } from './leadership.js';
import type { Term } from '../store/leases.js';
import type { EventsClient } from '../integrations/redfish-events.js';
import type { RedfishClient } from '../integrations/redfish.js';
import { PowerEvents, type PowerEventsStats } from './power-events.js';
import { Reconciler } from './reconciler.js';
import { claimSocketPath, releaseSocketPath, rememberSocket, type SocketClaim } from './socket-path.js';

export interface BosdDrivers {
  power: PowerDriver;
  bss: BootParamsDriver;
  cfs: ConfigDriver | null;
}

export interface RunningBosd {
  url: string;
  /** The reconciler of this instance's current (or last) term as leader; idle while a standby. */
  readonly reconciler: Reconciler;
  /** Whether this instance leads the reconciler (several bosd on one database: one leads). */
  leadership: Leadership;
  /** Redfish events of the current reconciler term (undefined: redfish_events off, or a driver without events). */
  powerEvents(): PowerEventsStats | undefined;
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
  const store = Store.open(config.db, { busyTimeoutMs: BOSD_BUSY_WAIT_MS, ...(config.dbPasswordFile ? { passwordFile: config.dbPasswordFile } : {}) });
  health.set('database', true, `open: ${store.path}`);
  // Only the lease holder reconciles; its writes are fenced by the lease and its power calls
  // need a recent heartbeat (leadership.ts). Each term starts a new reconciler from the stored
  // state, as bosd does after a crash.
  // A reconciler acts for one term only: its writes and calls are refused once that term ends.
  const forTerm = (term: { current?: Term }) => ({
    store: fencedStore(store, () => leadership.fence(term.current)),
    drivers: { ...drivers, power: guardedPower(drivers.power, () => leadership.mayAct(term.current)) },
  });
  let term: { current?: Term } = {};
  // Redfish events (power-events.ts): one manager per reconciler term, on the Redfish client itself.
  const eventsConfig = { ...config.redfishEvents };
  let events: PowerEvents | undefined;
  // The same database is the same bosd (after a restart too): its Context marks what it subscribed.
  const eventsOwner = createHash('sha256').update(`${hostname()}:${config.db}`).digest('hex').slice(0, 12);
  const withEvents = (r: Reconciler): Reconciler => {
    const client = drivers.power as unknown as Partial<EventsClient & Pick<RedfishClient, 'resolveSystem'>>;
    if (eventsConfig.mode === 'off' || typeof client.call !== 'function' || typeof client.resolveSystem !== 'function') return r;
    const c = client as EventsClient & Pick<RedfishClient, 'resolveSystem'>;
    void events?.stop();
    events = r.useEvents((nodes, mono) => new PowerEvents({ client: c, nodes, log, mono, config: eventsConfig, owner: eventsOwner, resolveSystem: async (t) => (await c.resolveSystem(t)).id }));
    return r;
  };
  const newReconciler = (t = forTerm(term)) => withEvents(new Reconciler(t.store, t.drivers, log, {
    powerPollMs: config.powerPollMs, cfsPollMs: config.cfsPollMs, retryBackoffMs: config.retryBackoffMs,
    maxInFlight: config.maxInFlight, watchMs: 5, sweepMs: 1000, batchWindowMs: 20,
  }, opts.clock?.wall, opts.clock?.mono));
  let reconciler = newReconciler();
  let reconcilerUsed = false;
  const leadership = new Leadership({
    store, id: config.instanceId ?? defaultInstanceId(), log, mono: opts.clock?.mono, wall: opts.clock?.wall,
    onLead: (t) => {
      if (reconcilerUsed) { term = {}; reconciler = newReconciler(); }
      term.current = t;
      reconcilerUsed = true;
      reconciler.start();
    },
    onStepDown: () => { void reconciler.stop(config.stopTimeoutMs); },
  });
  health.leadership = () => {
    const lease = leadership.current();
    return { this_instance: leadership.id, role: leadership.role, leader: lease?.holder ?? '', epoch: lease?.epoch ?? 0, since: lease?.since ?? '' };
  };
  const servers: Server[] = [];
  let s3: Promise<import('../integrations/s3.js').S3Client> | undefined;
  const unixServers = new Set<Server>();
  let socketClaim: SocketClaim | undefined;
  const apiNow = () => new Date(opts.clock?.wall?.() ?? Date.now());
  const refusals = new RefusalLog({ log: (level, msg, fields) => log.log(level, msg, fields), wallNow: apiNow, persist: persistRefusals({ store, now: apiNow }) });
  const slowRequests = new SlowRequestLog({ log: (level, msg, fields) => log.log(level, msg, fields) });
  // Summaries of refused and slow requests are written when their interval ends, even if no more come.
  const summaryTimer = setInterval(() => { refusals.flush(); slowRequests.flush(); }, 5000);
  summaryTimer.unref();
  // At a CSM site, tenants not in bosctl's registry come from TAPMS (kept 10 s).
  const tapms = config.tapmsUrl ? new (await import('../integrations/tapms.js')).TapmsTenants({ url: config.tapmsUrl, clock: opts.clock?.mono }) : undefined;
  const api = createApi({
    redfishEvents: (req, res, key) => {
      if (events) return events.handlePush(req, res, key);
      req.resume();
      res.writeHead(404, { 'content-length': '0' }).end();
    },
    store, now: apiNow, version: VERSION, health, imageDirs: config.imageDirs, refusals, slowRequests,
    // A standby's reconciler never runs (an API write would wake an idle one's loop).
    onChange: () => { if (leadership.role === 'leader') reconciler.wake(); },
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
      await listen(server, (cb) => server.listen({ port, host, backlog: LISTEN_BACKLOG }, cb));
      const addr = server.address() as AddressInfo;
      url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      servers.push(server);
    }
    if (config.socket) {
      const server = createServer(options, api);
      await listen(server, (cb) => server.listen({ path: config.socket!, backlog: LISTEN_BACKLOG }, cb));
      socketClaim = rememberSocket(config.socket);
      chmodSync(config.socket, 0o660);
      unixServers.add(server);
      servers.push(server);
      if (!url) url = `unix://${config.socket}`;
    }
    // push without push_url: a BMC on this machine (the simulator) reaches bosd's own loopback listener.
    if (eventsConfig.mode === 'push' && !eventsConfig.pushUrl && url.startsWith('http://') && isLoopback(new URL(url).hostname.replace(/^\[|\]$/g, ''))) eventsConfig.pushUrl = url;
  } catch (e) {
    clearInterval(summaryTimer);
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
  leadership.start();
  log.log('info', 'listening', { url, socket: config.socket ?? 'none', db: config.db, bss_url: config.bssUrl, cfs_url: config.cfsUrl ?? 'none' });
  if (config.insecureSkipTlsVerify) log.log('warn', 'TLS certificates of BMCs, BSS and CFS are NOT verified (--insecure-skip-tls-verify)');
  return {
    url, store, health, leadership,
    get reconciler() { return reconciler; },
    powerEvents: () => events?.stats(),
    async stop() {
      monitor?.stop();
      clearInterval(summaryTimer);
      refusals.flush(Number.POSITIVE_INFINITY);
      slowRequests.flush(Number.POSITIVE_INFINITY);
      await Promise.all(servers.map((server) => new Promise<void>((r) => { server.close(() => r()); server.closeIdleConnections(); })));
      if (socketClaim) releaseSocketPath(socketClaim);
      await reconciler.stop(config.stopTimeoutMs);
      leadership.stop();
      // Subscriptions bosd made are deleted while the Redfish client is still open.
      await Promise.race([events?.stop(), new Promise((r) => setTimeout(r, config.stopTimeoutMs).unref())]);
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
