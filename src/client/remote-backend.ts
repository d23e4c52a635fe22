/**
 * bosctl over bosd's API: the Backend contract on HTTP(S) or bosd's unix socket.
 *
 * Kept light on purpose: `bosctl apply-staged` on a compute node (Slurm's RebootProgram)
 * loads this module, so it imports node:http, the error registry and the hostlist
 * expander, and loads anything else (node:https, session-status rules) only when a call
 * needs it.
 */
import { BoundedReadError, MAX_CONFIG_FILE_BYTES, MAX_SECRET_FILE_BYTES, readBoundedSync } from '../core/bounded-read.js';
import type { OutgoingHttpHeaders } from 'node:http';
import { bosError, isBosError, type BosError } from '../core/errors.js';
import { expandHostlist } from '../core/hostlist.js';
import { requireSomeNodes } from '../core/node-names.js';
import type { Options } from '../core/options.js';
import type { Component, InventoryNode, Session, SessionTemplate } from '../core/types.js';
import type { ApplyStagedOptions, ApplyStagedReport } from '../services/apply-staged.js';
import type { Backend } from '../services/backend.js';
import type { ComponentChange, ComponentFilter } from '../services/components.js';
import type { ImportOptions, ImportReport, NodeDetails } from '../services/inventory.js';
import type { InventoryPatch } from '../core/inventory.js';
import type { RollbackRequest, RollbackResult } from '../services/rollout.js';
import type { SessionCreateRequest, SessionCreated, SessionStatusReport } from '../services/sessions.js';
import type { TemplateBody } from '../services/templates.js';
import type { TokenInfo } from '../services/tokens.js';
import type { TenantInfo, TenantRequest } from '../services/tenants.js';
import type { EventRecord } from '../store/events.js';
import { ServerList } from './server-list.js';
import { DEFAULT_TRANSPORT, exchange, type RetryClass, type TransportOptions } from './http.js';
import { problemError, type CallContext } from './problem.js';

export interface RemoteBackendOptions {
  /** http://HOST:PORT, https://HOST:PORT[/prefix] or unix:///path/to/bosd.sock */
  server: string;
  /** The bearer secret itself (BOSCTL_TOKEN). */
  token?: string;
  /** A file holding the secret (--token-file, BOSCTL_TOKEN_FILE, token_file:); read on first use. */
  tokenFile?: string;
  /** PEM file of the CAs to trust for https. */
  caBundle?: string;
  /** Sent as User-Agent: bosctl/VERSION (user@host). bosd records the token; this says who held it. */
  userAgent?: string;
  /** Sent as Cray-Tenant-Name on every call (bosctl --tenant, BOSCTL_TENANT). */
  tenant?: string;
  /** Time-outs and retries (tests shorten them). */
  transport?: Partial<TransportOptions>;
}

/** How many names one POST /applystaged may carry (BOS's schema: maxItems 32768). */
const APPLY_BATCH = 32768;

const enc = encodeURIComponent;

/** The errors the local services give for a name that cannot exist. */
const missing = {
  template: (n: string) => bosError('BOS_TEMPLATE_NOT_FOUND', `session template "${n}" does not exist`),
  session: (n: string) => bosError('BOS_SESSION_NOT_FOUND', `session "${n}" does not exist`),
  component: (n: string) => bosError('BOS_COMPONENT_NOT_FOUND', `component "${n}" does not exist`),
  node: (n: string) => bosError('BOS_NODE_NOT_FOUND', `node "${n}" is not in the inventory`),
  token: (n: string) => bosError('BOS_TOKEN_NOT_FOUND', `token "${n}" does not exist`),
  tenant: (n: string) => bosError('BOS_TENANT_NOT_FOUND', `tenant "${n}" does not exist`),
};

/**
 * A path segment. '', '.' and '..' would be resolved away by the URL parser on either side
 * and hit another route; no resource has such a name, so they are not found here.
 */
function seg(name: string, notFound: (n: string) => BosError): string {
  if (name === '' || name === '.' || name === '..') throw notFound(name);
  return enc(name);
}

interface CallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  retry?: RetryClass;
  ctx?: CallContext;
}

interface Answer<T> {
  data: T;
  headers: Record<string, string | string[] | undefined>;
}

export class RemoteBackend implements Backend {
  /** Several bosd on one database: --server URL1,URL2 (server-list.ts). */
  private readonly servers: ServerList;
  private readonly transport: TransportOptions;
  private secret: string | undefined;
  private secretLoaded = false;

  constructor(private readonly opts: RemoteBackendOptions) {
    this.servers = new ServerList(opts.server);
    this.transport = { ...DEFAULT_TRANSPORT, ...(opts.transport ?? {}) };
  }

  /** The server as messages name it (no credentials). */
  get server(): string {
    return this.servers.display;
  }

  // ------------------------------------------------------------------------------------
  // Transport

  /** The bearer secret, or undefined over the unix socket (its peers are admins) or when none is set. */
  private token(): string | undefined {
    if (this.secretLoaded) return this.secret;
    this.secretLoaded = true;
    if (this.servers.endpoints.every((e) => e.scheme === 'unix')) return undefined;
    let s = this.opts.token;
    let from = 'BOSCTL_TOKEN';
    if (s === undefined && this.opts.tokenFile !== undefined) {
      from = `token file ${this.opts.tokenFile}`;
      try {
        s = readBoundedSync(this.opts.tokenFile, MAX_SECRET_FILE_BYTES).toString('utf8');
      } catch (e) {
        const why = e instanceof BoundedReadError ? e.message : 'unreadable';
        throw bosError('BOS_FILE_UNREADABLE', `cannot read token file ${this.opts.tokenFile}: ${why}`);
      }
    }
    if (s === undefined) return undefined;
    s = s.trim();
    // Never quote the secret, not even a bad one.
    if (s === '') throw bosError('BOS_VALUE_INVALID', `${from} is empty`, 'put the secret "bosctl token create" printed in it');
    if (!/^[\x21-\x7e]+$/.test(s)) throw bosError('BOS_VALUE_INVALID', `${from} does not hold one token: expected a single line of printable characters`, 'put the secret "bosctl token create" printed in it, and nothing else');
    this.secret = s;
    return s;
  }

  private caBuffer(): Buffer | undefined {
    if (this.transport.ca || !this.opts.caBundle || !this.servers.endpoints.some((e) => e.scheme === 'https')) return this.transport.ca;
    try {
      this.transport.ca = readBoundedSync(this.opts.caBundle, MAX_CONFIG_FILE_BYTES);
    } catch (e) {
      throw bosError('BOS_FILE_UNREADABLE', `cannot read CA bundle ${this.opts.caBundle}: ${(e as Error).message}`);
    }
    return this.transport.ca;
  }

  /** Removes the secret from any text that might reach the terminal. */
  private scrub(e: unknown): unknown {
    const s = this.secret;
    if (!s || !(e instanceof Error)) return e;
    if (e.message.includes(s)) e.message = e.message.split(s).join('***');
    if (isBosError(e) && e.hint.includes(s)) (e as { hint: string }).hint = e.hint.split(s).join('***');
    return e;
  }

  private async call<T>(method: string, path: string, o: CallOptions = {}): Promise<Answer<T>> {
    try {
      return await this.send<T>(method, path, o);
    } catch (e) {
      throw this.scrub(e);
    }
  }

  private async send<T>(method: string, path: string, o: CallOptions): Promise<Answer<T>> {
    const headers: OutgoingHttpHeaders = { Accept: 'application/json' };
    if (this.opts.userAgent) headers['User-Agent'] = this.opts.userAgent;
    if (this.opts.tenant !== undefined) headers['Cray-Tenant-Name'] = this.opts.tenant;
    const token = this.token();
    let body: Buffer | undefined;
    if (o.body !== undefined) {
      body = Buffer.from(JSON.stringify(o.body), 'utf8');
      headers['Content-Type'] = 'application/json';
    }
    const q = Object.entries(o.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
    const url = `/v2${path}${q.length ? `?${q.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}` : ''}`;
    const ca = this.caBuffer();
    // The token never goes over a unix socket (its peers are admins).
    const { res, ep } = await this.servers.exchange(method, url, {
      headers: (e) => (token && e.scheme !== 'unix' ? { ...headers, Authorization: `Bearer ${token}` } : headers), body, retry: o.retry ?? (method === 'GET' || method === 'PUT' || method === 'DELETE' ? 'idempotent' : 'safe'),
      transport: ca ? { ...this.transport, ca } : this.transport,
    });
    const where = `bosd at ${ep.display} (${method} /v2${path})`;
    const contentType = res.headers['content-type'];
    if (res.status >= 400 || res.status < 200) {
      const err = problemError(res.status, res.body, contentType, o.ctx ?? {}, where);
      if (err.code === 'BOS_UNAUTHORIZED' && !token) {
        throw bosError('BOS_UNAUTHORIZED', err.message,
          'no token was given: pass --token-file FILE, or set BOSCTL_TOKEN_FILE or token_file: in ~/.config/bosctl/config.yaml (an admin creates one with "bosctl token create")');
      }
      throw err;
    }
    if (res.status === 204 || res.body === '') return { data: undefined as T, headers: res.headers };
    try {
      return { data: JSON.parse(res.body) as T, headers: res.headers };
    } catch {
      throw bosError('BOS_SERVER_UNREACHABLE', `${where} answered ${res.status} with a body that is not JSON`, 'check that --server names bosd\'s API');
    }
  }

  private async get<T>(path: string, ctx?: CallContext, query?: CallOptions['query']): Promise<T> {
    return (await this.call<T>('GET', path, { ctx, query })).data;
  }

  // ------------------------------------------------------------------------------------
  // Inventory

  async importInventory(nodes: InventoryPatch[], options: ImportOptions = {}): Promise<ImportReport> {
    const query = options.replace ? { replace: 'true' } : undefined;
    return (await this.call<ImportReport>('POST', '/inventory', { body: nodes, query, ctx: { badInput: 'BOS_INVENTORY_INVALID' } })).data;
  }

  async listInventory(): Promise<InventoryNode[]> {
    return this.get('/inventory');
  }

  async describeNode(name: string): Promise<NodeDetails> {
    return this.get(`/inventory/${seg(name, missing.node)}`, { notFound: 'BOS_NODE_NOT_FOUND' });
  }

  // ------------------------------------------------------------------------------------
  // Session templates

  /**
   * PUT creates or replaces (BOS), the CLI's create refuses an existing name: look first.
   * Check-then-act: a template created by someone else between the two calls is replaced.
   */
  async createTemplate(name: string, body: TemplateBody): Promise<SessionTemplate> {
    const { checkName } = await import('../core/template.js');
    checkName('session template', name);
    const ctx: CallContext = { notFound: 'BOS_TEMPLATE_NOT_FOUND' };
    try {
      await this.get(`/sessiontemplates/${seg(name, missing.template)}`, ctx);
      throw bosError('BOS_TEMPLATE_EXISTS', `session template "${name}" already exists`);
    } catch (e) {
      if (!(isBosError(e) && e.code === 'BOS_TEMPLATE_NOT_FOUND')) throw e;
    }
    return (await this.call<SessionTemplate>('PUT', `/sessiontemplates/${enc(name)}`, { body, ctx })).data;
  }

  async getTemplate(name: string): Promise<SessionTemplate> {
    return this.get(`/sessiontemplates/${seg(name, missing.template)}`, { notFound: 'BOS_TEMPLATE_NOT_FOUND' });
  }

  async listTemplates(): Promise<SessionTemplate[]> {
    return this.get('/sessiontemplates');
  }

  async updateTemplate(name: string, patch: Record<string, unknown>): Promise<SessionTemplate> {
    return (await this.call<SessionTemplate>('PATCH', `/sessiontemplates/${seg(name, missing.template)}`, { body: patch, ctx: { notFound: 'BOS_TEMPLATE_NOT_FOUND' } })).data;
  }

  async deleteTemplate(name: string): Promise<void> {
    await this.call('DELETE', `/sessiontemplates/${seg(name, missing.template)}`, { ctx: { notFound: 'BOS_TEMPLATE_NOT_FOUND' } });
  }

  async checkTemplate(template: SessionTemplate): Promise<string[]> {
    const r = await this.call<{ problems: string[] }>('POST', '/sessiontemplatesvalid', { body: template, retry: 'idempotent' });
    return r.data.problems;
  }

  // ------------------------------------------------------------------------------------
  // Sessions

  /**
   * BOS's fields go in the body; bosctl's extensions (force, dry_run, max_failures) in the
   * query, as bosd reads them. force is always sent: the local service's default (leave
   * nodes already on the target alone) must not turn into bosd's option.
   */
  async createSession(req: SessionCreateRequest): Promise<SessionCreated> {
    // bosd checks the body against BOS's schema first (BOS_VALUE_INVALID); the local service
    // checks the operation and the name with its own words: do that here, in its order.
    const [{ parseOperation }, { checkName, NAME_PATTERN }] = await Promise.all([import('../core/session-plan.js'), import('../core/template.js')]);
    const operation = parseOperation(req.operation);
    if (req.name !== undefined) checkName('session', req.name);
    // No template has a name the schema refuses: locally that is "does not exist".
    if (!NAME_PATTERN.test(req.template_name)) throw missing.template(req.template_name);
    const { force, dry_run: dryRun, max_failures: maxFailures, strict, ...rest } = req;
    const bos = { ...rest, operation };
    // strict: bosctl's checks, as the local backend makes them (bosd keeps BOS's rules without it).
    const query = { force: String(force === true), ...(dryRun ? { dry_run: 'true' } : {}), max_failures: maxFailures, strict: String(strict !== false) };
    const ctx: CallContext = { notFound: 'BOS_TEMPLATE_NOT_FOUND', conflict: 'BOS_SESSION_EXISTS' };
    if (dryRun) {
      const r = await this.call<{ session: Session; plan: SessionCreated['plan']; warnings: string[]; current: string[] }>('POST', '/sessions', { body: bos, query, ctx });
      const d = r.data;
      return { session: d.session, nodes: nodesOf(d.session), warnings: d.warnings ?? [], current: d.current ?? [], plan: d.plan ?? [], dry_run: true };
    }
    const r = await this.call<Session & { current?: string[]; plan?: SessionCreated['plan']; nodes?: string[] }>('POST', '/sessions', { body: bos, query, ctx });
    const { current, plan, nodes, ...session } = r.data;
    return {
      session: session as Session, nodes: nodes ?? nodesOf(session as Session), warnings: parseWarnings(r.headers['bosctl-warnings']),
      // bosd's 201 is BOS's session: which nodes were already current is not in it (yet).
      current: current ?? parseList(r.headers['bosctl-current']), plan: plan ?? [], dry_run: false,
    };
  }

  async getSession(name: string): Promise<Session> {
    return this.get(`/sessions/${seg(name, missing.session)}`, { notFound: 'BOS_SESSION_NOT_FOUND' });
  }

  async listSessions(q: { status?: string }): Promise<Session[]> {
    return this.get('/sessions', {}, { status: q.status });
  }

  async deleteSession(name: string): Promise<void> {
    await this.call('DELETE', `/sessions/${seg(name, missing.session)}`, { ctx: { notFound: 'BOS_SESSION_NOT_FOUND' } });
  }

  /** The session, BOS's extended status and bosctl's controls, and counts from its components (as the local service). */
  async sessionStatus(name: string): Promise<SessionStatusReport> {
    // One request, one read on the server: the parts agree with each other.
    return this.get<SessionStatusReport>(`/sessions/${seg(name, missing.session)}/report`, { notFound: 'BOS_SESSION_NOT_FOUND' });
  }

  async sessionHistory(name: string, limit?: number): Promise<EventRecord[]> {
    return this.get(`/sessions/${seg(name, missing.session)}/history`, { notFound: 'BOS_SESSION_NOT_FOUND' }, { limit: limit === undefined ? undefined : String(limit) });
  }

  async resumeSession(name: string, maxFailures?: string): Promise<{ session: Session; released: string[] }> {
    return (await this.call<{ session: Session; released: string[] }>('POST', `/sessions/${seg(name, missing.session)}/resume`, {
      query: { max_failures: maxFailures }, ctx: { notFound: 'BOS_SESSION_NOT_FOUND' },
    })).data;
  }

  async abortSession(name: string): Promise<{ session: Session; unstaged: string[]; stopped: string[] }> {
    return (await this.call<{ session: Session; unstaged: string[]; stopped: string[] }>('POST', `/sessions/${seg(name, missing.session)}/abort`, {
      ctx: { notFound: 'BOS_SESSION_NOT_FOUND' },
    })).data;
  }

  async rollback(req: RollbackRequest): Promise<RollbackResult> {
    return (await this.call<RollbackResult>('POST', '/rollback', { body: req, ctx: { notFound: 'BOS_SESSION_NOT_FOUND', conflict: 'BOS_SESSION_EXISTS' } })).data;
  }

  // ------------------------------------------------------------------------------------
  // Components

  async listComponents(f: ComponentFilter): Promise<Component[]> {
    return this.get('/components', {}, {
      ids: f.ids?.join(','),
      enabled: f.enabled === undefined ? undefined : String(f.enabled),
      phase: f.phase,
      status: f.status?.join(','),
      session: f.session,
      staged_session: f.staged_session,
      start_after_id: f.start_after_id,
      page_size: f.page_size === undefined ? undefined : String(f.page_size),
    });
  }

  /**
   * A component by xname, nid or hostname. bosd's component routes take xnames, so other
   * names go through the inventory first; a name the inventory does not know is tried as
   * a component id, as the local lookup does.
   */
  async getComponent(name: string): Promise<Component> {
    const { looksLikeXname } = await import('../core/xname.js');
    const id = seg(name, missing.component);
    if (!looksLikeXname(name)) {
      try {
        const d = await this.get<NodeDetails>(`/inventory/${id}`, { notFound: 'BOS_NODE_NOT_FOUND' });
        if (!d.component) throw missing.component(name);
        return d.component;
      } catch (e) {
        if (!(isBosError(e) && (e.code === 'BOS_NODE_NOT_FOUND' || e.code === 'BOS_FORBIDDEN'))) throw e;
      }
    }
    return this.get(`/components/${id}`, { notFound: 'BOS_COMPONENT_NOT_FOUND' });
  }

  async updateComponent(name: string, change: ComponentChange): Promise<Component> {
    if (change.enabled === undefined && !change.clearStaged && !change.clearError) {
      throw bosError('BOS_USAGE', 'nothing to update: give --enabled true|false, --clear-staged or --clear-error');
    }
    const c = await this.getComponent(name);
    const patch: Record<string, unknown> = {};
    if (change.enabled !== undefined) patch.enabled = change.enabled;
    if (change.clearStaged) patch.staged_state = { boot_artifacts: { kernel: '', initrd: '', kernel_parameters: '' }, configuration: '', session: '' };
    if (change.clearError) {
      patch.error = '';
      if (c.status.status_override === 'failed') patch.status = { status_override: '' };
    }
    return (await this.call<Component>('PATCH', `/components/${enc(c.id)}`, { body: patch, ctx: { notFound: 'BOS_COMPONENT_NOT_FOUND' } })).data;
  }

  async componentHistory(name: string, limit?: number): Promise<EventRecord[]> {
    const { looksLikeXname } = await import('../core/xname.js');
    const id = looksLikeXname(name) ? seg(name, missing.component) : enc((await this.getComponent(name)).id);
    return this.get(`/components/${id}/history`, { notFound: 'BOS_COMPONENT_NOT_FOUND' }, { limit: limit === undefined ? undefined : String(limit) });
  }

  // ------------------------------------------------------------------------------------
  // apply-staged

  /**
   * Hostlists are expanded here, names are sent as given (bosd resolves nids and
   * hostnames). Retried on a reset too: applying the same staged state twice gives the
   * same desired state, and Slurm never retries its RebootProgram.
   */
  async applyStaged(nodeArgs: string[], options: ApplyStagedOptions = {}): Promise<ApplyStagedReport> {
    requireSomeNodes(nodeArgs);
    const names: string[] = [];
    const seen = new Set<string>();
    for (const arg of nodeArgs) {
      for (const word of arg.split(/\s+/)) {
        if (word.trim() === '') continue;
        for (const n of expandHostlist(word.trim())) {
          if (!seen.has(n)) { seen.add(n); names.push(n); }
        }
      }
    }
    const report: ApplyStagedReport = { succeeded: [], failed: [], ignored: [], reasons: {} };
    const query = {
      include_reasons: 'true',
      // Unset: bosd's option skip_current_nodes decides, as the local service does.
      force: options.skipCurrent === undefined ? undefined : String(!options.skipCurrent),
      dry_run: options.dryRun ? 'true' : undefined,
    };
    for (let i = 0; i < names.length; i += APPLY_BATCH) {
      const r = await this.call<ApplyStagedReport>('POST', '/applystaged', { query, body: { xnames: names.slice(i, i + APPLY_BATCH) }, retry: 'idempotent' });
      report.succeeded.push(...r.data.succeeded);
      report.failed.push(...r.data.failed);
      report.ignored.push(...r.data.ignored);
      Object.assign(report.reasons, r.data.reasons ?? {});
      if (options.dryRun) (report.plan ??= []).push(...(r.data.plan ?? []));
    }
    return report;
  }

  // ------------------------------------------------------------------------------------
  // Tokens and options

  async createToken(req: { role: string; node?: string; tenant?: string; expires?: string; description?: string }): Promise<{ token: TokenInfo; secret: string }> {
    return (await this.call<{ token: TokenInfo; secret: string }>('POST', '/tokens', { body: req })).data;
  }

  async listTokens(): Promise<TokenInfo[]> {
    return this.get('/tokens');
  }

  async revokeToken(id: string): Promise<TokenInfo> {
    return (await this.call<TokenInfo>('DELETE', `/tokens/${seg(id, missing.token)}`, { ctx: { notFound: 'BOS_TOKEN_NOT_FOUND' } })).data;
  }

  async createTenant(req: TenantRequest): Promise<TenantInfo> {
    return (await this.call<TenantInfo>('POST', '/tenants', { body: req, ctx: { conflict: 'BOS_TENANT_EXISTS' } })).data;
  }

  async listTenants(): Promise<TenantInfo[]> {
    return this.get('/tenants');
  }

  async getTenant(name: string): Promise<TenantInfo> {
    return (await this.call<TenantInfo>('GET', `/tenants/${seg(name, missing.tenant)}`, { ctx: { notFound: 'BOS_TENANT_NOT_FOUND' } })).data;
  }

  async updateTenant(req: TenantRequest): Promise<TenantInfo> {
    const { name, ...patch } = req;
    return (await this.call<TenantInfo>('PATCH', `/tenants/${seg(name, missing.tenant)}`, { body: patch, ctx: { notFound: 'BOS_TENANT_NOT_FOUND' } })).data;
  }

  async deleteTenant(name: string, force = false): Promise<TenantInfo> {
    return (await this.call<TenantInfo>('DELETE', `/tenants/${seg(name, missing.tenant)}`, { query: { force: force ? 'true' : undefined }, ctx: { notFound: 'BOS_TENANT_NOT_FOUND' } })).data;
  }

  async getOptions(): Promise<Options> {
    return this.get('/options');
  }

  /** Values from the command line are text ("1800"): checked and typed here, as locally. */
  async updateOptions(patch: Record<string, unknown>): Promise<Options> {
    const { parseOptionsPatch } = await import('../core/options.js');
    const typed = parseOptionsPatch(patch);
    return (await this.call<Options>('PATCH', '/options', { body: typed, ctx: { badInput: 'BOS_OPTION_INVALID' } })).data;
  }

  close(): void {
    // Nothing held open: every exchange closes its connection.
  }
}

function nodesOf(s: Session): string[] {
  return s.components ? s.components.split(',') : [];
}

/** Bosctl-Warnings: a URI-encoded JSON list of strings. */
function parseWarnings(h: string | string[] | undefined): string[] {
  return parseList(h);
}

function parseList(h: string | string[] | undefined): string[] {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return [];
  try {
    const list = JSON.parse(decodeURIComponent(v)) as unknown;
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

