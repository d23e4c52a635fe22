import { createServer, type Server } from 'node:http';
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
    power: new RedfishClient({ credentials: (ref, bmc) => credentials.lookup(ref, bmc), timeoutMs: config.requestTimeoutMs, ...tls }),
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
  const api = createApi({
    store, now: () => new Date(), version: VERSION,
    onChange: () => reconciler.wake(),
    log: (level, msg, fields) => log.log(level, msg, fields),
  });
  const { host, port } = parseListen(config.listen);
  if (!isLoopback(host) && !config.insecureHttp) {
    store.close();
    throw Object.assign(new Error(`refusing plain HTTP on ${host}, which is not a loopback address: pass --insecure-http to allow it`), { code: 'BOS_VALUE_INVALID' });
  }
  if (!isLoopback(host)) log.log('warn', 'serving plain HTTP on a non-loopback address', { listen: config.listen });
  const server: Server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, api);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  reconciler.start();
  log.log('info', 'listening', { url, db: config.db, bss_url: config.bssUrl, cfs_url: config.cfsUrl ?? 'none' });
  if (config.insecureSkipTlsVerify) log.log('warn', 'TLS certificates of BMCs, BSS and CFS are NOT verified (--insecure-skip-tls-verify)');
  return {
    url, reconciler, store,
    async stop() {
      await new Promise<void>((r) => { server.close(() => r()); server.closeIdleConnections(); });
      await reconciler.stop(config.stopTimeoutMs);
      await Promise.allSettled([drivers.power.close?.(), drivers.bss.close?.(), drivers.cfs?.close?.()]);
      store.close();
    },
  };
}
