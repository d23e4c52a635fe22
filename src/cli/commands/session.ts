import { Command, Option } from 'commander';
import { bosError } from '../../core/errors.js';
import { compressHostlist } from '../../core/hostlist.js';
import { parseBooleanWord } from '../../core/options.js';
import type { CliDeps } from '../context.js';
import { globalsOf } from '../context.js';
import { printData, printListOrNote, printOne, renderFields, renderTable } from '../output/format.js';
import { paintStatus, sessionView } from '../output/views.js';

interface CreateFlags {
  template?: string;
  operation?: string;
  stage?: string | boolean;
  limit?: string;
  name?: string;
  includeDisabled?: boolean;
}

/** `--stage`, `--stage true` and `--stage false`, as CSM admins type it with the cray CLI. */
function stageFlag(v: string | boolean | undefined): boolean {
  if (v === undefined) return false;
  if (v === true) return true;
  const b = parseBooleanWord(v);
  if (b === undefined) throw bosError('BOS_VALUE_INVALID', `invalid --stage value "${String(v)}": expected true or false (or just --stage)`);
  return b;
}

export function register(program: Command, deps: CliDeps): void {
  const s = program.command('session').description('sessions: apply a template to nodes now, or stage it for later')
    .addHelpText('after', '\nExamples:\n  bosctl session create --template compute-v2 --operation reboot --stage --limit Compute\n  bosctl session list\n  bosctl session status SESSION');

  s.command('create')
    .description('create a session: stage (--stage) or set the desired state of the template\'s nodes')
    .option('-t, --template <name>', 'session template to use')
    .addOption(new Option('--template-name <name>', 'alias of --template (cray CLI spelling)').hideHelp())
    .addOption(new Option('--operation <op>', 'what to do with the nodes').choices(['boot', 'reboot', 'shutdown']).makeOptionMandatory(false))
    .option('--stage [bool]', 'stage only: nothing reboots until apply-staged (also --stage true)')
    .addOption(new Option('--staged [bool]', 'alias of --stage').hideHelp())
    .option('-l, --limit <limit>', 'narrow the nodes: xnames, nids, hostnames, groups, roles; "&" intersects, "!" excludes, "all"')
    .option('--name <name>', 'session name (default: a generated UUID)')
    .option('--include-disabled', 'include nodes disabled in the inventory')
    .addHelpText('after', `
Examples:
  bosctl session create --template compute-v2 --operation reboot --stage --limit Compute
  bosctl session create --template-name compute-v2 --operation reboot --stage true --limit 'Compute,!nid000001'
  bosctl session create --template compute-v2 --operation boot --limit x1000c0s0b0n0

Without --stage the nodes' desired state is set at once and bosd acts on them.`)
    .action(async (o: CreateFlags & { templateName?: string; staged?: string | boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const template = o.template ?? o.templateName;
      if (!template) throw bosError('BOS_USAGE', 'no template: give --template NAME (list them with "bosctl sessiontemplate list")');
      if (!o.operation) throw bosError('BOS_OPERATION_INVALID', 'no operation: give --operation boot, reboot or shutdown');
      const stage = stageFlag(o.stage ?? o.staged);
      const created = await (await deps.backend(cmd)).createSession({
        name: o.name, template_name: template, operation: o.operation, limit: o.limit, stage, include_disabled: o.includeDisabled === true,
      });
      for (const w of created.warnings) deps.io.err(`bosctl: warning: ${w}\n`);
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, created.session);
      if (g.output === 'name') { deps.io.out(created.session.name + '\n'); return; }
      if (g.quiet) return;
      const verb = stage ? 'staged' : 'set to';
      deps.io.out(`session ${created.session.name} created: ${created.session.operation} ${verb} ${created.nodes.length} node(s): ${compressHostlist(created.nodes)}\n`);
      if (stage) deps.io.out(`apply it node by node with: bosctl apply-staged NODES\n`);
    });

  s.command('list')
    .alias('ls')
    .description('list sessions')
    .addOption(new Option('--status <status>', 'only sessions with this status').choices(['pending', 'running', 'complete']))
    .addHelpText('after', '\nExamples:\n  bosctl session list\n  bosctl session list --status running -o wide')
    .action(async (o: { status?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const sessions = await (await deps.backend(cmd)).listSessions({ status: o.status });
      await printListOrNote(deps.io, sessionView, sessions, { format: g.output, noHeaders: !g.headers }, 'No sessions.');
    });

  s.command('describe')
    .alias('show')
    .description('show a session')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl session describe 5b0c1d2e-...\n  bosctl session describe my-session -o json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const session = await (await deps.backend(cmd)).getSession(name);
      await printOne(deps.io, sessionView, session, { format: g.output }, (x) => {
        const { components, ...rest } = x;
        const nodes = components ? components.split(',') : [];
        return renderFields({ ...rest, nodes: `${nodes.length}${nodes.length ? `  ${compressHostlist(nodes)}` : ''}` });
      });
    });

  s.command('status')
    .description('show a session\'s progress: nodes per phase, percent done, errors')
    .argument('<name>')
    .addHelpText('after', '\n-o json prints BOS v2\'s extended status (GET /v2/sessions/{id}/status).\n\nExamples:\n  bosctl session status my-session\n  bosctl session status my-session -o json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await (await deps.backend(cmd)).sessionStatus(name);
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, r.extended);
      if (g.output === 'name') { deps.io.out(r.session.name + '\n'); return; }
      const p = await deps.io.paint();
      const e = r.extended;
      deps.io.out(`Session:   ${r.session.name} (${r.session.operation}${r.session.stage ? ', staged' : ''}, template ${r.session.template_name})\n`);
      deps.io.out(`Status:    ${paintStatus(e.status, p)}, ${e.phases.percent_complete}% complete, ${e.managed_components_count} node(s), running for ${e.timing.duration}\n\n`);
      const rows = Object.entries(r.counts).map(([phase, n]) => [phase, String(n)]);
      deps.io.out(renderTable(g.headers ? [[p.bold('PHASE'), p.bold('NODES')], ...rows] : rows));
      const errors = Object.entries(e.error_summary);
      if (errors.length) {
        deps.io.out('\nErrors:\n');
        for (const [err, v] of errors) deps.io.out(`  ${p.red(String(v.count))} ${err}: ${v.list}\n`);
      }
    });

  s.command('delete')
    .alias('rm')
    .description('delete a session record (nodes keep what it staged; applying that then fails)')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl session delete my-session')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await (await deps.backend(cmd)).deleteSession(name);
      if (!g.quiet) deps.io.out(`session ${name} deleted\n`);
    });
}
