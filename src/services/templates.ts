import { bosError } from '../core/errors.js';
import { assertTemplateValid, checkName, templateProblems } from '../core/template.js';
import type { SessionTemplate } from '../core/types.js';
import { assertBody, validateBody } from '../core/validate-body.js';
import { isoNow, type ServiceContext } from './context.js';

/** A template body as a file or request gives it: BOS fields, `name` optional. */
export type TemplateBody = Omit<SessionTemplate, 'name'> & { name?: string };

function withName(name: string, body: TemplateBody): SessionTemplate {
  checkName('session template', name);
  if (body.name !== undefined && body.name !== name) {
    throw bosError('BOS_TEMPLATE_INVALID', `the template body names "${body.name}" but the command names "${name}": make them equal or drop "name" from the body`);
  }
  const { tenant: _ignored, ...rest } = body;
  return { ...rest, name };
}

/** Marks a template with the requesting tenant (recorded, not enforced). */
function withTenant(ctx: ServiceContext, t: SessionTemplate): SessionTemplate {
  return ctx.tenant ? { ...t, tenant: ctx.tenant } : t;
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
    const exists = ctx.store.templates.get(name) !== undefined;
    if (exists && !replace) throw bosError('BOS_TEMPLATE_EXISTS', `session template "${name}" already exists`);
    ctx.store.templates.put(t, now);
    ctx.store.events.record(now, 'template', name, exists ? 'replaced' : 'created', {}, ctx.actor);
  });
  return t;
}

export function getTemplate(ctx: ServiceContext, name: string): SessionTemplate {
  const t = ctx.store.read(() => ctx.store.templates.get(name));
  if (!t) throw bosError('BOS_TEMPLATE_NOT_FOUND', `session template "${name}" does not exist`);
  return t;
}

export function listTemplates(ctx: ServiceContext): SessionTemplate[] {
  return ctx.store.read(() => ctx.store.templates.list());
}

/** PATCH: top-level fields of the patch replace the template's. */
export function updateTemplate(ctx: ServiceContext, name: string, patch: Record<string, unknown>): SessionTemplate {
  assertBody('V2SessionTemplatePatch', patch, `patch of session template "${name}"`);
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const old = ctx.store.templates.get(name);
    if (!old) throw bosError('BOS_TEMPLATE_NOT_FOUND', `session template "${name}" does not exist`);
    const t = { ...old, ...patch, name } as SessionTemplate;
    check(ctx, t);
    ctx.store.templates.put(t, now);
    ctx.store.events.record(now, 'template', name, 'updated', { fields: Object.keys(patch) }, ctx.actor);
    return t;
  });
}

export function deleteTemplate(ctx: ServiceContext, name: string): void {
  const now = isoNow(ctx);
  ctx.store.write(() => {
    if (!ctx.store.templates.delete(name)) throw bosError('BOS_TEMPLATE_NOT_FOUND', `session template "${name}" does not exist`);
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
