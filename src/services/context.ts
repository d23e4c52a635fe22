import type { Actor } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { S3Client } from '../integrations/s3.js';

/** What every use case needs: the store, who is acting, and the clock (injected for tests). */
export interface ServiceContext {
  store: Store;
  actor: Actor;
  now: () => Date;
  /** Cray-Tenant-Name of an API request: recorded on what it creates, not enforced. */
  tenant?: string;
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
