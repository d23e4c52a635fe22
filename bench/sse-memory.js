#!/usr/bin/env node
// Live heap of Redfish event streams as bosd opens them (sseAgent + openSse of
// dist/integrations/redfish-events.js), one per BMC of the simulator: the part of bosd's memory
// that Redfish events cost whatever else it does. Needs --expose-gc to read live sizes:
//   node --expose-gc bench/sse-memory.js [--nodes 10000]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineLine, memoryOf, oneTargetPerBmc, redfishTargets, root, startSimProcess, tempDir } from './lib.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run it as: node --expose-gc bench/sse-memory.js');
  process.exit(2);
}
const i = process.argv.indexOf('--nodes');
const nodes = Number(i >= 0 ? process.argv[i + 1] : 10000);
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { RedfishClient } = await dist('integrations/redfish.js');
const events = await dist('integrations/redfish-events.js');

const dir = tempDir('bosctl-sse-memory-');
const inventory = join(dir, 'inventory.json');
const credentialsFile = join(dir, 'credentials.json');
const sim = await startSimProcess({ nodes, timeScale: 1, inventory, credentialsFile });
try {
  const { credentials, targets } = redfishTargets(inventory, credentialsFile);
  const bmcs = oneTargetPerBmc(targets);
  const client = new RedfishClient({ credentials: () => credentials, maxOpenPools: 512 });
  const measure = (label) => {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    const mb = (b) => (b / 2 ** 20).toFixed(1);
    console.log(`${label}: RSS ${mb(m.rss)} MB (peak ${mb(memoryOf(process.pid).hwm)}), heap used ${mb(m.heapUsed)} MB, heap total ${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`);
    return m;
  };
  console.log(machineLine());
  // First contact as bosd makes it (service root, EventService), so that only the streams differ below.
  const sse = new Map();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < bmcs.length) {
      const t = bmcs[next++];
      sse.set(t, (await events.readEventService(client, t))?.sseUri);
    }
  }));
  const before = measure(`${bmcs.length} BMCs contacted, no stream`);
  const agent = events.sseAgent({});
  const aborts = [];
  let open = 0;
  await Promise.all(bmcs.map((t) => new Promise((resolve) => {
    const abort = new AbortController();
    aborts.push(abort);
    events.openSse(client, t, sse.get(t), agent, abort.signal, () => { open++; resolve(); }, () => {}).catch(() => resolve());
  })));
  const after = measure(`${open} streams open`);
  const kb = (a, b) => ((a - b) / open / 1024).toFixed(1);
  console.log(`per stream: heap used ${kb(after.heapUsed, before.heapUsed)} KB, RSS ${kb(after.rss, before.rss)} KB; ${open} streams: heap used ${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MB`);
  for (const a of aborts) a.abort();
  await client.close();
  await agent.close().catch(() => undefined);
} finally {
  await sim.stop();
}
