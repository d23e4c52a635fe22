import type { Options } from '../core/options.js';
import type { Component, InventoryNode, Session, SessionTemplate } from '../core/types.js';
import type { EventRecord } from '../store/events.js';
import type { ApplyStagedOptions, ApplyStagedReport } from './apply-staged.js';
import type { ComponentChange, ComponentFilter } from './components.js';
import type { ImportOptions, ImportReport, NodeDetails } from './inventory.js';
import type { InventoryPatch } from '../core/inventory.js';
import type { SessionCreateRequest, SessionCreated, SessionStatusReport } from './sessions.js';
import type { TemplateBody } from './templates.js';
import type { TokenInfo } from './tokens.js';
import type { TenantInfo, TenantRequest } from './tenants.js';
import type { RollbackRequest, RollbackResult } from './rollout.js';

/**
 * What bosctl's commands call. LocalBackend runs the services on the SQLite file;
 * a remote backend (bosd's API) implements the same contract. Commands never ask which.
 */
export interface Backend {
  importInventory(nodes: InventoryPatch[], options?: ImportOptions): Promise<ImportReport>;
  listInventory(): Promise<InventoryNode[]>;
  describeNode(name: string): Promise<NodeDetails>;

  createTemplate(name: string, body: TemplateBody): Promise<SessionTemplate>;
  getTemplate(name: string): Promise<SessionTemplate>;
  listTemplates(): Promise<SessionTemplate[]>;
  updateTemplate(name: string, patch: Record<string, unknown>): Promise<SessionTemplate>;
  deleteTemplate(name: string): Promise<void>;
  checkTemplate(template: SessionTemplate): Promise<string[]>;

  createSession(req: SessionCreateRequest): Promise<SessionCreated>;
  getSession(name: string): Promise<Session>;
  listSessions(q: { status?: string }): Promise<Session[]>;
  deleteSession(name: string): Promise<void>;
  sessionStatus(name: string): Promise<SessionStatusReport>;
  sessionHistory(name: string, limit?: number): Promise<EventRecord[]>;
  resumeSession(name: string, maxFailures?: string): Promise<{ session: Session; released: string[] }>;
  abortSession(name: string): Promise<{ session: Session; unstaged: string[]; stopped: string[] }>;
  rollback(req: RollbackRequest): Promise<RollbackResult>;

  listComponents(filter: ComponentFilter): Promise<Component[]>;
  getComponent(name: string): Promise<Component>;
  updateComponent(name: string, change: ComponentChange): Promise<Component>;
  componentHistory(name: string, limit?: number): Promise<EventRecord[]>;

  applyStaged(nodeArgs: string[], options?: ApplyStagedOptions): Promise<ApplyStagedReport>;

  createToken(req: { role: string; node?: string; tenant?: string; expires?: string; description?: string }): Promise<{ token: TokenInfo; secret: string }>;
  listTokens(): Promise<TokenInfo[]>;
  revokeToken(id: string): Promise<TokenInfo>;

  createTenant(req: TenantRequest): Promise<TenantInfo>;
  listTenants(): Promise<TenantInfo[]>;
  getTenant(name: string): Promise<TenantInfo>;
  updateTenant(req: TenantRequest): Promise<TenantInfo>;
  deleteTenant(name: string, force?: boolean): Promise<TenantInfo>;

  getOptions(): Promise<Options>;
  updateOptions(patch: Record<string, unknown>): Promise<Options>;

  close(): void;
}
