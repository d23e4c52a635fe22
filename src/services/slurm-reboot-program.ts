import { bosError, isBosError } from '../core/errors.js';
import { compressHostlist, expandHostlist } from '../core/hostlist.js';
import type { InventoryNode } from '../core/types.js';
import type { ApplyStagedReport } from './apply-staged.js';
import type { Backend } from './backend.js';
import { firstLine, runScontrol } from './scontrol.js';

/**
 * What Slurm's RebootProgram runs: apply-staged for the nodes Slurm names, retrying while bosd
 * is unreachable, and (with setReason) a Slurm reason on each node it could not hand over.
 */

export interface RebootProgramRequest {
  /** Slurm's node arguments, or this host's name in slurmd mode. */
  args: string[];
  self: boolean;
  attempts: number;
  /** Seconds: the first wait after a failed try; each wait is one such step longer. */
  retryDelay: number;
  setReason: boolean;
  scontrol: string;
}

export interface RebootProgramDeps {
  /** Opened after the first log line, so the log says what was asked even when bosd cannot be reached. */
  backend(): Promise<Backend>;
  env: NodeJS.ProcessEnv;
  /** A line of the program's log (stdout in text mode). */
  log(line: string): void;
  /** A line about a retry (stderr). */
  warn(line: string): void;
  sleep?(ms: number): Promise<void>;
}

export interface RebootProgramResult {
  report: ApplyStagedReport;
  /** xname → the name Slurm gave. */
  nameOf(xname: string): string;
  /** The nodes that failed or were ignored, as xnames. */
  bad: string[];
}

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

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runRebootProgram(r: RebootProgramRequest, d: RebootProgramDeps): Promise<RebootProgramResult> {
  // Slurm's own names for the nodes, in its order: what the log and the retry advice use.
  const slurmNames = uniqueNames(r.args);
  const notes = new SlurmNotes(r, d);
  const sleep = d.sleep ?? realSleep;
  d.log(r.self ? `slurmd mode: applying the staged state of this host, ${r.args[0]}` : `controller mode: applying the staged state of ${r.args.join(' ')}`);
  const backend = await d.backend();
  let report: ApplyStagedReport | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      // Slurm asked for a reboot and waits for it: reboot even nodes that already run their stage.
      report = await backend.applyStaged(r.args, { skipCurrent: false });
      break;
    } catch (e) {
      if (!isRetryable(e) || attempt >= r.attempts) {
        const unreachable = isRetryable(e);
        const why = unreachable ? 'bosd unreachable' : isBosError(e) && (e.code === 'BOS_UNAUTHORIZED' || e.code === 'BOS_FORBIDDEN') ? 'bosd refused the token' : `error ${isBosError(e) ? e.code : (e as Error).name}`;
        const retry = retryCommand(slurmNames);
        d.log(`nothing was applied to ${compressHostlist(slurmNames)}: ${why}; ${unreachable ? 'when bosd answers again' : 'once that is fixed'}, retry with: ${retry}`);
        await notes.setReason(slurmNames, `${why}, nothing applied; retry: ${retry}`);
        if (isRetryable(e) && r.attempts > 1 && isBosError(e)) {
          throw bosError(e.code, `${tryMessage(e)}; gave up after ${attempt} tries`, e.hint);
        }
        throw e;
      }
      const wait = Math.round(r.retryDelay * attempt * 1000) / 1000;
      d.warn(`try ${attempt} of ${r.attempts}: ${tryMessage(e)}; trying again in ${wait} s`);
      await sleep(wait * 1000);
    }
  }
  const bad = [...report.failed, ...report.ignored];
  // Every node applied: Slurm's names are the answer as they stand (no inventory read).
  const allApplied = bad.length === 0 && report.succeeded.length === slurmNames.length;
  const nameOf = allApplied ? (x: string) => x : await slurmNamer(slurmNames, backend);
  const succeededNames = allApplied ? slurmNames : report.succeeded.map(nameOf);
  if (report.succeeded.length) d.log(`succeeded ${report.succeeded.length}: ${compressHostlist(succeededNames)}: bosd reboots them into their staged state`);
  for (const x of report.failed) d.log(`failed ${named(x, nameOf)}: ${report.reasons[x] ?? 'unknown reason'}: fix it, then retry with: ${retryCommand([nameOf(x)])}`);
  for (const x of report.ignored) d.log(`ignored ${named(x, nameOf)}: ${report.reasons[x] ?? 'nothing staged'}: bosd does not reboot it; ${adviceFor(report.reasons[x], nameOf(x))}`);
  // One Slurm reason per kind of trouble, on those nodes.
  const groups = new Map<string, string[]>();
  for (const x of bad) {
    const why = report.reasons[x] ?? 'not applied';
    const key = `${report.failed.includes(x) ? 'failed' : 'ignored'}: ${why}`;
    groups.set(key, [...(groups.get(key) ?? []), nameOf(x)]);
  }
  for (const [why, names] of groups) {
    await notes.setReason(names, `${why}; ${why.startsWith('ignored: nothing is staged') ? `return it as it is: scontrol update nodename=${compressHostlist(names)} state=resume` : `fix it, then retry: ${retryCommand(names)}`}`);
  }
  return { report, nameOf, bad };
}

/** The one-line summary of nodes that were not handed to bosd (the command's exit 1). */
export function rebootProgramFailure(res: RebootProgramResult): string | undefined {
  const { report, bad, nameOf } = res;
  if (bad.length === 0) return undefined;
  const total = report.succeeded.length + bad.length;
  const parts = [report.failed.length ? `${report.failed.length} failed` : '', report.ignored.length ? `${report.ignored.length} ignored` : ''].filter(Boolean).join(', ');
  return `${parts} of ${total} node(s) (${compressHostlist(bad.map(nameOf))}): Slurm waits ResumeTimeout for them, then marks them DOWN; see the lines above for what to run`;
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

/** Sets the Slurm reason of nodes the program could not hand to bosd (with setReason). */
class SlurmNotes {
  constructor(private readonly r: RebootProgramRequest, private readonly d: RebootProgramDeps) {}

  async setReason(names: string[], why: string): Promise<void> {
    if (!this.r.setReason || names.length === 0) return;
    const hostlist = compressHostlist(names);
    const reason = `bosctl-reboot: ${why}`.replace(/[\r\n]+/g, ' ');
    try {
      const res = await runScontrol(this.r.scontrol, ['update', `nodename=${hostlist}`, `reason=${reason}`], this.d.env);
      if (res.code === 0) this.d.log(`Slurm reason of ${hostlist} set: ${reason}`);
      else this.d.log(`could not set the Slurm reason of ${hostlist}: ${firstLine(res.stderr) || firstLine(res.stdout) || `scontrol exit status ${res.code}`}`);
    } catch (e) {
      this.d.log(`could not set the Slurm reason of ${hostlist}: cannot run ${this.r.scontrol}: ${(e as Error).message}`);
    }
  }
}
