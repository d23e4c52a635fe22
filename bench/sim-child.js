#!/usr/bin/env node
// The simulator in its own process for bench/scale.js when a BMC profile is asked for that
// `bosctl sim` does not offer (sushy): the same arguments and the same JSON on stdout.
//   node bench/sim-child.js [BOSCTL sim] --nodes N --time-scale S --inventory F --credentials-file F --profile P [--bmc-keep-alive]
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './lib.js';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const { startSimulator } = await import(pathToFileURL(join(root, 'dist', 'sim', 'index.js')).href);
const sim = await startSimulator({
  nodes: Number(arg('--nodes')), timeScale: Number(arg('--time-scale') ?? 1), profile: arg('--profile') ?? 'cray-ex',
  bmcKeepAlive: process.argv.includes('--bmc-keep-alive'), ...(arg('--events') ? { events: arg('--events') } : {}),
});
writeFileSync(arg('--inventory'), JSON.stringify(sim.inventory(), null, 2));
writeFileSync(arg('--credentials-file'), JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
chmodSync(arg('--credentials-file'), 0o600);
process.stdout.write(JSON.stringify({ nodes: Number(arg('--nodes')), bss_url: sim.bssUrl, cfs_url: sim.cfsUrl, control_url: sim.controlUrl }));
const stop = () => { void sim.close().then(() => process.exit(0)); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
