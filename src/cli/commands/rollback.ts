import { Command } from 'commander';
import { compressHostlist } from '../../core/hostlist.js';
import type { CliDeps } from '../context.js';
import { globalsOf } from '../context.js';
import { printData } from '../output/format.js';
import { confirmNow } from '../prompt.js';

interface RollbackFlags { session?: string; limit?: string; stage?: boolean; name?: string; dryRun?: boolean; yes?: boolean }

export function register(program: Command, deps: CliDeps): void {
  program.command('rollback')
    .description('take nodes back to the state they were stable on before their current one')
    .option('--session <name>', 'the nodes of this session')
    .option('-l, --limit <limit>', 'or the nodes this limit names (as for session create)')
    .option('--stage', 'stage the previous state (apply it with apply-staged) instead of rebooting now')
    .option('--name <name>', 'name of the rollback session (default: rollback-<random>)')
    .option('--dry-run', 'list the nodes that would be rolled back (and those skipped) and write nothing')
    .option('-y, --yes', 'go ahead without asking when more than one node would be rebooted now (required without a terminal)')
    .addHelpText('after', `
bosd records, each time a node becomes stable on new artifacts, the state it was stable
on before. rollback creates a reboot session back to that state; nodes with no earlier
state are listed and left alone. Without --stage, rebooting more than one node at once is
confirmed first (default no); --yes skips the question, and without a terminal --yes is
required (exit 2).

Examples:
  bosctl rollback --session upgrade-v2 --stage
  bosctl rollback --limit nid[000001-000004] --dry-run
  bosctl rollback --limit nid[000001-000004] --yes`)
    .action(async (o: RollbackFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const backend = await deps.backend(cmd);
      const req = { session: o.session, limit: o.limit, stage: o.stage === true, name: o.name };
      if (!o.stage && !o.dryRun && o.yes !== true) {
        // The service's own dry run says how many nodes would reboot.
        const plan = await backend.rollback({ ...req, dry_run: true });
        const what = `reboot ${plan.nodes.length} nodes now`;
        await confirmNow(deps.io, {
          nodes: plan.nodes.length, what: `rollback would ${what}`,
          question: `Roll back: ${what} (${o.session !== undefined ? `nodes of session ${o.session}` : `limit ${o.limit}`})?`,
        });
      }
      const r = await backend.rollback({ ...req, dry_run: o.dryRun === true });
      for (const [x, why] of Object.entries(r.skipped)) deps.io.err(`bosctl: skipped ${x}: ${why}\n`);
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, o.dryRun ? { dry_run: true, ...r } : r);
      if (g.output === 'name') { deps.io.out(r.session.name + '\n'); return; }
      if (o.dryRun) {
        deps.io.out(`rollback would ${o.stage ? 'stage' : 'reboot'} ${r.nodes.length} node(s) back to their previous state (dry run: nothing written): ${compressHostlist(r.nodes)}\n`);
        return;
      }
      if (!g.quiet) {
        deps.io.out(`session ${r.session.name} created: rollback ${o.stage ? 'staged for' : 'of'} ${r.nodes.length} node(s): ${compressHostlist(r.nodes)}\n`);
        if (o.stage) deps.io.out('apply it node by node with: bosctl apply-staged NODES\n');
      }
    });
}
