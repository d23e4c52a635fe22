import { Command, Option } from 'commander';
import { bosError, isBosError, oneLine } from '../../core/errors.js';
import { checkName, quickTemplate } from '../../core/template.js';
import type { BootSet, SessionTemplate } from '../../core/types.js';
import type { TemplateBody } from '../../services/templates.js';
import type { CliDeps, RunDeps } from '../context.js';
import { CommandFailed } from '../exit.js';
import { parseStructured } from '../files.js';
import { readLimitedText } from '../read-limited.js';
import { printData, printListOrNote, printOne } from '../output/format.js';
import { printChange, printResult } from '../output/result.js';
import { templateView } from '../output/views.js';
import { withSpinner } from '../progress.js';
import { canPrompt } from '../prompt.js';

export interface QuickFlags {
  file?: string;
  kernel?: string;
  initrd?: string;
  params?: string;
  nodeList?: string;
  nodeGroups?: string;
  nodeRoles?: string;
  cfsConfiguration?: string;
  description?: string;
  arch?: string;
  bootSet?: string;
}

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

function addQuickFlags(c: Command): Command {
  return c
    .option('-f, --file <file>', 'template as JSON or YAML with BOS v2 fields ("-" for stdin)')
    .option('--kernel <path>', 'kernel of the boot set (e.g. s3://boot-images/v2/kernel)')
    .option('--initrd <path>', 'initrd of the boot set')
    .option('--params <text>', 'kernel parameters of the boot set')
    .option('--node-list <xnames>', 'comma-separated xnames')
    .option('--node-groups <groups>', 'comma-separated inventory groups')
    .option('--node-roles <roles>', 'comma-separated roles (Role or Role_SubRole)')
    .option('--cfs-configuration <name>', 'CFS configuration to apply after boot')
    .option('--description <text>', 'what the template is for')
    .addOption(new Option('--arch <arch>', 'architecture of the boot set').choices(['X86', 'ARM', 'Other', 'Unknown']))
    .option('--boot-set <name>', 'name of the boot set the quick flags describe', 'compute');
}

function hasQuickFlags(o: QuickFlags): boolean {
  return [o.kernel, o.initrd, o.params, o.nodeList, o.nodeGroups, o.nodeRoles, o.cfsConfiguration, o.arch].some((v) => v !== undefined);
}

async function bodyFromFile(file: string, deps: Pick<RunDeps, 'io'>): Promise<Record<string, unknown>> {
  const body = await parseStructured(await readLimitedText(file, deps.io), file);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw bosError('BOS_FILE_INVALID', `${file} does not hold a session template object: expected {"boot_sets": {...}, ...}`);
  }
  return body as Record<string, unknown>;
}

/**
 * On a terminal with neither --file nor quick flags: the questions, then the template as
 * YAML, its problems if any (the same check as "validate"), and whether to save it.
 */
async function bodyFromWizard(name: string, description: string | undefined, deps: RunDeps): Promise<TemplateBody> {
  const backend = await deps.backend();
  // Say so before the questions, not after them.
  const taken = await backend.getTemplate(name).then(() => true, (e: unknown) => (isBosError(e) && e.code === 'BOS_TEMPLATE_NOT_FOUND' ? false : Promise.reject(e)));
  if (taken) throw bosError('BOS_TEMPLATE_EXISTS', `session template "${name}" already exists`);
  const { askTemplate } = await import('../template-wizard.js');
  const ask = deps.io.prompter();
  const body = await askTemplate(ask, { description });
  deps.io.out(`\nsessiontemplate ${name}:\n`);
  await printData(deps.io, 'yaml', body);
  const problems = await withSpinner(deps.io, 'checking the template', () => backend.checkTemplate({ ...body, name }));
  for (const p of problems) deps.io.out(`problem: ${p}\n`);
  if (!(await ask.confirm(`Save session template ${name}?`, problems.length === 0))) throw new CommandFailed('BOS_NOT_CONFIRMED', `sessiontemplate ${name} not saved`);
  return body;
}

export function register(program: Command, deps: CliDeps): void {
  const st = program.command('sessiontemplate').alias('template').description('session templates: boot sets (artifacts, nodes) and configuration')
    .addHelpText('after', '\nExamples:\n  bosctl sessiontemplate create compute-v2 --file compute-v2.yaml\n  bosctl sessiontemplate list\n  bosctl sessiontemplate validate compute-v2');

  defineCreate(st, deps);
  defineList(st, deps);
  defineDescribe(st, deps);
  defineValidate(st, deps);
  defineUpdate(st, deps);
  defineDelete(st, deps);
}

export function defineCreate(parent: Command, deps: CliDeps, run = runCreate): Command {
  return addQuickFlags(parent.command('create')
    .description('create a session template from a file, from quick flags (one boot set), or by answering questions on a terminal')
    .argument('<name>', 'template name: letters, digits, ".", "-", "_"'))
    .addHelpText('after', `
Examples:
  bosctl sessiontemplate create compute-v2 --file compute-v2.yaml
  bosctl sessiontemplate create compute-v2 --kernel s3://boot-images/v2/kernel \\
      --initrd s3://boot-images/v2/initrd --params "console=ttyS0 quiet" \\
      --node-roles Compute --cfs-configuration compute-config-v2
  bosctl sessiontemplate create compute-v3      # on a terminal: asks, shows the YAML, saves

With neither --file nor quick flags, on a terminal bosctl asks for one boot set (an image
manifest or a kernel and initrd, kernel parameters, nodes) and the CFS configuration,
shows the template and checks it, and saves it if you say so. Without a terminal that is
an error (exit 2).`)
    .action(async (name: string, o: QuickFlags, cmd: Command) => {
      await run({ name, ...o }, deps.forCommand(cmd));
    });
}

export async function runCreate(o: QuickFlags & { name: string }, deps: RunDeps): Promise<void> {
  const name = o.name;
  const g = deps.globals;
  let body: TemplateBody;
  if (o.file && hasQuickFlags(o)) throw bosError('BOS_USAGE', 'give either --file or the quick flags (--kernel, --initrd, ...), not both');
  if (o.file) body = (await bodyFromFile(o.file, deps)) as unknown as TemplateBody;
  else if (hasQuickFlags(o)) {
    if (!o.kernel || !o.initrd) throw bosError('BOS_USAGE', 'quick flags need --kernel and --initrd (or use --file)');
    body = quickTemplate({
      name, description: o.description, kernel: o.kernel, initrd: o.initrd, params: o.params,
      nodeList: list(o.nodeList), nodeGroups: list(o.nodeGroups), nodeRoles: list(o.nodeRoles),
      configuration: o.cfsConfiguration, arch: o.arch as BootSet['arch'], bootSetName: o.bootSet,
    });
  } else if (canPrompt(deps.io)) {
    checkName('session template', name);
    body = await bodyFromWizard(name, o.description, deps);
  } else {
    throw bosError('BOS_USAGE', 'nothing to create: give --file FILE, or --kernel, --initrd and --node-list/--node-groups/--node-roles (or run it on a terminal to be asked)');
  }
  const t = await (await deps.backend()).createTemplate(name, body);
  await printChange(deps.io, { format: g.output, quiet: g.quiet }, { kind: 'sessiontemplate', name: t.name, verb: 'created', data: t });
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list session templates')
    .addHelpText('after', '\nExamples:\n  bosctl sessiontemplate list\n  bosctl sessiontemplate list -o wide')
    .action(async (_o: unknown, cmd: Command) => {
      await run({}, deps.forCommand(cmd));
    });
}

export async function runList(_o: Record<string, never>, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const ts = await (await deps.backend()).listTemplates();
  await printListOrNote(deps.io, templateView, ts, { format: g.output, noHeaders: !g.headers }, 'No session templates.');
}

export function defineDescribe(parent: Command, deps: CliDeps, run = runDescribe): Command {
  return parent.command('describe')
    .alias('show')
    .description('show a session template (YAML on a terminal, or -o json)')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl sessiontemplate describe compute-v2\n  bosctl sessiontemplate describe compute-v2 -o json > t.json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runDescribe(o: { name: string }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const t = await (await deps.backend()).getTemplate(o.name);
  await printOne(deps.io, templateView, t, { format: g.output === 'table' || g.output === 'wide' ? 'yaml' : g.output });
}

export function defineValidate(parent: Command, deps: CliDeps, run = runValidate): Command {
  return parent.command('validate')
    .description('check a stored template, or a file with --file, and list every problem')
    .argument('[name]', 'a stored template')
    .option('-f, --file <file>', 'check this file instead of a stored template')
    .addHelpText('after', '\nExit 0 when valid, 2 when not.\n\nExamples:\n  bosctl sessiontemplate validate compute-v2\n  bosctl sessiontemplate validate --file compute-v3.yaml')
    .action(async (name: string | undefined, o: { file?: string }, cmd: Command) => {
      await run({ name, file: o.file }, deps.forCommand(cmd));
    });
}

export async function runValidate(o: { name?: string; file?: string }, deps: RunDeps): Promise<void> {
  const name = o.name;
  const g = deps.globals;
  const backend = await deps.backend();
  let t: SessionTemplate;
  if (o.file) {
    const body = await bodyFromFile(o.file, deps);
    t = { ...(body as unknown as SessionTemplate), name: name ?? (body.name as string | undefined) ?? 'from-file' };
  } else if (name) t = await backend.getTemplate(name);
  else throw bosError('BOS_USAGE', 'give a template name or --file FILE');
  const problems = await backend.checkTemplate(t);
  await printResult(deps.io, g.output, { name: t.name, valid: problems.length === 0, problems }, () => {
    if (problems.length === 0) { if (!g.quiet) deps.io.out(`sessiontemplate ${t.name} is valid\n`); }
    else for (const p of problems) deps.io.out(`${t.name}: ${p}\n`);
  });
  if (problems.length > 0) {
    throw bosError('BOS_TEMPLATE_INVALID', `session template "${t.name}" has ${problems.length} problem(s)`, 'fix each problem listed above');
  }
}

export function defineUpdate(parent: Command, deps: CliDeps, run = runUpdate): Command {
  return addQuickFlags(parent.command('update')
    .description('change a session template: top-level fields from --file replace the stored ones; quick flags change one boot set')
    .argument('<name>'))
    .addHelpText('after', `
Examples:
  bosctl sessiontemplate update compute --kernel s3://boot-images/v3/kernel --initrd s3://boot-images/v3/initrd
  bosctl sessiontemplate update compute --file patch.yaml`)
    .action(async (name: string, o: QuickFlags, cmd: Command) => {
      await run({ name, ...o, bootSetGiven: cmd.getOptionValueSource('bootSet') !== 'default' }, deps.forCommand(cmd));
    });
}

export async function runUpdate(o: QuickFlags & { name: string; bootSetGiven: boolean }, deps: RunDeps): Promise<void> {
  const name = o.name;
  const g = deps.globals;
  const backend = await deps.backend();
  let patch: Record<string, unknown>;
  if (o.file && hasQuickFlags(o)) throw bosError('BOS_USAGE', 'give either --file or the quick flags, not both');
  if (o.file) patch = await bodyFromFile(o.file, deps);
  else if (hasQuickFlags(o) || o.description !== undefined) {
    const t = await backend.getTemplate(name);
    patch = {};
    if (o.description !== undefined) patch.description = o.description;
    if (hasQuickFlags(o)) {
      const key = !o.bootSetGiven && Object.keys(t.boot_sets).length === 1 ? Object.keys(t.boot_sets)[0] : o.bootSet!;
      const bs: BootSet = { ...(t.boot_sets[key] ?? {}) };
      if (o.kernel !== undefined) bs.kernel = o.kernel;
      if (o.initrd !== undefined) bs.initrd = o.initrd;
      if (o.params !== undefined) bs.kernel_parameters = o.params;
      if (o.nodeList !== undefined) bs.node_list = list(o.nodeList);
      if (o.nodeGroups !== undefined) bs.node_groups = list(o.nodeGroups);
      if (o.nodeRoles !== undefined) bs.node_roles_groups = list(o.nodeRoles);
      if (o.arch !== undefined) bs.arch = o.arch as BootSet['arch'];
      if (o.cfsConfiguration !== undefined) bs.cfs = { configuration: o.cfsConfiguration };
      patch.boot_sets = { ...t.boot_sets, [key]: bs };
    }
  } else throw bosError('BOS_USAGE', 'nothing to update: give --file FILE or quick flags such as --kernel');
  const t = await backend.updateTemplate(name, patch);
  await printChange(deps.io, { format: g.output, quiet: g.quiet }, { kind: 'sessiontemplate', name: t.name, verb: 'updated', data: t });
}

export function defineDelete(parent: Command, deps: CliDeps, run = runDelete): Command {
  return parent.command('delete')
    .alias('rm')
    .description('delete session templates')
    .argument('<names...>')
    .addHelpText('after', '\nSessions made from a template keep working after it is deleted.\n\nExamples:\n  bosctl sessiontemplate delete compute-v1')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      await run({ names }, deps.forCommand(cmd));
    });
}

export async function runDelete(o: { names: string[] }, deps: RunDeps): Promise<void> {
  const names = o.names;
  const g = deps.globals;
  const backend = await deps.backend();
  let failed = 0;
  for (const n of names) {
    try {
      await backend.deleteTemplate(n);
      await printChange(deps.io, { format: g.output, quiet: g.quiet }, { kind: 'sessiontemplate', name: n, verb: 'deleted' });
    } catch (e) {
      if (names.length === 1) throw e;
      failed++;
      deps.io.err(`bosctl: ${oneLine((e as Error).message)}\n`);
    }
  }
  if (failed > 0) throw new CommandFailed('BOS_TEMPLATE_NOT_DELETED', `${failed} of ${names.length} template(s) not deleted`);
}
