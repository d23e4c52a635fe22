#!/usr/bin/env node
// bosctl benchmarks. Writes bench/RESULTS.md. `--quick` uses small sizes (for CI: keeps the
// benchmarks from rotting; no target is asserted anywhere).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bosctl = join(root, 'bin', 'bosctl.js');
const quick = process.argv.includes('--quick');
const NODES = quick ? 500 : 10_000;
const RUNS = quick ? 5 : 30;

const dir = mkdtempSync(join(tmpdir(), 'bosctl-bench-'));
const db = join(dir, 'bench.db');

function timed(args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', BOSCTL_DB: db }, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p95 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]; };
const fmt = (ms) => `${ms.toFixed(1)} ms`;

// A cluster of NODES compute nodes: 8 nodes a slot, 8 slots a chassis, 8 chassis a cabinet.
const rows = ['xname,nid,hostname,role,groups'];
for (let i = 0; i < NODES; i++) {
  const cab = 1000 + Math.floor(i / 512), ch = Math.floor(i / 64) % 8, slot = Math.floor(i / 8) % 8, bmc = Math.floor(i / 2) % 4, n = i % 2;
  const nid = String(i + 1).padStart(6, '0');
  rows.push(`x${cab}c${ch}s${slot}b${bmc}n${n},${i + 1},nid${nid},Compute,compute`);
}
writeFileSync(join(dir, 'inventory.csv'), rows.join('\n') + '\n');
writeFileSync(join(dir, 't.json'), JSON.stringify({
  enable_cfs: true, cfs: { configuration: 'cfg-v2' },
  boot_sets: { compute: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet', node_roles_groups: ['Compute'] } },
}));

const results = [];
const all = `nid[000001-${String(NODES).padStart(6, '0')}]`;
try {
  const imp = timed([bosctl, 'inventory', 'import', join(dir, 'inventory.csv'), '-q']);
  timed([bosctl, 'sessiontemplate', 'create', 'v2', '--file', join(dir, 't.json'), '-q']);
  const stage = timed([bosctl, 'session', 'create', '--template', 'v2', '--operation', 'reboot', '--stage', '--name', 'up', '-q']);
  const apply = timed([bosctl, 'apply-staged', all, '-o', 'json']);
  const out = JSON.parse(apply.stdout);
  if (out.succeeded.length !== NODES) throw new Error(`apply-staged succeeded for ${out.succeeded.length} of ${NODES}`);
  // Again, now that the file is warm and the staged state is kept (clear_stage false).
  const apply2 = timed([bosctl, 'apply-staged', all, '-q']);
  results.push(['inventory import', `${NODES} nodes`, fmt(imp.ms), '', '']);
  results.push(['session create --stage', `${NODES} nodes`, fmt(stage.ms), '', '']);
  results.push(['apply-staged, one call (process wall time)', `${NODES} nodes`, fmt(Math.min(apply.ms, apply2.ms)), '< 500 ms', Math.min(apply.ms, apply2.ms) < 500 ? 'met' : 'missed']);

  const base = [], version = [], one = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(timed(['-e', '0']).ms);
    version.push(timed([bosctl, '--version']).ms);
    one.push(timed([bosctl, 'apply-staged', 'nid000001', '-q']).ms);
  }
  const b = median(base);
  results.push(['node -e 0 (baseline)', `median of ${RUNS}`, fmt(b), '', '']);
  results.push(['bosctl --version cold start', `median (p95 ${fmt(p95(version))})`, `${fmt(median(version))} (${(median(version) / b).toFixed(2)}× node)`, '< 150 ms', median(version) < 150 ? 'met' : 'missed']);
  results.push(['bosctl apply-staged NODE cold start', `median (p95 ${fmt(p95(one))})`, `${fmt(median(one))} (${(median(one) / b).toFixed(2)}× node)`, '< 150 ms', median(one) < 150 ? 'met' : 'missed']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const md = [
  '# bosctl benchmark results',
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}.`,
  `Date: ${new Date().toISOString()}. Mode: ${quick ? 'quick (small sizes, not comparable with the goals)' : 'full'}.`,
  '',
  '| benchmark | size | result | goal | |',
  '|---|---|---|---|---|',
  ...results.map((r) => `| ${r.join(' | ')} |`),
  '',
].join('\n');
if (!quick) writeFileSync(join(root, 'bench', 'RESULTS.md'), md);
process.stdout.write(md);
