import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApi } from '../api/server.js';
import { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { isLoopback, parseListen, type BosdConfig, type CredentialsBook } from './config.js';
import type { BootParamsDriver, ConfigDriver, PowerDriver } from './drivers.js';
import type { Logger } from './log.js';
import { Reconciler } from './reconciler.js';

export interface BosdDrivers {
  power: PowerDriver;
  bss: BootParamsDriver;
  cfs: ConfigDriver | null;
}

export interface RunningBosd {
  url: string;
  reconciler: Reconciler;
  store: Store;
  stop(): Promise<void>;
}

/** Builds the real drivers (undici clients) from the configuration. */
export async function realDrivers(config: BosdConfig, credentials: CredentialsBook): Promise<BosdDrivers> {
  const { RedfishClient } = await import('../integrations/redfish.js');
  const { BssClient } = await import('../integrations/bss.js');
  const { CfsClient } = await import('../integrations/cfs.js');
  const { readFileSync } = await import('node:fs');
  const ca = config.caBundle ? readFileSync(config.caBundle) : undefined;
  const tls = { ca, insecureSkipTlsVerify: config.insecureSkipTlsVerify };
  return {
    // Pools beyond those of the calls in flight are closed when idle: memory follows the work.
    power: new RedfishClient({ credentials: (ref, bmc) => credentials.lookup(ref, bmc), timeoutMs: config.requestTimeoutMs, maxOpenPools: Math.max(64, 2 * config.maxInFlight), ...tls }),
    bss: new BssClient({ url: config.bssUrl, timeoutMs: config.requestTimeoutMs, ...tls }),
    cfs: config.cfsUrl ? new CfsClient({ url: config.cfsUrl, timeoutMs: config.requestTimeoutMs, ...tls }) : null,
  };
}

/** Opens the store, starts the reconciler and the HTTP listener. */
export async function startBosd(config: BosdConfig, drivers: BosdDrivers, log: Logger): Promise<RunningBosd> {
  const store = Store.open(config.db);
  const reconciler = new Reconciler(store, drivers, log, {
    powerPollMs: config.powerPollMs, cfsPollMs: config.cfsPollMs, retryBackoffMs: config.retryBackoffMs,
    maxInFlight: config.maxInFlight, watchMs: 5, sweepMs: 1000, batchWindowMs: 20,
  });
  const servers: Server[] = [];
  let s3: Promise<import('../integrations/s3.js').S3Client> | undefined;
  const unixServers = new Set<Server>();
  const api = createApi({
    store, now: () => new Date(), version: VERSION,
    onChange: () => reconciler.wake(),
    log: (level, msg, fields) => log.log(level, msg, fields),
    // A missing or bad S3 config is reported per request, and read again on the next one.
    s3: () => (s3 ??= import('../integrations/s3.js').then((m) => m.s3ClientFromEnv(process.env)).catch((e) => { s3 = undefined; throw e; })),
    isTrustedSocket: (req: IncomingMessage) => unixServers.has((req.socket as unknown as { server: Server }).server),
  });
  const options = { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 };
  let url = '';
  try {
    if (config.listen !== '') {
      const { host, port } = parseListen(config.listen);
      const tls = config.tlsCert && config.tlsKey;
      if (!isLoopback(host) && !tls && !config.insecureHttp) {
        throw Object.assign(new Error(`refusing plain HTTP on ${host}, which is not a loopback address: give --tls-cert and --tls-key, or pass --insecure-http`), { code: 'BOS_VALUE_INVALID' });
      }
      if (!isLoopback(host) && !tls) log.log('warn', 'serving plain HTTP on a non-loopback address', { listen: config.listen });
      const server = tls
        ? createTlsServer({ ...options, cert: readFileSync(config.tlsCert!), key: readFileSync(config.tlsKey!) }, api as RequestListener)
        : createServer(options, api);
      await listen(server, (cb) => server.listen(port, host, cb));
      const addr = server.address() as AddressInfo;
      url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      servers.push(server);
    }
    if (config.socket) {
      rmSync(config.socket, { force: true });
      const server = createServer(options, api);
      await listen(server, (cb) => server.listen(config.socket!, cb));
      chmodSync(config.socket, 0o660);
      unixServers.add(server);
      servers.push(server);
      if (!url) url = `unix://${config.socket}`;
    }
  } catch (e) {
    for (const s of servers) s.close();
    store.close();
    throw e;
  }
  reconciler.start();
  log.log('info', 'listening', { url, socket: config.socket ?? 'none', db: config.db, bss_url: config.bssUrl, cfs_url: config.cfsUrl ?? 'none' });
  if (config.insecureSkipTlsVerify) log.log('warn', 'TLS certificates of BMCs, BSS and CFS are NOT verified (--insecure-skip-tls-verify)');
  return {
    url, reconciler, store,
    async stop() {
      await Promise.all(servers.map((server) => new Promise<void>((r) => { server.close(() => r()); server.closeIdleConnections(); })));
      if (config.socket) rmSync(config.socket, { force: true });
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
