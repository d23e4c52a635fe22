import { bosError } from '../core/errors.js';

/**
 * Tenants from CSM's TAPMS: GET {base}/v1alpha3/tenants/{name} answers the tenant, whose
 * status.tenantresources[].xnames are its nodes (as BOS's tenant_utils.py reads them; spec.
 * tenantresources when there is no status yet); 404 means no such tenant. Answers are kept
 * for `ttlMs` (found or not), so a burst of requests costs one call per tenant.
 */
export interface TapmsOptions {
  /** TAPMS's base URL, e.g. http://cray-tapms (the path /v1alpha3/tenants/NAME is added). */
  url: string;
  ttlMs?: number;
  timeoutMs?: number;
  /** Monotonic milliseconds (injected in tests). */
  clock?: () => number;
}

interface TenantResource { xnames?: unknown }

export class TapmsTenants {
  private readonly cache = new Map<string, { at: number; nodes: ReadonlySet<string> | undefined }>();
  private readonly ttlMs: number;
  private readonly clock: () => number;
  /** Calls made to TAPMS (tests count them). */
  calls = 0;

  constructor(private readonly opts: TapmsOptions) {
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** The tenant's xnames, or undefined when TAPMS has no such tenant. */
  async nodes(name: string): Promise<ReadonlySet<string> | undefined> {
    const hit = this.cache.get(name);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.nodes;
    const nodes = await this.fetchTenant(name);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(name, { at: this.clock(), nodes });
    return nodes;
  }

  private async fetchTenant(name: string): Promise<ReadonlySet<string> | undefined> {
    const url = `${this.opts.url.replace(/\/+$/, '')}/v1alpha3/tenants/${encodeURIComponent(name)}`;
    this.calls++;
    let res: Response;
    try {
      res = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000) });
    } catch (e) {
      throw bosError('BOS_TAPMS_UNAVAILABLE', `TAPMS at ${this.opts.url} did not answer for tenant "${name}": ${(e as Error).message}`);
    }
    if (res.status === 404) { await res.body?.cancel(); return undefined; }
    if (!res.ok) {
      await res.body?.cancel();
      throw bosError('BOS_TAPMS_UNAVAILABLE', `TAPMS at ${this.opts.url} answered ${res.status} for tenant "${name}"`);
    }
    let body: { status?: { tenantresources?: TenantResource[] }; spec?: { tenantresources?: TenantResource[] } };
    try {
      body = await res.json() as typeof body;
    } catch (e) {
      throw bosError('BOS_TAPMS_UNAVAILABLE', `TAPMS at ${this.opts.url} answered tenant "${name}" with invalid JSON: ${(e as Error).message}`);
    }
    const resources = body?.status?.tenantresources ?? body?.spec?.tenantresources ?? [];
    const nodes = new Set<string>();
    for (const r of Array.isArray(resources) ? resources : []) {
      if (Array.isArray(r?.xnames)) for (const x of r.xnames) if (typeof x === 'string') nodes.add(x);
    }
    return nodes;
  }
}
