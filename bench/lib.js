// Shared helpers of the benchmarks: temp dirs and child processes that are always cleaned
// up (also on failure and on SIGINT/SIGTERM), the CLIs as child processes, /proc readings,
// statistics and formatting. Plain ESM; uses dist/ (run `npx tsc -p tsconfig.json` first).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BOSCTL = join(root, 'bin', 'bosctl.js');
export const BOSD = join(root, 'bin', 'bosd.js');

// ---------------------------------------------------------------------------------------------
// Cleanup: every temp dir and child process is registered here and removed / killed on exit.

const children = new Set();
const dirs = new Set();

function cleanupSync() {
  for (const c of children) {
    try { if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); } catch { /* gone */ }
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.once('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    cleanupSync();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig]);
  });
}

/** A fresh temp dir, removed at exit (or earlier by `removeDir`). */
export function tempDir(prefix = 'bosctl-bench-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

export function removeDir(d) {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** Registers a child so it is killed at exit. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or signal). */
export function stopChild(child, graceMs = 10_000, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    child.once('exit', (code, sig) => { clearTimeout(t); resolve(code ?? sig); });
    try { child.kill(signal); } catch { clearTimeout(t); resolve(null); }
  });
}

// ---------------------------------------------------------------------------------------------
// The CLIs.

export const cliEnv = (db) => ({ ...process.env, NO_COLOR: '1', ...(db ? { BOSCTL_DB: db } : {}) });

/** Runs bosctl (synchronously: only while no in-process server must answer). Throws on failure. */
export function bosctlSync(db, args, { allowFail = false, input } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BOSCTL, ...args], { encoding: 'utf8', env: cliEnv(db), input, maxBuffer: 256 * 2 ** 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !allowFail) throw new Error(`bosctl ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs bosctl without blocking the event loop (an in-process simulator keeps answering). */
export function bosctl(db, args, { allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = track(spawn(process.execPath, [BOSCTL, ...args], { env: cliEnv(db), stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('error', reject);
    child.once('close', (status) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (status !== 0 && !allowFail) reject(new Error(`bosctl ${args.join(' ')} exited ${status}: ${stderr.trim()}`));
      else resolve({ ms, endedAt: Date.now(), status, stdout, stderr });
    });
  });
}

/** Wall time of a process that does nothing: `node -e 0`. */
export function nodeBaselineMs() {
  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Starts bosd as a child process and resolves once it logs "listening" (its stderr is JSON
 * lines when not a terminal). Its log goes to `logFile`; the last 64 KiB are kept for errors.
 * `nodeArgs` go to node itself (e.g. --cpu-prof).
 */
export function startBosd({ db, bssUrl, cfsUrl, credentialsFile, args = [], logFile, nodeArgs = [], timeoutMs = 60_000 }) {
  const argv = [...nodeArgs, BOSD, '--db', db, '--bss-url', bssUrl, ...(cfsUrl ? ['--cfs-url', cfsUrl] : []),
    '--credentials-file', credentialsFile, '--listen', '127.0.0.1:0', ...args];
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }));
  const log = logFile ? createWriteStream(logFile) : undefined;
  let tail = '';
  const stats = { lines: 0, warn: 0, error: 0, lastProblem: '' };
  return new Promise((resolve, reject) => {
    let url;
    const timer = setTimeout(() => { fail(new Error(`bosd did not log "listening" within ${timeoutMs} ms: ${tail}`)); }, timeoutMs);
    const fail = (e) => { clearTimeout(timer); try { child.kill('SIGKILL'); } catch { /* gone */ } reject(e); };
    let partial = '';
    child.stderr.on('data', (d) => {
      log?.write(d);
      const text = partial + d.toString();
      const lines = text.split('\n');
      partial = lines.pop();
      for (const line of lines) {
        stats.lines++;
        if (line.includes('"level":"warn"')) { stats.warn++; stats.lastProblem = line.slice(0, 400); }
        else if (line.includes('"level":"error"')) { stats.error++; stats.lastProblem = line.slice(0, 400); }
        if (!url) {
          const m = /"msg":"listening","url":"([^"]+)"/.exec(line);
          if (m) {
            url = m[1];
            clearTimeout(timer);
            resolve({ child, pid: child.pid, url, stats, tail: () => tail, stop: (graceMs) => stopChild(child, graceMs).finally(() => log?.end()) });
          }
        }
      }
      tail = (tail + d.toString()).slice(-65_536);
    });
    child.once('error', fail);
    child.once('exit', (code, sig) => {
      log?.end();
      if (!url) fail(new Error(`bosd exited ${code ?? sig} before listening: ${tail.trim()}`));
    });
  });
}

/**
 * Starts `bosctl sim ... -o json` as a child process; resolves with the URLs it prints.
 * Stop it with stopChild (SIGTERM).
 */
export function startSimProcess({ nodes, timeScale, inventory, credentialsFile, args = [], nodeArgs = [], timeoutMs = 120_000 }) {
  const argv = [...nodeArgs, BOSCTL, 'sim', '--nodes', String(nodes), '--time-scale', String(timeScale),
    '--inventory', inventory, '--credentials-file', credentialsFile, '-o', 'json', ...args];
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }));
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => fail(new Error(`the simulator printed no URLs within ${timeoutMs} ms: ${err}`)), timeoutMs);
    const fail = (e) => { if (done) return; done = true; clearTimeout(timer); try { child.kill('SIGKILL'); } catch { /* gone */ } reject(e); };
    child.stdout.on('data', (d) => {
      if (done) return;
      out += d;
      try {
        const info = JSON.parse(out);
        done = true;
        clearTimeout(timer);
        resolve({ child, pid: child.pid, ...info, stop: (graceMs) => stopChild(child, graceMs) });
      } catch { /* not all of it yet */ }
    });
    child.stderr.on('data', (d) => { err = (err + d).slice(-16_384); });
    child.once('error', fail);
    child.once('exit', (code, sig) => fail(new Error(`the simulator exited ${code ?? sig}: ${err.trim()}`)));
  });
}

/** Imports the inventory and stages every node on examples/compute-v2.json in session "rollout". */
export function stageRollout(db, inventory) {
  bosctlSync(db, ['inventory', 'import', inventory, '-q']);
  bosctlSync(db, ['sessiontemplate', 'create', 'compute-v2', '--file', join(root, 'examples', 'compute-v2.json'), '-q']);
  bosctlSync(db, ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'rollout', '-q']);
}

/**
 * The simulator's nodes as bosd's Redfish client addresses them (BmcTarget), from the files
 * startSimProcess wrote, and the credentials they go with.
 */
export function redfishTargets(inventory, credentialsFile) {
  const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')).refs.sim;
  const targets = JSON.parse(readFileSync(inventory, 'utf8')).map((r) => ({
    bmcXname: r.bmc_address.split('/').pop(), address: r.bmc_address, systemId: r.redfish_system_id, nodeXname: r.xname, credentialsRef: r.credentials_ref,
  }));
  return { credentials, targets };
}

/** One target per BMC (the first node of each). */
export const oneTargetPerBmc = (targets) => [...new Map(targets.map((t) => [t.address, t])).values()];

/** POSTs JSON (to the simulator's control API). */
export async function postJson(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

// ---------------------------------------------------------------------------------------------
// /proc readings of a child process.

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) > 0 ? Number(r.stdout) : 100;
})();

/** VmHWM (peak RSS) and VmRSS in bytes, or null when the process is gone. */
export function memoryOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a process, or null when it is gone. */
export function cpuSecondsOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: state is field 3; utime 14, stime 15.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
export const median = (xs) => percentile(xs, 50);
export const fmtMs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
export const fmtS = (s) => `${s.toFixed(2)} s`;
export const fmtMB = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
export const fmtRatio = (x) => (x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`);
export const pad6 = (n) => String(n).padStart(6, '0');
/** nid[000001-N] */
export const allNodes = (n) => (n === 1 ? 'nid000001' : `nid[000001-${pad6(n)}]`);

/**
 * One row of the results table. `met` is true/false when there is a goal, else undefined.
 * `baseline` names what the result is compared with and `ratio` is result / baseline.
 */
export function row(benchmark, size, result, { goal = '', met, baseline = '', ratio = '' } = {}) {
  return { benchmark, size, result, goal, met, baseline, ratio };
}

export function machineLine() {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

export function markdownTable(rows) {
  const status = (m) => (m === true ? 'met' : m === false ? '**missed**' : '');
  return [
    '| benchmark | size | result | goal | | baseline | vs baseline |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${[r.benchmark, r.size, r.result, r.goal, status(r.met), r.baseline, r.ratio].map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

/** For `node bench/X.js` run on its own: run, print the rows as a table. */
export async function runStandalone(run) {
  const quick = process.argv.includes('--quick');
  try {
    const rows = await run({ quick, log: (m) => process.stderr.write(`${m}\n`) });
    process.stdout.write(`${markdownTable(rows)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  }
}

/**
 * The top self-time functions of a V8 .cpuprofile (node --cpu-prof): [{ name, url, line, ms, pct }].
 * `(idle)`, `(program)` and `(garbage collector)` are kept: they say how busy the process was.
 */
export function summarizeCpuProfile(file, top = 20) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i + 1] ?? dt[i] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const busy = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  return {
    totalMs: total,
    busyMs: busy,
    top: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, pctOfBusy: (ms / busy) * 100 })),
  };
}
