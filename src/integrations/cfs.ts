/**
 * Configuration Framework Service client (CFS v3 components). `url` is either CFS's own base
 * (ending in `/cfs`, e.g. `https://api-gw-service-nmn.local/apis/cfs`, the spec's server URL)
 * or the root it lives under (`https://api-gw-service-nmn.local/apis`, the simulator's
 * `http://127.0.0.1:PORT`), to which `/cfs` is added. Then: `<cfs>/v3/components`,
 * `<cfs>/healthz`.
 */
import { IntegrationError, describeEndpoint } from './errors.js';
import { type HttpRequest, chunkByChars, httpError, isRecord, join, parseJson, protocolError } from './http.js';
import { type ServiceClientOptions, ServiceConnection } from './service.js';

export interface CfsComponent {
  id: string;
  desired_config: string;
  enabled: boolean;
  configuration_status: 'unconfigured' | 'pending' | 'failed' | 'configured' | string;
  error_count?: number;
  retry_policy?: number;
  tags?: Record<string, string>;
}

export interface CfsComponentPatch {
  desired_config?: string;
  enabled?: boolean;
  state?: unknown[];
  tags?: Record<string, string>;
}

export type CfsClientOptions = ServiceClientOptions;

/** Ids per PATCH, and the most characters of comma-joined ids in one PATCH body. */
export const CFS_PATCH_MAX_IDS = 1000;
export const CFS_PATCH_MAX_ID_CHARS = 60_000;
/** Characters of comma-joined ids in one GET query (the request line stays under 8 KB). */
export const CFS_GET_MAX_ID_CHARS = 6_000;

export class CfsClient {
  private readonly conn: ServiceConnection;
  private readonly root: URL;

  constructor(opts: CfsClientOptions) {
    this.conn = new ServiceConnection('cfs', 'CFS', opts);
    this.root = /\/cfs$/.test(this.conn.base.pathname) ? this.conn.base : join(this.conn.base, '/cfs');
  }

  /**
   * PATCH /v3/components {"patch": patch, "filters": {"ids": "a,b"}}, in batches of at most
   * 1000 ids (and 60,000 characters of ids), one after the other; the first failing batch
   * throws (earlier batches stay applied — patching again is harmless). Retried like any PATCH.
   */
  async patchComponents(ids: string[], patch: CfsComponentPatch): Promise<void> {
    checkIds(ids);
    for (const batch of chunkByChars(ids, CFS_PATCH_MAX_ID_CHARS, CFS_PATCH_MAX_IDS)) {
      await this.conn.sendOk({ method: 'PATCH', url: join(this.root, '/v3/components'), json: { patch, filters: { ids: batch.join(',') } } });
    }
  }

  /**
   * The components CFS knows among `ids` (unknown ids are absent from the map). GET
   * /v3/components?ids=a,b in batches that keep the URL short, following `next` pages.
   */
  async getComponents(ids: string[]): Promise<Map<string, CfsComponent>> {
    checkIds(ids);
    const out = new Map<string, CfsComponent>();
    for (const batch of chunkByChars(ids, CFS_GET_MAX_ID_CHARS)) {
      let query: Record<string, string> = { ids: batch.join(',') };
      const seen = new Set<string>();
      for (;;) {
        const req: HttpRequest = { method: 'GET', url: join(this.root, '/v3/components', query) };
        const res = await this.conn.sendOk(req);
        const body = parseJson(this.conn.peer, req, res);
        const list = isRecord(body) ? body.components : Array.isArray(body) ? body : undefined;
        if (!Array.isArray(list)) throw protocolError(this.conn.peer, req, res, 'without a components list');
        for (const raw of list) {
          if (!isRecord(raw) || typeof raw.id !== 'string') continue;
          out.set(raw.id, component(raw));
        }
        const next = isRecord(body) ? body.next : undefined;
        if (!isRecord(next) || Object.keys(next).length === 0) break;
        // `next` holds the parameters of the next page (limit, after_id and our filters).
        const nextQuery: Record<string, string> = { ids: query.ids ?? '' };
        for (const [k, v] of Object.entries(next)) if (v !== null && v !== undefined) nextQuery[k] = String(v);
        const key = JSON.stringify(nextQuery);
        if (seen.has(key) || list.length === 0) {
          throw new IntegrationError(`CFS: ${describeEndpoint('GET', req.url)} answered a next page that does not advance (${JSON.stringify(next)})`, {
            service: 'cfs',
            endpoint: describeEndpoint('GET', req.url),
            status: res.status,
            kind: 'protocol',
            retryable: false,
          });
        }
        seen.add(key);
        query = nextQuery;
      }
    }
    return out;
  }

  /** Checks that CFS answers: GET <cfs>/healthz (or, where that is missing, one component). */
  async ping(): Promise<void> {
    const req: HttpRequest = { method: 'GET', url: join(this.root, '/healthz') };
    const res = await this.conn.send(req);
    if (res.status >= 200 && res.status <= 299) return;
    if (res.status !== 404) throw httpError(this.conn.peer, req, res);
    await this.conn.sendOk({ method: 'GET', url: join(this.root, '/v3/components', { limit: 1 }) });
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

function checkIds(ids: string[]): void {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === '' || id.includes(','))) {
    throw new TypeError('component ids must be non-empty strings without commas');
  }
}

function component(raw: Record<string, unknown>): CfsComponent {
  const c: CfsComponent = {
    id: raw.id as string,
    desired_config: typeof raw.desired_config === 'string' ? raw.desired_config : '',
    enabled: raw.enabled === true,
    configuration_status: typeof raw.configuration_status === 'string' ? raw.configuration_status : '',
  };
  if (typeof raw.error_count === 'number') c.error_count = raw.error_count;
  if (typeof raw.retry_policy === 'number') c.retry_policy = raw.retry_policy;
  if (isRecord(raw.tags)) c.tags = Object.fromEntries(Object.entries(raw.tags).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return c;
}
