/**
 * The daemon check: bosd's API answers at the server bosctl would use (--server,
 * BOSCTL_SERVER, server: in the config file) or else where bosd.yaml says it listens, its
 * version and health, and whether the configured token is accepted. The token itself is
 * never shown.
 */
import { DEFAULT_TRANSPORT, exchange, type TransportOptions } from '../client/http.js';
import { parseServerUrl, type Endpoint } from '../client/endpoint.js';
import { isBosError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { readFileSync } from 'node:fs';
import { messageOf, worst, type CheckResult } from './types.js';

const CHECK = 'daemon';

/** How the daemon is reached: the URL, and whether it was configured or guessed. */
export interface DaemonTarget {
  server: string;
  /** The secret itself (BOSCTL_TOKEN), or a file holding it. */
  token?: string;
  tokenFile?: string;
  caBundle?: string;
  /** Where the URL came from, for the message (e.g. "--server", "socket: in /etc/bosd/bosd.yaml"). */
  source: string;
}

export async function checkDaemon(target: DaemonTarget, timeoutMs: number): Promise<CheckResult> {
  // Several bosd on one database (--server URL1,URL2): each is checked; one answering is enough.
  const list = target.server.split(',').map((x) => x.trim());
  if (list.length > 1) return checkSeveral(list.map((server) => ({ ...target, server })), timeoutMs);
  let ep: Endpoint;
  try {
    ep = parseServerUrl(target.server);
  } catch (e) {
    return { check: CHECK, status: 'fail', detail: messageOf(e), fix: isBosError(e) ? e.hint : 'give --server URL' };
  }
  const transport: TransportOptions = { ...DEFAULT_TRANSPORT, attempts: 1, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs };
  if (ep.scheme === 'https' && target.caBundle) {
    const { readFileSync } = await import('node:fs');
    try {
      transport.ca = readFileSync(target.caBundle);
    } catch (e) {
      return { check: CHECK, status: 'fail', detail: `cannot read CA bundle ${target.caBundle}: ${(e as NodeJS.ErrnoException).code ?? messageOf(e)}`, fix: 'give a readable PEM file with --ca-bundle' };
    }
  }
  let version: string;
  try {
    const res = await exchange(ep, 'GET', '/v2/version', { headers: { Accept: 'application/json' }, retry: 'safe', transport });
    version = versionOf(res.status, res.body);
    // The body is the BOS API version bosd implements; bosd's own is in this header.
    const own = res.headers['bosd-version'];
    if (typeof own === 'string' && own !== '') version = own;
  } catch (e) {
    return { check: CHECK, status: 'fail', detail: `${messageOf(e)} (from ${target.source})`, fix: unreachableFix(ep, e) };
  }
  const lead = await leadershipOf(ep, target, transport);
  const at = `bosd ${version} at ${ep.display}${lead ? `, ${lead}` : ''}`;
  try {
    const health = await exchange(ep, 'GET', '/v2/healthz', { headers: { Accept: 'application/json' }, retry: 'safe', transport });
    if (health.status !== 200) {
      return { check: CHECK, status: 'fail', detail: `${at} answers, but its health check answered ${health.status}`, fix: 'read bosd\'s log: journalctl -u bosd' };
    }
    if (dbStatusOf(health.body) !== 'ok') {
      return { check: CHECK, status: 'fail', detail: `${at} answers, but says its database is ${dbStatusOf(health.body)} (it cannot store boot reports)`, fix: 'free space on the database\'s disk (df -h /var/lib/bosd) and read bosd\'s log: journalctl -u bosd' };
    }
  } catch (e) {
    return { check: CHECK, status: 'fail', detail: `${at}: health check: ${messageOf(e)}`, fix: 'read bosd\'s log: journalctl -u bosd' };
  }
  const auth = await authNote(ep, target, transport);
  if (auth.status !== 'pass') return { check: CHECK, status: auth.status, detail: `${at}; ${auth.detail}`, ...(auth.fix ? { fix: auth.fix } : {}) };
  const down = await dependenciesDown(ep, transport);
  if (down) {
    return { check: CHECK, status: 'warn', detail: `${at}; ${auth.detail}; bosd cannot reach ${down} (nodes wait for it)`, fix: 'see the bss and cfs checks below, and bosd\'s log: journalctl -u bosd' };
  }
  if (version !== VERSION) {
    return { check: CHECK, status: 'warn', detail: `${at}; ${auth.detail}; this bosctl is ${VERSION}`, fix: 'install the same version of bosctl as bosd runs' };
  }
  return { check: CHECK, status: 'pass', detail: `${at}; ${auth.detail}` };
}

/**
 * Which instance leads the reconciler, as this bosd says (GET /v2/healthz/dependencies): "leads
 * the reconciler (epoch N, since T)" or "standby (leader ID, epoch N, since T)"; '' from an
 * older bosd. Instance ids are shown to an authenticated caller only: the token goes along.
 */
async function leadershipOf(ep: Endpoint, target: DaemonTarget, transport: TransportOptions): Promise<string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = ep.scheme === 'unix' ? undefined : tokenOf(target);
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const r = await exchange(ep, 'GET', '/v2/healthz/dependencies', { headers, retry: 'safe', transport });
    if (r.status !== 200) return '';
    const l = (JSON.parse(r.body) as { leadership?: { role?: string; leader?: string; epoch?: number; since?: string; this_instance?: string } }).leadership;
    if (!l) return '';
    const since = l.since ? `, since ${l.since}` : '';
    if (l.role === 'leader') return `leads the reconciler${l.this_instance ? ` as ${l.this_instance}` : ''} (epoch ${l.epoch ?? '?'}${since})`;
    if (l.leader === '') return 'standby (no instance leads the reconciler now)';
    return `standby (${l.leader ? `leader ${l.leader}, ` : ''}epoch ${l.epoch ?? '?'}${since})`;
  } catch {
    return '';
  }
}

function tokenOf(target: DaemonTarget): string | undefined {
  if (target.token !== undefined) return target.token.trim();
  if (target.tokenFile === undefined) return undefined;
  try {
    const s = readFileSync(target.tokenFile, 'utf8').trim();
    return /^[\x21-\x7e]+$/.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Several servers: pass when each answers and one leads; warn when some do not answer or none leads; fail when none answers. */
async function checkSeveral(targets: DaemonTarget[], timeoutMs: number): Promise<CheckResult> {
  const results = await Promise.all(targets.map((t) => checkDaemon(t, timeoutMs)));
  const answering = results.filter((r) => r.status !== 'fail');
  const detail = results.map((r) => r.detail).join(' | ');
  if (answering.length === 0) return { check: CHECK, status: 'fail', detail, fix: results[0].fix ?? 'start bosd on at least one of them' };
  const down = results.find((r) => r.status === 'fail');
  if (down) return { check: CHECK, status: 'warn', detail, fix: `${down.fix ?? 'start it again'} (the others serve meanwhile)` };
  if (!results.some((r) => /, leads the reconciler/.test(r.detail))) {
    return { check: CHECK, status: 'warn', detail, fix: 'no instance leads the reconciler now: a standby takes over within seconds; if this stays, read bosd\'s log (journalctl -u bosd)' };
  }
  return { check: CHECK, status: worst(results.map((r) => r.status)), detail, ...(results.find((r) => r.fix) ? { fix: results.find((r) => r.fix)!.fix } : {}) };
}

/** What bosd itself says is down (GET /v2/healthz/dependencies), e.g. "bss (down since ...)"; '' when nothing is. */
async function dependenciesDown(ep: Endpoint, transport: TransportOptions): Promise<string> {
  try {
    const r = await exchange(ep, 'GET', '/v2/healthz/dependencies', { headers: { Accept: 'application/json' }, retry: 'safe', transport });
    if (r.status !== 200) return ''; // an older bosd
    const deps = (JSON.parse(r.body) as { dependencies?: Record<string, { status?: string; since?: string; detail?: string }> }).dependencies ?? {};
    return Object.entries(deps).filter(([, h]) => h.status === 'down')
      .map(([name, h]) => `${name === 'database' ? 'its database' : name.toUpperCase()} (down since ${h.since ?? '?'}${h.detail ? `: ${h.detail}` : ''})`).join(', ');
  } catch {
    return '';
  }
}

function dbStatusOf(body: string): string {
  try {
    return String((JSON.parse(body) as { dbStatus?: unknown }).dbStatus ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

function versionOf(status: number, body: string): string {
  if (status !== 200) throw new Error(`GET /v2/version answered ${status}: is this bosd's API?`);
  let v: { major?: unknown; minor?: unknown; patch?: unknown };
  try {
    v = JSON.parse(body) as typeof v;
  } catch {
    throw new Error('GET /v2/version answered with a body that is not JSON: is this bosd\'s API?');
  }
  return [v.major, v.minor, v.patch].map((p) => String(p ?? '?')).join('.');
}

function unreachableFix(ep: Endpoint, e: unknown): string {
  const hint = isBosError(e) ? e.hint : '';
  if (/EACCES|may connect/.test(hint)) return hint;
  if (/CA that signed/.test(hint)) return hint;
  if (ep.scheme === 'unix') return `start bosd (systemctl enable --now bosd) or give --server URL; bosd creates ${ep.socketPath} when socket: is set`;
  return 'start bosd (systemctl enable --now bosd), or give the right --server URL';
}

/** Whether the configured token is accepted (a call that needs one: GET /v2/options). */
async function authNote(ep: Endpoint, target: DaemonTarget, transport: TransportOptions): Promise<{ status: 'pass' | 'warn' | 'fail'; detail: string; fix?: string }> {
  if (ep.scheme === 'unix') return { status: 'pass', detail: 'through the unix socket (no token needed)' };
  if (target.token === undefined && target.tokenFile === undefined) {
    return { status: 'pass', detail: 'no token configured (only version and health need none)' };
  }
  if (target.tokenFile !== undefined) {
    try {
      (await import('../cli/files.js')).assertOwnerOnly(target.tokenFile, 'token file');
    } catch (e) {
      return { status: 'fail', detail: messageOf(e), fix: `chmod 600 ${target.tokenFile}` };
    }
  }
  const { RemoteBackend } = await import('../client/remote-backend.js');
  const backend = new RemoteBackend({
    server: target.server, transport,
    ...(target.token !== undefined ? { token: target.token } : {}),
    ...(target.tokenFile !== undefined ? { tokenFile: target.tokenFile } : {}),
    ...(target.caBundle !== undefined ? { caBundle: target.caBundle } : {}),
  });
  try {
    await backend.getOptions();
    return { status: 'pass', detail: 'token accepted' };
  } catch (e) {
    if (isBosError(e) && e.code === 'BOS_FORBIDDEN') return { status: 'pass', detail: 'token accepted (its role may not read options)' };
    if (isBosError(e) && e.code === 'BOS_UNAUTHORIZED') {
      return { status: 'fail', detail: 'the token was refused (401)', fix: 'create a new one with "bosctl token create" on the admin node and put it in the token file' };
    }
    return { status: 'fail', detail: `token check: ${messageOf(e)}`, fix: isBosError(e) ? e.hint : 'check the token file' };
  } finally {
    backend.close();
  }
}
