import { Command } from 'commander';
import { compressHostlist } from '../../core/hostlist.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printResult } from '../output/result.js';
import { confirmNow } from '../prompt.js';
import type { RollbackResult } from '../../services/rollout.js';

export interface RollbackOptions { session?: string; limit?: string; stage: boolean; name?: string; dryRun: boolean; yes: boolean }

export function register(program: Command, deps: CliDeps): void {
  define(program, deps);
}

export function define(parent: Command, deps: CliDeps, run = runRollback): Command {
  return parent.command('rollback')
    .description('take nodes back to the state they were stable on before their current one, clearing the stage rolled back from')
    .option('--session <name>', 'the nodes whose current state this session set (its nodes that never took it are only unstaged)')
    .option('-l, --limit <limit>', 'or the nodes this limit names (as for session create)')
    .option('--stage', 'stage the previous state (apply it with apply-staged) instead of rebooting now')
    .option('--name <name>', 'name of the rollback session (default: rollback-<random>)')
    .option('--dry-run', 'list the nodes that would be rolled back (and those skipped) and write nothing')
    .option('-y, --yes', 'go ahead without asking when more than one node would be rebooted now (required without a terminal)')
    .addHelpText('after', `
bosd records, each time a node becomes stable on new artifacts, the state it was stable
on before. rollback creates a reboot session that takes each node back from its current
state: a node stable on it goes back to the state it was stable on before; one that did
not get there (failed, or still on its way) goes back to the state it was last stable on.
Nodes with no such state are listed and left alone. With --session S, only nodes whose
current state S set are rolled back.

Staged state: a node that still has the stage of the session rolled back from (S, or with
--limit the session that set its current state) has it cleared in the same transaction,
so apply-staged (Slurm's next reboot) cannot bring that state back; nodes of S that never
took S's state are only unstaged. A stage of any other (later) session is kept and
listed: its next apply-staged applies it; --stage skips such a node rather than replace
that stage. Each change is an event in "bosctl component history X"; --dry-run and
-o json show the same (fields unstaged and kept_stage).

Without --stage, rebooting more than one node at once is confirmed first (default no);
--yes skips the question, and without a terminal --yes is required (exit 2).

Examples:
  bosctl rollback --session upgrade-v2 --stage
  bosctl rollback --limit nid[000001-000004] --dry-run
  bosctl rollback --limit nid[000001-000004] --yes`)
    .action(async (o: { session?: string; limit?: string; stage?: boolean; name?: string; dryRun?: boolean; yes?: boolean }, cmd: Command) => {
      await run({ session: o.session, limit: o.limit, stage: o.stage === true, name: o.name, dryRun: o.dryRun === true, yes: o.yes === true }, deps.forCommand(cmd));
    });
}

export async function runRollback(o: RollbackOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const backend = await deps.backend();
  const req = { session: o.session, limit: o.limit, stage: o.stage, name: o.name };
  if (!o.stage && !o.dryRun && !o.yes) {
    // The service's own dry run says how many nodes would reboot.
    const plan = await backend.rollback({ ...req, dry_run: true });
    const what = `reboot ${plan.nodes.length} nodes now`;
    await confirmNow(deps.io, {
      nodes: plan.nodes.length, what: `rollback would ${what}`,
      question: `Roll back: ${what} (${o.session !== undefined ? `nodes of session ${o.session}` : `limit ${o.limit}`})?`,
    });
  }
  const r = await backend.rollback({ ...req, dry_run: o.dryRun });
  for (const [x, why] of Object.entries(r.skipped)) deps.io.err(`bosctl: skipped ${x}: ${why}\n`);
  await printResult(deps.io, g.output, o.dryRun ? { dry_run: true, ...r } : r, () => {
    if (g.output === 'name') { deps.io.out(r.session.name + '\n'); return; }
    if (o.dryRun) {
      deps.io.out(`rollback would ${o.stage ? 'stage' : 'reboot'} ${r.nodes.length} node(s) back to their previous state (dry run: nothing written): ${compressHostlist(r.nodes)}\n`);
      deps.io.out(stageLines(r, true));
      return;
    }
    if (!g.quiet) {
      deps.io.out(`session ${r.session.name} created: rollback ${o.stage ? 'staged for' : 'of'} ${r.nodes.length} node(s): ${compressHostlist(r.nodes)}\n`);
      deps.io.out(stageLines(r, false));
      if (o.stage) deps.io.out('apply it node by node with: bosctl apply-staged NODES\n');
    }
  });
}

/** xname → session, as session → its xnames. */
function bySession(m: Record<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [x, s] of Object.entries(m)) out.set(s, [...(out.get(s) ?? []), x]);
  return out;
}

/** What happened to the nodes' staged states: one line per session. */
function stageLines(r: RollbackResult, dryRun: boolean): string {
  let out = '';
  for (const [s, xs] of bySession(r.unstaged ?? {})) {
    const what = `staged state of session ${s}`;
    out += `${dryRun ? `would clear the ${what}` : `${what} cleared`} on ${xs.length} node(s): ${compressHostlist(xs)}\n`;
  }
  for (const [s, xs] of bySession(r.kept_stage ?? {})) {
    out += `${dryRun ? 'would keep' : 'kept'} the staged state of session ${s} (not the session rolled back from) on ${xs.length} node(s): ${compressHostlist(xs)}; their next apply-staged applies it\n`;
  }
  return out;
}
