import { hostname } from 'node:os';
import { Command } from 'commander';
import { compressHostlist } from '../../core/hostlist.js';
import type { ApplyStagedReport } from '../../services/apply-staged.js';
import type { CliDeps, RunDeps } from '../context.js';
import { CommandFailed } from '../exit.js';
import type { OutputFormat } from '../output/format.js';
import { printResult } from '../output/result.js';
import { paintStatus } from '../output/views.js';
import { renderPlan } from '../output/plan.js';

export interface ApplyStagedOptions {
  /** As given: names, comma lists, hostlists; "-" reads them from stdin. */
  nodes: string[];
  self: boolean;
  strict: boolean;
  force: boolean;
  dryRun: boolean;
}

/** This host's names, most specific first: the full name, then the short one. */
export function selfNames(): string[] {
  const full = hostname();
  const short = full.split('.')[0];
  return full === short ? [full] : [full, short];
}

export function register(program: Command, deps: CliDeps): void {
  define(program, deps);
}

export function define(parent: Command, deps: CliDeps, run = runApplyStaged): Command {
  return parent
    .command('apply-staged')
    .description('make the staged state of nodes their desired state, so bosd reboots them into it')
    .argument('[nodes...]', 'xnames, nids or hostnames: single, comma-separated or hostlists; "-" reads them from stdin')
    .option('--self', 'apply the staged state of this host (slurmd mode of RebootProgram)')
    .option('--strict', 'exit 1 when any node is ignored (unknown, or nothing staged)')
    .option('--force', 'reboot nodes that already run their staged state too (by default they are left alone)')
    .option('--dry-run', 'print what would happen to each node and write nothing')
    .addHelpText('after', `
Examples:
  bosctl apply-staged nid[000001-000004]
  bosctl apply-staged x1000c0s0b0n0,x1000c0s0b0n1 nid000010
  scontrol show hostnames nid[001-064] | bosctl apply-staged -
  bosctl apply-staged --self

Prints which nodes succeeded, failed and were ignored. Failed nodes exit 1;
ignored ones are warnings unless --strict. No nodes is an error, never "all nodes".`)
    .action(async (nodes: string[], o: { self?: boolean; strict?: boolean; force?: boolean; dryRun?: boolean }, cmd: Command) => {
      await run({ nodes, self: o.self === true, strict: o.strict === true, force: o.force === true, dryRun: o.dryRun === true }, deps.forCommand(cmd));
    });
}

export async function runApplyStaged(opts: ApplyStagedOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const args: string[] = [];
  for (const n of opts.nodes) {
    if (n === '-') args.push(...(await deps.io.readStdin()).split(/\s+/).filter(Boolean));
    else args.push(n);
  }
  // Slurm names nodes by their short host name.
  if (opts.self) args.push(selfNames().at(-1)!);
  const backend = await deps.backend();
  const report = await backend.applyStaged(args, { skipCurrent: !opts.force, dryRun: opts.dryRun });
  if (opts.dryRun) {
    await printResult(deps.io, g.output, { dry_run: true, succeeded: report.succeeded, failed: report.failed, ignored: report.ignored, reasons: report.reasons, plan: report.plan ?? [] }, async () => {
      const p = await deps.io.paint();
      deps.io.out(`dry run: nothing written. ${report.succeeded.length} would succeed, ${report.failed.length} would fail, ${report.ignored.length} would be ignored\n`);
      deps.io.out(renderPlan(report.plan ?? [], p));
      for (const x of [...report.failed, ...report.ignored]) deps.io.out(`  ${x}: ${report.reasons[x] ?? ''}\n`);
    });
    return;
  }
  await printReport(report, g.output, g.quiet, deps);
  const p = await deps.io.paint();
  for (const x of report.failed) deps.io.err(`bosctl: ${p.red('failed')} ${x}: ${report.reasons[x] ?? 'unknown reason'}\n`);
  const current = report.succeeded.filter((x) => report.reasons[x]);
  if (current.length > 0 && !g.quiet) deps.io.err(`bosctl: already current, not rebooted: ${compressHostlist(current)} (--force reboots them)\n`);
  for (const x of report.ignored) deps.io.err(`bosctl: ${p.yellow('ignored')} ${x}: ${report.reasons[x] ?? 'nothing staged'}\n`);
  if (report.failed.length > 0) {
    throw new CommandFailed('BOS_APPLY_STAGED_FAILED', `${report.failed.length} of ${report.succeeded.length + report.failed.length + report.ignored.length} node(s) failed`);
  }
  if (opts.strict && report.ignored.length > 0) {
    throw new CommandFailed('BOS_APPLY_STAGED_IGNORED', `${report.ignored.length} node(s) ignored and --strict was given`);
  }
}

async function printReport(r: ApplyStagedReport, format: OutputFormat, quiet: boolean, deps: Pick<RunDeps, 'io'>): Promise<void> {
  const bos = { succeeded: r.succeeded, failed: r.failed, ignored: r.ignored };
  await printResult(deps.io, format, bos, async () => {
    if (format === 'name') {
      for (const x of r.succeeded) deps.io.out(x + '\n');
      return;
    }
    if (quiet) return;
    const p = await deps.io.paint();
    for (const verdict of ['succeeded', 'failed', 'ignored'] as const) {
      const list = bos[verdict];
      deps.io.out(`${paintStatus(verdict, p)}: ${list.length}${list.length ? `  ${compressHostlist(list)}` : ''}\n`);
    }
  });
}
