import { Command } from 'commander';
import type { Component } from '../../core/types.js';
import type { CliDeps, RunDeps } from '../context.js';
import { bosError } from '../../core/errors.js';
import { CommandFailed } from '../exit.js';
import { renderTable } from '../output/format.js';
import { paintStatus } from '../output/views.js';

const V1 = { kernel: 's3://boot-images/compute-v1/kernel', initrd: 's3://boot-images/compute-v1/initrd', kernel_parameters: 'console=ttyS0,115200 ip=dhcp quiet' };
const V2 = { kernel: 's3://boot-images/compute-v2/kernel', initrd: 's3://boot-images/compute-v2/initrd', kernel_parameters: 'console=ttyS0,115200 ip=dhcp quiet spectre_v2=on' };

export interface DemoOptions { nodes: number; timeScale: number; keep: boolean }

export function register(program: Command, deps: CliDeps): void {
  define(program, deps);
}

export function define(parent: Command, deps: CliDeps, run: (o: DemoOptions, deps: Pick<RunDeps, 'io'>) => Promise<void> = runDemo): Command {
  return parent.command('demo')
    .description('a rolling upgrade of a simulated 16-node cluster: simulator, bosd and bosctl on this machine')
    .option('--nodes <n>', 'cluster size', (v) => Number(v), 16)
    .option('--time-scale <f>', 'real seconds per simulated second (hardware timing: graceful power-off 30 s, boot 120 s, configuration 60 s)', (v) => Number(v), 0.04)
    .option('--keep', 'keep the temporary directory (database, logs) and print its path')
    .addHelpText('after', `
Starts the simulator (Redfish BMCs, BSS, CFS), a temporary database and bosd; imports the
inventory; boots every node on image v1; stages v2 for all; applies it to 4 nodes and then
4 more, as Slurm's RebootProgram would; shows progress; ends with a table per node.

Examples:
  bosctl demo
  npm run demo
  bosctl demo --nodes 64 --time-scale 0.01`)
    .action(async (o: { nodes: number; timeScale: number; keep?: boolean }) => {
      await run({ nodes: o.nodes, timeScale: o.timeScale, keep: o.keep === true }, { io: deps.io });
    });
}

export async function runDemo(o: DemoOptions, deps: Pick<RunDeps, 'io'>): Promise<void> {
  if (!Number.isInteger(o.nodes) || o.nodes < 8 || o.nodes > 4096) throw bosError('BOS_VALUE_INVALID', '--nodes must be an integer from 8 to 4096');
  if (!(o.timeScale > 0 && o.timeScale <= 1)) throw bosError('BOS_VALUE_INVALID', '--time-scale must be a number above 0 and at most 1');
  const { startTestbed, waitFor } = await import('../../testbed/index.js');
  const { createLogger } = await import('../../daemon/log.js');
  const { appendFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const io = deps.io;
  const p = await io.paint();
  const t0 = Date.now();
  const clock = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
  const say = (text: string) => io.out(`${p.dim(clock())}  ${text}\n`);

  let logFile = '';
  const tb = await startTestbed({
    sim: { nodes: o.nodes, timeScale: o.timeScale, initialPower: 'Off' },
    log: createLogger({ level: 'info', json: true, write: (l) => { if (logFile) appendFileSync(logFile, l); } }),
  });
  logFile = join(tb.dir, 'bosd.log');
  const b = tb.backend;
  try {
    say(`simulator: ${o.nodes} nodes on Cray EX-like BMCs, BSS ${tb.sim.bssUrl}, CFS ${tb.sim.cfsUrl} (time scale ${o.timeScale})`);
    say(`bosd: listening on ${tb.bosd!.url}, database ${tb.dbPath}`);
    say(`inventory imported: ${(await b.listInventory()).length} nodes`);
    const nodes = (await b.listInventory()).map((n) => n.xname);
    const nid = new Map((await b.listInventory()).map((n) => [n.xname, n.hostname ?? n.xname]));
    const boot = (ks: typeof V1, name: string) => b.createTemplate(name, {
      description: `compute nodes on image ${name}`, enable_cfs: true, cfs: { configuration: `compute-config-${name}` },
      boot_sets: { compute: { ...ks, node_roles_groups: ['Compute'] } },
    });
    await boot(V1, 'v1');
    await boot(V2, 'v2');
    say('session templates v1 and v2 created');

    say(p.bold('boot every node on v1'));
    await b.createSession({ template_name: 'v1', operation: 'boot', name: 'boot-v1' });
    await watch('boot-v1', nodes);

    say(p.bold('stage v2 for every node (nothing reboots)'));
    const staged = await b.createSession({ template_name: 'v2', operation: 'reboot', stage: true, limit: 'Compute', name: 'upgrade-v2' });
    say(`staged ${staged.nodes.length} nodes in session upgrade-v2`);

    const before = new Map((await b.listComponents({})).map((c) => [c.id, c.actual_state.boot_artifacts?.kernel ?? '']));
    const appliedAt = new Map<string, number>();
    for (const batch of [nodes.slice(0, 4), nodes.slice(4, 8)]) {
      const names = batch.map((x) => nid.get(x)!);
      say(p.bold(`Slurm drained ${names.join(',')}: RebootProgram runs bosctl apply-staged`));
      const r = await b.applyStaged(names);
      for (const x of r.succeeded) appliedAt.set(x, Date.now());
      say(`apply-staged: succeeded ${r.succeeded.length}, failed ${r.failed.length}, ignored ${r.ignored.length}`);
      await watch('upgrade-v2', batch);
    }

    const doneAt = await stableTimes(b, nodes);
    const rows = (await b.listComponents({})).map((c: Component) => {
      const from = before.get(c.id) ?? '';
      const to = c.actual_state.boot_artifacts?.kernel ?? '';
      const took = appliedAt.has(c.id) && doneAt.has(c.id) ? `${((doneAt.get(c.id)! - appliedAt.get(c.id)!) / 1000).toFixed(1)} s` : '-';
      return [c.id, nid.get(c.id) ?? '', image(from), image(to), c.staged_state.session ? 'v2 staged' : '-', paintStatus(c.status.status, p), took];
    });
    io.out('\n' + renderTable([['XNAME', 'NODE', 'BEFORE', 'AFTER', 'STAGED', 'STATUS', 'TIME'].map((h) => p.bold(h)), ...rows]));
    const upgraded = rows.filter((r) => r[3] === 'compute-v2').length;
    const resets = tb.sim.nodes().reduce((n, s) => n + Object.values(s.resets).reduce((a, v) => a + v, 0), 0);
    io.out(`\n${p.green('Demo complete')} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${upgraded} of ${o.nodes} nodes upgraded to v2, ${o.nodes - upgraded} still have it staged; ${resets} Redfish resets in all.\n`);
    if (upgraded !== 8) throw new CommandFailed('BOS_DEMO_FAILED', `expected 8 nodes on v2, found ${upgraded}`);
    if (o.keep) io.out(`kept: ${tb.dir} (bosd.db, bosd.log)\n`);
  } finally {
    if (o.keep) await tb.stopBosd().then(() => tb.sim.close());
    else await tb.close();
  }

  /** Prints a line whenever the counts of the watched nodes change, until all are stable or failed. */
  async function watch(session: string, xnames: string[]): Promise<void> {
    const want = new Set(xnames);
    let last = '';
    await waitFor(`session ${session} to finish on ${xnames.length} nodes`, async () => {
      const comps = (await b.listComponents({ ids: [...want] }));
      const counts = new Map<string, number>();
      for (const c of comps) counts.set(c.status.status, (counts.get(c.status.status) ?? 0) + 1);
      const line = [...counts].map(([s, n]) => `${paintStatus(s, p)} ${n}`).join(', ');
      if (line !== last) { say(`  ${session}: ${line}`); last = line; }
      return comps.every((c) => !c.enabled);
    }, 120_000, 100);
  }
}

function image(kernel: string): string {
  const m = /\/([^/]+)\/kernel$/.exec(kernel);
  return m ? m[1] : kernel || '-';
}

async function stableTimes(b: { componentHistory(n: string): Promise<Array<{ at: string; action: string }>> }, xnames: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const x of xnames) {
    const ev = (await b.componentHistory(x)).filter((e) => e.action === 'stable').pop();
    if (ev) out.set(x, Date.parse(ev.at));
  }
  return out;
}
