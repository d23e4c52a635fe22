import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { bosError, isBosError } from '../../core/errors.js';
import { compareNatural, compressHostlist, expandHostlist } from '../../core/hostlist.js';
import type { Options } from '../../core/options.js';
import type { Component, InventoryNode } from '../../core/types.js';
import type { ApplyStagedReport } from '../../services/apply-staged.js';
import type { CliDeps } from '../context.js';
import { globalsOf } from '../context.js';
import { CommandFailed } from '../exit.js';
import { printData } from '../output/format.js';
import { selfNames } from './apply-staged.js';

/**
 * The Slurm glue (DESIGN.md §9): the slurm.conf lines, the RebootProgram's own command, and
 * one command that asks Slurm to reboot every node a staged session staged.
 */

/** contrib/slurm/bosctl-reboot of this installation (src/ and dist/ sit at the same depth). */
export function rebootProgramPath(): string {
  return fileURLToPath(new URL('../../../contrib/slurm/bosctl-reboot', import.meta.url));
}

/** Seconds allowed for configuration after the boot, unless --configure-allowance says otherwise. */
export const DEFAULT_CONFIGURE_ALLOWANCE = 600;

export interface ResumeTimeoutParts {
  max_power_off_wait_time: number;
  max_boot_wait_time: number;
  configure_allowance: number;
  /** The sum, rounded up to whole minutes: what ResumeTimeout is set to. */
  resume_timeout: number;
}

/**
 * How long Slurm must wait for a rebooted node: the graceful power-off may take up to
 * max_power_off_wait_time before it is forced, the node then has max_boot_wait_time from
 * power-on to report its boot, and configuration (CFS) runs after that.
 */
export function resumeTimeout(o: Pick<Options, 'max_power_off_wait_time' | 'max_boot_wait_time'>, allowance = DEFAULT_CONFIGURE_ALLOWANCE): ResumeTimeoutParts {
  const sum = o.max_power_off_wait_time + o.max_boot_wait_time + allowance;
  return {
    max_power_off_wait_time: o.max_power_off_wait_time,
    max_boot_wait_time: o.max_boot_wait_time,
    configure_allowance: allowance,
    resume_timeout: Math.max(60, Math.ceil(sum / 60) * 60),
  };
}

export interface SlurmConfig {
  RebootProgram: string;
  SlurmctldParameters: string;
  ResumeTimeout: number;
  resume_timeout: ResumeTimeoutParts;
  reboot_program_exists: boolean;
}

export function slurmConfig(o: Options, allowance: number, program = rebootProgramPath()): SlurmConfig {
  return {
    RebootProgram: program,
    SlurmctldParameters: 'reboot_from_controller',
    ResumeTimeout: resumeTimeout(o, allowance).resume_timeout,
    resume_timeout: resumeTimeout(o, allowance),
    reboot_program_exists: existsSync(program),
  };
}

export function renderSlurmConfig(c: SlurmConfig): string {
  const r = c.resume_timeout;
  const sum = r.max_power_off_wait_time + r.max_boot_wait_time + r.configure_allowance;
  return [
    '# Rolling upgrades with bosctl staged sessions: add these lines to slurm.conf, then run',
    '# "scontrol reconfigure". See bosctl-slurm(1) and docs/slurm.md.',
    '#',
    '# When a node drained by "scontrol reboot ASAP nextstate=resume" is idle, Slurm runs this',
    '# program; it calls "bosctl slurm reboot-program" (apply-staged), and bosd reboots the node',
    '# into its staged image. Its log: /var/log/bosctl-reboot.log; its settings (server,',
    '# token_file, log, ...): bosctl-reboot.conf next to slurm.conf.',
    ...(c.reboot_program_exists ? [] : [`# WARNING: ${c.RebootProgram} does not exist on this host: install bosctl here or give --reboot-program.`]),
    `RebootProgram=${c.RebootProgram}`,
    '#',
    '# slurmctld runs the program once per batch with the node list as its argument (as',
    '# SlurmUser), instead of slurmd running it on each node. If SlurmctldParameters is set',
    '# already, add reboot_from_controller to its comma-separated list.',
    `SlurmctldParameters=${c.SlurmctldParameters}`,
    '#',
    '# A rebooting node must be back (slurmd started) within ResumeTimeout, else Slurm marks it',
    '# DOWN. bosd may wait max_power_off_wait_time before forcing the power off and',
    '# max_boot_wait_time for the boot; configuration (CFS) follows:',
    `#   ${r.max_power_off_wait_time} s + ${r.max_boot_wait_time} s + ${r.configure_allowance} s configuration allowance = ${sum} s, rounded up to whole minutes.`,
    '# Run "bosctl slurm config" again after changing those options.',
    `ResumeTimeout=${c.ResumeTimeout}`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------
// reboot-staged

export interface RebootBatch {
  hostlist: string;
  nodes: string[];
  /** scontrol's arguments (after the program). */
  args: string[];
}

export interface RebootStagedPlan {
  session: string;
  /** Slurm node names still to reboot, in natural order. */
  nodes: string[];
  /** xnames whose staged state this session already applied (skipped unless --include-applied). */
  applied: string[];
  /** xnames with no hostname in the inventory: Slurm cannot be asked about them. */
  unnamed: string[];
  batches: RebootBatch[];
}

export function scontrolRebootArgs(hostlist: string, reason: string): string[] {
  return ['reboot', 'ASAP', 'nextstate=resume', `reason=${reason}`, hostlist];
}

export function planRebootStaged(
  session: string, components: Component[], inventory: InventoryNode[],
  o: { batch?: number; reason: string; includeApplied?: boolean },
): RebootStagedPlan {
  const hostOf = new Map(inventory.map((n) => [n.xname, n.hostname]));
  const staged = components.filter((c) => c.staged_state.session === session);
  const applied = staged.filter((c) => c.session === session).map((c) => c.id);
  const todo = o.includeApplied ? staged : staged.filter((c) => c.session !== session);
  const unnamed: string[] = [];
  const nodes: string[] = [];
  for (const c of todo) {
    const h = hostOf.get(c.id);
    if (h) nodes.push(h.split('.')[0]);
    else unnamed.push(c.id);
  }
  nodes.sort(compareNatural);
  const size = o.batch && o.batch > 0 ? o.batch : Math.max(1, nodes.length);
  const batches: RebootBatch[] = [];
  for (let i = 0; i < nodes.length; i += size) {
    const part = nodes.slice(i, i + size);
    const hostlist = compressHostlist(part);
    batches.push({ hostlist, nodes: part, args: scontrolRebootArgs(hostlist, o.reason) });
  }
  return { session, nodes, applied: o.includeApplied ? [] : applied, unnamed, batches };
}

/** A word as a POSIX shell needs it to come back unchanged (KEY="VALUE" as scontrol users write it). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  const key = /^[A-Za-z_][A-Za-z0-9_]*=/.exec(word)?.[0];
  const rest = key ? word.slice(key.length) : word;
  const doubleOk = !/[\\$`!"]/.test(rest);
  if (key && doubleOk) return `${key}"${rest}"`;
  if (!word.includes("'")) return `'${word}'`;
  if (doubleOk) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(program: string, args: string[]): string {
  return [program, ...args].map(shellQuote).join(' ');
}

interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs scontrol; a program that cannot be started becomes one clear error. */
function runScontrol(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

// ---------------------------------------------------------------------------------------
// reboot-program

/** Errors worth another attempt: bosd (or its database) not reachable right now. */
export function isRetryable(e: unknown): boolean {
  if (isBosError(e)) return e.code === 'BOS_SERVER_UNREACHABLE' || e.code === 'BOS_DB_BUSY';
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = String(err?.code ?? err?.cause?.code ?? '');
  return /^(ECONNREFUSED|ECONNRESET|ENOENT|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN|EPIPE|UND_ERR_[A-Z_]+)$/.test(code);
}

/** The first line of an error, without the client's own count of quick retries. */
function tryMessage(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0].replace(/ \(\d+ attempts\)$/, '');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function positiveInt(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max) {
      throw bosError('BOS_VALUE_INVALID', `invalid ${name} "${v}": expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function nonNegativeNumber(name: string, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) {
      throw bosError('BOS_VALUE_INVALID', `invalid ${name} "${v}": expected a number of seconds from 0 to ${max}`);
    }
    return n;
  };
}

interface ConfigFlags { configureAllowance: number; rebootProgram?: string }
interface RebootStagedFlags { session: string; batch?: number; reason?: string; dryRun?: boolean; scontrol: string; includeApplied?: boolean }
interface RebootProgramFlags { self?: boolean; attempts: number; retryDelay: number; setReason?: boolean; scontrol: string }

export function register(program: Command, deps: CliDeps): void {
  const slurm = program.command('slurm')
    .description('Slurm glue: slurm.conf lines, the RebootProgram, and rebooting a staged session\'s nodes through Slurm')
    .addHelpText('after', `
Examples:
  bosctl slurm config > bosctl-slurm.conf     # then merge it into slurm.conf
  bosctl slurm reboot-staged --session compute-v2-rollout --dry-run
  bosctl slurm reboot-staged --session compute-v2-rollout --batch 64`);

  slurm.command('config')
    .description('print the slurm.conf lines to add: RebootProgram, SlurmctldParameters and a ResumeTimeout computed from the options')
    .addOption(new Option('--configure-allowance <seconds>', 'seconds allowed for configuration (CFS) after the boot').argParser(positiveInt('--configure-allowance', 0, 86400)).default(DEFAULT_CONFIGURE_ALLOWANCE))
    .option('--reboot-program <path>', 'where the reboot program is installed on the Slurm controller (default: this installation\'s contrib/slurm/bosctl-reboot)')
    .addHelpText('after', `
ResumeTimeout = max_power_off_wait_time + max_boot_wait_time + the configuration
allowance, rounded up to whole minutes. -o json prints the values.

Examples:
  bosctl slurm config
  bosctl slurm config --configure-allowance 900 -o json`)
    .action(async (o: ConfigFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      if (o.rebootProgram !== undefined && !o.rebootProgram.startsWith('/')) {
        throw bosError('BOS_VALUE_INVALID', `--reboot-program "${o.rebootProgram}" is not an absolute path: Slurm needs one, e.g. /usr/lib/node_modules/bosctl/contrib/slurm/bosctl-reboot`);
      }
      const options = await (await deps.backend(cmd)).getOptions();
      const c = slurmConfig(options, o.configureAllowance, o.rebootProgram ?? rebootProgramPath());
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, c);
      deps.io.out(renderSlurmConfig(c));
    });

  slurm.command('reboot-staged')
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
    .action(async (o: RebootStagedFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      if (o.session.trim() === '') throw bosError('BOS_VALUE_INVALID', '--session is empty: give the staged session\'s name (bosctl session list)');
      if (o.scontrol.trim() === '') throw bosError('BOS_VALUE_INVALID', '--scontrol is empty: give the scontrol program\'s path, or leave --scontrol out');
      const reason = o.reason ?? `bosctl session ${o.session}`;
      if (reason.trim() === '' || /[\r\n]/.test(reason)) throw bosError('BOS_VALUE_INVALID', '--reason must be one non-empty line');
      const backend = await deps.backend(cmd);
      const session = await backend.getSession(o.session);
      if (!session.stage) {
        throw bosError('BOS_VALUE_INVALID', `session ${o.session} is not a staged session: its nodes were given their desired state when it was created`,
          'create a staged session with "bosctl session create --template T --operation reboot --stage"');
      }
      const [components, inventory] = await Promise.all([backend.listComponents({ staged_session: o.session }), backend.listInventory()]);
      const plan = planRebootStaged(o.session, components, inventory, { batch: o.batch, reason, includeApplied: o.includeApplied });
      const lines = plan.batches.map((b) => commandLine(o.scontrol, b.args));
      const notes: string[] = [];
      if (plan.applied.length) notes.push(`${plan.applied.length} node(s) already applied by this session, left out: ${compressHostlist(plan.applied)} (--include-applied adds them)`);
      if (plan.unnamed.length) notes.push(`${plan.unnamed.length} node(s) have no hostname in the inventory, so Slurm cannot name them: ${compressHostlist(plan.unnamed)}`);

      const asData = (sent: number) => ({
        session: o.session, dry_run: o.dryRun === true, nodes: plan.nodes, applied: plan.applied, unnamed: plan.unnamed,
        batches: plan.batches.map((b, i) => ({ hostlist: b.hostlist, nodes: b.nodes.length, command: [o.scontrol, ...b.args], sent: i < sent })),
      });
      if (o.dryRun) {
        if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, asData(0));
        for (const l of lines) deps.io.out(l + '\n');
        if (!g.quiet) for (const n of notes) deps.io.err(`bosctl: ${n}\n`);
        if (plan.batches.length === 0 && !g.quiet) deps.io.err(`bosctl: no node of session ${o.session} is left to reboot\n`);
        return;
      }
      if (plan.unnamed.length) {
        throw bosError('BOS_VALUE_INVALID', notes.at(-1)!, 'give those nodes a hostname (their Slurm NodeName) in the inventory and import it again');
      }
      for (const n of notes) if (!g.quiet) deps.io.err(`bosctl: ${n}\n`);
      if (plan.batches.length === 0) {
        if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, asData(0));
        if (!g.quiet) deps.io.err(`bosctl: no node of session ${o.session} is left to reboot\n`);
        return;
      }
      let sent = 0;
      for (const [i, b] of plan.batches.entries()) {
        let r: Ran;
        const where = plan.batches.length > 1 ? ` (batch ${i + 1} of ${plan.batches.length}; ${sent === 0 ? 'none was sent' : sent === 1 ? 'batch 1 was sent' : `batches 1-${sent} were sent`})` : '';
        try {
          r = await runScontrol(o.scontrol, b.args, deps.env);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') throw new CommandFailed(`scontrol not found ("${o.scontrol}"): install Slurm's client commands (slurm-client) or give --scontrol PATH${where}`);
          if (code === 'EACCES') throw new CommandFailed(`cannot run ${o.scontrol}: permission denied${where}`);
          throw new CommandFailed(`cannot run ${o.scontrol}: ${(e as Error).message}${where}`);
        }
        if (r.code !== 0) {
          const why = firstLine(r.stderr) || firstLine(r.stdout) || (r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`);
          throw new CommandFailed(`scontrol refused to reboot ${b.hostlist}: ${why}${where}`);
        }
        sent++;
        if (g.output !== 'json' && g.output !== 'yaml' && !g.quiet) {
          deps.io.out(`${b.hostlist}: Slurm reboots ${b.nodes.length === 1 ? 'it' : `these ${b.nodes.length} nodes`} as soon as idle${plan.batches.length > 1 ? ` (batch ${i + 1} of ${plan.batches.length})` : ''}\n`);
        }
      }
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, asData(sent));
      if (g.output === 'name') return;
      if (!g.quiet) deps.io.err(`bosctl: follow the rollout with "bosctl session status ${o.session}" and "sinfo -R"\n`);
    });

  slurm.command('reboot-program')
    .description('what Slurm\'s RebootProgram (contrib/slurm/bosctl-reboot) runs: apply-staged for Slurm\'s nodes, retrying while bosd is unreachable')
    .argument('[nodes...]', 'the node list slurmctld passes (reboot_from_controller): names, comma lists or hostlists')
    .option('--self', 'this host\'s node (slurmd runs the RebootProgram on the node, with no arguments)')
    .addOption(new Option('--attempts <n>', 'tries to reach bosd').argParser(positiveInt('--attempts', 1, 100)).default(5))
    .addOption(new Option('--retry-delay <seconds>', 'wait after the first failed try; each wait is one such step longer').argParser(nonNegativeNumber('--retry-delay', 600)).default(2))
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
    .action(async (nodes: string[], o: RebootProgramFlags, cmd: Command) => {
      await runRebootProgram(nodes, o, cmd, deps);
    });
}

async function runRebootProgram(nodes: string[], o: RebootProgramFlags, cmd: Command, deps: CliDeps): Promise<void> {
  const g = globalsOf(cmd);
  const out = (line: string) => { if (g.output !== 'json' && g.output !== 'yaml') deps.io.out(line + '\n'); };
  if (o.self && nodes.length > 0) throw bosError('BOS_USAGE', 'give either node names (controller mode) or --self (slurmd mode), not both');
  if (!o.self && nodes.length === 0) {
    throw bosError('BOS_NO_NODES', 'no nodes given: slurmctld passes the node list as the first argument; with no argument (slurmd mode) pass --self; never "all nodes"');
  }
  if (!o.self && nodes.every((n) => n.trim() === '')) {
    throw bosError('BOS_NO_NODES', 'the node list is empty: Slurm passed an empty argument; nothing was applied');
  }
  if (o.scontrol.trim() === '') throw bosError('BOS_VALUE_INVALID', '--scontrol is empty: give the scontrol program\'s path, or leave --scontrol out');
  const args = o.self ? [selfNames().at(-1)!] : nodes;
  // Slurm's own names for the nodes, in its order: what the log and the retry advice use.
  const slurmNames = uniqueNames(args);
  const slurm = new SlurmNotes(o, deps, out);
  out(o.self ? `slurmd mode: applying the staged state of this host, ${args[0]}` : `controller mode: applying the staged state of ${args.join(' ')}`);
  const backend = await deps.backend(cmd);
  let report: ApplyStagedReport | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      // Slurm asked for a reboot and waits for it: reboot even nodes that already run their stage.
      report = await backend.applyStaged(args, { skipCurrent: false });
      break;
    } catch (e) {
      if (!isRetryable(e) || attempt >= o.attempts) {
        const unreachable = isRetryable(e);
        const why = unreachable ? 'bosd unreachable' : isBosError(e) && (e.code === 'BOS_UNAUTHORIZED' || e.code === 'BOS_FORBIDDEN') ? 'bosd refused the token' : `error ${isBosError(e) ? e.code : (e as Error).name}`;
        const retry = retryCommand(slurmNames);
        out(`nothing was applied to ${compressHostlist(slurmNames)}: ${why}; ${unreachable ? 'when bosd answers again' : 'once that is fixed'}, retry with: ${retry}`);
        await slurm.setReason(slurmNames, `${why}, nothing applied; retry: ${retry}`);
        if (isRetryable(e) && o.attempts > 1 && isBosError(e)) {
          throw bosError(e.code, `${tryMessage(e)}; gave up after ${attempt} tries`, e.hint);
        }
        throw e;
      }
      const wait = Math.round(o.retryDelay * attempt * 1000) / 1000;
      deps.io.err(`bosctl: try ${attempt} of ${o.attempts}: ${tryMessage(e)}; trying again in ${wait} s\n`);
      await sleep(wait * 1000);
    }
  }
  const bad = [...report.failed, ...report.ignored];
  // Every node applied: Slurm's names are the answer as they stand (no inventory read).
  const allApplied = bad.length === 0 && report.succeeded.length === slurmNames.length;
  const nameOf = allApplied ? (x: string) => x : await slurmNamer(slurmNames, backend);
  const succeededNames = allApplied ? slurmNames : report.succeeded.map(nameOf);
  if (g.output === 'json' || g.output === 'yaml') {
    await printData(deps.io, g.output, {
      succeeded: report.succeeded, failed: report.failed, ignored: report.ignored, reasons: report.reasons,
      slurm_names: Object.fromEntries(bad.map((x) => [x, nameOf(x)])),
    });
  } else {
    if (report.succeeded.length) out(`succeeded ${report.succeeded.length}: ${compressHostlist(succeededNames)}: bosd reboots them into their staged state`);
    for (const x of report.failed) out(`failed ${named(x, nameOf)}: ${report.reasons[x] ?? 'unknown reason'}: fix it, then retry with: ${retryCommand([nameOf(x)])}`);
    for (const x of report.ignored) out(`ignored ${named(x, nameOf)}: ${report.reasons[x] ?? 'nothing staged'}: bosd does not reboot it; ${adviceFor(report.reasons[x], nameOf(x))}`);
  }
  // One Slurm reason per kind of trouble, on those nodes.
  const groups = new Map<string, string[]>();
  for (const x of bad) {
    const why = report.reasons[x] ?? 'not applied';
    const key = `${report.failed.includes(x) ? 'failed' : 'ignored'}: ${why}`;
    groups.set(key, [...(groups.get(key) ?? []), nameOf(x)]);
  }
  for (const [why, names] of groups) {
    await slurm.setReason(names, `${why}; ${why.startsWith('ignored: nothing is staged') ? `return it as it is: scontrol update nodename=${compressHostlist(names)} state=resume` : `fix it, then retry: ${retryCommand(names)}`}`);
  }
  if (bad.length > 0) {
    const total = report.succeeded.length + bad.length;
    const parts = [report.failed.length ? `${report.failed.length} failed` : '', report.ignored.length ? `${report.ignored.length} ignored` : ''].filter(Boolean).join(', ');
    throw new CommandFailed(`${parts} of ${total} node(s) (${compressHostlist(bad.map(nameOf))}): Slurm waits ResumeTimeout for them, then marks them DOWN; see the lines above for what to run`);
  }
}

/**
 * The retry that works for a node whose reboot request was not handed to bosd: Slurm ignores
 * another reboot request while the node is REBOOT_ISSUED, so it is resumed first (nothing
 * reboots it meanwhile), then asked for again (docs/slurm.md, proven by real-slurm.test.ts).
 */
export function retryCommand(names: string[]): string {
  const h = compressHostlist(names);
  return `scontrol update nodename=${h} state=resume && scontrol reboot ASAP nextstate=resume ${h}`;
}

function adviceFor(reason: string | undefined, name: string): string {
  if (reason?.startsWith('nothing is staged')) return `return it as it is: scontrol update nodename=${name} state=resume`;
  if (reason?.startsWith('not a known node')) return `add it to bosctl's inventory, then retry with: ${retryCommand([name])}`;
  return `retry with: ${retryCommand([name])}`;
}

function named(xname: string, nameOf: (x: string) => string): string {
  const n = nameOf(xname);
  return n === xname ? n : `${n} (${xname})`;
}

function uniqueNames(args: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const arg of args) {
    for (const word of arg.split(/\s+/)) {
      if (word === '') continue;
      let names: string[];
      try {
        names = expandHostlist(word);
      } catch {
        names = [word];
      }
      for (const n of names) if (!seen.has(n)) { seen.add(n); out.push(n); }
    }
  }
  return out;
}

/** xname → the name Slurm gave (bosd answers in xnames), through the inventory. */
async function slurmNamer(given: string[], backend: { listInventory(): Promise<InventoryNode[]> }): Promise<(x: string) => string> {
  let inventory: InventoryNode[] = [];
  try {
    inventory = await backend.listInventory();
  } catch {
    return (x) => x; // names as bosd gave them: better than no log line
  }
  const byXname = new Map(inventory.map((n) => [n.xname, n]));
  const lowerGiven = given.map((g) => [g, g.toLowerCase()] as const);
  return (x) => {
    const n = byXname.get(x);
    if (!n) return x;
    const names = new Set([x, n.hostname, n.hostname?.split('.')[0], ...n.aliases].filter((v): v is string => !!v).map((v) => v.toLowerCase()));
    const hit = lowerGiven.find(([, l]) => names.has(l) || (n.nid !== null && /^(?:nid)?0*\d+$/.test(l) && Number(l.replace(/^nid/, '')) === n.nid));
    return hit ? hit[0] : (n.hostname?.split('.')[0] ?? x);
  };
}

/** Sets the Slurm reason of nodes the program could not hand to bosd (with --set-reason). */
class SlurmNotes {
  constructor(private readonly o: RebootProgramFlags, private readonly deps: CliDeps, private readonly out: (line: string) => void) {}

  async setReason(names: string[], why: string): Promise<void> {
    if (!this.o.setReason || names.length === 0) return;
    const hostlist = compressHostlist(names);
    const reason = `bosctl-reboot: ${why}`.replace(/[\r\n]+/g, ' ');
    try {
      const r = await runScontrol(this.o.scontrol, ['update', `nodename=${hostlist}`, `reason=${reason}`], this.deps.env);
      if (r.code === 0) this.out(`Slurm reason of ${hostlist} set: ${reason}`);
      else this.out(`could not set the Slurm reason of ${hostlist}: ${firstLine(r.stderr) || firstLine(r.stdout) || `scontrol exit status ${r.code}`}`);
    } catch (e) {
      this.out(`could not set the Slurm reason of ${hostlist}: cannot run ${this.o.scontrol}: ${(e as Error).message}`);
    }
  }
}
