import type { Actor } from '../core/types.js';
import type { Store } from '../store/store.js';

/** What every use case needs: the store, who is acting, and the clock (injected for tests). */
export interface ServiceContext {
  store: Store;
  actor: Actor;
  now: () => Date;
  /** Cray-Tenant-Name of an API request: recorded on what it creates, not enforced. */
  tenant?: string;
}

export function isoNow(ctx: ServiceContext): string {
  return ctx.now().toISOString();
}
