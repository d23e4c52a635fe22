import type { IncomingMessage, ServerResponse } from 'node:http';
import { bosError } from '../core/errors.js';
import type { Actor } from '../core/types.js';
import type { ServiceContext } from '../services/context.js';
import type { Store } from '../store/store.js';
import { sendJson, sendProblem, toProblem } from './problem.js';
import { routes } from './routes.js';

export interface ApiDeps {
  store: Store;
  now: () => Date;
  version: string;
  /** Called after a request changed the database, so the reconciler wakes at once. */
  onChange(): void;
  /** One line per notable event; never given secrets. */
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  maxBodyBytes?: number;
}

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  ctx: ServiceContext;
  deps: ApiDeps;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  /** True when the handler wrote to the database. */
  changed?: boolean;
}

export interface Route {
  method: string;
  /** Path below the API root (/v2 or /apis/bos/v2), e.g. /components/:id */
  path: string;
  handler(r: RouteRequest): RouteResult | Promise<RouteResult>;
}

const PREFIXES = ['/apis/bos/v2', '/v2'];

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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bosd');
    const prefix = PREFIXES.find((p) => url.pathname === p || url.pathname.startsWith(p + '/'));
    const instance = url.pathname;
    try {
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
      route.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      const body = req.method === 'GET' || req.method === 'DELETE' ? undefined : await readBody(req, deps.maxBodyBytes ?? 1024 * 1024);
      const actor: Actor = { user: `api:${req.socket.remoteAddress ?? 'unix'}`, via: `${req.method} ${prefix}${route.path}` };
      const ctx: ServiceContext = { store: deps.store, actor, now: deps.now };
      const result = await route.handler({ params, query: url.searchParams, body, ctx, deps });
      if (result.changed) deps.onChange();
      sendJson(res, result.status, result.body);
    } catch (e) {
      const p = toProblem(e, instance);
      if (p.status >= 500) deps.log('error', 'request failed', { path: instance, error: (e as Error).message });
      sendProblem(res, p);
    }
  }
}
