import { Command } from 'commander';
import { compressHostlist } from '../../core/hostlist.js';
import type { TenantInfo } from '../../services/tenants.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printListOrNote, printOne, renderFields, type ResourceView } from '../output/format.js';
import { printChange } from '../output/result.js';

const tenantView: ResourceView<TenantInfo> = {
  name: (t) => t.name,
  api: (t) => t,
  columns: [
    { header: 'NAME', value: (t) => t.name },
    { header: 'NODES', value: (t) => String(t.xnames.length) },
    { header: 'GIVEN AS', value: (t) => t.nodes },
    { header: 'TEMPLATES', value: (t) => String(t.templates), wide: true },
    { header: 'SESSIONS', value: (t) => String(t.sessions), wide: true },
    { header: 'TOKENS', value: (t) => String(t.tokens), wide: true },
    { header: 'DESCRIPTION', value: (t) => t.description || '-' },
  ],
};

function describe(t: TenantInfo): string {
  return renderFields({
    name: t.name, description: t.description || '-', 'nodes given as': t.nodes, nodes: `${t.xnames.length}: ${compressHostlist(t.xnames) || '-'}`,
    templates: t.templates, sessions: t.sessions, 'live tokens': t.tokens, created: t.created_at, updated: t.updated_at,
  });
}

export function register(program: Command, deps: CliDeps): void {
  const ten = program.command('tenant').description('tenants (BOS multi-tenancy): who owns which nodes, templates and sessions')
    .addHelpText('after', `
A tenant owns nodes. Acting as a tenant (--tenant T, BOSCTL_TENANT, the Cray-Tenant-Name
header, or a token bound with "bosctl token create --tenant T"), a caller sees and acts only on
its nodes, templates and sessions. --nodes is resolved to xnames when the tenant is created or
updated: a node later added to a group does not join the tenant until "tenant update".
At a CSM site bosd also asks TAPMS (tapms_url in bosd.yaml) for tenants not listed here.

Examples:
  bosctl tenant create blue --nodes 'x1000c0s[0-3]b0n[0-1]'
  bosctl tenant create red --nodes red_nodes,!x1000c1s0b0n0 --description 'team red'
  bosctl --tenant blue sessiontemplate list`);

  defineCreate(ten, deps);
  defineList(ten, deps);
  defineDescribe(ten, deps);
  defineUpdate(ten, deps);
  defineDelete(ten, deps);
}

export interface CreateOptions { name: string; nodes: string; description?: string }

export function defineCreate(parent: Command, deps: CliDeps, run = runCreate): Command {
  return parent.command('create')
    .description('create a tenant owning the nodes a limit names')
    .argument('<name>')
    .requiredOption('--nodes <limit>', 'xnames, nids, hostnames, hostlists, groups or roles; & intersects, ! excludes')
    .option('--description <text>', 'what the tenant is for')
    .addHelpText('after', '\nExamples:\n  bosctl tenant create blue --nodes x1000c0s0b0n0,x1000c0s0b0n1\n  bosctl tenant create red --nodes red_nodes')
    .action(async (name: string, o: { nodes: string; description?: string }, cmd: Command) => {
      await run({ name, nodes: o.nodes, description: o.description }, deps.forCommand(cmd));
    });
}

export async function runCreate(o: CreateOptions, deps: RunDeps): Promise<void> {
  const t = await (await deps.backend()).createTenant(o);
  await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, { kind: 'tenant', name: t.name, verb: 'created', detail: ` (${t.xnames.length} node(s))`, data: t });
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list tenants with how many nodes each owns')
    .addHelpText('after', '\nExamples:\n  bosctl tenant list\n  bosctl tenant list -o wide')
    .action(async (_o: unknown, cmd: Command) => {
      await run({}, deps.forCommand(cmd));
    });
}

export async function runList(_o: Record<string, never>, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const ts = await (await deps.backend()).listTenants();
  await printListOrNote(deps.io, tenantView, ts, { format: g.output, noHeaders: !g.headers }, 'No tenants.');
}

export function defineDescribe(parent: Command, deps: CliDeps, run = runDescribe): Command {
  return parent.command('describe')
    .alias('show')
    .description('show a tenant: its nodes and what is keyed by it')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl tenant describe blue\n  bosctl tenant describe blue -o json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runDescribe(o: { name: string }, deps: RunDeps): Promise<void> {
  const t = await (await deps.backend()).getTenant(o.name);
  await printOne(deps.io, tenantView, t, { format: deps.globals.output }, describe);
}

export interface UpdateOptions { name: string; nodes?: string; description?: string }

export function defineUpdate(parent: Command, deps: CliDeps, run = runUpdate): Command {
  return parent.command('update')
    .description('give a tenant new nodes (resolved again now) or a new description')
    .argument('<name>')
    .option('--nodes <limit>', 'the tenant\'s nodes from now on (replaces the old ones)')
    .option('--description <text>', 'what the tenant is for')
    .addHelpText('after', '\nExamples:\n  bosctl tenant update blue --nodes \'x1000c0s[0-7]b0n[0-1]\'\n  bosctl tenant update blue --description \'team blue\'')
    .action(async (name: string, o: { nodes?: string; description?: string }, cmd: Command) => {
      await run({ name, nodes: o.nodes, description: o.description }, deps.forCommand(cmd));
    });
}

export async function runUpdate(o: UpdateOptions, deps: RunDeps): Promise<void> {
  const t = await (await deps.backend()).updateTenant(o);
  await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, { kind: 'tenant', name: t.name, verb: 'updated', detail: ` (${t.xnames.length} node(s))`, data: t });
}

export function defineDelete(parent: Command, deps: CliDeps, run = runDelete): Command {
  return parent.command('delete')
    .alias('rm')
    .description('delete tenants')
    .argument('<names...>')
    .option('--force', 'delete even while templates, sessions or live tokens are keyed by it (its tokens stop working)')
    .addHelpText('after', '\nExamples:\n  bosctl tenant delete blue\n  bosctl tenant delete red --force')
    .action(async (names: string[], o: { force?: boolean }, cmd: Command) => {
      await run({ names, force: o.force === true }, deps.forCommand(cmd));
    });
}

export async function runDelete(o: { names: string[]; force: boolean }, deps: RunDeps): Promise<void> {
  const backend = await deps.backend();
  for (const name of o.names) {
    await backend.deleteTenant(name, o.force);
    await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, { kind: 'tenant', name, verb: 'deleted' });
  }
}
