#!/usr/bin/env node
// The floor under a rollout's Redfish work on this machine: how much CPU bosd's own Redfish
// client (dist/integrations/redfish.js, as bosd builds it) spends per request, and how many
// requests per second it and the simulator reach together, with nothing else in the process
// (no database, no reconciler, no API). A rollout of N nodes makes R requests per node
// (bench/scale.js prints R); bosd's main thread needs at least N × R × (CPU per request) for
// them, which is a floor under the rollout's wall time whatever bosd does around them.
//   node bench/redfish-floor.js [--nodes 10000] [--requests 40000] [--concurrency 256] [--bmc-keep-alive]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSecondsOf, machineLine, oneTargetPerBmc, percentile, redfishTargets, root, startSimProcess, tempDir } from './lib.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const nodes = Number(arg('--nodes', '10000'));
const requests = Number(arg('--requests', '40000'));
const concurrency = Number(arg('--concurrency', '256'));
const keepAlive = process.argv.includes('--bmc-keep-alive');

const { RedfishClient } = await import(pathToFileURL(join(root, 'dist', 'integrations', 'redfish.js')).href);
const dir = tempDir('bosctl-redfish-floor-');
const inventory = join(dir, 'inventory.json');
const credentialsFile = join(dir, 'credentials.json');
const sim = await startSimProcess({ nodes, timeScale: 1, inventory, credentialsFile, args: keepAlive ? ['--bmc-keep-alive'] : [] });
try {
  const { credentials, targets } = redfishTargets(inventory, credentialsFile);
  const client = new RedfishClient({ credentials: () => credentials, maxOpenPools: Math.max(64, 2 * concurrency) });

  /** `count` requests made by `fn(target)`, `concurrency` at a time over `list` in turn. */
  async function measure(label, list, count, fn) {
    const lat = [];
    let next = 0;
    let failed = 0;
    const cpu0 = process.cpuUsage();
    const simCpu0 = cpuSecondsOf(sim.pid);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const t = list[next++ % list.length];
        const s = performance.now();
        try { await fn(t); } catch { failed++; }
        lat.push(performance.now() - s);
      }
    }));
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const clientCpu = (cpu.user + cpu.system) / 1e6;
    const simCpu = cpuSecondsOf(sim.pid) - simCpu0;
    const out = {
      label, count, failed, wall, perSecond: count / wall,
      clientCpuUs: (clientCpu / count) * 1e6, simCpuUs: (simCpu / count) * 1e6, p50: percentile(lat, 50), p99: percentile(lat, 99),
    };
    console.log(`${label}: ${count} in ${wall.toFixed(2)} s = ${out.perSecond.toFixed(0)}/s, ${failed} failed; client CPU ${out.clientCpuUs.toFixed(0)} µs per request (${clientCpu.toFixed(2)} s), simulator CPU ${out.simCpuUs.toFixed(0)} µs per request; latency p50 ${out.p50.toFixed(1)} ms, p99 ${out.p99.toFixed(1)} ms`);
    return out;
  }

  console.log(machineLine());
  console.log(`${nodes} simulated nodes (cray-ex profile, BMCs ${keepAlive ? 'keep connections open' : 'close every connection'}); concurrency ${concurrency}; bosd's RedfishClient in this process`);
  // First contact with every BMC (service root, login) is not part of the floor of reads.
  const bmcs = oneTargetPerBmc(targets);
  await measure(`first contact (service root) of ${bmcs.length} BMCs`, bmcs, bmcs.length, (t) => client.serviceRoot(t));
  const reads = await measure('power reads (GET system)', targets, requests, (t) => client.powerState(t));
  const r = Number(arg('--per-node', '5.5'));
  const floor = (nodes * r * reads.clientCpuUs) / 1e6;
  console.log(`floor: ${nodes} nodes × ${r} Redfish requests each × ${reads.clientCpuUs.toFixed(0)} µs = ${floor.toFixed(1)} s of bosd's main thread for its Redfish requests alone (at time scale 0.1 the hardware takes 22 s)`);
  await client.close();
} finally {
  await sim.stop();
}
