import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowed, type Permission, type Principal } from '../core/access.js';
import { bosError, isBosError } from '../core/errors.js';
import type { Actor } from '../core/types.js';
import type { ServiceContext } from '../services/context.js';
import { TokenCache } from '../services/tokens.js';
import { tenantNodes } from '../services/tenants.js';
import type { Store } from '../store/store.js';
import { WriteGroup } from '../services/write-group.js';
import { phasesOf, SlowRequestLog, type PhaseMarks } from './slow-requests.js';
import type { S3Client } from '../integrations/s3.js';
import type { HealthBoard } from '../services/health-board.js';
import { sendJson, sendProblem, toProblem } from './problem.js';
import { RefusalLog, type Refusal, type RefusalSummary } from './refusal-log.js';
import { routes } from './routes/index.js';
import { versionBody } from './routes/misc.js';

export interface ApiDeps {
  store: Store;
  now: () => Date;
  version: string;
  /** Called after a request changed the database, so the reconciler wakes at once. */
  onChange(): void;
  /** One line per notable event; never given secrets. */
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  maxBodyBytes?: number;
  /** Where s3:// image manifests are read from, when a session or a check needs one. */
  s3?: () => Promise<S3Client>;
  /** Requests that come through the unix socket are admins (file permissions guard it). */
  isTrustedSocket?(req: IncomingMessage): boolean;
  /** Whether the database, BSS, CFS and S3 answer (bosd's monitor); healthz reports it. */
  health?: HealthBoard;
  /** Directories file:// image manifests may be read from (bosd.yaml image_dirs); default none. */
  imageDirs?: readonly string[];
  /** Counts refused requests and rate-limits their log lines (default: one of its own, logging only). */
  refusals?: RefusalLog;
  /** Logs requests slower than a second, with where their time went (default: one of its own). */
  slowRequests?: SlowRequestLog;
  /** Tenants not in bosctl's registry (TAPMS at a CSM site, bosd.yaml tapms_url): their nodes, or undefined. */
  externalTenants?(name: string): Promise<ReadonlySet<string> | undefined>;
  /**
   * Internal: whether the writes of `grouped` routes that arrive together share one
   * transaction (default true); false gives each request its own, for comparison.
   */
  groupWrites?: boolean;
  /** bosd's listener for Redfish push events: POST /redfish-events/<subscription> (outside /v2, no bearer token: the Context secret). */
  redfishEvents?(req: IncomingMessage, res: ServerResponse, key: string): void;
}

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  ctx: ServiceContext;
  deps: ApiDeps;
  principal: Principal;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  /** True when the handler wrote to the database. */
  changed?: boolean;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  /** Path below the API root (/v2 or /apis/bos/v2), e.g. /components/:id */
  path: string;
  /** What the caller's role must allow; component routes check it against :id. */
  perm: Permission;
  /**
   * The handler is synchronous and may share its transaction with other requests that arrive
   * at the same time, each in its own savepoint (many nodes reporting or applying at once).
   */
  grouped?: boolean;
  handler(r: RouteRequest): RouteResult | Promise<RouteResult>;
}

const PREFIXES = ['/apis/bos/v2', '/v2'];
/** GET of these lists the API versions (the spec's GET /). */
const ROOTS = ['/', '/apis/bos', '/apis/bos/'];

interface CompiledRoute extends Route { regex: RegExp; keys: string[] }

function compile(rs: Route[]): CompiledRoute[] {
  return rs.map((r) => {
    const keys: string[] = [];
    const pattern = r.path.replace(/:([a-z_]+)/g, (_m, k: string) => { keys.push(k); return '([^/]+)'; });
    return { ...r, keys, regex: new RegExp(`^${pattern}/?$`) };
  });
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw bosError('BOS_BODY_TOO_LARGE', `request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bosError('BOS_VALUE_INVALID', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim().slice(0, 127) : undefined;
}

/** The BOS v2 API as a node:http listener; only the daemon calls listen (fastify's split). */
export function createApi(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const table = compile(routes);
  const imageDirs = [...(deps.imageDirs ?? [])];
  const refusals = deps.refusals ?? new RefusalLog({ log: deps.log, wallNow: deps.now });
  const writes = deps.groupWrites === false ? undefined : new WriteGroup(deps.store);
  const tokens = new TokenCache();
  const slow = deps.slowRequests ?? new SlowRequestLog({ log: deps.log });
  return (req, res) => {
    void handle(req, res).catch((e) => {
      deps.log('error', 'request failed', { error: (e as Error).message });
      if (!res.headersSent) sendProblem(res, toProblem(e));
      else res.destroy();
    });
  };

  /** Who is asking, and may they: 401 without a valid token, 403 when the role does not allow it. */
  function authenticate(req: IncomingMessage, route: CompiledRoute, params: Record<string, string>, via: string): Principal {
    let principal: Principal | undefined;
    let missing: Pick<Refusal, 'reason'> & { tokenId?: string } = { reason: 'missing' };
    if (deps.isTrustedSocket?.(req)) principal = { role: 'admin', node: null, name: 'unix-socket' };
    else {
      const h = req.headers.authorization;
      const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
      if (h && !m) missing = { reason: 'malformed' };
      if (m) {
        const v = tokens.verify({ store: deps.store, actor: { user: 'api', via }, now: deps.now }, m[1]);
        if ('denied' in v) {
          if (route.perm === 'public') return { role: 'node', node: '', name: 'anonymous' };
          throw refusal(bosError('BOS_UNAUTHORIZED', `${v.denied}: ${via} needs a valid bearer token`), { reason: v.reason, ...(v.tokenId ? { tokenId: v.tokenId } : {}) });
        }
        principal = v;
      }
    }
    if (route.perm === 'public') return principal ?? { role: 'node', node: '', name: 'anonymous' };
    if (!principal) throw refusal(bosError('BOS_UNAUTHORIZED', `${via} needs a bearer token (Authorization: Bearer ...)`), missing);
    if (!allowed(principal, route.perm, params.id)) {
      throw refusal(bosError('BOS_FORBIDDEN', `${principal.name} (role ${principal.role}${principal.node ? `, node ${principal.node}` : ''}) may not ${via}${params.id ? ` for ${params.id}` : ''}`),
        { reason: 'forbidden', detail: principal.name, ...(principal.name.startsWith('token:') ? { tokenId: principal.name.slice(6) } : {}) });
    }
    return principal;
  }

  /**
   * The tenant a request acts as: Cray-Tenant-Name, or the tenant its token is bound to. A
   * bound token never acts as another tenant, nor as none (bosctl's extension: no gateway needed).
   */
  function tenantOf(req: IncomingMessage, principal: Principal, via: string): string | undefined {
    const header = headerValue(req, 'cray-tenant-name');
    if (principal.tenant === undefined) return header;
    if (header !== undefined && header !== principal.tenant) {
      throw refusal(bosError('BOS_TENANT_FORBIDDEN', `${principal.name} is bound to tenant "${principal.tenant}" and may not ${via} as tenant "${header}"`),
        { reason: 'forbidden', detail: principal.name, ...(principal.name.startsWith('token:') ? { tokenId: principal.name.slice(6) } : {}) });
    }
    return principal.tenant;
  }

  /** Counted and rate-limited in the log; never one database row per request. */
  function recordDenied(req: IncomingMessage, path: string, status: 401 | 403, e: unknown): void {
    const info = (e as { refusal?: Pick<Refusal, 'reason' | 'tokenId' | 'detail'> }).refusal ?? { reason: status === 401 ? 'missing' : 'forbidden' };
    refusals.refused({ remote: req.socket.remoteAddress ?? 'unix', status, method: req.method ?? '?', path, ...info });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bosd');
    const prefix = PREFIXES.find((p) => url.pathname === p || url.pathname.startsWith(p + '/'));
    const instance = url.pathname;
    if (deps.redfishEvents && url.pathname.startsWith('/redfish-events/')) return deps.redfishEvents(req, res, url.pathname.slice('/redfish-events/'.length));
    const start = performance.now();
    const marks: PhaseMarks = {};
    res.once('finish', () => {
      const end = performance.now();
      slow.observe({ method: req.method ?? '?', path: instance, status: res.statusCode, ms: end - start, phases: phasesOf(start, marks, end) });
    });
    try {
      if (req.method === 'GET' && ROOTS.includes(url.pathname)) {
        sendJson(res, 200, [versionBody(false)]);
        return;
      }
      if (!prefix) throw bosError('BOS_PATH_NOT_FOUND', `no such path ${url.pathname}: the API is under /v2 and /apis/bos/v2`);
      const sub = url.pathname.slice(prefix.length) || '/';
      const matches = table.filter((r) => r.regex.test(sub));
      if (matches.length === 0) throw bosError('BOS_PATH_NOT_FOUND', `no such path ${url.pathname}`);
      const route = matches.find((r) => r.method === req.method);
      if (!route) {
        res.setHeader('Allow', matches.map((m) => m.method).join(', '));
        throw bosError('BOS_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`);
      }
      const m = route.regex.exec(sub)!;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]);
        } catch {
          throw bosError('BOS_VALUE_INVALID', `path segment "${m[i + 1]}" is not valid percent-encoding`);
        }
      });
      // The client's own name (bosctl says which command, e.g. Slurm's reboot program) goes into the events.
      const ua = headerValue(req, 'user-agent');
      const via = `${req.method} ${prefix}${route.path}`;
      const principal = authenticate(req, route, params, via);
      marks.authed = performance.now();
      const body = req.method === 'GET' || req.method === 'DELETE' ? undefined : await readBody(req, deps.maxBodyBytes ?? 1024 * 1024);
      const tenant = tenantOf(req, principal, via);
      // Every route but the public ones: an unknown tenant is BOS's 400 "Invalid tenant".
      const nodes = tenant && route.perm !== 'public' ? await tenantNodes(deps.store, tenant, deps.externalTenants) : undefined;
      const actor: Actor = { user: `${principal.name}${tenant ? ` tenant=${tenant}` : ''}`, via: `${via}${ua ? ` (${ua.slice(0, 120)})` : ''}` };
      const ctx: ServiceContext = { store: deps.store, actor, now: deps.now, s3: deps.s3, imageDirs, ...(tenant ? { tenant } : {}), ...(nodes ? { tenantNodes: nodes } : {}) };
      // bosd's connection gives up on a held lock at once; the request waits for it here, without blocking.
      marks.read = performance.now();
      const work = () => {
        marks.started = performance.now();
        try {
          return route.handler({ params, query: url.searchParams, body, ctx, deps, principal });
        } finally {
          marks.done = performance.now();
        }
      };
      const result = route.grouped && writes ? await writes.run(work) : await deps.store.retryBusy(work);
      // A token revoked here stops working here at once (elsewhere within the cache's time).
      if (route.path.startsWith('/tokens') && req.method !== 'GET') tokens.clear();
      if (result.changed) deps.onChange();
      for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
      sendJson(res, result.status, result.body);
    } catch (e) {
      const p = toProblem(e, instance);
      if (isBosError(e) && (e.code === 'BOS_UNAUTHORIZED' || e.code === 'BOS_FORBIDDEN' || e.code === 'BOS_TENANT_FORBIDDEN')) {
        if (e.code === 'BOS_UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer realm="bosd"');
        recordDenied(req, instance, p.status as 401 | 403, e);
      }
      if (p.status >= 500) deps.log('error', 'request failed', { path: instance, error: (e as Error).message });
      sendProblem(res, p);
    }
  }
}

/** Why a request was refused, carried on its error to the place that answers it. */
function refusal<E extends Error>(e: E, info: Pick<Refusal, 'reason' | 'tokenId' | 'detail'>): E {
  return Object.assign(e, { refusal: info });
}

/** One aggregated event row per interval with refusals (kind api, subject refused). */
export function persistRefusals(deps: Pick<ApiDeps, 'store' | 'now'>): (s: RefusalSummary) => void {
  return (s) => {
    deps.store.write(() => deps.store.events.record(deps.now().toISOString(), 'api', 'refused', 'refused', { ...s }, { user: 'api', via: 'bosd' }));
  };
}
