import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowed, type Permission, type Principal } from '../core/access.js';
import { bosError, isBosError } from '../core/errors.js';
import type { Actor } from '../core/types.js';
import type { ServiceContext } from '../services/context.js';
import { verifyToken } from '../services/tokens.js';
import type { Store } from '../store/store.js';
import type { S3Client } from '../integrations/s3.js';
import { sendJson, sendProblem, toProblem } from './problem.js';
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
    if (deps.isTrustedSocket?.(req)) principal = { role: 'admin', node: null, name: 'unix-socket' };
    else {
      const h = req.headers.authorization;
      const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
      if (m) {
        const v = deps.store.read(() => verifyToken({ store: deps.store, actor: { user: 'api', via }, now: deps.now }, m[1]));
        if ('denied' in v) {
          if (route.perm === 'public') return { role: 'node', node: '', name: 'anonymous' };
          throw bosError('BOS_UNAUTHORIZED', `${v.denied}: ${via} needs a valid bearer token`);
        }
        principal = v;
      }
    }
    if (route.perm === 'public') return principal ?? { role: 'node', node: '', name: 'anonymous' };
    if (!principal) throw bosError('BOS_UNAUTHORIZED', `${via} needs a bearer token (Authorization: Bearer ...)`);
    if (!allowed(principal, route.perm, params.id)) {
      throw bosError('BOS_FORBIDDEN', `${principal.name} (role ${principal.role}${principal.node ? `, node ${principal.node}` : ''}) may not ${via}${params.id ? ` for ${params.id}` : ''}`);
    }
    return principal;
  }

  function recordDenied(req: IncomingMessage, path: string, status: number, reason: string): void {
    try {
      const now = deps.now().toISOString();
      deps.store.write(() => deps.store.events.record(now, 'api', path, status === 401 ? 'unauthorized' : 'forbidden',
        { method: req.method, status, reason, remote: req.socket.remoteAddress ?? 'unix' }, { user: 'api', via: `${req.method} ${path}` }));
    } catch { /* a full or busy database must not turn a 401 into a 500 */ }
    deps.log('warn', status === 401 ? 'unauthorized request' : 'forbidden request', { method: req.method, path, remote: req.socket.remoteAddress ?? 'unix' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bosd');
    const prefix = PREFIXES.find((p) => url.pathname === p || url.pathname.startsWith(p + '/'));
    const instance = url.pathname;
    try {
      if (req.method === 'GET' && ROOTS.includes(url.pathname)) {
        sendJson(res, 200, [versionBody(deps.version)]);
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
      const body = req.method === 'GET' || req.method === 'DELETE' ? undefined : await readBody(req, deps.maxBodyBytes ?? 1024 * 1024);
      const tenant = headerValue(req, 'cray-tenant-name');
      const actor: Actor = { user: `${principal.name}${tenant ? ` tenant=${tenant}` : ''}`, via: `${via}${ua ? ` (${ua.slice(0, 120)})` : ''}` };
      const ctx: ServiceContext = { store: deps.store, actor, now: deps.now, s3: deps.s3, ...(tenant ? { tenant } : {}) };
      const result = await route.handler({ params, query: url.searchParams, body, ctx, deps, principal });
      if (result.changed) deps.onChange();
      for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
      sendJson(res, result.status, result.body);
    } catch (e) {
      const p = toProblem(e, instance);
      if (isBosError(e) && (e.code === 'BOS_UNAUTHORIZED' || e.code === 'BOS_FORBIDDEN')) {
        if (e.code === 'BOS_UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer realm="bosd"');
        recordDenied(req, instance, p.status, e.message);
      }
      if (p.status >= 500) deps.log('error', 'request failed', { path: instance, error: (e as Error).message });
      sendProblem(res, p);
    }
  }
}
