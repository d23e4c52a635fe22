import { Command, Option } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { bosError, isBosError } from '../../core/errors.js';
import { DEFAULT_CONFIGURE_ALLOWANCE, rebootProgramPath, slurmConfig } from '../../services/slurm-config.js';
import { prepareRebootStaged, rebootStagedData, sendRebootBatches } from '../../services/slurm-reboot-staged.js';
import { rebootProgramFailure, runRebootProgram } from '../../services/slurm-reboot-program.js';
import type { CliDeps, RunDeps } from '../context.js';
import { CommandFailed } from '../exit.js';
import { isDataFormat, printResult } from '../output/result.js';
import { renderSlurmConfig } from '../output/slurm-config.js';
import { selfNames } from './apply-staged.js';

/**
 * The Slurm glue (DESIGN.md §9): the slurm.conf lines, the RebootProgram's own command, and
 * one command that asks Slurm to reboot every node a staged session staged. The work is in
 * src/services/slurm-*.ts; these only read flags and print.
 */

function positiveInt(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max) {
      throw bosError('BOS_VALUE_INVALID', `invalid ${name} "${v}": expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** A duration flag in seconds (bare numbers are seconds, as they always were). */
function seconds(name: string, maxSeconds: number, fractions = false) {
  return (v: string): number => parseDuration(v, { name, bare: 's', min: 0, fractions, max: maxSeconds * 1000, expected: `a duration from 0 to ${maxSeconds}s, e.g. 90s or 10m (a bare number is seconds)` }) / 1000;
}

export interface ConfigOptions { configureAllowance: number; rebootProgram?: string }
export interface RebootStagedOptions { session: string; batch?: number; reason?: string; dryRun: boolean; scontrol: string; includeApplied: boolean }
export interface RebootProgramOptions { nodes: string[]; self: boolean; attempts: number; retryDelay: number; setReason: boolean; scontrol: string }

export function register(program: Command, deps: CliDeps): void {
  const slurm = program.command('slurm')
    .description('Slurm glue: slurm.conf lines, the RebootProgram, and rebooting a staged session\'s nodes through Slurm')
    .addHelpText('after', `
Examples:
  bosctl slurm config > bosctl-slurm.conf     # then merge it into slurm.conf
  bosctl slurm reboot-staged --session compute-v2-rollout --dry-run
  bosctl slurm reboot-staged --session compute-v2-rollout --batch 64`);
  defineConfig(slurm, deps);
  defineRebootStaged(slurm, deps);
  defineRebootProgram(slurm, deps);
}

export function defineConfig(parent: Command, deps: CliDeps, run = runConfig): Command {
  return parent.command('config')
    .description('print the slurm.conf lines to add: RebootProgram, SlurmctldParameters and a ResumeTimeout computed from the options')
    .addOption(new Option('--configure-allowance <duration>', 'time allowed for configuration (CFS) after the boot (10m, 900s; a bare number is seconds)').argParser(seconds('--configure-allowance', 86400)).default(DEFAULT_CONFIGURE_ALLOWANCE, '10m'))
    .option('--reboot-program <path>', 'where the reboot program is installed on the Slurm controller (default: this installation\'s contrib/slurm/bosctl-reboot)')
    .addHelpText('after', `
ResumeTimeout = max_power_off_wait_time + max_boot_wait_time + the configuration
allowance, rounded up to whole minutes. -o json prints the values.

Examples:
  bosctl slurm config
  bosctl slurm config --configure-allowance 15m -o json`)
    .action(async (o: { configureAllowance: number; rebootProgram?: string }, cmd: Command) => {
      await run({ configureAllowance: o.configureAllowance, ...(o.rebootProgram !== undefined ? { rebootProgram: o.rebootProgram } : {}) }, deps.forCommand(cmd));
    });
}

export async function runConfig(o: ConfigOptions, deps: RunDeps): Promise<void> {
  if (o.rebootProgram !== undefined && !o.rebootProgram.startsWith('/')) {
    throw bosError('BOS_VALUE_INVALID', `--reboot-program "${o.rebootProgram}" is not an absolute path: Slurm needs one, e.g. /usr/lib/node_modules/bosctl/contrib/slurm/bosctl-reboot`);
  }
  const options = await (await deps.backend()).getOptions();
  const c = slurmConfig(options, o.configureAllowance, o.rebootProgram ?? rebootProgramPath());
  await printResult(deps.io, deps.globals.output, c, () => deps.io.out(renderSlurmConfig(c)));
}

export function defineRebootStaged(parent: Command, deps: CliDeps, run = runRebootStaged): Command {
  return parent.command('reboot-staged')
    .description('ask Slurm to reboot, as each becomes idle, every node a staged session staged (scontrol reboot ASAP nextstate=resume)')
    .requiredOption('--session <name>', 'the staged session')
    .addOption(new Option('--batch <n>', 'nodes per scontrol call (default: all in one call)').argParser(positiveInt('--batch', 1, 1_000_000)))
    .option('--reason <text>', 'the reason Slurm shows for the drained nodes (default: "bosctl session NAME")')
    .option('--dry-run', 'print the scontrol command lines only')
    .option('--include-applied', 'include nodes whose staged state this session already applied (rebooted or rebooting)')
    .option('--scontrol <path>', 'the scontrol program', 'scontrol')
    .addHelpText('after', `
Nodes are named to Slurm by their inventory hostname (short form). Nodes whose staged
state the session already applied are left out unless --include-applied. Batches only
split the scontrol calls: every node is drained at once and reboots when its jobs end.
scontrol reads SLURM_CONF from the environment as usual.

Examples:
  bosctl slurm reboot-staged --session compute-v2-rollout --dry-run
  bosctl slurm reboot-staged --session compute-v2-rollout --batch 64 --reason "image v2"`)
    .action(async (o: { session: string; batch?: number; reason?: string; dryRun?: boolean; scontrol: string; includeApplied?: boolean }, cmd: Command) => {
      await run({
        session: o.session, scontrol: o.scontrol, dryRun: o.dryRun === true, includeApplied: o.includeApplied === true,
        ...(o.batch !== undefined ? { batch: o.batch } : {}), ...(o.reason !== undefined ? { reason: o.reason } : {}),
      }, deps.forCommand(cmd));
    });
}

export async function runRebootStaged(o: RebootStagedOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const { plan, lines, notes } = await prepareRebootStaged(() => deps.backend(), o);
  const say = (line: string) => { if (!g.quiet) deps.io.err(`bosctl: ${line}\n`); };
  const nothingLeft = `no node of session ${o.session} is left to reboot`;
  if (o.dryRun) {
    await printResult(deps.io, g.output, rebootStagedData(plan, o.scontrol, true, 0), () => {
      for (const l of lines) deps.io.out(l + '\n');
      for (const n of notes) say(n);
      if (plan.batches.length === 0) say(nothingLeft);
    });
    return;
  }
  if (plan.unnamed.length) {
    throw bosError('BOS_VALUE_INVALID', notes.at(-1)!, 'give those nodes a hostname (their Slurm NodeName) in the inventory and import it again');
  }
  for (const n of notes) say(n);
  if (plan.batches.length === 0) {
    await printResult(deps.io, g.output, rebootStagedData(plan, o.scontrol, false, 0), () => say(nothingLeft));
    return;
  }
  const data = isDataFormat(g.output);
  let sent: number;
  try {
    sent = await sendRebootBatches(plan, o.scontrol, deps.env, (b, i) => {
      if (!data && !g.quiet) {
        deps.io.out(`${b.hostlist}: Slurm reboots ${b.nodes.length === 1 ? 'it' : `these ${b.nodes.length} nodes`} as soon as idle${plan.batches.length > 1 ? ` (batch ${i + 1} of ${plan.batches.length})` : ''}\n`);
      }
    });
  } catch (e) {
    if (isBosError(e) && e.code === 'BOS_SCONTROL_FAILED') throw new CommandFailed(e.code, e.message);
    throw e;
  }
  await printResult(deps.io, g.output, rebootStagedData(plan, o.scontrol, false, sent), () => {
    if (g.output !== 'name') say(`follow the rollout with "bosctl session status ${o.session}" and "sinfo -R"`);
  });
}

export function defineRebootProgram(parent: Command, deps: CliDeps, run = runRebootProgramCommand): Command {
  return parent.command('reboot-program')
    .description('what Slurm\'s RebootProgram (contrib/slurm/bosctl-reboot) runs: apply-staged for Slurm\'s nodes, retrying while bosd is unreachable')
    .argument('[nodes...]', 'the node list slurmctld passes (reboot_from_controller): names, comma lists or hostlists')
    .option('--self', 'this host\'s node (slurmd runs the RebootProgram on the node, with no arguments)')
    .addOption(new Option('--attempts <n>', 'tries to reach bosd').argParser(positiveInt('--attempts', 1, 100)).default(5))
    .addOption(new Option('--retry-delay <duration>', 'wait after the first failed try; each wait is one such step longer (2s, 500ms; a bare number is seconds)').argParser(seconds('--retry-delay', 600, true)).default(2, '2s'))
    .option('--set-reason', 'set the Slurm reason of each node that was not applied to what to run next (scontrol update nodename=N reason=...)')
    .option('--scontrol <path>', 'the scontrol program, for --set-reason', 'scontrol')
    .addHelpText('after', `
Unlike apply-staged, every node Slurm names is rebooted (also one already running its
staged state: Slurm waits for the reboot), and a node bosd ignores (unknown, nothing
staged) exits 1 too: Slurm would wait ResumeTimeout for it and then mark it DOWN.
Events record the command as "bosctl slurm reboot-program".
Exit codes: 0 every node will be rebooted, 1 some node failed or was ignored, or bosd
could not be reached, 2 bad input (e.g. an empty node list).

Examples:
  bosctl slurm reboot-program nid000001,nid000004
  bosctl slurm reboot-program --self`)
    .action(async (nodes: string[], o: { self?: boolean; attempts: number; retryDelay: number; setReason?: boolean; scontrol: string }, cmd: Command) => {
      await run({ nodes, self: o.self === true, attempts: o.attempts, retryDelay: o.retryDelay, setReason: o.setReason === true, scontrol: o.scontrol }, deps.forCommand(cmd));
    });
}

export async function runRebootProgramCommand(o: RebootProgramOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  if (o.self && o.nodes.length > 0) throw bosError('BOS_USAGE', 'give either node names (controller mode) or --self (slurmd mode), not both');
  if (!o.self && o.nodes.length === 0) {
    throw bosError('BOS_NO_NODES', 'no nodes given: slurmctld passes the node list as the first argument; with no argument (slurmd mode) pass --self; never "all nodes"');
  }
  if (!o.self && o.nodes.every((n) => n.trim() === '')) {
    throw bosError('BOS_NO_NODES', 'the node list is empty: Slurm passed an empty argument; nothing was applied');
  }
  if (o.scontrol.trim() === '') throw bosError('BOS_VALUE_INVALID', '--scontrol is empty: give the scontrol program\'s path, or leave --scontrol out');
  const data = isDataFormat(g.output);
  const res = await runRebootProgram(
    { args: o.self ? [selfNames().at(-1)!] : o.nodes, self: o.self, attempts: o.attempts, retryDelay: o.retryDelay, setReason: o.setReason, scontrol: o.scontrol },
    {
      backend: () => deps.backend(), env: deps.env,
      log: (line) => { if (!data) deps.io.out(line + '\n'); },
      warn: (line) => deps.io.err(`bosctl: ${line}\n`),
    },
  );
  const { report, bad, nameOf } = res;
  if (data) {
    await printResult(deps.io, g.output, {
      succeeded: report.succeeded, failed: report.failed, ignored: report.ignored, reasons: report.reasons,
      slurm_names: Object.fromEntries(bad.map((x) => [x, nameOf(x)])),
    }, () => {});
  }
  const failure = rebootProgramFailure(res);
  if (failure !== undefined) throw new CommandFailed('BOS_SLURM_NODES_FAILED', failure);
}
