/**
 * Redfish client for node power: read PowerState, find the reset types a BMC accepts, send
 * ComputerSystem.Reset. A few undici Clients per BMC base URL (http.ts OriginClients), opened on first use; per-BMC
 * caches (service root, session or Basic auth, system id, reset action) and no per-BMC timers,
 * so 10,000 BMCs cost 10,000 small objects and sockets only while they are used.
 */
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { GuardedDispatcher } from './guarded-dispatcher.js';
import { IntegrationError, describeEndpoint } from './errors.js';
import {
  type HttpRequest,
  type HttpResponse,
  type Peer,
  type RetryPolicy,
  type TimeoutOption,
  type Timeouts,
  NO_RETRY,
  OriginClients,
  exchange,
  header,
  httpError,
  isRecord,
  join,
  parseJson,
  protocolError,
  resolveRetry,
  resolveTimeouts,
} from './http.js';

export interface BmcTarget {
  bmcXname: string;
  /** `host[:port]` (→ `https://host[:port]`) or a URL base such as `http://127.0.0.1:4000/bmc/x1000c0s0b0`. */
  address: string;
  systemId?: string | null;
  nodeXname: string;
  credentialsRef?: string | null;
  /** Asked right before a reset request is written to its connection; false: it is not sent (WriteRefused). */
  mayCall?: () => boolean;
}

export interface BmcCredentials {
  username: string;
  password: string;
  /** This BMC may be reached over plain http:// (the credentials file's `allow_insecure_http`). */
  allowInsecureHttp?: boolean;
}

export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';
const POWER_STATES: ReadonlySet<string> = new Set(['On', 'Off', 'PoweringOn', 'PoweringOff']);

/** What a BMC is assumed to accept when it does not say. */
export const DEFAULT_RESET_TYPES: readonly string[] = ['On', 'ForceOff', 'GracefulShutdown'];

export interface RedfishClientOptions {
  /** Looked up before each request that needs them (so rotated passwords are picked up). */
  credentials(ref: string | null | undefined, bmcXname: string): BmcCredentials | Promise<BmcCredentials>;
  /** Use these dispatchers (e.g. a MockAgent) instead of building a Pool per BMC; never closed by us. */
  dispatcherFor?(origin: string): Dispatcher;
  /** Sockets per BMC (default 2). */
  connectionsPerBmc?: number;
  /**
   * Pools kept open at most (default 512); the least recently used idle ones are closed
   * beyond it, so memory follows the work in flight, not the size of the fleet.
   */
  maxOpenPools?: number;
  /** A number sets connect, headers and body timeouts alike (default 10 s each). */
  timeoutMs?: TimeoutOption;
  ca?: string | Buffer;
  insecureSkipTlsVerify?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Receives warnings (insecure_skip_tls_verify); default process.emitWarning. */
  onWarning?(message: string): void;
  /**
   * Plain http:// to every BMC, not only to loopback addresses (bosd.yaml
   * `allow_insecure_bmc_http`). Without it, a BMC whose credentials entry lacks
   * `allow_insecure_http` is refused before any request.
   */
  allowInsecureHttp?: boolean;
  /** Receives warnings about one BMC, with fields for a log line (once per BMC); default onWarning. */
  warn?(message: string, fields: Record<string, unknown>): void;
  /** Delete Redfish sessions we created when close() is called (default true). */
  logoutOnClose?: boolean;
}

export interface ResetResult {
  resetType: string;
  /** 200, 202 or 204. */
  status: number;
  /** The task's URL when the BMC answered 202 with a Location (not waited for). */
  task?: string;
}

type Auth = { kind: 'basic' } | { kind: 'session'; token: string; location?: URL };

interface SystemRef {
  id: string;
  /** The system's Name, read only when the BMC lists several systems. */
  name?: string;
  url: URL;
}

/** A node's system as resolved (redfish_system_id, or matched on its BMC). */
export interface ResolvedSystem {
  id: string;
  name?: string;
  url: string;
}

/** One of the systems a BMC lists, for messages. */
export interface SystemCandidate {
  id: string;
  name?: string;
}

/** A plain-http:// BMC that no setting allows: refused before any request, never retried. */
export class InsecureBmcError extends IntegrationError {
  constructor(message: string, bmc: string) {
    super(message, { service: 'redfish', endpoint: '', kind: 'connect', retryable: false, bmc });
    this.name = 'InsecureBmcError';
  }
}

/**
 * Which system of its BMC a node is cannot be told: the BMC lists no system, or several and
 * none or more than one matches the node's xname. Never retried: the inventory must say.
 */
export class SystemResolutionError extends IntegrationError {
  readonly node: string;
  readonly candidates: SystemCandidate[];
  readonly matches: SystemCandidate[];

  constructor(message: string, init: { node: string; bmc: string; endpoint: string; candidates: SystemCandidate[]; matches: SystemCandidate[] }) {
    super(message, { service: 'redfish', endpoint: init.endpoint, status: 200, kind: 'protocol', retryable: false, bmc: init.bmc });
    this.name = 'SystemResolutionError';
    this.node = init.node;
    this.candidates = init.candidates;
    this.matches = init.matches;
  }
}

interface ResetInfo {
  target: URL;
  allowed: string[];
}

interface Bmc {
  base: URL;
  /** base's path ('' when the BMC is at the origin's root). */
  prefix: string;
  /** Given by the caller (never closed by us), or our pool while open. */
  dispatcher?: Dispatcher;
  owned: boolean;
  /** Requests in flight on it: a pool in use is never closed. */
  active: number;
  sessionsUrl?: Promise<URL | null>;
  auth?: Promise<Auth>;
  session?: Extract<Auth, { kind: 'session' }>;
  members?: Promise<SystemRef[]>;
  systems: Map<string, SystemRef>;
  reset: Map<string, Promise<ResetInfo>>;
  /** Where a system's reset action is described (its ActionInfo), as its last read said: no second read of it. */
  actionInfo: Map<string, { target: URL; actionInfo: URL }>;
  secrets: Set<string>;
  /** The credentials last looked up and their Basic header (built once per change of password). */
  basic?: { username: string; password: string; header: string };
  /** The plain-HTTP warning was given for this BMC. */
  warnedHttp?: boolean;
  /** The service root as read for the login (the EventService reads it again from here). */
  root?: Record<string, unknown>;
}

const FALLBACK_TO_BASIC = new Set([404, 405, 501]);
const RESET_OK = new Set([200, 202, 204]);
/** Same-origin 307/308 hops followed per request (sushy-tools redirects a system's Name to its Id). */
const MAX_REDIRECTS = 5;
/** Systems named in a message at most. */
const CANDIDATES_SHOWN = 10;

export class RedfishClient {
  private readonly opts: RedfishClientOptions;
  private readonly timeouts: Timeouts;
  private readonly retry: RetryPolicy;
  private readonly connections: number;
  private readonly bmcs = new Map<string, Bmc>();
  /** The same BMCs by the address string a target gave (no URL parsing per request). */
  private readonly byAddress = new Map<string, Bmc>();
  /** BMCs whose own pool is open, least recently used first. */
  private readonly openPools = new Map<Bmc, true>();
  private readonly maxOpenPools: number;
  private closed = false;

  constructor(opts: RedfishClientOptions) {
    this.opts = opts;
    this.timeouts = resolveTimeouts(opts.timeoutMs);
    this.retry = resolveRetry(opts.retry);
    this.connections = opts.connectionsPerBmc ?? 2;
    this.maxOpenPools = opts.maxOpenPools ?? 512;
    if (!Number.isInteger(this.connections) || this.connections < 1) throw new RangeError(`connectionsPerBmc must be an integer >= 1, got ${this.connections}`);
    if (opts.insecureSkipTlsVerify === true) {
      const msg = 'Redfish: TLS certificate verification of BMCs is disabled (insecure_skip_tls_verify)';
      if (opts.onWarning) opts.onWarning(msg);
      else process.emitWarning(msg);
    }
  }

  /** The node's PowerState, read from the BMC now (never cached). */
  async powerState(t: BmcTarget): Promise<PowerState> {
    const bmc = this.bmc(t);
    const sys = await this.system(t, bmc);
    const req: HttpRequest = { method: 'GET', url: sys.url };
    const res = await this.send(t, bmc, req);
    const body = this.expectJson(t, bmc, req, res);
    // The same resource describes the reset action: cache it when that needs no further request.
    if (!bmc.reset.has(sys.url.href) && !bmc.actionInfo.has(sys.url.href)) {
      const action = readResetAction(bmc, sys, body);
      if (action.allowed) this.cacheReset(bmc, sys, Promise.resolve({ target: action.target, allowed: action.allowed }));
      else if (action.actionInfo) bmc.actionInfo.set(sys.url.href, { target: action.target, actionInfo: action.actionInfo });
    }
    const state = body.PowerState;
    if (typeof state !== 'string' || !POWER_STATES.has(state)) {
      throw protocolError(this.peer(t, bmc), req, res, `with PowerState ${JSON.stringify(state ?? null)}; expected On, Off, PoweringOn or PoweringOff`);
    }
    return state as PowerState;
  }

  /** The ResetType values the BMC accepts (cached per BMC system). */
  async allowedResetTypes(t: BmcTarget): Promise<string[]> {
    const bmc = this.bmc(t);
    const info = await this.resetInfo(t, bmc, await this.system(t, bmc));
    return [...info.allowed];
  }

  /** graceful: GracefulShutdown if the BMC allows it, else Off (HPE Cray EX); forceful: ForceOff. */
  async powerOff(t: BmcTarget, mode: 'graceful' | 'forceful'): Promise<ResetResult> {
    if (mode !== 'graceful' && mode !== 'forceful') throw new TypeError(`powerOff mode must be graceful or forceful, got ${String(mode)}`);
    return this.reset(t, (allowed) => (mode === 'forceful' ? 'ForceOff' : allowed.includes('GracefulShutdown') ? 'GracefulShutdown' : 'Off'));
  }

  async powerOn(t: BmcTarget): Promise<ResetResult> {
    return this.reset(t, () => 'On');
  }

  /**
   * Which system of its BMC the node is: its redfish_system_id, else the one system whose Id or
   * Name is the node's xname (any case), else the BMC's only system. Anything else throws a
   * SystemResolutionError naming the candidates. The BMC's list is read once and cached.
   */
  async resolveSystem(t: BmcTarget): Promise<ResolvedSystem> {
    const bmc = this.bmc(t);
    const sys = await this.system(t, bmc);
    return { id: sys.id, ...(sys.name === undefined ? {} : { name: sys.name }), url: sys.url.href };
  }

  /** The BMC's service root (read once, with the login). */
  async serviceRoot(t: BmcTarget): Promise<Record<string, unknown>> {
    const bmc = this.bmc(t);
    await this.sessionsUrl(t, bmc);
    return bmc.root ?? {};
  }

  /**
   * An authenticated request to the BMC for the EventService (redfish-events.ts): `ref` is a
   * path from the BMC's root or an @odata.id it gave. Not retried; the answer as it came.
   */
  async call(t: BmcTarget, method: HttpRequest['method'], ref: string, json?: unknown): Promise<HttpResponse & { url: string }> {
    const bmc = this.bmc(t);
    const url = resolveRef(bmc, ref);
    const res = await this.send(t, bmc, { method, url, ...(json === undefined ? {} : { json }) }, NO_RETRY);
    return { ...res, url: url.href };
  }

  /** Where `ref` is on the BMC and the headers that authenticate a request there now (an SSE stream). */
  async authorize(t: BmcTarget, ref: string): Promise<{ url: URL; headers: Record<string, string> }> {
    const bmc = this.bmc(t);
    await this.guardPlainHttp(t, bmc);
    const auth = await this.auth(t, bmc);
    const headers: Record<string, string> = auth.kind === 'session' ? { 'x-auth-token': auth.token } : { authorization: await this.basicAuthorization(t, bmc) };
    return { url: resolveRef(bmc, ref), headers };
  }

  /** The TLS settings of BMC connections (an SSE stream opens its own). */
  get tls(): { ca?: string | Buffer; insecureSkipTlsVerify?: boolean } {
    return { ca: this.opts.ca, insecureSkipTlsVerify: this.opts.insecureSkipTlsVerify };
  }

  /** Forget what is cached about this BMC (service root, auth, systems, reset actions). */
  forget(t: Pick<BmcTarget, 'address'>): void {
    let key: string;
    try {
      key = bmcBase(t.address).href;
    } catch {
      return;
    }
    const bmc = this.bmcs.get(key);
    if (!bmc) return;
    bmc.sessionsUrl = undefined;
    bmc.auth = undefined;
    bmc.members = undefined;
    bmc.systems.clear();
    bmc.reset.clear();
    bmc.actionInfo.clear();
  }

  /** How many of this client's own pools are open now. */
  get openPoolCount(): number {
    return this.openPools.size;
  }

  /** Logs out of sessions (best effort, briefly) and closes every pool this client built. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.bmcs.values()];
    if (this.opts.logoutOnClose !== false) {
      const sessions = all.filter((b) => b.session?.location);
      await eachLimited(sessions, 64, (b) => this.logout(b));
    }
    await Promise.all(all.filter((b) => b.owned && b.dispatcher).map((b) => b.dispatcher!.close().catch(() => undefined)));
    this.bmcs.clear();
    this.byAddress.clear();
    this.openPools.clear();
  }

  // -------------------------------------------------------------------------------------------

  private async reset(t: BmcTarget, choose: (allowed: string[]) => string): Promise<ResetResult> {
    const bmc = this.bmc(t);
    const sys = await this.system(t, bmc);
    const info = await this.resetInfo(t, bmc, sys);
    const resetType = choose(info.allowed);
    const req: HttpRequest = { method: 'POST', url: info.target, json: { ResetType: resetType } };
    const res = await this.send(t, bmc, req, this.retry, t.mayCall);
    if (!RESET_OK.has(res.status)) {
      // The BMC may have changed (firmware update, replaced board): read its action again next time.
      if (res.status === 400 || res.status === 404) bmc.reset.delete(sys.url.href);
      throw httpError(this.peer(t, bmc), req, res);
    }
    const location = header(res.headers, 'location');
    return { resetType, status: res.status, ...(res.status === 202 && location ? { task: resolveRef(bmc, location).href } : {}) };
  }

  private bmc(t: BmcTarget): Bmc {
    if (this.closed) {
      throw new IntegrationError(`BMC ${t.bmcXname}: the Redfish client is closed`, { service: 'redfish', endpoint: '', kind: 'connect', retryable: false, bmc: t.bmcXname });
    }
    const known = this.byAddress.get(t.address);
    if (known) return known;
    let base: URL;
    try {
      base = bmcBase(t.address);
    } catch (e) {
      throw new IntegrationError(`BMC ${t.bmcXname}: address ${JSON.stringify(t.address)} is neither host[:port] nor an http(s) URL`, {
        service: 'redfish',
        endpoint: '',
        kind: 'connect',
        retryable: false,
        bmc: t.bmcXname,
        cause: e,
      });
    }
    let bmc = this.bmcs.get(base.href);
    if (!bmc) {
      const given = this.opts.dispatcherFor?.(base.origin);
      bmc = {
        base,
        prefix: base.pathname === '/' ? '' : base.pathname,
        dispatcher: given,
        owned: given === undefined,
        active: 0,
        systems: new Map(),
        reset: new Map(),
        actionInfo: new Map(),
        secrets: new Set(),
      };
      this.bmcs.set(base.href, bmc);
    }
    this.byAddress.set(t.address, bmc);
    return bmc;
  }

  /** The BMC's dispatcher, opening its pool if needed; closes idle pools beyond the bound. */
  private dispatcherOf(bmc: Bmc): Dispatcher {
    if (!bmc.owned) return bmc.dispatcher!;
    this.openPools.delete(bmc);
    this.openPools.set(bmc, true);
    bmc.dispatcher ??= new OriginClients(bmc.base.origin, { connections: this.connections, timeouts: this.timeouts, tls: this.opts, keepAliveTimeoutMs: 2_000 });
    if (this.openPools.size > this.maxOpenPools) {
      for (const old of this.openPools.keys()) {
        if (this.openPools.size <= this.maxOpenPools) break;
        if (old.active > 0 || old === bmc) continue;
        this.openPools.delete(old);
        const pool = old.dispatcher;
        old.dispatcher = undefined;
        pool?.close().catch(() => undefined);
      }
    }
    return bmc.dispatcher;
  }

  /** Runs a request on the BMC's dispatcher, counted so its pool stays open meanwhile. */
  private async onPool<T>(bmc: Bmc, fn: (d: Dispatcher) => Promise<T>): Promise<T> {
    bmc.active++;
    try {
      return await fn(this.dispatcherOf(bmc));
    } finally {
      bmc.active--;
    }
  }

  private peer(t: BmcTarget, bmc: Bmc): Peer {
    return { service: 'redfish', label: `BMC ${t.bmcXname}`, bmc: t.bmcXname, secrets: () => bmc.secrets };
  }

  private async credentials(t: BmcTarget, bmc: Bmc): Promise<BmcCredentials> {
    const c = await this.opts.credentials(t.credentialsRef, t.bmcXname);
    if (bmc.basic?.username === c.username && bmc.basic.password === c.password) return c;
    const value = basicValue(c);
    bmc.secrets.add(c.password);
    bmc.secrets.add(value);
    bmc.basic = { username: c.username, password: c.password, header: `Basic ${value}` };
    return c;
  }

  /** The Authorization header of HTTP Basic with the BMC's credentials as they are now. */
  private async basicAuthorization(t: BmcTarget, bmc: Bmc): Promise<string> {
    await this.credentials(t, bmc);
    return bmc.basic!.header;
  }

  private async exchange(t: BmcTarget, bmc: Bmc, req: HttpRequest, retry: RetryPolicy = this.retry, timeouts: Timeouts = this.timeouts, mayWrite?: () => boolean): Promise<HttpResponse> {
    await this.guardPlainHttp(t, bmc);
    return this.onPool(bmc, (d) => {
      // A guarded request (a power request of bosd's leader) is checked once more as it is written.
      const dispatcher = mayWrite ? new GuardedDispatcher(d, mayWrite) : d;
      return exchange(this.peer(t, bmc), req, { dispatcher, timeouts, retry, isClosed: () => this.closed, maxRedirects: MAX_REDIRECTS });
    });
  }

  /** Refuses plain HTTP to a BMC not on this machine unless allowed; warns once per BMC when it is. */
  private async guardPlainHttp(t: BmcTarget, bmc: Bmc): Promise<void> {
    if (bmc.base.protocol !== 'http:' || isLoopbackHost(bmc.base.hostname)) return;
    const global = this.opts.allowInsecureHttp === true;
    let perBmc = false;
    if (!global) {
      try {
        perBmc = (await this.opts.credentials(t.credentialsRef, t.bmcXname)).allowInsecureHttp === true;
      } catch {
        // no credentials entry: nothing allows it
      }
    }
    const why = insecureHttpRefusal(bmc.base, { global, bmc: perBmc }, t.bmcXname);
    if (why) throw new InsecureBmcError(`BMC ${t.bmcXname}: ${why}`, t.bmcXname);
    if (bmc.warnedHttp) return;
    bmc.warnedHttp = true;
    const by = global ? 'allow_insecure_bmc_http in bosd.yaml' : `allow_insecure_http for ${t.bmcXname} in the credentials file`;
    const msg = `Redfish: BMC ${t.bmcXname} at ${bmc.base.origin} is used over plain HTTP (allowed by ${by}): its password crosses the network in clear`;
    if (this.opts.warn) this.opts.warn(msg, { bmc: t.bmcXname, address: bmc.base.origin, allowed_by: global ? 'allow_insecure_bmc_http' : 'allow_insecure_http' });
    else if (this.opts.onWarning) this.opts.onWarning(msg);
    else process.emitWarning(msg);
  }

  /** An authenticated request; a session rejected with 401 is renewed once. */
  private async send(t: BmcTarget, bmc: Bmc, req: HttpRequest, retry: RetryPolicy = this.retry, mayWrite?: () => boolean): Promise<HttpResponse> {
    for (let renewed = false; ; renewed = true) {
      const pending = this.auth(t, bmc);
      const auth = await pending;
      const headers: Record<string, string> = auth.kind === 'session' ? { 'x-auth-token': auth.token } : { authorization: await this.basicAuthorization(t, bmc) };
      const res = await this.exchange(t, bmc, { ...req, headers: { ...(req.headers ?? {}), ...headers } }, retry, this.timeouts, mayWrite);
      if (res.status === 401 && auth.kind === 'session' && !renewed) {
        if (bmc.auth === pending) bmc.auth = undefined;
        if (bmc.session === auth) bmc.session = undefined;
        continue;
      }
      return res;
    }
  }

  private auth(t: BmcTarget, bmc: Bmc): Promise<Auth> {
    if (!bmc.auth) {
      const p = this.login(t, bmc);
      bmc.auth = p;
      p.catch(() => {
        if (bmc.auth === p) bmc.auth = undefined;
      });
    }
    return bmc.auth;
  }

  private async login(t: BmcTarget, bmc: Bmc): Promise<Auth> {
    const sessionsUrl = await this.sessionsUrl(t, bmc);
    if (!sessionsUrl) return { kind: 'basic' };
    const c = await this.credentials(t, bmc);
    const req: HttpRequest = { method: 'POST', url: sessionsUrl, json: { UserName: c.username, Password: c.password } };
    const res = await this.exchange(t, bmc, req);
    if (FALLBACK_TO_BASIC.has(res.status)) return { kind: 'basic' };
    if (res.status < 200 || res.status > 299) throw httpError(this.peer(t, bmc), req, res);
    const token = header(res.headers, 'x-auth-token');
    if (!token) throw protocolError(this.peer(t, bmc), req, res, 'without an X-Auth-Token header');
    bmc.secrets.add(token);
    const location = header(res.headers, 'location');
    const session: Auth = { kind: 'session', token, ...(location ? { location: resolveRef(bmc, location) } : {}) };
    bmc.session = session;
    return session;
  }

  /** From the service root (fetched once per BMC): where to log in, or null for Basic auth. */
  private sessionsUrl(t: BmcTarget, bmc: Bmc): Promise<URL | null> {
    if (!bmc.sessionsUrl) {
      const p = (async (): Promise<URL | null> => {
        const req: HttpRequest = { method: 'GET', url: join(bmc.base, '/redfish/v1/') };
        let res = await this.exchange(t, bmc, req);
        if (res.status === 401) {
          // The service root should be open to all; some BMCs want credentials anyway.
          res = await this.exchange(t, bmc, { ...req, headers: { authorization: await this.basicAuthorization(t, bmc) } });
        }
        const root = this.expectJson(t, bmc, req, res);
        bmc.root = root;
        if (!isRecord(root.SessionService)) return null;
        const links = isRecord(root.Links) ? root.Links : {};
        const sessions = isRecord(links.Sessions) ? links.Sessions['@odata.id'] : undefined;
        return typeof sessions === 'string' && sessions !== '' ? resolveRef(bmc, sessions) : join(bmc.base, '/redfish/v1/SessionService/Sessions');
      })();
      bmc.sessionsUrl = p;
      p.catch(() => {
        if (bmc.sessionsUrl === p) bmc.sessionsUrl = undefined;
      });
    }
    return bmc.sessionsUrl;
  }

  private async system(t: BmcTarget, bmc: Bmc): Promise<SystemRef> {
    if (t.systemId) return { id: t.systemId, url: join(bmc.base, `/redfish/v1/Systems/${encodeURIComponent(t.systemId)}`) };
    const cached = bmc.systems.get(t.nodeXname);
    if (cached) return cached;
    const req: HttpRequest = { method: 'GET', url: join(bmc.base, '/redfish/v1/Systems') };
    const members = await this.members(t, bmc, req);
    const choice = chooseSystem(t.nodeXname, members);
    if ('problem' in choice) {
      const endpoint = describeEndpoint('GET', req.url);
      throw new SystemResolutionError(`BMC ${t.bmcXname}: cannot tell which system is node ${t.nodeXname}: ${endpoint} ${choice.problem}`, {
        node: t.nodeXname,
        bmc: t.bmcXname,
        endpoint,
        candidates: members.map(candidate),
        matches: choice.matches.map(candidate),
      });
    }
    bmc.systems.set(t.nodeXname, choice.system);
    return choice.system;
  }

  /** The BMC's systems (once per BMC); with several, each one's Name too, read from it. */
  private members(t: BmcTarget, bmc: Bmc, req: HttpRequest): Promise<SystemRef[]> {
    if (!bmc.members) {
      const p = (async () => {
        const res = await this.send(t, bmc, req);
        const body = this.expectJson(t, bmc, req, res);
        if (!Array.isArray(body.Members)) throw protocolError(this.peer(t, bmc), req, res, 'without a Members array');
        const refs: SystemRef[] = [];
        for (const m of body.Members) {
          const id = isRecord(m) ? m['@odata.id'] : undefined;
          if (typeof id !== 'string' || id === '') continue;
          const url = resolveRef(bmc, id);
          const last = url.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
          refs.push({ id: decodeURIComponent(last), url });
        }
        if (refs.length > 1) await eachLimited(refs, this.connections, (ref) => this.describeMember(t, bmc, ref));
        return refs;
      })();
      bmc.members = p;
      p.catch(() => {
        if (bmc.members === p) bmc.members = undefined;
      });
    }
    return bmc.members;
  }

  /** Reads one listed system for its Id and Name (and keeps its reset action when it says it). */
  private async describeMember(t: BmcTarget, bmc: Bmc, ref: SystemRef): Promise<void> {
    const req: HttpRequest = { method: 'GET', url: ref.url };
    const body = this.expectJson(t, bmc, req, await this.send(t, bmc, req));
    if (typeof body.Id === 'string' && body.Id !== '') ref.id = body.Id;
    if (typeof body.Name === 'string') ref.name = body.Name;
    const action = readResetAction(bmc, ref, body);
    if (action.allowed && !bmc.reset.has(ref.url.href)) this.cacheReset(bmc, ref, Promise.resolve({ target: action.target, allowed: action.allowed }));
  }

  private resetInfo(t: BmcTarget, bmc: Bmc, sys: SystemRef): Promise<ResetInfo> {
    const cached = bmc.reset.get(sys.url.href);
    if (cached) return cached;
    const known = bmc.actionInfo.get(sys.url.href);
    bmc.actionInfo.delete(sys.url.href);
    const p = (async () => {
      if (known) return this.resetInfoFrom(t, bmc, sys, known);
      const req: HttpRequest = { method: 'GET', url: sys.url };
      const res = await this.send(t, bmc, req);
      return this.resetInfoFrom(t, bmc, sys, readResetAction(bmc, sys, this.expectJson(t, bmc, req, res)));
    })();
    this.cacheReset(bmc, sys, p);
    return p;
  }

  private cacheReset(bmc: Bmc, sys: SystemRef, p: Promise<ResetInfo>): void {
    bmc.reset.set(sys.url.href, p);
    p.catch(() => {
      if (bmc.reset.get(sys.url.href) === p) bmc.reset.delete(sys.url.href);
    });
  }

  /** From a ComputerSystem: the reset action's target and its allowable ResetType values. */
  private async resetInfoFrom(t: BmcTarget, bmc: Bmc, sys: SystemRef, action: { target: URL; allowed?: string[]; actionInfo?: URL }): Promise<ResetInfo> {
    if (action.allowed) return { target: action.target, allowed: action.allowed };
    if (action.actionInfo) {
      const req: HttpRequest = { method: 'GET', url: action.actionInfo };
      const res = await this.send(t, bmc, req);
      const info = this.expectJson(t, bmc, req, res);
      const params = Array.isArray(info.Parameters) ? info.Parameters : [];
      const resetType = params.find((p) => isRecord(p) && p.Name === 'ResetType');
      const allowed = isRecord(resetType) ? strings(resetType.AllowableValues) : undefined;
      if (allowed) return { target: action.target, allowed };
    }
    return { target: action.target, allowed: [...DEFAULT_RESET_TYPES] };
  }

  private expectJson(t: BmcTarget, bmc: Bmc, req: HttpRequest, res: HttpResponse): Record<string, unknown> {
    if (res.status < 200 || res.status > 299) {
      if (res.status === 404 && req.method === 'GET') {
        // A system that vanished (or a wrong systemId): look the BMC up afresh next time.
        bmc.members = undefined;
        bmc.systems.clear();
      }
      throw httpError(this.peer(t, bmc), req, res);
    }
    const body = parseJson(this.peer(t, bmc), req, res);
    if (!isRecord(body)) throw protocolError(this.peer(t, bmc), req, res, 'with JSON that is not an object');
    return body;
  }

  private async logout(bmc: Bmc): Promise<void> {
    const session = bmc.session;
    const location = session?.location;
    if (!session || !location) return;
    const peer: Peer = { service: 'redfish', label: 'BMC', secrets: () => bmc.secrets };
    const quick = Math.min(2_000, this.timeouts.headersMs);
    try {
      await this.onPool(bmc, (dispatcher) => exchange(
        peer,
        { method: 'DELETE', url: location, headers: { 'x-auth-token': session.token } },
        { dispatcher, timeouts: { connectMs: quick, headersMs: quick, bodyMs: quick }, retry: NO_RETRY },
      ));
    } catch {
      // best effort: the BMC expires the session on its own
    }
    bmc.session = undefined;
  }
}

/**
 * The node's system among the BMC's: the one whose Id or Name is the node's xname (xnames
 * compare in any case), else the one with the Cray EX Id Node<N> for xname ...n<N>, else the only one. Never a guess: anything else is a problem to report.
 */
function chooseSystem(node: string, members: SystemRef[]): { system: SystemRef } | { problem: string; matches: SystemRef[] } {
  const x = node.toLowerCase();
  let matches = members.filter((m) => m.id.toLowerCase() === x || m.name?.toLowerCase() === x);
  // HPE Cray EX node controllers name their systems Node0, Node1, ...: that is the xname's n<N>
  // by Cray's own convention (HSM maps them so), exactly, not a number found at the end of an Id.
  const cray = /n(\d+)$/i.exec(node);
  if (matches.length === 0 && cray) matches = members.filter((m) => m.id === `Node${Number(cray[1])}`);
  if (matches.length === 1) return { system: matches[0]! };
  if (matches.length === 0 && members.length === 1) return { system: members[0]! };
  const fix = `set redfish_system_id for ${node} in the inventory`;
  if (members.length === 0) return { problem: `lists no systems; check the BMC, or ${fix}`, matches };
  const listed = (refs: SystemRef[]) =>
    refs.slice(0, CANDIDATES_SHOWN).map(describeCandidate).join(', ') + (refs.length > CANDIDATES_SHOWN ? ` and ${refs.length - CANDIDATES_SHOWN} more` : '');
  if (matches.length === 0) return { problem: `lists ${members.length} systems and none has Id or Name ${node}: ${listed(members)}; ${fix}`, matches };
  return { problem: `lists ${matches.length} systems with Id or Name ${node}: ${listed(matches)}; ${fix}`, matches };
}

function candidate(ref: SystemRef): SystemCandidate {
  return { id: ref.id, ...(ref.name === undefined ? {} : { name: ref.name }) };
}

function describeCandidate(ref: SystemRef): string {
  return `${ref.id} (${ref.name === undefined ? 'no Name' : `Name ${JSON.stringify(ref.name)}`})`;
}

/** 127.0.0.0/8 or ::1 (also IPv4-mapped): this machine, where plain HTTP never crosses a network. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  if (h === '::1') return true;
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted) return dotted[1]!.startsWith('127.');
  const hex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h);
  return hex !== null && parseInt(hex[1]!, 16) >> 8 === 127;
}

export interface PlainHttpAllowances {
  /** bosd.yaml `allow_insecure_bmc_http`. */
  global?: boolean;
  /** The credentials file's `allow_insecure_http` for this BMC. */
  bmc?: boolean;
}

/** Why plain HTTP to this BMC base URL is refused, or undefined when it may be used. */
export function insecureHttpRefusal(base: URL, allow: PlainHttpAllowances, bmcXname = 'BMC'): string | undefined {
  if (base.protocol !== 'http:' || isLoopbackHost(base.hostname) || allow.global === true || allow.bmc === true) return undefined;
  return (
    `refusing plain HTTP to ${base.origin}, which is not a loopback address: the BMC password would cross the network in clear; ` +
    `use https, or allow it for this BMC with allow_insecure_http: true in its entry under bmcs: ${bmcXname} in the credentials file, ` +
    'or for every BMC with allow_insecure_bmc_http: true in bosd.yaml'
  );
}

/** The base URL of a BMC: `host[:port]` → `https://host[:port]`; a URL keeps its path prefix. */
export function bmcBase(address: string): URL {
  const a = address.trim();
  let u: URL;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) u = new URL(a);
  else {
    // a bare IPv6 address needs brackets
    const host = !a.startsWith('[') && (a.match(/:/g)?.length ?? 0) > 1 ? `[${a}]` : a;
    u = new URL(`https://${host}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`unsupported scheme ${u.protocol}`);
  if (u.hostname === '') throw new TypeError('no host');
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/\/redfish\/v1$/, '');
  return u;
}

/**
 * An `@odata.id`/`target` (an absolute URL path) as a URL on this BMC's origin. A BMC served
 * under a path prefix (the simulator) that answers with unprefixed `/redfish/...` paths gets
 * its prefix added.
 */
function resolveRef(bmc: Bmc, ref: string): URL {
  let path = ref;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    const u = new URL(ref);
    path = u.pathname + u.search;
  } else if (!path.startsWith('/')) path = `/${path}`;
  if (bmc.prefix && path.startsWith('/redfish/') && !path.startsWith(`${bmc.prefix}/`)) path = bmc.prefix + path;
  return new URL(path, bmc.base.origin);
}

/** The reset action as the ComputerSystem describes it (no request made). */
function readResetAction(
  bmc: Bmc,
  sys: SystemRef,
  system: Record<string, unknown>,
): { target: URL; allowed?: string[]; actionInfo?: URL } {
  const actions = isRecord(system.Actions) ? system.Actions : {};
  const action = isRecord(actions['#ComputerSystem.Reset']) ? actions['#ComputerSystem.Reset'] : {};
  const target =
    typeof action.target === 'string' && action.target !== ''
      ? resolveRef(bmc, action.target)
      : new URL(`${sys.url.pathname.replace(/\/+$/, '')}/Actions/ComputerSystem.Reset`, sys.url.origin);
  const allowed = strings(action['ResetType@Redfish.AllowableValues']);
  if (allowed) return { target, allowed };
  const infoRef = action['@Redfish.ActionInfo'];
  if (typeof infoRef === 'string' && infoRef !== '') return { target, actionInfo: resolveRef(bmc, infoRef) };
  return { target, allowed: [...DEFAULT_RESET_TYPES] };
}

function basicValue(c: BmcCredentials): string {
  return Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
