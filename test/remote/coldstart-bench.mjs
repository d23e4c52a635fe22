#!/usr/bin/env node
/**
 * Cold start of `bosctl apply-staged NODE`, remote (--server, bosd's API in another process)
 * against local (--db), with `node -e 0` as the floor, and the import cost of undici against
 * node:http. Runs dist/ (build first). Interleaved runs, medians of N (default 20):
 *
 *   npx tsc -p tsconfig.json && node test/remote/coldstart-bench.mjs
 *
 * "CPU" is the child's user+sys time (steadier than wall time on a loaded machine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const BOSCTL = join(ROOT, 'bin', 'bosctl.js');

if (process.argv[2] === 'serve') {
  // bosd's API without the reconciler, over a copy of the seeded database.
  const { createApi } = await import(join(DIST, 'api/server.js'));
  const { Store } = await import(join(DIST, 'store/store.js'));
  const { createToken } = await import(join(DIST, 'services/tokens.js'));
  const store = Store.open(process.argv[3]);
  const secret = createToken({ store, actor: { user: 'bench', via: 'bench' }, now: () => new Date() }, { role: 'admin' }).secret;
  const server = createServer(createApi({ store, now: () => new Date(), version: '0', onChange() {}, log() {}, isTrustedSocket: () => false }));
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, secret }) + '\n'));
} else {
  const N = Number(process.env.N ?? 20);
  const d = mkdtempSync(join(tmpdir(), 'bosctl-coldstart-'));
  const env = { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(d, 'config') };
  for (const k of ['BOSCTL_DB', 'BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE', 'NODE_OPTIONS']) delete env[k];
  const must = (r) => { if (r.status !== 0) throw new Error(r.stderr + r.stdout); return r; };
  const run = (args) => must(spawnSync(process.execPath, args, { env, encoding: 'utf8' }));

  const seed = join(d, 'seed.db');
  writeFileSync(join(d, 'nodes.csv'), 'xname,nid,hostname,role\n' + [0, 1, 2, 3].map((i) => `x1000c0s${i >> 1}b0n${i & 1},${i + 1},nid00000${i + 1},Compute`).join('\n') + '\n');
  writeFileSync(join(d, 't.json'), JSON.stringify({ boot_sets: { c: { kernel: 's3://k', initrd: 's3://i', node_roles_groups: ['Compute'] } } }));
  run([BOSCTL, '--db', seed, 'inventory', 'import', join(d, 'nodes.csv')]);
  run([BOSCTL, '--db', seed, 'sessiontemplate', 'create', 't', '--file', join(d, 't.json')]);
  run([BOSCTL, '--db', seed, 'session', 'create', '--template', 't', '--operation', 'reboot', '--stage']);
  copyFileSync(seed, join(d, 'local.db'));
  copyFileSync(seed, join(d, 'remote.db'));

  const srv = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', join(d, 'remote.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { url, secret } = await new Promise((r) => { let b = ''; srv.stdout.on('data', (x) => { b += x; if (b.includes('\n')) r(JSON.parse(b)); }); });
  writeFileSync(join(d, 'token'), secret, { mode: 0o600 });

  const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
  /** Wall time and the child's user+sys CPU time, in ms. */
  function measure(args) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; { time ${q(process.execPath)} ${args.map(q).join(' ')} >/dev/null 2>&1 ; } 2>&1`], { env, encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const [u, s] = r.stdout.trim().split(/\s+/).map(Number);
    return { wall, cpu: (u + s) * 1000 };
  }
  const importMs = (mod) => Number(run(['--input-type=module', '-e', `const t=performance.now(); await import('${mod}'); console.log(performance.now()-t)`]).stdout);

  const cases = {
    'node -e 0': ['-e', '0'],
    'bosctl --db D apply-staged nid000001': [BOSCTL, '--db', join(d, 'local.db'), 'apply-staged', 'nid000001'],
    'bosctl --server URL apply-staged nid000001': [BOSCTL, '--server', url, '--token-file', join(d, 'token'), 'apply-staged', 'nid000001'],
  };
  const wall = {}, cpu = {}, imports = { undici: [], 'node:http': [] };
  for (let i = 0; i < N; i++) {
    for (const [k, args] of Object.entries(cases)) {
      const m = measure(args);
      (wall[k] ??= []).push(m.wall);
      (cpu[k] ??= []).push(m.cpu);
    }
    for (const mod of Object.keys(imports)) imports[mod].push(importMs(mod));
  }
  srv.kill();
  rmSync(d, { recursive: true, force: true });
  const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(`median of ${N}, interleaved; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`${'command'.padEnd(44)}    wall     CPU`);
  for (const k of Object.keys(cases)) console.log(`${k.padEnd(44)} ${f(median(wall[k]))} ${f(median(cpu[k]))} ms`);
  for (const [mod, v] of Object.entries(imports)) console.log(`${`await import('${mod}') in a fresh node`.padEnd(44)} ${f(median(v))}         ms`);
}
