import { randomUUID } from 'node:crypto';
import { bosError } from '../core/errors.js';
import { makeDesired, newComponent, stageTarget } from '../core/component.js';
import { parseOperation, planSession } from '../core/session-plan.js';
import { extendedStatus, sessionCounts, type SessionCounts, type SessionExtendedStatus } from '../core/session-status.js';
import { checkName } from '../core/template.js';
import { groupChanges, nodeChange, type ChangeGroup, type NodeChange } from '../core/plan-diff.js';
import type { Session, SessionStatusLabel } from '../core/types.js';
import { SESSION_STATUSES } from '../core/types.js';
import { durationSeconds } from '../core/options.js';
import type { SessionControl } from '../store/sessions.js';
import { assertBody } from '../core/validate-body.js';
import { isoNow, tenantKey, tenantScope, type ServiceContext } from './context.js';
import { tenantIndex, type TenantScope } from '../core/tenant.js';
import type { SessionTemplate } from '../core/types.js';
import type { PlanIndex } from '../core/session-plan.js';
import { isNodeXname, normalizeNodeXname } from '../core/xname.js';

export interface SessionCreateRequest {
  name?: string;
  template_name: string;
  operation: string;
  limit?: string;
  stage?: boolean;
  include_disabled?: boolean;
  /** bosctl: reboot nodes that already run the target too (BOS always does). */
  force?: boolean;
  /** bosctl: stop acting on the session after this many failed nodes ("3" or "10%"). */
  max_failures?: string;
  /** bosctl: compute and return the plan, write nothing. */
  dry_run?: boolean;
  /**
   * bosctl's checks, before anything is written (DESIGN §10; default true): a limit naming an
   * unknown node, group or role, or a session that would act on no node, is refused. false is
   * the BOS v2 API: the limit is stored as given, unknown names match nothing, and a session
   * with no node is stored and then ends with "No nodes were found to act upon." (bosd's setup).
   */
  strict?: boolean;
}

export interface SessionCreated {
  session: Session;
  /** The nodes it staged or set, in xname order. */
  nodes: string[];
  warnings: string[];
  /** Nodes already running the target: not rebooted (bosctl's default, unless force). */
  current: string[];
  /** What each node changes from and to, grouped when identical. */
  plan: ChangeGroup[];
  dry_run: boolean;
}

/** "3" or "10%": a count or a share of the session's nodes. */
export function parseMaxFailures(text: string): string {
  if (!/^(0|[1-9][0-9]{0,6})%?$/.test(text.trim()) || (text.endsWith('%') && Number(text.slice(0, -1)) > 100)) {
    throw bosError('BOS_VALUE_INVALID', `invalid failure budget "${text}": expected a number of nodes (e.g. 3) or a percentage (e.g. 10%)`);
  }
  return text.trim();
}

/**
 * Creates a session and sets it up at once (BOS does this in its session-setup operator a
 * poll later): staged → each node's staged state; otherwise → desired state, for bosd.
 * With dry_run the same plan is computed and nothing is written.
 */
export async function createSession(ctx: ServiceContext, req: SessionCreateRequest): Promise<SessionCreated> {
  const operation = parseOperation(req.operation);
  const name = req.name ?? randomUUID();
  checkName('session', name);
  const limit = req.limit ?? '';
  const stage = req.stage ?? false;
  const includeDisabled = req.include_disabled ?? false;
  const maxFailures = req.max_failures === undefined ? null : parseMaxFailures(req.max_failures);
  const now = isoNow(ctx);
  // A tenant's session sees only its own template, session names and nodes (BOS: tenanted keys, session_setup.py).
  const scope = tenantScope(ctx);
  const tenant = scope?.name ?? '';

  // First which boot sets get nodes, then their artifacts (S3 reads happen outside any
  // transaction), then the plan with them, written in one transaction.
  const first = ctx.store.read(() => {
    const template = ctx.store.templates.get(req.template_name, tenant);
    if (!template) throw bosError('BOS_TEMPLATE_NOT_FOUND', `session template "${req.template_name}"${tenant ? ` of tenant "${tenant}"` : ''} does not exist`);
    if (ctx.store.sessions.get(name, tenant)) throw bosError('BOS_SESSION_EXISTS', `session "${name}"${tenant ? ` of tenant "${tenant}"` : ''} already exists`);
    const options = ctx.store.options.get();
    const index = ctx.store.inventory.index();
    checkTenantNodeList(template, scope, index);
    const plan = planSession({ template, operation, limit, includeDisabled, options, strict: req.strict }, tenantIndex(index, scope));
    return { template, ttl: options.component_actual_state_ttl, bootSets: plan.bootSetsUsed };
  });
  // Loaded here: it brings the S3 and HTTP clients, which apply-staged never needs.
  const { resolveTemplate } = await import('./artifacts.js');
  const resolved = await resolveTemplate(first.template, operation, { s3: ctx.s3, actualStateTtl: first.ttl, bootSets: first.bootSets, imageDirs: ctx.imageDirs });
  const artifacts = new Map([...resolved].map(([k, v]) => [k, v.boot_artifacts]));
  const resolveWarnings = [...resolved].flatMap(([k, v]) => v.warnings.map((w) => `boot set "${k}": ${w}`));

  const run = () => {
    const template = ctx.store.templates.get(req.template_name, tenant);
    if (!template) throw bosError('BOS_TEMPLATE_NOT_FOUND', `session template "${req.template_name}"${tenant ? ` of tenant "${tenant}"` : ''} does not exist`);
    if (JSON.stringify(template) !== JSON.stringify(first.template)) {
      throw bosError('BOS_CONFLICT', `session template "${req.template_name}" changed while its artifacts were read; create the session again`);
    }
    if (ctx.store.sessions.get(name, tenant)) throw bosError('BOS_SESSION_EXISTS', `session "${name}"${tenant ? ` of tenant "${tenant}"` : ''} already exists`);
    const options = ctx.store.options.get();
    const plan = planSession({ template, operation, limit, includeDisabled, options, artifacts, strict: req.strict }, tenantIndex(ctx.store.inventory.index(), scope));
    plan.warnings.push(...resolveWarnings);
    const skipCurrent = req.force !== true && operation !== 'shutdown';
    const changes: NodeChange[] = [];
    const current: string[] = [];

    for (const t of plan.targets) {
      const before = ctx.store.components.get(t.xname) ?? newComponent(t.xname);
      const change = nodeChange(before, t);
      changes.push(change);
      const keep = skipCurrent && change.current;
      if (keep) current.push(t.xname);
      if (req.dry_run) continue;
      const after = stage ? stageTarget(before, t, name, now) : makeDesired(before, t, name, operation, 'session_setup', now, keep);
      ctx.store.components.put(after);
      ctx.store.events.record(now, 'component', t.xname, stage ? 'staged' : 'session_setup', {
        session: name, operation, kernel: t.boot_artifacts.kernel, configuration: t.configuration, ...(keep ? { already_current: true } : {}),
      }, ctx.actor);
    }
    const nodes = plan.targets.map((t) => t.xname);
    const session: Session = {
      name,
      operation,
      template_name: template.name,
      limit,
      stage,
      components: nodes.join(','),
      include_disabled: includeDisabled,
      ...(tenant ? { tenant } : {}),
      status: { status: 'pending', start_time: now, end_time: null, error: null },
    };
    if (!req.dry_run) {
      ctx.store.sessions.put(session);
      if (maxFailures !== null) ctx.store.sessions.setControl(name, { max_failures: maxFailures, halted_at: null }, tenant);
      ctx.store.events.record(now, 'session', name, 'created', {
        template: template.name, operation, stage, limit, nodes: nodes.length, warnings: plan.warnings,
        ...(maxFailures !== null ? { max_failures: maxFailures } : {}),
      }, ctx.actor);
    }
    return { session: req.dry_run ? session : asCreated(session), nodes, warnings: plan.warnings, current, plan: groupChanges(changes), dry_run: req.dry_run === true };
  };
  return req.dry_run ? ctx.store.read(run) : ctx.store.write(run);
}

/**
 * BOS's session setup refuses a tenant's session whose template lists, in node_list, nodes
 * that are not the tenant's ("not available to this tenant"); groups and roles just narrow.
 */
function checkTenantNodeList(template: SessionTemplate, scope: TenantScope | undefined, index: PlanIndex): void {
  if (!scope) return;
  const outside = Object.values(template.boot_sets).flatMap((bs) => bs.node_list ?? []).filter((entry) => {
    const x = isNodeXname(entry) ? normalizeNodeXname(entry) : index.xnameByName(entry);
    return x === undefined || !scope.nodes.has(x);
  });
  if (outside.length > 0) {
    throw bosError('BOS_TEMPLATE_INVALID', `The session template includes nodes which do not exist or are not available to this tenant: ${[...new Set(outside)].join(',')}`,
      `tenant "${scope.name}" owns ${scope.nodes.size} node(s): see "bosctl tenant describe ${scope.name}"`);
  }
}

/**
 * A new session as BOS's POST answers it: `components` "" until setup has run
 * (server/controllers/v2/sessions.py). bosd sets the nodes up at creation and keeps the list,
 * which reads show at once (docs/bos-compatibility.md).
 */
function asCreated(s: Session): Session {
  return s.components !== '' ? { ...s, components: '' } : s;
}

/** BOS's error of a session whose setup found no node (operators/session_setup.py). */
export const NO_NODES_ERROR = 'No nodes were found to act upon.';

function sessionNotFound(ctx: ServiceContext, name: string): Error {
  const tenant = tenantKey(ctx);
  return bosError('BOS_SESSION_NOT_FOUND', `session "${name}"${tenant ? ` of tenant "${tenant}"` : ''} does not exist`);
}

export function getSession(ctx: ServiceContext, name: string): Session {
  const tenant = tenantKey(ctx);
  const s = ctx.store.read(() => ctx.store.sessions.get(name, tenant));
  if (!s) throw sessionNotFound(ctx, name);
  return s;
}

export function parseSessionStatus(text: string): SessionStatusLabel {
  if (!(SESSION_STATUSES as readonly string[]).includes(text)) {
    throw bosError('BOS_VALUE_INVALID', `unknown session status "${text}": expected pending, running or complete`);
  }
  return text as SessionStatusLabel;
}

export interface SessionFilter {
  status?: string;
  /** Only sessions older than this age ("1d", "6h"). */
  min_age?: string;
  /** Only sessions younger than this age. */
  max_age?: string;
}

function ageCutoff(ctx: ServiceContext, age: string | undefined, name: string): string | undefined {
  if (age === undefined) return undefined;
  if (age.length > 8 || !/^(0|0[mhdw]|[1-9][0-9]*[mhdw])$/i.test(age)) throw bosError('BOS_VALUE_INVALID', `invalid ${name} "${age}": expected an age such as 30m, 6h, 1d or 2w`);
  const cutoff = ctx.now().getTime() - durationSeconds(age) * 1000;
  // Older than the calendar goes: every session is younger.
  return new Date(Math.max(cutoff, -8.64e15)).toISOString();
}

export function listSessions(ctx: ServiceContext, q: SessionFilter = {}): Session[] {
  const status = q.status === undefined ? undefined : parseSessionStatus(q.status);
  const maxStart = ageCutoff(ctx, q.min_age, 'min_age');
  const minStart = ageCutoff(ctx, q.max_age, 'max_age');
  // A tenant lists its own sessions; with no tenant, every session (BOS's _get_filtered_sessions).
  const tenant = tenantKey(ctx) || undefined;
  return ctx.store.read(() => ctx.store.sessions.list({ tenant, status, minStart, maxStart }));
}

/** DELETE /sessions with filters: deletes the matching sessions; returns their names. */
export function deleteSessions(ctx: ServiceContext, q: SessionFilter): string[] {
  const found = listSessions(ctx, q);
  const now = isoNow(ctx);
  ctx.store.write(() => {
    for (const s of found) {
      if (ctx.store.sessions.delete(s.name, s.tenant ?? '')) ctx.store.events.record(now, 'session', s.name, 'deleted', {}, ctx.actor);
    }
  });
  return found.map((s) => s.name);
}

/** PATCH /sessions/{id}: components and status, as bosd's operators write them in BOS. */
export function patchSession(ctx: ServiceContext, name: string, body: unknown): Session {
  assertBody('V2SessionUpdate', body, `patch of session ${name}`);
  const patch = body as { components?: string; status?: Partial<Session['status']> };
  const now = isoNow(ctx);
  const tenant = tenantKey(ctx);
  return ctx.store.write(() => {
    const s = ctx.store.sessions.get(name, tenant);
    if (!s) throw sessionNotFound(ctx, name);
    const next: Session = {
      ...s,
      components: patch.components ?? s.components,
      status: { ...s.status, ...(patch.status ?? {}) },
    };
    ctx.store.sessions.put(next);
    ctx.store.events.record(now, 'session', name, 'patched', { fields: Object.keys(patch) }, ctx.actor);
    return next;
  });
}

/** Deletes the session record; nodes keep what it staged (applying it then fails, as in BOS). */
export function deleteSession(ctx: ServiceContext, name: string): void {
  const now = isoNow(ctx);
  ctx.store.write(() => {
    if (!ctx.store.sessions.delete(name, tenantKey(ctx))) throw sessionNotFound(ctx, name);
    ctx.store.events.record(now, 'session', name, 'deleted', {}, ctx.actor);
  });
}

export interface SessionStatusReport {
  session: Session;
  /** bosctl's failure budget and halt, beside BOS's fields. */
  control: SessionControl;
  counts: SessionCounts;
  extended: SessionExtendedStatus;
}

/**
 * `live`: computed now even for a complete session. Otherwise a complete session's extended
 * status is the one saved at completion (BOS: server/controllers/v2/sessions.py), so it does
 * not change when its nodes join later sessions.
 */
export function sessionStatus(ctx: ServiceContext, name: string, live = false): SessionStatusReport {
  const scope = tenantScope(ctx);
  return ctx.store.read(() => {
    const session = ctx.store.sessions.get(name, scope?.name ?? '');
    if (!session) throw sessionNotFound(ctx, name);
    // A tenant's session counts only the tenant's nodes (BOS: session_status.py, with the tenant).
    const mine = (c: { id: string }) => !scope || scope.nodes.has(c.id);
    const own = ctx.store.components.list({ session: name }).filter(mine);
    const staged = ctx.store.components.list({ stagedSession: name }).filter((c) => c.session !== name && mine(c));
    const all = [...own, ...staged];
    const saved = !live && session.status.status === 'complete' ? ctx.store.sessions.savedStatus(name, scope?.name ?? '') as SessionExtendedStatus | undefined : undefined;
    return {
      session, control: ctx.store.sessions.control(name, scope?.name ?? ''), counts: sessionCounts(name, all),
      extended: saved ?? extendedStatus(session, all, ctx.now()),
    };
  });
}

/** POST /v2/sessions/{id}/status: computes the extended status, saves it and returns it (BOS's operators call it at completion). */
export function saveSessionStatus(ctx: ServiceContext, name: string): SessionExtendedStatus {
  return ctx.store.write(() => {
    const extended = sessionStatus(ctx, name, true).extended;
    ctx.store.sessions.saveStatus(name, extended, tenantKey(ctx));
    return extended;
  });
}
