import { bosError } from '../core/errors.js';
import { compareNatural, compressHostlist } from '../core/hostlist.js';
import type { Component, InventoryNode } from '../core/types.js';
import type { Backend } from './backend.js';
import { commandLine, firstLine, runScontrol, scontrolRebootArgs, type Ran } from './scontrol.js';

/** Asking Slurm to reboot, as each becomes idle, every node a staged session staged. */

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

export interface RebootStagedRequest {
  session: string;
  batch?: number;
  reason?: string;
  includeApplied?: boolean;
  scontrol: string;
}

export interface RebootStagedPrepared {
  plan: RebootStagedPlan;
  /** The scontrol command lines, one per batch. */
  lines: string[];
  /** What is left out and why, for stderr. */
  notes: string[];
}

/** Checks the request (before the backend is opened), reads the staged session and plans its batches; nothing is sent. */
export async function prepareRebootStaged(open: () => Promise<Backend>, r: RebootStagedRequest): Promise<RebootStagedPrepared> {
  if (r.session.trim() === '') throw bosError('BOS_VALUE_INVALID', '--session is empty: give the staged session\'s name (bosctl session list)');
  if (r.scontrol.trim() === '') throw bosError('BOS_VALUE_INVALID', '--scontrol is empty: give the scontrol program\'s path, or leave --scontrol out');
  const reason = r.reason ?? `bosctl session ${r.session}`;
  if (reason.trim() === '' || /[\r\n]/.test(reason)) throw bosError('BOS_VALUE_INVALID', '--reason must be one non-empty line');
  const backend = await open();
  const session = await backend.getSession(r.session);
  if (!session.stage) {
    throw bosError('BOS_VALUE_INVALID', `session ${r.session} is not a staged session: its nodes were given their desired state when it was created`,
      'create a staged session with "bosctl session create --template T --operation reboot --stage"');
  }
  const [components, inventory] = await Promise.all([backend.listComponents({ staged_session: r.session }), backend.listInventory()]);
  const plan = planRebootStaged(r.session, components, inventory, { batch: r.batch, reason, includeApplied: r.includeApplied });
  const notes: string[] = [];
  if (plan.applied.length) notes.push(`${plan.applied.length} node(s) already applied by this session, left out: ${compressHostlist(plan.applied)} (--include-applied adds them)`);
  if (plan.unnamed.length) notes.push(`${plan.unnamed.length} node(s) have no hostname in the inventory, so Slurm cannot name them: ${compressHostlist(plan.unnamed)}`);
  return { plan, lines: plan.batches.map((b) => commandLine(r.scontrol, b.args)), notes };
}

/** The result as -o json shows it: which batches were sent. */
export function rebootStagedData(plan: RebootStagedPlan, scontrol: string, dryRun: boolean, sent: number) {
  return {
    session: plan.session, dry_run: dryRun, nodes: plan.nodes, applied: plan.applied, unnamed: plan.unnamed,
    batches: plan.batches.map((b, i) => ({ hostlist: b.hostlist, nodes: b.nodes.length, command: [scontrol, ...b.args], sent: i < sent })),
  };
}

/**
 * Sends the batches in order, calling onSent after each. The first that scontrol cannot run
 * or refuses stops it with BOS_SCONTROL_FAILED, naming which batches were sent before.
 */
export async function sendRebootBatches(plan: RebootStagedPlan, scontrol: string, env: NodeJS.ProcessEnv, onSent: (b: RebootBatch, index: number) => void): Promise<number> {
  let sent = 0;
  for (const [i, b] of plan.batches.entries()) {
    let r: Ran;
    const where = plan.batches.length > 1 ? ` (batch ${i + 1} of ${plan.batches.length}; ${sent === 0 ? 'none was sent' : sent === 1 ? 'batch 1 was sent' : `batches 1-${sent} were sent`})` : '';
    try {
      r = await runScontrol(scontrol, b.args, env);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw bosError('BOS_SCONTROL_FAILED', `scontrol not found ("${scontrol}"): install Slurm's client commands (slurm-client) or give --scontrol PATH${where}`);
      if (code === 'EACCES') throw bosError('BOS_SCONTROL_FAILED', `cannot run ${scontrol}: permission denied${where}`);
      throw bosError('BOS_SCONTROL_FAILED', `cannot run ${scontrol}: ${(e as Error).message}${where}`);
    }
    if (r.code !== 0) {
      const why = firstLine(r.stderr) || firstLine(r.stdout) || (r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`);
      throw bosError('BOS_SCONTROL_FAILED', `scontrol refused to reboot ${b.hostlist}: ${why}${where}`);
    }
    sent++;
    onSent(b, i);
  }
  return sent;
}
