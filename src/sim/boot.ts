import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Scheduler } from './clock.js';
import type { Fleet, SimNode } from './fleet.js';
import type { SimBooted } from './types.js';

export interface ParsedBootscript {
  kernel: string;
  initrd: string;
  /** The kernel command line as the node sees it (/proc/cmdline), including what BSS added. */
  params: string;
  token: string | null;
  xname: string | null;
}

/** Reads kernel, initrd, command line, bss_referral_token and xname= from an iPXE boot script. */
export function parseBootscript(script: string): ParsedBootscript | null {
  let kernel = '';
  let initrd = '';
  let params = '';
  for (const raw of script.split('\n')) {
    const line = raw.replace(/\s*\|\|.*$/, '').trim();
    const words = line.split(/\s+/);
    const cmd = words.shift();
    if (cmd !== 'kernel' && cmd !== 'initrd') continue;
    while (words[0]?.startsWith('--')) {
      const opt = words.shift()!;
      if (!opt.includes('=')) words.shift(); // --name kernel
    }
    const url = words.shift() ?? '';
    if (cmd === 'kernel') {
      kernel = url;
      params = words.join(' ');
    } else initrd = url;
  }
  if (!kernel) return null;
  const word = (key: string) => params.split(/\s+/).find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1) ?? null;
  return { kernel, initrd, params, token: word('bss_referral_token'), xname: word('xname') };
}

export interface BootCounters {
  started: number;
  noParams: number;
  neverBoots: number;
  wrongArtifacts: number;
  /** Why boot script fetches failed (each one tried again): an HTTP status, or the client's error code. */
  scriptFailures: Record<string, number>;
  reportAttempts: number;
  reportsDelivered: number;
  reportsGaveUp: number;
  reportRetries: number;
  /** Why report attempts failed: an HTTP status, or the client's error code. */
  reportFailures: Record<string, number>;
  /** How long each delivered report's request took, ms (for percentiles). */
  reportMs: number[];
}

interface HttpResult {
  status: number;
  body: string;
}

/**
 * What a node does after power-on: fetch its iPXE script from BSS, "boot" it, and report the
 * bss_referral_token to bosd the way Cray-HPE/bos-reporter does (PATCH with back-off).
 */
export class Booter {
  readonly counters: BootCounters = {
    started: 0,
    noParams: 0,
    neverBoots: 0,
    wrongArtifacts: 0,
    scriptFailures: {},
    reportAttempts: 0,
    reportsDelivered: 0,
    reportsGaveUp: 0,
    reportRetries: 0,
    reportFailures: {},
    reportMs: [],
  };
  bssOrigin = '';
  bosUrl: string | undefined;
  bosToken: string | undefined;
  onBooted: (node: SimNode) => void = () => {};
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly inflight = new Set<http.ClientRequest>();
  private closed = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly scheduler: Scheduler,
    private readonly onBoot: ((xname: string, report: { token: string | null }) => void) | undefined,
    private readonly retry: { initialMs: number; maxMs: number; giveUpMs: number },
  ) {}

  /** Called when a node reached On through a power-on. */
  poweredOn(node: SimNode): void {
    node.bootTimer?.cancel();
    const epoch = node.epoch;
    node.bootTimer = this.scheduler.after(this.fleet.timings.boot, () => {
      node.bootTimer = null;
      void this.boot(node, epoch).catch(() => {});
    });
  }

  private async boot(node: SimNode, epoch: number): Promise<void> {
    const xname = node.place.xname;
    this.counters.started++;
    if (this.fleet.hasFault(node, 'never_boots')) {
      this.counters.neverBoots++;
      return;
    }
    const res = await this.fetchBootscript(node, epoch);
    if (!res || this.closed || node.epoch !== epoch || node.power !== 'On') return;
    const parsed = res.status === 200 ? parseBootscript(res.body) : null;
    if (!parsed) {
      this.counters.noParams++;
      return; // no boot parameters: the node sits in iPXE, powered on, never booted
    }
    let booted: SimBooted = { kernel: parsed.kernel, initrd: parsed.initrd, params: parsed.params, token: parsed.token };
    if (this.fleet.hasFault(node, 'wrong_artifacts')) {
      this.counters.wrongArtifacts++;
      booted = {
        kernel: 's3://boot-images/sim-wrong-image/kernel',
        initrd: 's3://boot-images/sim-wrong-image/initrd',
        params: `console=ttyS0,115200 root=live:sim-wrong-image xname=${xname}`,
        token: `bogus-${randomUUID()}`,
      };
    }
    node.booted = booted;
    node.bootCount++;
    try {
      this.onBoot?.(xname, { token: booted.token });
    } catch {
      // a throwing hook must not stop the node
    }
    this.onBooted(node);
    if (this.bosUrl) await this.report(node, epoch, booted.token);
  }

  /**
   * The boot script, fetched until BSS answers: a real node's iPXE tries a failed fetch again
   * rather than sit powered on. A 404 (no boot parameters) is an answer; null when powered off
   * or closed meanwhile.
   */
  private async fetchBootscript(node: SimNode, epoch: number): Promise<HttpResult | null> {
    const url = `${this.bssOrigin}/boot/v1/bootscript?name=${encodeURIComponent(node.place.xname)}`;
    let delay = this.retry.initialMs;
    for (;;) {
      if (this.closed || node.epoch !== epoch || node.power !== 'On') return null;
      let why: string;
      try {
        const res = await this.request('GET', url, undefined, {});
        if (res.status < 500) return res;
        why = `HTTP ${res.status}`;
      } catch (e) {
        why = failureOf(e);
      }
      tally(this.counters.scriptFailures, why);
      if (!(await this.scheduler.sleepMs(delay))) return null;
      delay = Math.min(delay * 2, this.retry.maxMs);
    }
  }

  private async report(node: SimNode, epoch: number, token: string | null): Promise<void> {
    const xname = node.place.xname;
    // Read at every attempt: bosd may have moved (a restart on another port) since the first.
    const urlNow = () => `${this.bosUrl!.replace(/\/+$/, '')}/apis/bos/v2/components/${encodeURIComponent(xname)}`;
    const body = JSON.stringify({ id: xname, actual_state: { bss_token: token } });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const view = { attempts: 0, delivered: false, gaveUp: false, lastStatus: null as number | null };
    node.report = view;
    const started = this.scheduler.now();
    let delay = this.retry.initialMs;
    for (;;) {
      if (this.closed || node.epoch !== epoch) return;
      view.attempts++;
      this.counters.reportAttempts++;
      let status = 0;
      if (this.bosToken) headers.Authorization = `Bearer ${this.bosToken}`;
      let why = '';
      const sentAt = performance.now();
      try {
        status = (await this.request('PATCH', urlNow(), body, headers)).status;
        why = `HTTP ${status}`;
      } catch (e) {
        status = 0;
        why = failureOf(e);
      }
      view.lastStatus = status;
      const delivered = status >= 200 && status < 300;
      if (!delivered) tally(this.counters.reportFailures, why);
      else if (this.counters.reportMs.length < 100_000) this.counters.reportMs.push(performance.now() - sentAt);
      if (delivered) {
        view.delivered = true;
        this.counters.reportsDelivered++;
        return;
      }
      const retryable = status === 0 || status === 409 || status >= 500;
      if (!retryable || this.scheduler.now() - started + delay > this.retry.giveUpMs) {
        view.gaveUp = true;
        this.counters.reportsGaveUp++;
        return;
      }
      this.counters.reportRetries++;
      if (!(await this.scheduler.sleepMs(delay))) return;
      delay = Math.min(delay * 2, this.retry.maxMs);
    }
  }

  private request(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('closed'));
      const u = new URL(url);
      const mod = u.protocol === 'https:' ? https : http;
      const req = mod.request(
        u,
        {
          method,
          agent: u.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            this.inflight.delete(req);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (err) => {
            this.inflight.delete(req);
            reject(err);
          });
        },
      );
      this.inflight.add(req);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        this.inflight.delete(req);
        reject(err);
      });
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Why a request failed, as the counters name it: the client's error code, else its message. */
function failureOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function tally(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
