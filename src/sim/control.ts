import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, isRecord, readJson, sendJson } from './http.js';
import { FAULT_KINDS, type FaultKind, type SimInventoryRecord, type SimNodeView, type SimStats } from './types.js';

export interface ControlTarget {
  nodes(): SimNodeView[];
  node(xname: string): SimNodeView;
  faults(): Record<FaultKind, string[]>;
  setFault(kind: FaultKind, xnames: string[], on: boolean): void;
  setBosUrl(url: string, token?: string): void;
  stats(): SimStats;
  inventory(): SimInventoryRecord[];
}

/**
 * The simulator's own JSON control API (for `bosctl sim`):
 *   GET  /nodes[?xnames=a,b]     node views
 *   GET  /nodes/{xname}          one node view (404 if unknown)
 *   GET  /faults                 {kind: [xnames]}
 *   POST /faults                 {"kind", "xnames": [...], "on": true|false}
 *   POST /bos                    {"url", "token"?}  where booted nodes report
 *   GET  /stats                  counters
 *   GET  /inventory              inventory records
 * Errors: {"error": "..."} with 400, 404 or 405.
 */
export function controlHandler(sim: ControlTarget) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://control.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const fail = (status: number, error: string) => sendJson(res, status, { error });
    try {
      if (path === '/nodes') {
        if (method !== 'GET') return fail(405, 'use GET');
        const wanted = url.searchParams.get('xnames');
        if (!wanted) return sendJson(res, 200, sim.nodes());
        return sendJson(res, 200, wanted.split(',').filter(Boolean).map((x) => sim.node(x)));
      }
      const m = /^\/nodes\/([^/]+)$/.exec(path);
      if (m) {
        if (method !== 'GET') return fail(405, 'use GET');
        try {
          return sendJson(res, 200, sim.node(decodeURIComponent(m[1]!)));
        } catch (err) {
          return fail(404, (err as Error).message);
        }
      }
      if (path === '/faults') {
        if (method === 'GET') return sendJson(res, 200, sim.faults());
        if (method !== 'POST') return fail(405, 'use GET or POST');
        const body = await readJson(req);
        if (!isRecord(body)) return fail(400, 'body must be {"kind", "xnames": [...], "on": true|false}');
        const { kind, xnames, on } = body;
        if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) return fail(400, `kind must be one of ${FAULT_KINDS.join(', ')}`);
        if (!Array.isArray(xnames) || xnames.some((x) => typeof x !== 'string')) return fail(400, 'xnames must be a list of xnames');
        if (on !== undefined && typeof on !== 'boolean') return fail(400, 'on must be true or false');
        sim.setFault(kind as FaultKind, xnames as string[], on !== false);
        return sendJson(res, 200, { kind, xnames, on: on !== false, faults: sim.faults()[kind as FaultKind] });
      }
      if (path === '/bos') {
        if (method !== 'POST') return fail(405, 'use POST');
        const body = await readJson(req);
        if (!isRecord(body) || typeof body.url !== 'string') return fail(400, 'body must be {"url", "token"?}');
        if (body.token !== undefined && typeof body.token !== 'string') return fail(400, 'token must be a string');
        sim.setBosUrl(body.url, body.token as string | undefined);
        return sendJson(res, 200, { url: body.url });
      }
      if (path === '/stats') {
        if (method !== 'GET') return fail(405, 'use GET');
        return sendJson(res, 200, sim.stats());
      }
      if (path === '/inventory') {
        if (method !== 'GET') return fail(405, 'use GET');
        return sendJson(res, 200, sim.inventory());
      }
      return fail(404, `no such resource ${path}`);
    } catch (err) {
      if (err instanceof BodyError) return fail(err.status, err.message);
      return fail(400, (err as Error).message);
    }
  };
}
