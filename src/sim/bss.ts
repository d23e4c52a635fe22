import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fleet } from './fleet.js';
import { BodyError, isRecord, readJson, sendEmpty, sendJson, sendProblem, sendText } from './http.js';
import type { BssCall } from './types.js';

interface BssEntry {
  kernel: string;
  initrd: string;
  params: string;
  token: string;
}

export const BSS_VERSION = '1.32.0-sim';

/** Simulated Boot Script Service: /boot/v1/bootparameters, /boot/v1/bootscript, /boot/v1/service/*. */
export class Bss {
  readonly entries = new Map<string, BssEntry>();
  readonly calls: BssCall[] = [];
  puts = 0;
  bootscripts = 0;
  origin = '';

  private readonly byHostname = new Map<string, string>();

  constructor(private readonly fleet: Fleet) {
    for (const n of fleet.order) this.byHostname.set(n.place.hostname, n.place.xname);
  }

  /** Maps a hostname (nid000001) to its xname; other names are kept as given. */
  private resolve(name: string): string {
    return this.byHostname.get(name) ?? name;
  }

  private byNid(nid: number): string | undefined {
    const node = this.fleet.order[nid - 1];
    return node && node.place.nid === nid ? node.place.xname : undefined;
  }

  /** The iPXE script a node gets, or null when BSS knows no kernel for it. */
  bootscript(xname: string): string | null {
    const e = this.entries.get(xname);
    if (!e || !e.kernel) return null;
    const node = this.fleet.nodes.get(xname);
    const words = e.params.split(/\s+/).filter((w) => w && !w.startsWith('bss_referral_token='));
    if (!words.some((w) => w.startsWith('xname='))) words.push(`xname=${xname}`);
    if (node && !words.some((w) => w.startsWith('nid='))) words.push(`nid=${node.place.nid}`);
    words.push(`bss_referral_token=${e.token}`);
    const lines = ['#!ipxe', `kernel --name kernel ${e.kernel} ${words.join(' ')} || goto boot_retry`];
    if (e.initrd) lines.push(`initrd --name initrd ${e.initrd} || goto boot_retry`);
    lines.push('boot || goto boot_retry', ':boot_retry', 'sleep 30', `chain ${this.origin}/boot/v1/bootscript?name=${xname}&retry=1`, '');
    return lines.join('\n');
  }

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://bss.local');
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const log = (hosts: string[]) => this.calls.push({ at: Date.now(), method, path, hosts });

    try {
      if (path === '/boot/v1/service/version' && method === 'GET') {
        log([]);
        return sendJson(res, 200, { 'bss-version': BSS_VERSION });
      }
      if (path === '/boot/v1/service/status' && method === 'GET') {
        log([]);
        return sendJson(res, 200, { 'bss-status': 'running' });
      }
      if (path === '/boot/v1/service/status/all' && method === 'GET') {
        log([]);
        return sendJson(res, 200, {
          'bss-status': 'running',
          'bss-storage-backend': { name: 'etcd', status: 'connected' },
          'bss-status-hsm': 'connected',
          'bss-version': BSS_VERSION,
        });
      }
      if (path === '/boot/v1/bootscript') {
        if (method !== 'GET') return sendProblem(res, 405, 'Method Not Allowed', `${method} is not supported on ${path}`);
        this.bootscripts++;
        let name = url.searchParams.get('name');
        const nid = url.searchParams.get('nid');
        if (!name && nid !== null) name = this.byNid(Number(nid)) ?? null;
        if (!name) {
          log([]);
          return sendProblem(res, 400, 'Bad Request', 'name or nid is required (mac is not simulated)');
        }
        const xname = this.resolve(name);
        log([xname]);
        const node = this.fleet.nodes.get(xname);
        if (node && this.fleet.hasFault(node, 'bss_5xx')) return sendProblem(res, 503, 'Service Unavailable', 'the boot script service is failing (simulated fault bss_5xx)');
        const script = this.bootscript(xname);
        if (script === null) return sendProblem(res, 404, 'Not Found', `no boot parameters with a kernel for ${name}`);
        return sendText(res, 200, script);
      }
      if (path === '/boot/v1/bootparameters') return await this.bootparameters(method, url, req, res, log);
      log([]);
      return sendProblem(res, 404, 'Not Found', `no such resource ${path}`);
    } catch (err) {
      if (err instanceof BodyError) return sendProblem(res, err.status, 'Bad Request', err.message);
      throw err;
    }
  };

  private async bootparameters(
    method: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    log: (hosts: string[]) => void,
  ): Promise<void> {
    if (method === 'GET') {
      const names: string[] = [];
      for (const v of url.searchParams.getAll('name')) names.push(...v.split(',').filter(Boolean));
      for (const v of url.searchParams.getAll('nid')) {
        for (const n of v.split(',').filter(Boolean)) names.push(this.byNid(Number(n)) ?? `nid:${n}`);
      }
      const hosts = names.map((n) => this.resolve(n));
      log(hosts);
      const wanted = hosts.length > 0 ? hosts : [...this.entries.keys()];
      const out = wanted
        .filter((h) => this.entries.has(h))
        .map((h) => {
          const e = this.entries.get(h)!;
          return { hosts: [h], kernel: e.kernel, initrd: e.initrd, params: e.params };
        });
      if (hosts.length > 0 && out.length === 0) return sendProblem(res, 404, 'Not Found', `no boot parameters for ${names.join(',')}`);
      return sendJson(res, 200, out);
    }
    if (method !== 'PUT' && method !== 'POST' && method !== 'PATCH' && method !== 'DELETE') {
      log([]);
      return sendProblem(res, 405, 'Method Not Allowed', `${method} is not supported on /boot/v1/bootparameters`);
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      log([]);
      throw err;
    }
    const bad = (detail: string) => {
      log([]);
      sendProblem(res, 400, 'Bad Request', detail);
    };
    if (!isRecord(body)) return bad('the body must be a BootParams JSON object');
    const hosts: string[] = [];
    if (body.hosts !== undefined) {
      if (!Array.isArray(body.hosts) || body.hosts.some((h) => typeof h !== 'string' || h === '')) return bad('hosts must be a list of host names');
      hosts.push(...(body.hosts as string[]));
    }
    if (body.nids !== undefined) {
      if (!Array.isArray(body.nids) || body.nids.some((n) => !Number.isInteger(n))) return bad('nids must be a list of integers');
      for (const n of body.nids as number[]) {
        const x = this.byNid(n);
        if (!x) return bad(`unknown nid ${n}`);
        hosts.push(x);
      }
    }
    if (body.macs !== undefined) return bad('macs are not supported by the simulator; use hosts');
    if (hosts.length === 0) return bad('no hosts given');
    for (const f of ['kernel', 'initrd', 'params'] as const) {
      if (body[f] !== undefined && typeof body[f] !== 'string') return bad(`${f} must be a string`);
    }
    const resolved = hosts.map((h) => this.resolve(h));
    log(resolved);
    const kernel = (body.kernel as string | undefined) ?? '';
    const initrd = (body.initrd as string | undefined) ?? '';
    const params = (body.params as string | undefined) ?? '';

    if (method === 'PUT' || method === 'POST') {
      if (method === 'POST') {
        const existing = resolved.find((h) => this.entries.has(h));
        if (existing) return sendProblem(res, 400, 'Bad Request', `boot parameters for ${existing} already exist; use PUT`);
      }
      this.puts++;
      const token = randomUUID();
      for (const h of resolved) this.entries.set(h, { kernel, initrd, params, token });
      return sendEmpty(res, method === 'POST' ? 201 : 200, { 'bss-referral-token': token });
    }
    const missing = resolved.filter((h) => !this.entries.has(h));
    if (missing.length > 0) return sendProblem(res, 404, 'Not Found', `no boot parameters for ${missing.join(',')}`);
    if (method === 'DELETE') {
      for (const h of resolved) this.entries.delete(h);
      return sendEmpty(res, 200);
    }
    // PATCH merges into the existing entries and keeps their token.
    for (const h of resolved) {
      const e = this.entries.get(h)!;
      if (body.kernel !== undefined) e.kernel = kernel;
      if (body.initrd !== undefined) e.initrd = initrd;
      if (body.params !== undefined) e.params = params;
    }
    return sendEmpty(res, 200);
  }
}
