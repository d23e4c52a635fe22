import { Command } from 'commander';
import { compressHostlist } from '../../core/hostlist.js';
import type { CliDeps } from '../context.js';
import { globalsOf } from '../context.js';
import { printData } from '../output/format.js';

export function register(program: Command, deps: CliDeps): void {
  program.command('rollback')
    .description('take nodes back to the state they were stable on before their current one')
    .option('--session <name>', 'the nodes of this session')
    .option('-l, --limit <limit>', 'or the nodes this limit names (as for session create)')
    .option('--stage', 'stage the previous state (apply it with apply-staged) instead of rebooting now')
    .option('--name <name>', 'name of the rollback session (default: rollback-<random>)')
    .addHelpText('after', `
bosd records, each time a node becomes stable on new artifacts, the state it was stable
on before. rollback creates a reboot session back to that state; nodes with no earlier
state are listed and left alone.

Examples:
  bosctl rollback --session upgrade-v2 --stage
  bosctl rollback --limit nid[000001-000004]`)
    .action(async (o: { session?: string; limit?: string; stage?: boolean; name?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await (await deps.backend(cmd)).rollback({ session: o.session, limit: o.limit, stage: o.stage === true, name: o.name });
      for (const [x, why] of Object.entries(r.skipped)) deps.io.err(`bosctl: skipped ${x}: ${why}\n`);
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, r);
      if (g.output === 'name') { deps.io.out(r.session.name + '\n'); return; }
      if (!g.quiet) {
        deps.io.out(`session ${r.session.name} created: rollback ${o.stage ? 'staged for' : 'of'} ${r.nodes.length} node(s): ${compressHostlist(r.nodes)}\n`);
        if (o.stage) deps.io.out('apply it node by node with: bosctl apply-staged NODES\n');
      }
    });
}
