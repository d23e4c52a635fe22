import type { Actor } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { S3Client } from '../integrations/s3.js';
import { unknownTenant, type TenantScope } from '../core/tenant.js';

/** What every use case needs: the store, who is acting, and the clock (injected for tests). */
export interface ServiceContext {
  store: Store;
  actor: Actor;
  now: () => Date;
  /**
   * The tenant the caller acts as (Cray-Tenant-Name, a tenant-bound token, or bosctl --tenant):
   * it sees and acts only on its nodes, templates and sessions. undefined: no tenant (all).
   */
  tenant?: string;
  /** The tenant's nodes when already resolved (bosd resolves them per request, TAPMS included). */
  tenantNodes?: ReadonlySet<string>;
  /** Where s3:// image manifests are read from; opened on first use. */
  s3?: () => Promise<S3Client>;
  /**
   * Where file:// image manifests (and the files they point to) may be read from.
   * undefined: the local CLI, reading as its own user, anywhere. An array: a caller through
   * bosd's API, only inside these directories (symlinks resolved); [] refuses every file.
   */
  imageDirs?: readonly string[];
}

export function isoNow(ctx: ServiceContext): string {
  return ctx.now().toISOString();
}

/**
 * The caller's tenant and its nodes, or undefined for none. Nodes not yet resolved (the local
 * CLI) come from bosctl's tenant registry; an unknown tenant is BOS's 400 "Invalid tenant".
 */
export function tenantScope(ctx: ServiceContext): TenantScope | undefined {
  if (ctx.tenant === undefined) return undefined;
  if (ctx.tenantNodes === undefined) {
    const t = ctx.store.read(() => ctx.store.tenants.get(ctx.tenant!));
    if (!t) throw unknownTenant(ctx.tenant);
    ctx.tenantNodes = new Set(t.xnames);
  }
  return { name: ctx.tenant, nodes: ctx.tenantNodes };
}

/** The key templates and sessions are stored under: '' for no tenant. */
export function tenantKey(ctx: ServiceContext): string {
  return tenantScope(ctx)?.name ?? '';
}
