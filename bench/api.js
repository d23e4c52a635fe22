// API load: 1,000 concurrent single-node POST /v2/applystaged requests with a wlm token
// against bosd (a child process), as Slurm's reboot programs would send them at once.
// Errors, p50/p99 latency and requests per second. Also the remote vs local cold start
// of `bosctl apply-staged NODE`.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BOSCTL, bosctlSync, fmtMs, fmtRatio, median, nodeBaselineMs, percentile, root, row, runStandalone, startBosd, tempDir,
} from './lib.js';

export async function run({ quick = false, log = () => {} } = {}) {
  const N = quick ? 100 : 1000;
  const { startSimulator } = await import(pathToFileURL(join(root, 'dist', 'sim', 'index.js')).href);
  const dir = tempDir();
  const db = join(dir, 'api.db');
  // Slow hardware: bosd's reboots of the applied nodes run behind the measurement, not in it.
  const sim = await startSimulator({ nodes: N, timeScale: 1 });
  const rows = [];
  let bosd;
  try {
    const cred = join(dir, 'cred.json');
    writeFileSync(cred, JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
    chmodSync(cred, 0o600);
    writeFileSync(join(dir, 'inv.json'), JSON.stringify(sim.inventory()));
    bosctlSync(db, ['inventory', 'import', join(dir, 'inv.json'), '-q']);
    writeFileSync(join(dir, 't.json'), JSON.stringify({ boot_sets: { c: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', node_roles_groups: ['Compute'] } } }));
    bosctlSync(db, ['sessiontemplate', 'create', 'v2', '--file', join(dir, 't.json'), '-q']);
    bosctlSync(db, ['session', 'create', '--template', 'v2', '--operation', 'reboot', '--stage', '--name', 'up', '-q']);
    const token = bosctlSync(db, ['token', 'create', '--role', 'wlm', '-q']).stdout.trim();
    bosd = await startBosd({ db, bssUrl: sim.bssUrl, cfsUrl: sim.cfsUrl, credentialsFile: cred });
    const xnames = sim.inventory().map((r) => r.xname);
    log(`api: ${N} concurrent POST /v2/applystaged`);
    const t0 = performance.now();
    const results = await Promise.all(xnames.map(async (x) => {
      const s = performance.now();
      try {
        const r = await fetch(`${bosd.url}/v2/applystaged`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ xnames: [x] }),
        });
        const body = await r.json();
        return { ms: performance.now() - s, ok: r.status === 200 && body.succeeded?.length === 1 };
      } catch {
        return { ms: performance.now() - s, ok: false };
      }
    }));
    const wall = performance.now() - t0;
    const errors = results.filter((r) => !r.ok).length;
    const lat = results.map((r) => r.ms);
    rows.push(row('API: concurrent single-node POST /v2/applystaged (wlm token)', `${N} requests`,
      `${errors} errors; p50 ${fmtMs(percentile(lat, 50))}, p99 ${fmtMs(percentile(lat, 99))}; ${(N / (wall / 1000)).toFixed(0)} requests/s`,
      { goal: '0 errors', met: errors === 0 }));

    // Cold start of one apply-staged, through the API and on the database file.
    const runs = quick ? 3 : 15;
    const remote = [];
    const local = [];
    const env = { ...process.env, NO_COLOR: '1' };
    for (let i = 0; i < runs; i++) {
      const a = performance.now();
      spawnSync(process.execPath, [BOSCTL, '--server', bosd.url, 'apply-staged', xnames[i % N], '-q'], { env: { ...env, BOSCTL_TOKEN: token } });
      remote.push(performance.now() - a);
      const b = performance.now();
      spawnSync(process.execPath, [BOSCTL, '--db', db, 'apply-staged', xnames[(i + 1) % N], '-q'], { env });
      local.push(performance.now() - b);
    }
    const base = median(Array.from({ length: 5 }, nodeBaselineMs));
    rows.push(row('bosctl --server URL apply-staged NODE cold start', `${runs} runs`, `median ${fmtMs(median(remote))} (local --db: ${fmtMs(median(local))})`,
      { goal: 'median < 150 ms', met: median(remote) < 150, baseline: `node -e 0: ${fmtMs(base)}`, ratio: fmtRatio(median(remote) / base) }));
  } finally {
    await bosd?.stop(5000);
    await sim.close();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await runStandalone(run);
