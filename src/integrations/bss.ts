/**
 * Boot Script Service client (OpenCHAMI/Cray BSS, boot/v1). `url` is BSS's base, the paths are
 * appended to it: `https://api-gw-service-nmn.local/apis/bss` → `.../apis/bss/boot/v1/...`;
 * the simulator: `http://127.0.0.1:PORT`.
 */
import { type HttpRequest, chunkByChars, header, httpError, isRecord, join, parseJson, protocolError } from './http.js';
import { type ServiceClientOptions, ServiceConnection } from './service.js';

export interface BootParameters {
  hosts: string[];
  kernel?: string;
  initrd?: string;
  params?: string;
}

export type BssClientOptions = ServiceClientOptions;

/** Names per GET, bounded so the request line stays well under common 8 KB limits. */
const MAX_NAME_QUERY_CHARS = 6_000;

export class BssClient {
  private readonly conn: ServiceConnection;

  constructor(opts: BssClientOptions) {
    this.conn = new ServiceConnection('bss', 'BSS', opts);
  }

  /**
   * Replaces the hosts' boot parameters (PUT: kernel, initrd and params all replaced) and
   * returns the `bss-referral-token` BSS generated for them. PUT is idempotent, so it is
   * retried on connection errors, timeouts and 429/502/503/504 (a retry yields a new token).
   */
  async putBootParameters(p: { hosts: string[]; kernel: string; initrd: string; params: string }): Promise<{ token: string }> {
    if (!Array.isArray(p.hosts) || p.hosts.length === 0 || p.hosts.some((h) => typeof h !== 'string' || h === '')) {
      // Without hosts BSS would attach the params to the kernel/initrd images instead.
      throw new TypeError('putBootParameters needs at least one host name');
    }
    const req: HttpRequest = {
      method: 'PUT',
      url: join(this.conn.base, '/boot/v1/bootparameters'),
      json: { hosts: p.hosts, kernel: p.kernel, initrd: p.initrd, params: p.params },
    };
    const res = await this.conn.sendOk(req);
    const token = header(res.headers, 'bss-referral-token')?.trim();
    if (!token) throw protocolError(this.conn.peer, req, res, 'without a bss-referral-token header');
    return { token };
  }

  /**
   * The boot parameters BSS holds for these names (xnames or tags), in BSS's order. Names BSS
   * does not know are simply absent (BSS answers 404 when it knows none of them). No names →
   * no request, an empty list (BSS would answer with every entry).
   */
  async getBootParameters(names: string[]): Promise<BootParameters[]> {
    const out: BootParameters[] = [];
    for (const batch of chunkByChars(names, MAX_NAME_QUERY_CHARS)) {
      const req: HttpRequest = { method: 'GET', url: join(this.conn.base, '/boot/v1/bootparameters', { name: batch.join(',') }) };
      const res = await this.conn.send(req);
      if (res.status === 404) continue;
      if (res.status < 200 || res.status > 299) throw httpError(this.conn.peer, req, res);
      const body = parseJson(this.conn.peer, req, res);
      if (!Array.isArray(body)) throw protocolError(this.conn.peer, req, res, 'with JSON that is not a list of boot parameters');
      for (const item of body) {
        if (!isRecord(item)) continue;
        const bp: BootParameters = { hosts: Array.isArray(item.hosts) ? item.hosts.filter((h): h is string => typeof h === 'string') : [] };
        if (typeof item.kernel === 'string') bp.kernel = item.kernel;
        if (typeof item.initrd === 'string') bp.initrd = item.initrd;
        if (typeof item.params === 'string') bp.params = item.params;
        out.push(bp);
      }
    }
    return out;
  }

  /**
   * Checks that BSS answers: GET /boot/v1/service/status (its liveness probe), or
   * /boot/v1/service/version where status does not exist. Throws IntegrationError otherwise.
   */
  async ping(): Promise<void> {
    const req: HttpRequest = { method: 'GET', url: join(this.conn.base, '/boot/v1/service/status') };
    const res = await this.conn.send(req);
    if (res.status >= 200 && res.status <= 299) return;
    if (res.status !== 404) throw httpError(this.conn.peer, req, res);
    await this.conn.sendOk({ method: 'GET', url: join(this.conn.base, '/boot/v1/service/version') });
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}
