import { Command, Option } from 'commander';
import { bosError } from '../../core/errors.js';
import { parseBooleanWord } from '../../core/options.js';
import { STATUSES } from '../../core/types.js';
import type { ComponentChange, ComponentFilter } from '../../services/components.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printList, printListOrNote, printOne, renderFields } from '../output/format.js';
import { printChange } from '../output/result.js';
import { componentView, eventView } from '../output/views.js';
import { registerWait } from './component-wait.js';

function boolFlag(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const b = parseBooleanWord(v);
  if (b === undefined) throw bosError('BOS_VALUE_INVALID', `invalid ${name} value "${v}": expected true or false`);
  return b;
}

export function register(program: Command, deps: CliDeps): void {
  const c = program.command('component').description('components: each node\'s desired, staged and actual state, phase and status')
    .addHelpText('after', '\nExamples:\n  bosctl component list --status failed -o wide\n  bosctl component describe nid000001\n  bosctl component history nid000001\n  bosctl component wait --self --stable --timeout 30m');

  defineList(c, deps);
  defineDescribe(c, deps);
  defineUpdate(c, deps);
  defineHistory(c, deps);
  registerWait(c, deps);
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list components, filtered')
    .option('--enabled <bool>', 'only enabled (true) or disabled (false) components')
    .addOption(new Option('--phase <phase>', 'only components in this phase').choices(['powering_off', 'powering_on', 'configuring', 'none']))
    .option('--status <statuses>', `only these statuses, comma-separated (${STATUSES.join(', ')})`)
    .option('--session <name>', 'only components of this session')
    .option('--staged-session <name>', 'only components with state staged by this session')
    .option('--ids <nodes>', 'only these xnames (comma-separated)')
    .addHelpText('after', '\nExamples:\n  bosctl component list --staged-session my-session\n  bosctl component list --status failed -o wide\n  bosctl component list --enabled true --phase powering_on -o name')
    .action(async (o: { enabled?: string; phase?: string; status?: string; session?: string; stagedSession?: string; ids?: string }, cmd: Command) => {
      await run({
        enabled: boolFlag('--enabled', o.enabled),
        phase: o.phase === 'none' ? '' : o.phase,
        status: o.status?.split(',').map((s) => s.trim()).filter(Boolean),
        session: o.session,
        staged_session: o.stagedSession,
        ids: o.ids?.split(',').map((s) => s.trim()).filter(Boolean),
      }, deps.forCommand(cmd));
    });
}

export async function runList(filter: ComponentFilter, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const comps = await (await deps.backend()).listComponents(filter);
  await printListOrNote(deps.io, componentView, comps, { format: g.output, noHeaders: !g.headers }, 'No components match.');
}

export function defineDescribe(parent: Command, deps: CliDeps, run = runDescribe): Command {
  return parent.command('describe')
    .alias('show')
    .description('show one component in full')
    .argument('<node>', 'xname, nid or hostname')
    .addHelpText('after', '\nExamples:\n  bosctl component describe x1000c0s0b0n0\n  bosctl component describe nid000001 -o json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runDescribe(o: { name: string }, deps: RunDeps): Promise<void> {
  const comp = await (await deps.backend()).getComponent(o.name);
  await printOne(deps.io, componentView, comp, { format: deps.globals.output }, (x) => renderFields(x as unknown as Record<string, unknown>));
}

export function defineUpdate(parent: Command, deps: CliDeps, run = runUpdate): Command {
  return parent.command('update')
    .description('enable or disable a component, clear its staged state or its error')
    .argument('<node>', 'xname, nid or hostname')
    .option('--enabled <bool>', 'true lets bosd act on it; false stops bosd acting on it')
    .option('--clear-staged', 'forget its staged state')
    .option('--clear-error', 'clear its error (and a failed status)')
    .addHelpText('after', '\nExamples:\n  bosctl component update x1000c0s0b0n0 --enabled false\n  bosctl component update nid000001 --clear-error --enabled true')
    .action(async (name: string, o: { enabled?: string; clearStaged?: boolean; clearError?: boolean }, cmd: Command) => {
      await run({ name, change: { enabled: boolFlag('--enabled', o.enabled), clearStaged: o.clearStaged, clearError: o.clearError } }, deps.forCommand(cmd));
    });
}

export async function runUpdate(o: { name: string; change: ComponentChange }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const comp = await (await deps.backend()).updateComponent(o.name, o.change);
  if (g.output === 'json' || g.output === 'yaml' || g.output === 'name') return printOne(deps.io, componentView, comp, { format: g.output });
  await printChange(deps.io, { format: g.output, quiet: g.quiet }, { kind: 'component', name: comp.id, verb: 'updated' });
}

export function defineHistory(parent: Command, deps: CliDeps, run = runHistory): Command {
  return parent.command('history')
    .description('list the recorded changes of a component: when, what, by whom')
    .argument('<node>', 'xname, nid or hostname')
    .option('--last <n>', 'only the last N events', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw bosError('BOS_VALUE_INVALID', `invalid --last "${v}": expected a positive integer`);
      return Number(v);
    })
    .addHelpText('after', '\nExamples:\n  bosctl component history nid000001\n  bosctl component history x1000c0s0b0n0 --last 5 -o json')
    .action(async (name: string, o: { last?: number }, cmd: Command) => {
      await run({ name, last: o.last }, deps.forCommand(cmd));
    });
}

export async function runHistory(o: { name: string; last?: number }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const events = await (await deps.backend()).componentHistory(o.name, o.last);
  await printList(deps.io, eventView, events, { format: g.output, noHeaders: !g.headers });
}
