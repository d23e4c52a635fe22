import { bosError } from '../core/errors.js';
import { assertTemplateValid, checkName, templateProblems } from '../core/template.js';
import type { SessionTemplate } from '../core/types.js';
import { assertBody, validateBody } from '../core/validate-body.js';
import { isoNow, tenantKey, type ServiceContext } from './context.js';

/** A template body as a file or request gives it: BOS fields, `name` optional. */
export type TemplateBody = Omit<SessionTemplate, 'name'> & { name?: string };

function withName(name: string, body: TemplateBody): SessionTemplate {
  checkName('session template', name);
  if (body.name !== undefined && body.name !== name) {
    throw bosError('BOS_TEMPLATE_INVALID', `the template body names "${body.name}" but the command names "${name}": make them equal or drop "name" from the body`);
  }
  const { tenant: _ignored, ...rest } = body;
  return withoutBootSetNames({ ...rest, name });
}

/**
 * A boot set's `name` is writeOnly (BOS's spec): it must equal its key, and it is not stored
 * nor echoed (BOS: server/controllers/v2/sessiontemplates.py, boot_set/sanitize.py).
 */
function withoutBootSetNames(t: SessionTemplate): SessionTemplate {
  const sets = t.boot_sets as unknown;
  if (sets === null || typeof sets !== 'object' || Array.isArray(sets)) return t;
  const out: Record<string, unknown> = {};
  for (const [key, bs] of Object.entries(sets as Record<string, unknown>)) {
    if (bs === null || typeof bs !== 'object' || Array.isArray(bs) || !('name' in bs)) { out[key] = bs; continue; }
    const { name, ...rest } = bs as Record<string, unknown>;
    if (name !== key) {
      throw bosError('BOS_TEMPLATE_INVALID', `boot set "${key}": its name field "${String(name)}" differs from its key "${key}": make them equal or drop "name"`);
    }
    out[key] = rest;
  }
  return { ...t, boot_sets: out as SessionTemplate['boot_sets'] };
}

/** Marks a template with the requesting tenant: it is stored, found and listed under it. */
function withTenant(ctx: ServiceContext, t: SessionTemplate): SessionTemplate {
  const tenant = tenantKey(ctx);
  return tenant ? { ...t, tenant } : t;
}

/** BOS's 404 names the tenant it looked in (controllers/utils.py _404_tenanted_resource_not_found). */
function notFound(ctx: ServiceContext, name: string): Error {
  const tenant = tenantKey(ctx);
  // JSON quoting: a name with a newline or quote (from a script's bad argument) stays one line.
  return bosError('BOS_TEMPLATE_NOT_FOUND', `session template ${JSON.stringify(name)}${tenant ? ` of tenant ${JSON.stringify(tenant)}` : ''} does not exist`);
}

function check(ctx: ServiceContext, t: SessionTemplate): void {
  assertBody('V2SessionTemplate', t, `session template "${t.name}"`);
  const options = ctx.store.options.get();
  assertTemplateValid(t, options);
}

/** `replace` is PUT's meaning (BOS creates or replaces); the CLI's create refuses an existing name. */
export function createTemplate(ctx: ServiceContext, name: string, body: TemplateBody, replace = false): SessionTemplate {
  const t = withTenant(ctx, withName(name, body));
  const now = isoNow(ctx);
  ctx.store.write(() => {
    check(ctx, t);
    const exists = ctx.store.templates.get(name, t.tenant ?? '') !== undefined;
    if (exists && !replace) throw bosError('BOS_TEMPLATE_EXISTS', `session template "${name}"${t.tenant ? ` of tenant "${t.tenant}"` : ''} already exists`);
    ctx.store.templates.put(t, now);
    ctx.store.events.record(now, 'template', name, exists ? 'replaced' : 'created', {}, ctx.actor);
  });
  return t;
}

export function getTemplate(ctx: ServiceContext, name: string): SessionTemplate {
  const tenant = tenantKey(ctx);
  const t = ctx.store.read(() => ctx.store.templates.get(name, tenant));
  if (!t) throw notFound(ctx, name);
  return t;
}

/** A tenant lists its own templates; with no tenant, every template (as BOS lists them). */
export function listTemplates(ctx: ServiceContext): SessionTemplate[] {
  const tenant = tenantKey(ctx);
  return ctx.store.read(() => ctx.store.templates.list(tenant || undefined));
}

/** PATCH: top-level fields of the patch replace the template's. */
export function updateTemplate(ctx: ServiceContext, name: string, patch: Record<string, unknown>): SessionTemplate {
  assertBody('V2SessionTemplatePatch', patch, `patch of session template "${name}"`);
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const old = ctx.store.templates.get(name, tenantKey(ctx));
    if (!old) throw notFound(ctx, name);
    const t = withoutBootSetNames({ ...old, ...patch, name } as SessionTemplate);
    check(ctx, t);
    ctx.store.templates.put(t, now);
    ctx.store.events.record(now, 'template', name, 'updated', { fields: Object.keys(patch) }, ctx.actor);
    return t;
  });
}

export function deleteTemplate(ctx: ServiceContext, name: string): void {
  const now = isoNow(ctx);
  ctx.store.write(() => {
    if (!ctx.store.templates.delete(name, tenantKey(ctx))) throw notFound(ctx, name);
    ctx.store.events.record(now, 'template', name, 'deleted', {}, ctx.actor);
  });
}

/**
 * Every problem of a stored template, or of a body not yet stored, including its boot sets'
 * image manifests (read as a boot would read them); [] when valid.
 */
export async function templateCheck(ctx: ServiceContext, t: SessionTemplate): Promise<string[]> {
  const problems = templateShapeAndRules(ctx, t);
  if (problems.length > 0) return problems;
  const ttl = ctx.store.read(() => ctx.store.options.get()).component_actual_state_ttl;
  const { resolveBootSet } = await import('./artifacts.js');
  for (const [name, bs] of Object.entries(t.boot_sets)) {
    try {
      await resolveBootSet(name, bs, { s3: ctx.s3, actualStateTtl: ttl, imageDirs: ctx.imageDirs });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}

function templateShapeAndRules(ctx: ServiceContext, t: SessionTemplate): string[] {
  const shape = validateBody('V2SessionTemplate', t);
  const sets = t.boot_sets as unknown;
  const rulesCanRun = sets !== null && typeof sets === 'object' && !Array.isArray(sets)
    && Object.values(sets as object).every((b) => b !== null && typeof b === 'object' && !Array.isArray(b));
  if (!rulesCanRun) return shape;
  // Both lists, without repeating what the schema already said about a boot set's kernel.
  const rules = templateProblems(t, ctx.store.read(() => ctx.store.options.get()));
  return [...shape, ...rules.filter((r) => !shape.some((s) => r.includes('"kernel" needs an "initrd"') && s.includes('initrd')))];
}
