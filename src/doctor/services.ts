/** BSS and CFS answer at the URLs bosd is configured with (their liveness endpoints). */
import { BssClient } from '../integrations/bss.js';
import { CfsClient } from '../integrations/cfs.js';
import type { TlsOptions } from '../integrations/http.js';
import { closeQuickly, messageOf, withDeadline, type CheckResult } from './types.js';

interface Pingable {
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function checkBss(url: string, tls: TlsOptions, timeoutMs: number): Promise<CheckResult> {
  return ping('bss', url, 'bss_url', new BssClient({ url, ...options(tls, timeoutMs) }), timeoutMs);
}

export async function checkCfs(url: string, tls: TlsOptions, timeoutMs: number): Promise<CheckResult> {
  return ping('cfs', url, 'cfs_url', new CfsClient({ url, ...options(tls, timeoutMs) }), timeoutMs);
}

function options(tls: TlsOptions, timeoutMs: number) {
  // One try, bounded in time; insecure TLS is reported by the configuration check, not warned here.
  return { ...tls, timeoutMs, retry: { attempts: 1 }, onWarning: () => {} };
}

async function ping(check: string, url: string, key: string, client: Pingable, timeoutMs: number): Promise<CheckResult> {
  try {
    await withDeadline(timeoutMs, () => client.ping());
    return { check, status: 'pass', detail: `answers at ${url}` };
  } catch (e) {
    const msg = messageOf(e);
    const fix = /TLS verification/.test(msg)
      ? 'add the CA that signed its certificate to ca_bundle in bosd.yaml'
      : `check ${key} in bosd.yaml and that the service runs and is reachable from this host`;
    return { check, status: 'fail', detail: msg.startsWith(check.toUpperCase()) ? msg : `${url}: ${msg}`, fix };
  } finally {
    await closeQuickly(() => client.close());
  }
}
