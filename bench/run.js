#!/usr/bin/env node
// bosctl benchmarks: every figure in one table, each beside its goal and its baseline measured
// in the same run. Writes bench/RESULTS.md (full runs of everything only). No target is
// asserted anywhere: a missed goal is reported, not failed.
//
//   node bench/run.js                      everything, full sizes (several minutes); writes RESULTS.md
//   node bench/run.js --quick              tiny sizes (CI: keeps the benchmarks from rotting); no RESULTS.md
//   node bench/run.js --only reaction      one group or several (cli, reaction, api, scale); no RESULTS.md
//   node bench/run.js --only scale --scale-sizes 1000
//   node bench/run.js --only scale --cpu-prof DIR   bosd under node --cpu-prof; its top functions are printed
//
// Groups: cli (apply-staged of 10,000 nodes in one call, cold start), reaction (apply-staged →
// first power-off at a BMC), scale (full rollouts of 1,000 and 10,000 simulated nodes).
// Needs dist/ (npx tsc -p tsconfig.json; `npm run bench` builds first).
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  allNodes, bosctlSync, fmtMs, fmtRatio, machineLine, markdownTable, median, nodeBaselineMs, percentile, removeDir, root, row, tempDir,
} from './lib.js';
import * as reaction from './reaction.js';
import * as scale from './scale.js';
import * as api from './api.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const argValue = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const GROUPS = ['cli', 'reaction', 'api', 'scale'];
const only = argValue('--only')?.split(',').map((s) => s.trim()).filter(Boolean);
for (const g of only ?? []) {
  if (!GROUPS.includes(g)) {
    process.stderr.write(`bench: unknown group "${g}" in --only: expected ${GROUPS.join(', ')}\n`);
    process.exit(2);
  }
}
const selected = only ?? GROUPS;
const log = (m) => process.stderr.write(`${m}\n`);

/** apply-staged of NODES nodes in one call, and the cold start of bosctl, against node -e 0. */
async function cliGroup() {
  const NODES = quick ? 500 : 10_000;
  const RUNS = quick ? 5 : 30;
  const dir = tempDir('bosctl-bench-cli-');
  const db = join(dir, 'bench.db');
  const rows = [];
  try {
    // A cluster of NODES compute nodes: 8 nodes a slot, 8 slots a chassis, 8 chassis a cabinet.
    const csv = ['xname,nid,hostname,role,groups'];
    for (let i = 0; i < NODES; i++) {
      const cab = 1000 + Math.floor(i / 512), ch = Math.floor(i / 64) % 8, slot = Math.floor(i / 8) % 8, bmc = Math.floor(i / 2) % 4, n = i % 2;
      csv.push(`x${cab}c${ch}s${slot}b${bmc}n${n},${i + 1},nid${String(i + 1).padStart(6, '0')},Compute,compute`);
    }
    writeFileSync(join(dir, 'inventory.csv'), csv.join('\n') + '\n');
    writeFileSync(join(dir, 't.json'), JSON.stringify({
      enable_cfs: true, cfs: { configuration: 'cfg-v2' },
      boot_sets: { compute: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet', node_roles_groups: ['Compute'] } },
    }));

    const base = [];
    for (let i = 0; i < RUNS; i++) base.push(nodeBaselineMs());
    const b = median(base);

    const imp = bosctlSync(db, ['inventory', 'import', join(dir, 'inventory.csv'), '-q']);
    bosctlSync(db, ['sessiontemplate', 'create', 'v2', '--file', join(dir, 't.json'), '-q']);
    const stage = bosctlSync(db, ['session', 'create', '--template', 'v2', '--operation', 'reboot', '--stage', '--name', 'up', '-q']);
    const apply = bosctlSync(db, ['apply-staged', allNodes(NODES), '-o', 'json']);
    const out = JSON.parse(apply.stdout);
    if (out.succeeded.length !== NODES) throw new Error(`apply-staged succeeded for ${out.succeeded.length} of ${NODES}`);
    // Again, now that the file is warm and the staged state is kept (clear_stage false).
    const apply2 = bosctlSync(db, ['apply-staged', allNodes(NODES), '-q']);
    const size = `${NODES.toLocaleString('en')} nodes`;
    const nodeBase = `node -e 0: ${fmtMs(b)}`;
    rows.push(row('inventory import', size, fmtMs(imp.ms), { baseline: nodeBase, ratio: fmtRatio(imp.ms / b) }));
    rows.push(row('session create --stage', size, fmtMs(stage.ms), { baseline: nodeBase, ratio: fmtRatio(stage.ms / b) }));
    const best = Math.min(apply.ms, apply2.ms);
    rows.push(row('apply-staged, one call (process wall time)', size, fmtMs(best), { goal: '< 500 ms', met: best < 500, baseline: nodeBase, ratio: fmtRatio(best / b) }));

    const version = [];
    const one = [];
    for (let i = 0; i < RUNS; i++) {
      version.push(bosctlSync(db, ['--version']).ms);
      one.push(bosctlSync(db, ['apply-staged', 'nid000001', '-q']).ms);
    }
    const stat = (xs) => `median ${fmtMs(median(xs))} (p95 ${fmtMs(percentile(xs, 95))})`;
    rows.push(row('node -e 0 (baseline)', `${RUNS} runs`, stat(base), {}));
    rows.push(row('bosctl --version cold start', `${RUNS} runs`, stat(version), { goal: 'median < 150 ms', met: median(version) < 150, baseline: nodeBase, ratio: fmtRatio(median(version) / b) }));
    rows.push(row('bosctl apply-staged NODE cold start', `${RUNS} runs, ${size} in the database`, stat(one), { goal: 'median < 150 ms', met: median(one) < 150, baseline: nodeBase, ratio: fmtRatio(median(one) / b) }));
    return rows;
  } finally {
    removeDir(dir);
  }
}

const loadBefore = loadavg();
const results = [];
const details = [];
const failures = [];
const started = Date.now();
for (const g of selected) {
  const t0 = Date.now();
  log(`bench: ${g} ...`);
  try {
    if (g === 'cli') results.push(...await cliGroup());
    if (g === 'reaction') results.push(...await reaction.run({ quick, log }));
    if (g === 'api') results.push(...await api.run({ quick, log }));
    if (g === 'scale') {
      const sizes = argValue('--scale-sizes')?.split(',').map(Number);
      const rows = await scale.run({ quick, log, sizes, cpuProfDir: argValue('--cpu-prof') });
      results.push(...rows);
      details.push(...(rows.details ?? []));
    }
  } catch (e) {
    failures.push(g);
    log(`bench: ${g} FAILED: ${e?.stack ?? e}`);
    results.push(row(`${g}: FAILED`, '', String(e?.message ?? e).split('\n')[0].slice(0, 300), {}));
  }
  log(`bench: ${g} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const notes = [
  ...(selected.includes('reaction') ? reaction.NOTES : []),
  ...(selected.includes('scale') ? scale.NOTES : []),
  ...details,
  'Ratios: result ÷ baseline, both measured in this run (node -e 0 is the start of a process that does nothing; hardware time is what the simulated nodes take).',
];
const md = [
  '# bosctl benchmark results',
  '',
  `Machine: ${machineLine()}. The simulator, bosd and the bosctl processes share these cores.`,
  `Load average (1 min) before: ${loadBefore[0].toFixed(2)}, after: ${loadavg()[0].toFixed(2)} (other work on the machine skews every figure).`,
  `Date: ${new Date().toISOString()}. Mode: ${quick ? 'quick (tiny sizes, not comparable with the goals)' : 'full'}${only ? `, only ${only.join(', ')}` : ''}. Took ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  'Command: `node bench/run.js` (after `npx tsc -p tsconfig.json`).',
  '',
  markdownTable(results),
  '',
  ...notes.map((n) => `- ${n}`),
  '',
].join('\n');
if (!quick && !only) writeFileSync(join(root, 'bench', 'RESULTS.md'), md);
process.stdout.write(md);
process.exit(failures.length ? 1 : 0);
