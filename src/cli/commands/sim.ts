import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { bosError } from '../../core/errors.js';
import { FAULT_KINDS } from '../../sim/types.js';
import type { CliDeps, RunDeps } from '../context.js';
import { assertOwnerOnly } from '../files.js';
import { printResult } from '../output/result.js';

export interface SimOptions {
  nodes: number;
  timeScale: number;
  profile: 'cray-ex' | 'generic';
  bmcMode: 'shared' | 'per-port';
  initialPower: 'On' | 'Off';
  bmcKeepAlive?: boolean;
  events?: 'sse+push' | 'push' | 'none';
  inventory?: string;
  credentialsFile?: string;
  bosUrl?: string;
  bosTokenFile?: string;
  portBase?: number;
  fault: string[];
  timing: string[];
  seed: number;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command, deps: CliDeps): void {
  define(program, deps);
}

export function define(parent: Command, deps: CliDeps, run = runSim): Command {
  return parent.command('sim')
    .description('run the simulator: Redfish BMCs, BSS and CFS on 127.0.0.1, with nodes that boot and report to bosd')
    .option('--nodes <n>', 'number of nodes', (v) => Number(v), 16)
    .option('--time-scale <f>', 'real seconds per simulated second', (v) => Number(v), 0.01)
    .addOption(new Option('--profile <profile>', 'BMC kind').choices(['cray-ex', 'generic']).default('cray-ex'))
    .addOption(new Option('--bmc-mode <mode>', 'one listener for all BMCs, or one port per BMC').choices(['shared', 'per-port']).default('shared'))
    .option('--bmc-keep-alive', 'Cray EX BMCs keep connections open (by default they close each one)')
    .addOption(new Option('--events <mode>', 'what the BMCs\' Redfish EventService offers: SSE and push subscriptions, push only, or no EventService (default sse+push)').choices(['sse+push', 'push', 'none']))
    .addOption(new Option('--initial-power <state>', 'power of every node at start').choices(['On', 'Off']).default('On'))
    .option('--inventory <file>', 'write the inventory (JSON) for "bosctl inventory import"')
    .option('--credentials-file <file>', 'write a Redfish credentials file for bosd (mode 600)')
    .option('--bos-url <url>', 'where booted nodes report (bosd\'s API)')
    .option('--bos-token-file <file>', 'a node token (bosctl token create --role node) the nodes report their boots with (mode 600)')
    .option('--port-base <port>', 'listen on fixed ports from this one: BSS, CFS +1, control +2, Redfish +3 (per-port BMCs: +3, +4, ...)', parsePort)
    .option('--fault <kind:xnames|kind@rate>', `a fault: ${FAULT_KINDS.join(', ')} (repeatable)`, collect, [])
    .option('--timing <name=seconds>', 'simulated seconds of gracefulOff, forceOff, powerOn, boot, configure (repeatable)', collect, [])
    .option('--seed <n>', 'seed of fault rates', (v) => Number(v), 1)
    .addHelpText('after', `
Runs until interrupted. Prints the URLs (as JSON with -o json). Faults can also be set at
run time: POST {"kind","xnames","on"} to the control URL's /faults. Without --port-base
the system picks free ports; everything listens on 127.0.0.1 only. A bosd that requires
tokens for boot reports needs --bos-token-file (a node token without --node reports for
every simulated node).

Examples:
  bosctl sim --nodes 64 --inventory /tmp/nodes.json --credentials-file /tmp/redfish.json
  bosctl sim --nodes 16 --port-base 18000 --bos-url http://127.0.0.1:8180 --bos-token-file /tmp/node-token
  bosctl sim --nodes 1000 --fault graceful_ignored@0.05 --fault never_boots:x1000c0s0b0n0 -o json`)
    .action(async (o: SimOptions, cmd: Command) => {
      await run(o, deps.forCommand(cmd));
    });
}

export async function runSim(o: SimOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const { startSimulator } = await import('../../sim/index.js');
  const faults = o.fault.map(parseFault);
  const timings: Record<string, number> = {};
  for (const t of o.timing) {
    const m = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(t);
    if (!m) throw bosError('BOS_VALUE_INVALID', `invalid --timing "${t}": expected NAME=SECONDS, e.g. boot=60`);
    timings[m[1]] = Number(m[2]);
  }
  if (o.bosTokenFile !== undefined && !o.bosUrl) throw bosError('BOS_USAGE', '--bos-token-file needs --bos-url: the token is what the nodes send to bosd there');
  const bosToken = o.bosTokenFile === undefined ? undefined : readToken(o.bosTokenFile);
  let sim;
  try {
    sim = await startSimulator({
      nodes: o.nodes, timeScale: o.timeScale, profile: o.profile, bmcMode: o.bmcMode, initialPower: o.initialPower,
      bosUrl: o.bosUrl, bosToken, faults, timings, seed: o.seed, bmcKeepAlive: o.bmcKeepAlive === true, portBase: o.portBase,
      ...(o.events ? { events: o.events } : {}),
    });
  } catch (e) {
    if ((e as { code?: string }).code) throw e;
    throw bosError('BOS_VALUE_INVALID', `cannot start the simulator: ${(e as Error).message}`);
  }
  if (o.inventory) writeFileSync(o.inventory, JSON.stringify(sim.inventory(), null, 2));
  if (o.credentialsFile) {
    writeFileSync(o.credentialsFile, JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
    chmodSync(o.credentialsFile, 0o600);
  }
  const info = { nodes: o.nodes, bss_url: sim.bssUrl, cfs_url: sim.cfsUrl, control_url: sim.controlUrl, inventory: o.inventory ?? null, credentials_file: o.credentialsFile ?? null };
  await printResult(deps.io, g.output, info, () => {
    deps.io.out(`simulator: ${o.nodes} nodes (${o.profile}, ${o.bmcMode} BMC listener, time scale ${o.timeScale})\n`);
    deps.io.out(`  BSS      ${sim.bssUrl}\n  CFS      ${sim.cfsUrl}\n  control  ${sim.controlUrl}\n`);
    if (o.inventory) deps.io.out(`  inventory written to ${o.inventory}\n`);
    if (o.credentialsFile) deps.io.out(`  credentials written to ${o.credentialsFile}\n`);
    deps.io.out('Ctrl-C stops it.\n');
  });
  await new Promise<void>((resolve) => {
    const stop = () => { void sim.close().then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 65535) throw bosError('BOS_VALUE_INVALID', `invalid --port-base "${v}": expected a port from 1 to 65535`);
  return n;
}

/** The token file's first line; refused when others may read it, as --token-file is. */
function readToken(path: string): string {
  assertOwnerOnly(path, '--bos-token-file');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw bosError('BOS_FILE_UNREADABLE', `cannot read --bos-token-file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  const token = text.split('\n')[0].trim();
  if (token === '') throw bosError('BOS_VALUE_INVALID', `--bos-token-file ${path} is empty: write a node token in it (bosctl token create --role node)`);
  return token;
}

export function parseFault(text: string): { kind: never; xnames?: string[]; rate?: number } {
  const m = /^([a-z_0-9]+)(?::(.+)|@(\d*\.?\d+))$/.exec(text.trim());
  if (!m || !(FAULT_KINDS as readonly string[]).includes(m[1])) {
    throw bosError('BOS_VALUE_INVALID', `invalid --fault "${text}": expected KIND:XNAME[,XNAME] or KIND@RATE with KIND one of ${FAULT_KINDS.join(', ')}`);
  }
  if (m[3] !== undefined) {
    const rate = Number(m[3]);
    if (!(rate >= 0 && rate <= 1)) throw bosError('BOS_VALUE_INVALID', `invalid --fault rate "${m[3]}": expected a number from 0 to 1`);
    return { kind: m[1] as never, rate };
  }
  return { kind: m[1] as never, xnames: m[2].split(',').map((s) => s.trim()).filter(Boolean) };
}
