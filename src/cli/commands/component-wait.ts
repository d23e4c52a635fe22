import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { isTransientUnreachable } from '../../client/http.js';
import { bosError, isBosError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { nodeIdentity } from '../../core/node-identity.js';
import { sameArtifacts } from '../../core/plan-diff.js';
import type { Component } from '../../core/types.js';
import type { Backend } from '../../services/backend.js';
import type { CliDeps, RunDeps } from '../context.js';
import { CommandFailed } from '../exit.js';
import { printResult } from '../output/result.js';
import { retryWhileUnreachable } from '../retry-unreachable.js';

/**
 * `bosctl component wait --stable`: blocks until bosd is done with nodes, so that slurmd
 * (ExecStartPre) puts a node back into Slurm only once it runs its desired image and
 * configuration.
 */

export type WaitState = 'stable' | 'failed' | 'waiting';

export interface WaitVerdict {
  state: WaitState;
  /** Why it is not stable yet, or why it failed. */
  why: string;
}

/**
 * Stable: bosd is done with the node (disabled), no phase, and it runs what it should (its
 * reported boot artifacts are its desired ones; nothing desired counts as met).
 */
export function waitVerdict(c: Component): WaitVerdict {
  if (c.status.status === 'failed') return { state: 'failed', why: c.error || 'bosd marked it failed' };
  if (c.enabled) return { state: 'waiting', why: `bosd is working on it (${c.status.status}${c.status.phase ? `, phase ${c.status.phase}` : ''})` };
  if (c.status.status !== 'stable') return { state: 'waiting', why: `status ${c.status.status}` };
  const desired = c.desired_state.boot_artifacts;
  if (desired?.kernel && !sameArtifacts(c.actual_state.boot_artifacts, desired)) {
    const seen = c.actual_state.boot_artifacts?.kernel;
    return { state: 'waiting', why: seen ? `it reported booting ${seen}, not its desired ${desired.kernel}` : `no boot of ${desired.kernel} reported yet` };
  }
  return { state: 'stable', why: '' };
}

/** "90" (seconds), "90s", "15m", "1h" → milliseconds. */
export function parseWaitTimeout(text: string): number {
  return parseDuration(text, { name: '--timeout', bare: 's', expected: 'a duration such as 90s, 30m or 1h (seconds if no unit)' });
}

function parseInterval(v: string): number {
  return parseDuration(v, { name: '--interval', bare: 'ms', min: 50, max: 600_000, expected: 'a duration from 50ms to 10m, e.g. 500ms or 2s (a bare number is milliseconds)' });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** bosd restarting (refused, reset, no socket yet) or the database busy: worth another look. */
function mayPass(e: unknown): boolean {
  return isTransientUnreachable(e) || (isBosError(e) && e.code === 'BOS_DB_BUSY');
}

export interface WaitOptions {
  nodes: string[];
  self: boolean;
  stable: boolean;
  /** As given (90s, 30m): the time-out message quotes it. */
  timeout?: string;
  /** Milliseconds. */
  interval: number;
}

export function registerWait(c: Command, deps: CliDeps): void {
  defineWait(c, deps);
}

export function defineWait(parent: Command, deps: CliDeps, run = runWait): Command {
  return parent.command('wait')
    .description('wait until nodes are stable: bosd is done with them and they run their desired image and configuration (for slurmd\'s ExecStartPre)')
    .argument('[nodes...]', 'xnames, nids or hostnames (hostlists allowed)')
    .option('--self', 'this node: NODE_IDENTITY, else xname= on /proc/cmdline, else the short host name')
    .option('--stable', 'wait until stable (enabled false, status stable, reported boot = desired boot); exit 1 if it fails')
    .option('--timeout <duration>', 'give up after this long (90s, 30m, 1h), exit 1 (default: wait as long as it takes)')
    .addOption(new Option('--interval <duration>', 'how often to look (500ms, 2s; a bare number is ms)').argParser(parseInterval).default(2000, '2s'))
    .addHelpText('after', `
Exit codes: 0 every node is stable; 1 a node failed (its error is printed), or --timeout
passed; 2 bad input; 3 a node is unknown. While bosd cannot be reached (it restarts) it
keeps looking, and says so once. A node token may wait for its own node only (--self).

Examples:
  bosctl component wait --self --stable --timeout 30m
  bosctl component wait nid[000001-000004] --stable

slurmd's drop-in (/etc/systemd/system/slurmd.service.d/bosctl-wait.conf, see docs/slurm.md):
  [Service]
  ExecStartPre=/usr/bin/bosctl component wait --self --stable --timeout 30m
  TimeoutStartSec=infinity`)
    .action(async (nodes: string[], o: { self?: boolean; stable?: boolean; timeout?: string; interval: number }, cmd: Command) => {
      await run({ nodes, self: o.self === true, stable: o.stable === true, timeout: o.timeout, interval: o.interval }, deps.forCommand(cmd));
    });
}

export async function runWait(o: WaitOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const nodes = o.nodes;
  if (!o.stable) throw bosError('BOS_USAGE', 'say what to wait for: --stable (bosd done with the node, running its desired state)');
  if (o.self && nodes.length > 0) throw bosError('BOS_USAGE', 'give either node names or --self, not both');
  const limitMs = o.timeout === undefined ? undefined : parseWaitTimeout(o.timeout);
  let names = nodes.flatMap((n) => n.split(/\s+/)).filter((n) => n !== '');
  if (o.self) {
    const id = nodeIdentity({ env: deps.env, cmdline: readCmdline, hostname });
    names = [id.name];
    if (!g.quiet) deps.io.err(`bosctl: this node is ${id.name} (from ${id.from})\n`);
  }
  if (names.length === 0) throw bosError('BOS_NO_NODES', 'no nodes given: name them, or pass --self for this node');
  const backend = await deps.backend();
  const started = performance.now();
  const left = () => (limitMs === undefined ? Infinity : started + limitMs - performance.now());
  const say = (line: string) => { if (!g.quiet) deps.io.err(`bosctl: ${line}\n`); };

  const read = readRetrying(left, say);
  // The first read resolves each name (nid, hostname) to its xname.
  const first = await read(() => resolveAll(backend, names));
  const ids = first.map((c) => c.id);
  let comps = first;
  const lastWhy = new Map<string, string>();
  for (;;) {
    const verdicts = comps.map((c) => ({ c, v: waitVerdict(c) }));
    for (const { c, v } of verdicts) {
      if (v.state === 'waiting' && lastWhy.get(c.id) !== v.why) say(`${c.id}: waiting: ${v.why}`);
      lastWhy.set(c.id, v.why);
    }
    const failed = verdicts.filter((x) => x.v.state === 'failed');
    const waiting = verdicts.filter((x) => x.v.state === 'waiting');
    if (failed.length > 0 || waiting.length === 0) {
      await printResult(deps.io, g.output, verdicts.map(({ c, v }) => ({ id: c.id, state: v.state, status: c.status.status, reason: v.why })), () => {
        if (!g.quiet) for (const { c, v } of verdicts) if (v.state === 'stable') deps.io.out(`${c.id}: stable${c.actual_state.boot_artifacts?.kernel ? ` on ${c.actual_state.boot_artifacts.kernel}` : ''}\n`);
      });
      if (failed.length > 0) {
        throw new CommandFailed('BOS_COMPONENT_FAILED', failed.map(({ c, v }) => `${c.id} failed: ${v.why}`).join('; ')
          + ' (fix the cause, then retry the reboot: "scontrol reboot ASAP nextstate=resume NODE" under Slurm)');
      }
      return;
    }
    if (left() <= 0) {
      throw new CommandFailed('BOS_WAIT_TIMED_OUT', `timed out after ${o.timeout} (--timeout): not stable yet: ${waiting.map(({ c, v }) => `${c.id} (${v.why})`).join(', ')}`);
    }
    await sleep(Math.min(o.interval, Math.max(0, left())));
    comps = await read(() => readAll(backend, ids));
  }
}

function readCmdline(): string | undefined {
  try {
    return readFileSync('/proc/cmdline', 'utf8');
  } catch {
    return undefined;
  }
}

async function resolveAll(backend: Backend, names: string[]): Promise<Component[]> {
  const out: Component[] = [];
  const seen = new Set<string>();
  const { expandHostlist } = await import('../../core/hostlist.js');
  for (const n of names.flatMap((w) => expandHostlist(w))) {
    const c = await backend.getComponent(n);
    if (!seen.has(c.id)) { seen.add(c.id); out.push(c); }
  }
  return out;
}

/** One node: GET /components/ID (a node token may read its own); more: one list call. */
async function readAll(backend: Backend, ids: string[]): Promise<Component[]> {
  if (ids.length === 1) return [await backend.getComponent(ids[0])];
  const byId = new Map((await backend.listComponents({ ids })).map((c) => [c.id, c]));
  return ids.map((id) => {
    const c = byId.get(id);
    if (!c) throw bosError('BOS_COMPONENT_NOT_FOUND', `component ${id} no longer exists`);
    return c;
  });
}

/** Runs a read, again with back-off while bosd is unreachable, until the time is up. */
function readRetrying(left: () => number, say: (line: string) => void) {
  return <T>(fn: () => Promise<T>): Promise<T> => retryWhileUnreachable(fn, {
    mayPass,
    giveUpAt: () => performance.now() + left(),
    firstDelayMs: 500,
    maxDelayMs: 10_000,
    onOutage: (e) => say(`${(e as Error).message.split('\n')[0]}; still trying`),
    onBack: () => say('bosd reachable again'),
  });
}
