#!/usr/bin/env node
// Full rollout at scale: the simulator (`bosctl sim`) and bosd each in their own process, a
// reboot staged for every node, then ONE `bosctl apply-staged nid[000001-N]`, and the time
// until every component is settled (no enabled component left that is not failed).
//
// The simulated hardware takes gracefulOff + powerOn + boot + configure simulated seconds per
// node (defaults 30 + 10 + 120 + 60 = 220) × the time scale; the rest of the wall time is
// bosd's (and the simulator's) overhead.
//
//   node bench/scale.js [--quick] [--sizes 1000,10000] [--time-scale 0.1]
//                       [--cpu-prof DIR]   (bosd runs with node --cpu-prof; profiles kept in DIR)
//                       [--bosd-node-args "--max-old-space-size=100 ..."]   (diagnosis)
//                       [--keep-log DIR]   (bosd's log and database are copied to DIR)
//                       [--bmc-keep-alive] (simulated BMCs keep connections open; by default they close each)
//                       [--bosd-defaults]  (bosd with its default settings, not BOSD_SCALE_ARGS)
//                       [--sim-profile sushy] (BMC profile; sushy runs the simulator by bench/sim-child.js)
//                       [--no-events]      (the simulated BMCs offer no Redfish EventService: bosd polls)
//                       [--db postgres]    (bosd and bosctl on a throwaway PostgreSQL server, src/testbed/postgres.ts)
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  allNodes, bosctl, bosctlSync, cpuSecondsOf, fmtMB, fmtRatio, fmtS, memoryOf, percentile, postJson, removeDir, root, row,
  runStandalone, sleep, stageRollout, startBosd, startSimProcess, summarizeCpuProfile, tempDir,
} from './lib.js';

/** Simulated seconds of the reboot path with the simulator's default timings. */
export const HARDWARE_SIM_SECONDS = 30 + 10 + 120 + 60;

/** GETs `url` every 200 ms (one at a time) until stopped; the answers' times in ms. */
function probeApi(url) {
  const times = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const t = performance.now();
      try {
        const r = await fetch(url);
        await r.arrayBuffer();
        times.push(performance.now() - t);
      } catch {
        // counted as missing
      }
      await sleep(200);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      const at = (p) => (times.length ? Math.round(percentile(times, p)) : 0);
      return { n: times.length, p50: at(50), p99: at(99), max: at(100) };
    },
  };
}

export const BOSD_SCALE_ARGS = ['--max-in-flight', '256', '--power-poll-ms', '1000', '--cfs-poll-ms', '1000'];

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * One rollout of `nodes` nodes. Returns the measurements (no rows).
 */
export async function rollout({ nodes, timeScale, log = () => {}, cpuProfDir, keepLogDir, bosdNodeArgs = [], beforeBosd, keepAlive = false, bosdDefaults = false, simProfile, noEvents = false, engine = 'sqlite' }) {
  const dir = tempDir('bosctl-bench-scale-');
  const pg = engine === 'postgres' ? await (await import('../dist/testbed/postgres.js')).startPostgres() : undefined;
  const db = pg ? pg.url(await pg.createDatabase('bench')) : join(dir, 'bosd.db');
  const inventory = join(dir, 'inventory.json');
  const credentialsFile = join(dir, 'redfish.json');
  const hardwareS = HARDWARE_SIM_SECONDS * timeScale;
  let sim;
  let bosd;
  let ro;
  try {
    const t0setup = Date.now();
    sim = await startSimProcess({
      nodes, timeScale, inventory, credentialsFile, args: [...(keepAlive ? ['--bmc-keep-alive'] : []), ...(simProfile ? ['--profile', simProfile] : []), ...(noEvents ? ['--events', 'none'] : [])],
      // `bosctl sim` offers cray-ex and generic; sim-child.js takes the same arguments and any profile.
      nodeArgs: simProfile === 'sushy' ? [join(root, 'bench', 'sim-child.js')] : [],
    });
    stageRollout(db, inventory);
    // bosd's waits are real seconds: far above the scaled hardware times, so nothing escalates
    // or fails because the machine is busy; a stuck node would fail the benchmark by its guard.
    const wait = Math.max(60, Math.ceil(hardwareS * 10));
    // The simulated nodes report their boots with one fleet-wide node token (as CSM nodes share one).
    const nodeToken = bosctlSync(db, ['token', 'create', '--role', 'node', '--description', 'simulated nodes', '-q']).stdout.trim();
    bosctlSync(db, ['options', 'update', `max_power_off_wait_time=${wait}`, `max_power_on_wait_time=${wait}`, `max_boot_wait_time=${wait}`, '-q']);
    const nodeArgs = [...bosdNodeArgs, ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfDir), '--cpu-prof-name', `bosd-${nodes}.cpuprofile`] : [])];
    await beforeBosd?.({ db, dir });
    bosd = await startBosd({ db, bssUrl: sim.bss_url, cfsUrl: sim.cfs_url, credentialsFile, args: bosdDefaults ? [] : BOSD_SCALE_ARGS, nodeArgs, logFile: join(dir, 'bosd.log') });
    await postJson(`${sim.control_url}/bos`, { url: bosd.url, token: nodeToken });
    log(`scale ${nodes}: setup ${((Date.now() - t0setup) / 1000).toFixed(1)} s (simulator pid ${sim.pid}, bosd pid ${bosd.pid} at ${bosd.url}); time scale ${timeScale}, hardware ${hardwareS.toFixed(1)} s`);
    await sleep(500);
    const idle = memoryOf(bosd.pid);
    const cpuBosd0 = cpuSecondsOf(bosd.pid);
    const cpuSim0 = cpuSecondsOf(sim.pid);

    ro = pg ? await pgReader(db) : new Database(db, { readonly: true, fileMustExist: true });
    const countQ = ro.prepare("SELECT coalesce(sum(CASE WHEN enabled = 1 AND status_override <> 'failed' THEN 1 ELSE 0 END), 0) AS active, coalesce(sum(CASE WHEN status_override = 'failed' THEN 1 ELSE 0 END), 0) AS failed FROM components");
    const phaseQ = ro.prepare("SELECT phase, count(*) AS n FROM components WHERE enabled = 1 AND status_override <> 'failed' GROUP BY phase");

    const t0 = Date.now();
    const probe = probeApi(`${bosd.url}/v2/version`);
    const apply = await bosctl(db, ['apply-staged', allNodes(nodes), '-q']);
    log(`scale ${nodes}: apply-staged took ${apply.ms.toFixed(0)} ms`);
    // A guard against a hang, not a target: 15 minutes (or 40 × the hardware time).
    const guardMs = Math.max(hardwareS * 40_000, 900_000);
    let counts;
    let lastReport = Date.now();
    let lastRequests;
    let peakRss = 0;
    for (;;) {
      counts = countQ.get();
      const m = memoryOf(bosd.pid);
      if (m) peakRss = Math.max(peakRss, m.rss);
      if (counts.active === 0) break;
      if (bosd.child.exitCode !== null || bosd.child.signalCode !== null) throw new Error(`bosd exited during the rollout: ${bosd.tail()}`);
      if (sim.child.exitCode !== null || sim.child.signalCode !== null) throw new Error('the simulator exited during the rollout');
      if (Date.now() - t0 > guardMs) {
        throw new Error(`rollout of ${nodes} nodes not settled after ${(guardMs / 1000).toFixed(0)} s: ${counts.active} active by phase ${JSON.stringify(phaseQ.all())}, ${counts.failed} failed`);
      }
      if (Date.now() - lastReport >= 5000) {
        const dt = (Date.now() - lastReport) / 1000;
        lastReport = Date.now();
        const st = await fetch(`${sim.control_url}/stats`).then((r) => r.json()).catch(() => null);
        const rate = st && lastRequests !== undefined ? `, ${((st.redfish.requests - lastRequests) / dt).toFixed(0)} Redfish req/s` : '';
        lastRequests = st?.redfish?.requests;
        log(`scale ${nodes}: ${((Date.now() - t0) / 1000).toFixed(0)} s: ${counts.active} active ${JSON.stringify(Object.fromEntries(phaseQ.all().map((r) => [r.phase || '(none)', r.n])))}, ${counts.failed} failed, bosd RSS ${fmtMB(m?.rss ?? 0)}, CPU ${(cpuSecondsOf(bosd.pid) - cpuBosd0).toFixed(1)} s${rate}`
          + (bosd.stats.warn + bosd.stats.error ? `, ${bosd.stats.warn + bosd.stats.error} warn/error log lines, last: ${bosd.stats.lastProblem}` : ''));
      }
      await sleep(250);
    }
    const polledMs = Date.now() - t0;
    const api = await probe.stop();
    const mem = memoryOf(bosd.pid);
    const cpuBosd = cpuSecondsOf(bosd.pid) - cpuBosd0;
    const cpuSim = cpuSecondsOf(sim.pid) - cpuSim0;
    // The exact settle time: the last node's final event (the poll above only sees it within 250 ms).
    const last = ro.prepare("SELECT max(at) AS at FROM events WHERE kind = 'component' AND action IN ('stable', 'failed', 'powered_off')").get();
    const perNode = ro.prepare("SELECT subject, max(at) AS at FROM events WHERE kind = 'component' AND action IN ('stable', 'failed') GROUP BY subject").all()
      .map((r) => Date.parse(r.at) - t0).sort((a, b) => a - b);
    const wallMs = last.at ? Date.parse(last.at) - t0 : polledMs;
    const segments = breakdown(ro, t0, timeScale);
    const beyond = beyondHardware(ro, t0, hardwareS);
    const stats = await fetch(`${sim.control_url}/stats`).then((r) => r.json()).catch(() => null);
    const result = {
      nodes, timeScale, hardwareS, wallS: wallMs / 1000, polledS: polledMs / 1000, applyMs: apply.ms,
      overhead: (wallMs / 1000 - hardwareS) / hardwareS, failed: counts.failed,
      peakRss: mem?.hwm ?? NaN, peakRssPolled: peakRss, idleRss: idle?.rss ?? NaN, cpuBosd, cpuSim,
      nodeP50S: perNode[Math.floor(perNode.length / 2)] / 1000, firstS: perNode[0] / 1000,
      redfishRequests: stats?.redfish?.requests, powerReads: stats?.redfish?.systemReads, eventsSent: stats?.events?.sent, bssPuts: stats?.bss?.puts, cfsCalls: stats?.cfs?.calls, cfsPatches: stats?.cfs?.patches, logLines: bosd.stats.lines,
      warnings: bosd.stats.warn + bosd.stats.error, segments, beyond, bosdDefaults, reports: stats?.reports, boots: stats?.boots,
    };
    log(`scale ${nodes}: settled in ${result.wallS.toFixed(2)} s (hardware ${hardwareS.toFixed(2)} s, overhead ${(result.overhead * 100).toFixed(1)} %), `
      + `${result.failed} failed, first node ${result.firstS.toFixed(2)} s, median node ${result.nodeP50S.toFixed(2)} s, bosd VmHWM ${fmtMB(result.peakRss)}, `
      + `bosd CPU ${cpuBosd.toFixed(1)} s, simulator CPU ${cpuSim.toFixed(1)} s, ${result.redfishRequests} Redfish requests, ${result.logLines} bosd log lines (${result.warnings} warn/error)`);
    log(`scale ${nodes}: per-node time beyond the hardware's (sum of stretches) p50 ${beyond.p50?.toFixed(2)} s, p95 ${beyond.p95?.toFixed(2)} s; `
      + `${(result.redfishRequests / nodes).toFixed(1)} Redfish requests per node (${(result.powerReads / nodes).toFixed(1)} power reads), ${(result.eventsSent / nodes).toFixed(1)} Redfish events per node`);
    log(`scale ${nodes}: where each node's time went beyond the hardware's (s, p50 / p95 / max over nodes): ${formatSegments(segments)}`);
    // How long bosd took to answer a request that needs no database: its event loop's delays.
    log(`scale ${nodes}: GET /v2/version every 200 ms during the rollout: ${api.n} answers, p50 ${api.p50} ms, p99 ${api.p99} ms, max ${api.max} ms; `
      + `the simulator's own event loop ran late by p99 ${stats?.eventLoopDelayMs?.p99} ms, max ${stats?.eventLoopDelayMs?.max} ms`);
    // A node whose reports all failed waits max_boot_wait_time and is power-cycled again (BOS's retry): say so.
    const r = result.reports;
    const b = result.boots;
    if (r) log(`scale ${nodes}: simulated boot reports: ${r.delivered} delivered of ${r.attempts} attempts, ${r.retries} retried, ${r.gaveUp} given up; `
      + `boots ${b?.started}, of them without boot parameters ${b?.noParams}, boot script fetches tried again by reason ${JSON.stringify(b?.scriptFailures ?? {})}; failed report attempts by reason ${JSON.stringify(r.failures ?? {})}; `
      + `a delivered report's request p50 ${r.ms?.p50} ms, p99 ${r.ms?.p99} ms, max ${r.ms?.max} ms`);
    return result;
  } catch (e) {
    if (bosd) e.message += `\n--- last bosd log ---\n${bosd.tail().split('\n').slice(-20).join('\n')}`;
    throw e;
  } finally {
    ro?.close();
    await bosd?.stop(15_000);
    if (keepLogDir) {
      mkdirSync(keepLogDir, { recursive: true });
      for (const [from, to] of [['bosd.log', `bosd-${nodes}.log`], ['bosd.db', `bosd-${nodes}.db`]]) {
        try { copyFileSync(join(dir, from), join(keepLogDir, to)); } catch { /* none */ }
      }
    }
    await sim?.stop(15_000);
    await pg?.stop();
    removeDir(dir);
    if (cpuProfDir && bosd) {
      // bosd wrote its profile on exit: say where its CPU went (self time, top functions).
      try {
        const p = summarizeCpuProfile(join(resolve(cpuProfDir), `bosd-${nodes}.cpuprofile`), 15);
        log(`scale ${nodes}: bosd CPU profile (${join(resolve(cpuProfDir), `bosd-${nodes}.cpuprofile`)}): ${(p.busyMs / 1000).toFixed(1)} s busy of ${(p.totalMs / 1000).toFixed(1)} s; top self time:\n`
          + p.top.map((t) => `  ${(t.ms / 1000).toFixed(2).padStart(7)} s ${t.name.startsWith('(idle)') ? '       ' : `${t.pctOfBusy.toFixed(1).padStart(5)} %`} ${t.name}`).join('\n'));
      } catch (e) {
        log(`scale ${nodes}: no CPU profile: ${e.message}`);
      }
    }
  }
}

/**
 * Per node, from bosd's events: how long each stretch of the reboot took beyond what the
 * simulated hardware needs for it (seconds; p50, p95 and max over nodes).
 */
export function breakdown(ro, t0, timeScale) {
  const wanted = ['powering_off_gracefully', 'setting_boot_parameters', 'powering_on', 'boot_reported', 'configuration_enabled', 'stable'];
  const rows = ro.prepare(`SELECT subject, action, min(at) AS at FROM events WHERE kind = 'component' AND action IN (${wanted.map(() => '?').join(',')}) GROUP BY subject, action`).all(...wanted);
  const by = new Map();
  for (const r of rows) {
    let m = by.get(r.subject);
    if (!m) by.set(r.subject, (m = { apply: t0 }));
    m[r.action] = Date.parse(r.at);
  }
  const s = (sim) => sim * timeScale * 1000;
  const defs = [
    ['apply → power-off sent', 'apply', 'powering_off_gracefully', 0],
    ['off → boot params (poll Off)', 'powering_off_gracefully', 'setting_boot_parameters', s(30)],
    ['boot params → power-on sent', 'setting_boot_parameters', 'powering_on', 0],
    ['power-on → boot report', 'powering_on', 'boot_reported', s(10 + 120)],
    ['boot report → CFS enabled', 'boot_reported', 'configuration_enabled', 0],
    ['CFS enabled → stable (poll CFS)', 'configuration_enabled', 'stable', s(60)],
  ];
  const q = (xs, p) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(p * xs.length) - 1))];
  return defs.map(([name, from, to, hw]) => {
    const xs = [...by.values()].filter((m) => m[from] !== undefined && m[to] !== undefined).map((m) => (m[to] - m[from] - hw) / 1000).sort((a, b) => a - b);
    return { name, n: xs.length, p50: q(xs, 0.5), p95: q(xs, 0.95), max: xs[xs.length - 1] };
  });
}

/** Per node that became stable: apply → stable minus the hardware's time (the sum of its stretches); p50 and p95 over nodes. */
export function beyondHardware(ro, t0, hardwareS) {
  const xs = ro.prepare("SELECT max(at) AS at FROM events WHERE kind = 'component' AND action = 'stable' GROUP BY subject").all()
    .map((r) => (Date.parse(r.at) - t0) / 1000 - hardwareS).sort((a, b) => a - b);
  const q = (p) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(p * xs.length) - 1))];
  return { n: xs.length, p50: q(0.5), p95: q(0.95) };
}

export const formatSegments = (segs) => segs.map((x) => `${x.name} ${x.p50?.toFixed(2)} / ${x.p95?.toFixed(2)} / ${x.max?.toFixed(2)}`).join('; ');

const rssGoalMB = (nodes) => (nodes >= 10_000 ? 150 : 100);

export function rowsFor(r, { goalOverhead }) {
  const size = `${r.nodes.toLocaleString('en')} nodes, time scale ${r.timeScale}`;
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  return [
    row('rollout: wall time, apply-staged → every node settled', size, `${fmtS(r.wallS)} (median node ${fmtS(r.nodeP50S)})`, {
      baseline: `hardware time ${fmtS(r.hardwareS)}`, ratio: fmtRatio(r.wallS / r.hardwareS),
    }),
    row('rollout: overhead over hardware time', size, pct(r.overhead), goalOverhead
      ? { goal: '< 5 %', met: r.overhead < 0.05, baseline: `hardware time ${fmtS(r.hardwareS)}` }
      : { baseline: `hardware time ${fmtS(r.hardwareS)}` }),
    row('rollout: failed nodes', size, String(r.failed), { goal: '0', met: r.failed === 0 }),
    // Issue 17's goals: < 100 MB at 1,000 nodes, < 150 MB at 10,000.
    row('rollout: bosd peak RSS (VmHWM)', size, fmtMB(r.peakRss), {
      goal: `< ${rssGoalMB(r.nodes)} MB`, met: r.peakRss < rssGoalMB(r.nodes) * 2 ** 20, baseline: `bosd idle after start ${fmtMB(r.idleRss)}`, ratio: fmtRatio(r.peakRss / r.idleRss),
    }),
    row('rollout: bosd CPU (user + sys)', size, `${fmtS(r.cpuBosd)} (simulator ${fmtS(r.cpuSim)})`, {
      baseline: `wall time ${fmtS(r.wallS)}`, ratio: `${fmtRatio(r.cpuBosd / r.wallS)} of one core`,
    }),
  ];
}

/**
 * The rollouts of a run: by default 1,000 and 10,000 nodes compressed tenfold (22 s of hardware
 * time: a stress test) and 10,000 nodes at the simulated hardware's own speed (220 s).
 */
function plan({ quick, sizes, timeScale }) {
  if (quick) return (sizes ?? [200]).map((nodes) => ({ nodes, timeScale: timeScale ?? 0.01 }));
  if (sizes || timeScale) return (sizes ?? [1000, 10_000]).map((nodes) => ({ nodes, timeScale: timeScale ?? 0.1 }));
  return [{ nodes: 1000, timeScale: 0.1 }, { nodes: 10_000, timeScale: 0.1 }, { nodes: 10_000, timeScale: 1 }];
}

/** The benchmark's read-only queries on a PostgreSQL database: the store's own statements (same SQL, $n placeholders). */
async function pgReader(url) {
  const { Store } = await import('../dist/store/store.js');
  const store = Store.open(url);
  return { prepare: (sql) => store.db.statement(sql), close: () => store.close() };
}

export async function run({ quick = false, log = () => {}, sizes, timeScale, cpuProfDir, keepLogDir, bosdNodeArgs, keepAlive, bosdDefaults, simProfile, noEvents, engine } = {}) {
  const rows = [];
  // Where the time beyond the hardware's went, per size: notes under the table.
  rows.details = [];
  const runs = plan({ quick, sizes, timeScale });
  for (const { nodes, timeScale } of runs) {
    const r = await rollout({ nodes, timeScale, log, cpuProfDir, keepLogDir, bosdNodeArgs, keepAlive, bosdDefaults, simProfile, noEvents, engine });
    rows.push(...rowsFor(r, { goalOverhead: nodes >= 10_000 }));
    rows.details.push(`Rollout of ${nodes.toLocaleString('en')} nodes at time scale ${timeScale}${engine === 'postgres' ? ' on PostgreSQL' : ''}${keepAlive ? ' (BMCs keep connections open)' : ''}${bosdDefaults ? ' (bosd default settings)' : ''}${simProfile ? ` (${simProfile} BMCs)` : ''}${noEvents ? ' (no Redfish events: polls)' : ''}: apply-staged took ${r.applyMs.toFixed(0)} ms; first node settled at ${fmtS(r.firstS)}; `
      + `per-node time beyond the hardware's (sum of stretches) p50 ${r.beyond.p50?.toFixed(2)} s / p95 ${r.beyond.p95?.toFixed(2)} s; ${(r.redfishRequests / nodes).toFixed(1)} Redfish requests per node; `
      + `${r.redfishRequests} Redfish requests, ${r.bssPuts} BSS PUTs, ${r.cfsPatches} CFS PATCHes and ${r.cfsCalls - r.cfsPatches} other CFS calls; time beyond the hardware's per stretch of a node's reboot `
      + `(s, p50 / p95 / max over nodes): ${formatSegments(r.segments)}.`);
  }
  return rows;
}

export const NOTES = [
  `bosd runs with \`${BOSD_SCALE_ARGS.join(' ')}\`; options max_power_off_wait_time = max_power_on_wait_time = max_boot_wait_time = max(60, 10 × hardware time) s.`,
  'The simulator (`bosctl sim`, shared BMC listener, cray-ex profile whose BMCs close every connection, so each Redfish request opens a TCP connection; `--bmc-keep-alive` keeps them open) and bosd are separate processes on the same 2 cores, so they compete for CPU; the wall time includes the simulator\'s own delays.',
  'Hardware time = (gracefulOff 30 + powerOn 10 + boot 120 + configure 60 simulated s) × time scale. Wall time ends at the last node\'s final event in the database (`stable`/`failed`); CPU is measured from just before apply-staged to settled.',
  'Time scale 1 is the simulated hardware at its own speed (a node reboots in 220 s); time scale 0.1 compresses it tenfold, so bosd must do the same work ten times faster: a stress test of its throughput.',
];

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = argValue('--sizes')?.split(',').map(Number);
  const ts = argValue('--time-scale');
  await runStandalone((o) => run({ ...o, sizes, timeScale: ts ? Number(ts) : undefined, cpuProfDir: argValue('--cpu-prof'), keepLogDir: argValue('--keep-log'),
    bosdNodeArgs: argValue('--bosd-node-args')?.split(' ').filter(Boolean), keepAlive: process.argv.includes('--bmc-keep-alive'),
    bosdDefaults: process.argv.includes('--bosd-defaults'), simProfile: argValue('--sim-profile'), noEvents: process.argv.includes('--no-events'),
    engine: argValue('--db') === 'postgres' ? 'postgres' : 'sqlite' }));
}
