// API write throughput: 1,000 concurrent single-node POST /v2/applystaged (wlm token) against
// bosd's API alone (no reconciler, so only the requests write), with concurrent writes
// committed in groups (bosd's default) and with one transaction per request (groupWrites:
// false), each on a fresh copy of the same database. p50/p99 latency, errors, requests/s,
// and the write transactions committed.
//
//   node bench/api-writes.js [--quick] [--root DIR] [--cpu-prof DIR]
//     --root DIR       another checkout's build (a "before")
//     --cpu-prof DIR   the API's process under node --cpu-prof; its profiles go to DIR
//
// The API runs in a child process (this file with --serve), as in bosd: the clients' work
// does not share its event loop.
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bosctlSync, fmtMs, percentile, root, row, runStandalone, stopChild, tempDir, track } from './lib.js';

const argv = process.argv.slice(2);
const argValue = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };

/**
 * The floor under the API's answer times: node:http alone, reading and parsing each body and
 * answering a fixed result of the same shape, no token, database or rule (`--bare`).
 */
function bareHandler(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const { xnames } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const body = JSON.stringify({ succeeded: xnames, ignored: [], failed: [] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
}

/** Child mode: serves the API of `dist` over `db` on 127.0.0.1 (or the bare handler), prints its URL, reports commits on stdin's end. */
async function serve(distRoot, db, mode) {
  const { Store } = await import(pathToFileURL(join(distRoot, 'dist', 'store', 'store.js')).href);
  const { createApi } = await import(pathToFileURL(join(distRoot, 'dist', 'api', 'server.js')).href);
  const { createServer } = await import('node:http');
  // As bosd opens it: a short blocking busy wait, longer ones retried without blocking.
  const store = Store.open(db, { busyTimeoutMs: 20 });
  const api = mode === 'bare' ? bareHandler
    : createApi({ store, now: () => new Date(), version: 'bench', onChange() {}, log() {}, isTrustedSocket: () => false, groupWrites: mode === 'true' });
  // The listen backlog bosd uses (src/daemon/bosd.ts LISTEN_BACKLOG; Node's own is 511).
  const server = createServer({ keepAliveTimeout: 5000 }, api);
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(`url http://127.0.0.1:${server.address().port}\n`));
  process.stdin.resume();
  process.stdin.on('end', () => {
    process.stdout.write(`commits ${store.commits}\n`);
    server.closeAllConnections();
    server.close(() => { store.close(); process.exit(0); });
  });
}

function startServer(distRoot, db, groupWrites) {
  const profile = argValue('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', argValue('--cpu-prof')] : [];
  const child = track(spawn(process.execPath, [...profile, fileURLToPath(import.meta.url), '--serve', distRoot, db, String(groupWrites)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  let out = '';
  const lines = new Promise((resolve) => child.stdout.on('data', (d) => { out += d; resolve(); }));
  const url = (async () => {
    for (;;) {
      const m = /^url (\S+)$/m.exec(out);
      if (m) return m[1];
      await lines;
      await new Promise((r) => setImmediate(r));
    }
  })();
  const stop = async () => {
    const ended = new Promise((resolve) => child.on('exit', resolve));
    child.stdin.end();
    await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000))]);
    await stopChild(child, 1000);
    return Number(/^commits (\d+)$/m.exec(out)?.[1] ?? NaN);
  };
  return { url, stop };
}

async function burst(url, token, xnames) {
  const t0 = performance.now();
  const results = await Promise.all(xnames.map(async (x) => {
    const s = performance.now();
    try {
      const r = await fetch(`${url}/v2/applystaged`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ xnames: [x] }),
      });
      const body = await r.json();
      return { ms: performance.now() - s, ok: r.status === 200 && body.succeeded?.length === 1 };
    } catch {
      return { ms: performance.now() - s, ok: false };
    }
  }));
  return { wall: performance.now() - t0, errors: results.filter((r) => !r.ok).length, lat: results.map((r) => r.ms) };
}

export async function run({ quick = false, log = () => {}, distRoot = argValue('--root') ?? root } = {}) {
  const N = quick ? 100 : 1000;
  const dir = tempDir();
  const seeded = join(dir, 'seed.db');
  const xnames = Array.from({ length: N }, (_, i) => `x${1000 + Math.floor(i / 256)}c0s${Math.floor((i % 256) / 2)}b0n${i % 2}`);
  writeFileSync(join(dir, 'inv.json'), JSON.stringify(xnames.map((x, i) => ({ xname: x, nid: i + 1, role: 'Compute' }))));
  bosctlSync(seeded, ['inventory', 'import', join(dir, 'inv.json'), '-q']);
  writeFileSync(join(dir, 't.json'), JSON.stringify({ boot_sets: { c: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', node_roles_groups: ['Compute'] } } }));
  bosctlSync(seeded, ['sessiontemplate', 'create', 'v2', '--file', join(dir, 't.json'), '-q']);
  bosctlSync(seeded, ['session', 'create', '--template', 'v2', '--operation', 'reboot', '--stage', '--name', 'up', '-q']);
  const token = bosctlSync(seeded, ['token', 'create', '--role', 'wlm', '-q']).stdout.trim();
  const rows = [];
  const build = distRoot === root ? '' : ` (build at ${distRoot})`;
  for (const groupWrites of [false, true, 'bare']) {
    const db = join(dir, `api-${groupWrites}.db`);
    copyFileSync(seeded, db);
    chmodSync(db, 0o600);
    const server = startServer(distRoot, db, groupWrites);
    const url = await server.url;
    log(`api-writes: ${N} concurrent POST /v2/applystaged, groupWrites ${groupWrites}${build}`);
    // One warm-up request: the first request's module loading is not what is measured.
    await burst(url, token, [xnames[0]]);
    const { wall, errors, lat } = await burst(url, token, xnames.slice(1));
    const commits = await server.stop();
    const p99 = percentile(lat, 99);
    const what = groupWrites === 'bare' ? 'node:http alone (body parsed, fixed answer: the floor)' : groupWrites ? 'writes committed in groups' : 'one transaction per request';
    rows.push(row(`API alone: concurrent single-node POST /v2/applystaged, ${what}${build}`,
      `${N - 1} requests`,
      `${errors} errors; p50 ${fmtMs(percentile(lat, 50))}, p99 ${fmtMs(p99)}; ${((N - 1) / (wall / 1000)).toFixed(0)} requests/s; ${groupWrites === 'bare' ? 'no database' : `${commits - 1} write transactions`}`,
      { goal: 'p99 < 200 ms, 0 errors', met: errors === 0 && p99 < 200 }));
  }
  return rows;
}

if (argv[0] === '--serve') await serve(argv[1], argv[2], argv[3]);
else if (import.meta.url === pathToFileURL(process.argv[1]).href) await runStandalone(run);
