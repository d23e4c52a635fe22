#!/usr/bin/env node
/**
 * How fast a tab press is answered: `bosctl __complete ...` cold starts against a database
 * of 10,000 nodes, next to `bosctl --version` and `node -e 0` as floors. Runs dist/ (build
 * first). Interleaved runs, medians of N (default 30):
 *
 *   npx tsc -p tsconfig.json && node test/completion/complete-bench.mjs
 *
 * "CPU" is the child's user+sys time (steadier than wall time on a loaded machine).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BOSCTL = fileURLToPath(new URL('../../bin/bosctl.js', import.meta.url));
const N = Number(process.env.N ?? 30);
const NODES = Number(process.env.NODES ?? 10_000);
const d = mkdtempSync(join(tmpdir(), 'bosctl-complete-bench-'));
const env = { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(d, 'config') };
for (const k of ['BOSCTL_DB', 'BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE', 'NODE_OPTIONS']) delete env[k];

try {
  const db = join(d, 'bench.db');
  const rows = ['xname,nid,hostname,role,groups'];
  for (let i = 0; i < NODES; i++) {
    const [cab, chassis, slot, board, node] = [1000 + Math.floor(i / 2048), (i >> 8) % 8, (i >> 2) % 64, (i >> 1) & 1, i & 1];
    rows.push(`x${cab}c${chassis}s${slot}b${board}n${node},${i + 1},nid${String(i + 1).padStart(6, '0')},Compute,rack${i >> 8}`);
  }
  writeFileSync(join(d, 'nodes.csv'), rows.join('\n') + '\n');
  const must = (args) => {
    const r = spawnSync(process.execPath, [BOSCTL, '--db', db, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr + r.stdout);
  };
  must(['inventory', 'import', join(d, 'nodes.csv')]);
  must(['sessiontemplate', 'create', 'compute-v2', '--kernel', 's3://k', '--initrd', 's3://i', '--node-roles', 'Compute']);
  must(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'rollout-v2', '-q']);

  const cases = {
    'node -e 0': ['-e', '0'],
    'bosctl --version': [BOSCTL, '--version'],
    'bosctl <TAB> (commands)': [BOSCTL, '__complete', ''],
    'bosctl session describe <TAB>': [BOSCTL, '__complete', '--db', db, 'session', 'describe', ''],
    'bosctl apply-staged x1000c0s1<TAB>': [BOSCTL, '__complete', '--db', db, 'apply-staged', 'x1000c0s1'],
    'bosctl apply-staged <TAB> (every name)': [BOSCTL, '__complete', '--db', db, 'apply-staged', ''],
  };
  const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
  const measure = (args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; { time ${q(process.execPath)} ${args.map(q).join(' ')} >/dev/null 2>&1 ; } 2>&1`], { env, encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const [u, s] = r.stdout.trim().split(/\s+/).map(Number);
    return { wall, cpu: (u + s) * 1000 };
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < N; i++) for (const [k, args] of Object.entries(cases)) samples[k].push(measure(args));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  process.stdout.write(`${NODES} nodes, ${N} runs each (medians)\n`);
  for (const [k, xs] of Object.entries(samples)) {
    process.stdout.write(`${k.padEnd(42)} wall ${median(xs.map((x) => x.wall)).toFixed(0).padStart(5)} ms   CPU ${median(xs.map((x) => x.cpu)).toFixed(0).padStart(5)} ms\n`);
  }
} finally {
  rmSync(d, { recursive: true, force: true });
}
