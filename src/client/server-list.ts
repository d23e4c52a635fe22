/**
 * `--server URL1,URL2,...`: several bosd on one database all serve the API; bosctl sends each
 * request to the one that answered last and moves to the next only when a server cannot be
 * reached in a way that leaves the request unsent (refused, no socket, connect time-out), or,
 * for a request that is safe to repeat, also after a reset or an answer time-out. An answer,
 * whatever its status (4xx, 5xx), is never sent elsewhere: that server is up and has spoken.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { bosError } from '../core/errors.js';
import { sleep } from '../core/retry.js';
import { parseServerUrl, type Endpoint } from './endpoint.js';
import { exchange, failedUnsent, failedWithoutAnswer, isTransientUnreachable, markTransient, type HttpResponse, type RetryClass, type TransportOptions } from './http.js';

/** Parses a comma-separated list of server URLs (one URL is a list of one). */
export function parseServerList(text: string): Endpoint[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 1 && parts.some((p) => p === '')) {
    throw bosError('BOS_VALUE_INVALID', `invalid server list ${JSON.stringify(text.replace(/\/\/[^@/,]*@/g, '//***@'))}: an entry is empty`,
      'give URLs separated by commas, e.g. https://admin1:8180,https://admin2:8180');
  }
  return parts.map((p) => parseServerUrl(p));
}

export class ServerList {
  readonly endpoints: Endpoint[];
  /** The one that answered last: tried first. */
  private current = 0;

  constructor(text: string) {
    this.endpoints = parseServerList(text);
  }

  /** The server as messages name it: the one in use first, then the others. */
  get display(): string {
    return this.endpoints.map((e) => e.display).join(',');
  }

  get preferred(): Endpoint {
    return this.endpoints[this.current];
  }

  /**
   * One request on the preferred server, then on the next ones while they are unreachable.
   * A single server keeps the transport's own retries; with several, each gets one try per
   * round and the rounds back off as those retries would.
   */
  async exchange(method: string, path: string, opts: {
    headers: (ep: Endpoint) => OutgoingHttpHeaders; body?: Buffer; retry: RetryClass; transport: TransportOptions;
  }): Promise<{ res: HttpResponse; ep: Endpoint }> {
    if (this.endpoints.length === 1) {
      const ep = this.endpoints[0];
      return { res: await exchange(ep, method, path, { ...opts, headers: opts.headers(ep) }), ep };
    }
    const t = opts.transport;
    const once = { ...t, attempts: 1 };
    const failures = new Map<Endpoint, Error>();
    for (let round = 0; round < Math.max(1, t.attempts); round++) {
      if (round > 0) await sleep(t.backoffMs * t.backoffFactor ** (round - 1));
      for (let k = 0; k < this.endpoints.length; k++) {
        const i = (this.current + k) % this.endpoints.length;
        const ep = this.endpoints[i];
        try {
          const res = await exchange(ep, method, path, { ...opts, headers: opts.headers(ep), transport: once });
          this.current = i;
          return { res, ep };
        } catch (e) {
          // Sent, maybe: only a request safe to repeat goes elsewhere.
          if (!failedUnsent(e) && !(opts.retry === 'idempotent' && failedWithoutAnswer(e))) throw e;
          failures.set(ep, e as Error);
        }
      }
    }
    const all = [...failures.values()];
    const err = bosError('BOS_SERVER_UNREACHABLE', `no bosd of ${this.endpoints.length} reachable: ${all.map((e) => e.message.replace(/^bosd at /, '')).join('; ')}`,
      'check that bosd runs on at least one of them (bosctl doctor), or fix --server (BOSCTL_SERVER, server: in the config file)');
    if (all.every((e) => isTransientUnreachable(e))) markTransient(err);
    throw err;
  }
}
