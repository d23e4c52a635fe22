import type { Actor } from '../core/types.js';
import type { OpenOptions } from '../store/db.js';
import { Store } from '../store/store.js';
import type { S3Client } from '../integrations/s3.js';
import type { Backend } from './backend.js';
import type { ServiceContext } from './context.js';

/**
 * The services on a local database (a SQLite file, or PostgreSQL by postgres:// URL). It is
 * opened on first use, and each service module is loaded by the first call that needs it:
 * `apply-staged` on a compute node loads only its own.
 */
export class LocalBackend implements Backend {
  private ctxCache: ServiceContext | undefined;

  /** opts.readonly: the command only reads (see openDatabase): no file is created or changed. opts.passwordFile: PostgreSQL's. */
  /** tenant: bosctl --tenant (BOSCTL_TENANT): the services confine every call to it, as bosd does. */
  constructor(private readonly dbPath: string, private readonly actor: Actor, private readonly now: () => Date = () => new Date(), private readonly opts: OpenOptions & { tenant?: string } = {}) {}

  private get ctx(): ServiceContext {
    const tenant = this.opts.tenant;
    this.ctxCache ??= { store: Store.open(this.dbPath, this.opts), actor: this.actor, now: this.now, s3: () => this.s3(), ...(tenant !== undefined ? { tenant } : {}) };
    return this.ctxCache;
  }

  async importInventory(...a: Parameters<Backend['importInventory']>) { return (await import('./inventory.js')).importInventory(this.ctx, ...a); }
  async listInventory() { return (await import('./inventory.js')).listInventory(this.ctx); }
  async describeNode(name: string) { return (await import('./inventory.js')).describeNode(this.ctx, name); }

  async createTemplate(...a: Parameters<Backend['createTemplate']>) { return (await import('./templates.js')).createTemplate(this.ctx, ...a); }
  async getTemplate(name: string) { return (await import('./templates.js')).getTemplate(this.ctx, name); }
  async listTemplates() { return (await import('./templates.js')).listTemplates(this.ctx); }
  async updateTemplate(...a: Parameters<Backend['updateTemplate']>) { return (await import('./templates.js')).updateTemplate(this.ctx, ...a); }
  async deleteTemplate(name: string) { return (await import('./templates.js')).deleteTemplate(this.ctx, name); }
  async checkTemplate(...a: Parameters<Backend['checkTemplate']>) { return (await import('./templates.js')).templateCheck(this.ctx, ...a); }

  async createSession(...a: Parameters<Backend['createSession']>) { return (await import('./sessions.js')).createSession(this.ctx, ...a); }
  async getSession(name: string) { return (await import('./sessions.js')).getSession(this.ctx, name); }
  async listSessions(...a: Parameters<Backend['listSessions']>) { return (await import('./sessions.js')).listSessions(this.ctx, ...a); }
  async deleteSession(name: string) { return (await import('./sessions.js')).deleteSession(this.ctx, name); }
  async sessionStatus(name: string) { return (await import('./sessions.js')).sessionStatus(this.ctx, name); }
  async sessionHistory(...a: Parameters<Backend['sessionHistory']>) { return (await import('./rollout.js')).sessionHistory(this.ctx, ...a); }
  async resumeSession(...a: Parameters<Backend['resumeSession']>) { return (await import('./rollout.js')).resumeSession(this.ctx, ...a); }
  async abortSession(name: string) { return (await import('./rollout.js')).abortSession(this.ctx, name); }
  async rollback(...a: Parameters<Backend['rollback']>) { return (await import('./rollout.js')).rollback(this.ctx, ...a); }

  async listComponents(...a: Parameters<Backend['listComponents']>) { return (await import('./components.js')).listComponents(this.ctx, ...a); }
  async getComponent(name: string) { return (await import('./components.js')).getComponent(this.ctx, name); }
  async updateComponent(...a: Parameters<Backend['updateComponent']>) { return (await import('./components.js')).updateComponent(this.ctx, ...a); }
  async componentHistory(...a: Parameters<Backend['componentHistory']>) { return (await import('./components.js')).componentHistory(this.ctx, ...a); }

  async applyStaged(...a: Parameters<Backend['applyStaged']>) { return (await import('./apply-staged.js')).applyStagedByNames(this.ctx, ...a); }

  async createToken(...a: Parameters<Backend['createToken']>) { return (await import('./tokens.js')).createToken(this.ctx, ...a); }
  async listTokens() { return (await import('./tokens.js')).listTokens(this.ctx); }
  async revokeToken(id: string) { return (await import('./tokens.js')).revokeToken(this.ctx, id); }

  async createTenant(...a: Parameters<Backend['createTenant']>) { return (await import('./tenants.js')).createTenant(this.ctx, ...a); }
  async listTenants() { return (await import('./tenants.js')).listTenants(this.ctx); }
  async getTenant(name: string) { return (await import('./tenants.js')).getTenant(this.ctx, name); }
  async updateTenant(...a: Parameters<Backend['updateTenant']>) { return (await import('./tenants.js')).updateTenant(this.ctx, ...a); }
  async deleteTenant(...a: Parameters<Backend['deleteTenant']>) { return (await import('./tenants.js')).deleteTenant(this.ctx, ...a); }

  async getOptions() { return (await import('./options.js')).getOptions(this.ctx); }
  async updateOptions(patch: Record<string, unknown>) { return (await import('./options.js')).updateOptions(this.ctx, patch); }

  private s3Client: Promise<S3Client> | undefined;

  /** Read only when a boot set names an s3:// manifest: sites without S3 need no config. */
  private s3(): Promise<S3Client> {
    this.s3Client ??= import('../integrations/s3.js').then((m) => m.s3ClientFromEnv(process.env));
    return this.s3Client;
  }

  close(): void {
    this.ctxCache?.store.close();
    void this.s3Client?.then((c) => c.close()).catch(() => {});
  }
}
