import type { Actor } from '../core/types.js';
import { Store } from '../store/store.js';
import type { S3Client } from '../integrations/s3.js';
import { applyStagedByNames } from './apply-staged.js';
import type { Backend } from './backend.js';
import { componentHistory, getComponent, listComponents, updateComponent } from './components.js';
import type { ServiceContext } from './context.js';
import { describeNode, importInventory, listInventory } from './inventory.js';
import { getOptions, updateOptions } from './options.js';
import { createSession, deleteSession, getSession, listSessions, sessionStatus } from './sessions.js';
import { createToken, listTokens, revokeToken } from './tokens.js';
import { abortSession, resumeSession, rollback, sessionHistory } from './rollout.js';
import { createTemplate, deleteTemplate, getTemplate, listTemplates, templateCheck, updateTemplate } from './templates.js';

/** The services on a local SQLite file. The file is opened on first use. */
export class LocalBackend implements Backend {
  private ctxCache: ServiceContext | undefined;

  constructor(private readonly dbPath: string, private readonly actor: Actor, private readonly now: () => Date = () => new Date()) {}

  private get ctx(): ServiceContext {
    this.ctxCache ??= { store: Store.open(this.dbPath), actor: this.actor, now: this.now, s3: () => this.s3() };
    return this.ctxCache;
  }

  async importInventory(...a: Parameters<Backend['importInventory']>) { return importInventory(this.ctx, ...a); }
  async listInventory() { return listInventory(this.ctx); }
  async describeNode(name: string) { return describeNode(this.ctx, name); }

  async createTemplate(...a: Parameters<Backend['createTemplate']>) { return createTemplate(this.ctx, ...a); }
  async getTemplate(name: string) { return getTemplate(this.ctx, name); }
  async listTemplates() { return listTemplates(this.ctx); }
  async updateTemplate(...a: Parameters<Backend['updateTemplate']>) { return updateTemplate(this.ctx, ...a); }
  async deleteTemplate(name: string) { return deleteTemplate(this.ctx, name); }
  async checkTemplate(...a: Parameters<Backend['checkTemplate']>) { return templateCheck(this.ctx, ...a); }

  async createSession(...a: Parameters<Backend['createSession']>) { return createSession(this.ctx, ...a); }
  async getSession(name: string) { return getSession(this.ctx, name); }
  async listSessions(...a: Parameters<Backend['listSessions']>) { return listSessions(this.ctx, ...a); }
  async deleteSession(name: string) { return deleteSession(this.ctx, name); }
  async sessionStatus(name: string) { return sessionStatus(this.ctx, name); }
  async sessionHistory(...a: Parameters<Backend['sessionHistory']>) { return sessionHistory(this.ctx, ...a); }
  async resumeSession(...a: Parameters<Backend['resumeSession']>) { return resumeSession(this.ctx, ...a); }
  async abortSession(name: string) { return abortSession(this.ctx, name); }
  async rollback(...a: Parameters<Backend['rollback']>) { return rollback(this.ctx, ...a); }

  async listComponents(...a: Parameters<Backend['listComponents']>) { return listComponents(this.ctx, ...a); }
  async getComponent(name: string) { return getComponent(this.ctx, name); }
  async updateComponent(...a: Parameters<Backend['updateComponent']>) { return updateComponent(this.ctx, ...a); }
  async componentHistory(...a: Parameters<Backend['componentHistory']>) { return componentHistory(this.ctx, ...a); }

  async applyStaged(...a: Parameters<Backend['applyStaged']>) { return applyStagedByNames(this.ctx, ...a); }

  async createToken(...a: Parameters<Backend['createToken']>) { return createToken(this.ctx, ...a); }
  async listTokens() { return listTokens(this.ctx); }
  async revokeToken(id: string) { return revokeToken(this.ctx, id); }

  async getOptions() { return getOptions(this.ctx); }
  async updateOptions(patch: Record<string, unknown>) { return updateOptions(this.ctx, patch); }

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
