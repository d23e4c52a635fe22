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
//                       [--keep-log DIR]   (bosd's log and database are copied to DIR)
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  allNodes, bosctl, bosctlSync, cpuSecondsOf, fmtMB, fmtRatio, fmtS, machineLine, memoryOf, postJson, removeDir, root, row,
  runStandalone, sleep, startBosd, startSimProcess, tempDir,
} from './lib.js';

/** Simulated seconds of the reboot path with the simulator's default timings. */
export const HARDWARE_SIM_SECONDS = 30 + 10 + 120 + 60;
export const BOSD_SCALE_ARGS = ['--max-in-flight', '256', '--power-poll-ms', '1000', '--cfs-poll-ms', '1000'];

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * One rollout of `nodes` nodes. Returns the measurements (no rows).
 */
export async function rollout({ nodes, timeScale, log = () => {}, cpuProfDir, keepLogDir }) {
  const dir = tempDir('bosctl-bench-scale-');
  const db = join(dir, 'bosd.db');
  const inventory = join(dir, 'inventory.json');
  const credentialsFile = join(dir, 'redfish.json');
  const hardwareS = HARDWARE_SIM_SECONDS * timeScale;
  let sim;
  let bosd;
  let ro;
  try {
    const t0setup = Date.now();
    sim = await startSimProcess({ nodes, timeScale, inventory, credentialsFile });
    bosctlSync(db, ['inventory', 'import', inventory, '-q']);
    bosctlSync(db, ['sessiontemplate', 'create', 'compute-v2', '--file', join(root, 'examples', 'compute-v2.json'), '-q']);
    bosctlSync(db, ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'rollout', '-q']);
    // bosd's waits are real seconds: far above the scaled hardware times, so nothing escalates
    // or fails because the machine is busy; a stuck node would fail the benchmark by its guard.
    const wait = Math.max(60, Math.ceil(hardwareS * 10));
    bosctlSync(db, ['options', 'update', `max_power_off_wait_time=${wait}`, `max_power_on_wait_time=${wait}`, `max_boot_wait_time=${wait}`, '-q']);
    const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfDir), '--cpu-prof-name', `bosd-${nodes}.cpuprofile`] : [];
    bosd = await startBosd({ db, bssUrl: sim.bss_url, cfsUrl: sim.cfs_url, credentialsFile, args: BOSD_SCALE_ARGS, nodeArgs, logFile: join(dir, 'bosd.log') });
    await postJson(`${sim.control_url}/bos`, { url: bosd.url });
    log(`scale ${nodes}: setup ${((Date.now() - t0setup) / 1000).toFixed(1)} s (simulator pid ${sim.pid}, bosd pid ${bosd.pid} at ${bosd.url}); time scale ${timeScale}, hardware ${hardwareS.toFixed(1)} s`);
    await sleep(500);
    const idle = memoryOf(bosd.pid);
    const cpuBosd0 = cpuSecondsOf(bosd.pid);
    const cpuSim0 = cpuSecondsOf(sim.pid);

    ro = new Database(db, { readonly: true, fileMustExist: true });
    const countQ = ro.prepare("SELECT coalesce(sum(enabled = 1 AND status_override <> 'failed'), 0) AS active, coalesce(sum(status_override = 'failed'), 0) AS failed FROM components");
    const phaseQ = ro.prepare("SELECT phase, count(*) AS n FROM components WHERE enabled = 1 AND status_override <> 'failed' GROUP BY phase");

    const t0 = Date.now();
    const apply = await bosctl(db, ['apply-staged', allNodes(nodes), '-q']);
    log(`scale ${nodes}: apply-staged took ${apply.ms.toFixed(0)} ms`);
    const guardMs = hardwareS * 1000 * 20 + 300_000;
    let counts;
    let lastReport = Date.now();
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
        lastReport = Date.now();
        log(`scale ${nodes}: ${((Date.now() - t0) / 1000).toFixed(0)} s: ${counts.active} active ${JSON.stringify(Object.fromEntries(phaseQ.all().map((r) => [r.phase || '(none)', r.n])))}, ${counts.failed} failed, bosd RSS ${fmtMB(m?.rss ?? 0)}, CPU ${(cpuSecondsOf(bosd.pid) - cpuBosd0).toFixed(1)} s`);
      }
      await sleep(250);
    }
    const polledMs = Date.now() - t0;
    const mem = memoryOf(bosd.pid);
    const cpuBosd = cpuSecondsOf(bosd.pid) - cpuBosd0;
    const cpuSim = cpuSecondsOf(sim.pid) - cpuSim0;
    // The exact settle time: the last node's final event (the poll above only sees it within 250 ms).
    const last = ro.prepare("SELECT max(at) AS at FROM events WHERE kind = 'component' AND action IN ('stable', 'failed', 'powered_off')").get();
    const perNode = ro.prepare("SELECT subject, max(at) AS at FROM events WHERE kind = 'component' AND action IN ('stable', 'failed') GROUP BY subject").all()
      .map((r) => Date.parse(r.at) - t0).sort((a, b) => a - b);
    const wallMs = last.at ? Date.parse(last.at) - t0 : polledMs;
    const stats = await fetch(`${sim.control_url}/stats`).then((r) => r.json()).catch(() => null);
    const result = {
      nodes, timeScale, hardwareS, wallS: wallMs / 1000, polledS: polledMs / 1000, applyMs: apply.ms,
      overhead: (wallMs / 1000 - hardwareS) / hardwareS, failed: counts.failed,
      peakRss: mem?.hwm ?? NaN, peakRssPolled: peakRss, idleRss: idle?.rss ?? NaN, cpuBosd, cpuSim,
      nodeP50S: perNode[Math.floor(perNode.length / 2)] / 1000, firstS: perNode[0] / 1000,
      redfishRequests: stats?.redfish?.requests, bssCalls: stats?.bss?.calls, cfsCalls: stats?.cfs?.calls, logLines: bosd.stats.lines,
      warnings: bosd.stats.warn + bosd.stats.error,
    };
    log(`scale ${nodes}: settled in ${result.wallS.toFixed(2)} s (hardware ${hardwareS.toFixed(2)} s, overhead ${(result.overhead * 100).toFixed(1)} %), `
      + `${result.failed} failed, first node ${result.firstS.toFixed(2)} s, median node ${result.nodeP50S.toFixed(2)} s, bosd VmHWM ${fmtMB(result.peakRss)}, `
      + `bosd CPU ${cpuBosd.toFixed(1)} s, simulator CPU ${cpuSim.toFixed(1)} s, ${result.redfishRequests} Redfish requests, ${result.logLines} bosd log lines (${result.warnings} warn/error)`);
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
    removeDir(dir);
  }
}

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
    row('rollout: bosd peak RSS (VmHWM)', size, fmtMB(r.peakRss), {
      goal: '< 200 MB', met: r.peakRss < 200 * 2 ** 20, baseline: `bosd idle after start ${fmtMB(r.idleRss)}`, ratio: fmtRatio(r.peakRss / r.idleRss),
    }),
    row('rollout: bosd CPU (user + sys)', size, `${fmtS(r.cpuBosd)} (simulator ${fmtS(r.cpuSim)})`, {
      baseline: `wall time ${fmtS(r.wallS)}`, ratio: `${fmtRatio(r.cpuBosd / r.wallS)} of one core`,
    }),
  ];
}

export async function run({ quick = false, log = () => {}, sizes, timeScale, cpuProfDir, keepLogDir } = {}) {
  sizes ??= quick ? [200] : [1000, 10_000];
  // ~22 s of hardware time (full); 2.2 s in quick mode.
  timeScale ??= quick ? 0.01 : 0.1;
  const rows = [];
  for (const nodes of sizes) {
    const r = await rollout({ nodes, timeScale, log, cpuProfDir, keepLogDir });
    rows.push(...rowsFor(r, { goalOverhead: nodes >= 10_000 }));
  }
  return rows;
}

export const NOTES = [
  `bosd runs with \`${BOSD_SCALE_ARGS.join(' ')}\`; options max_power_off_wait_time = max_power_on_wait_time = max_boot_wait_time = max(60, 10 × hardware time) s.`,
  'The simulator (`bosctl sim`, shared BMC listener, cray-ex profile) and bosd are separate processes on the same 2 cores, so they compete for CPU; the wall time includes the simulator\'s own delays.',
  'Hardware time = (gracefulOff 30 + powerOn 10 + boot 120 + configure 60 simulated s) × time scale. Wall time ends at the last node\'s final event in the database (`stable`/`failed`); CPU is measured from just before apply-staged to settled.',
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = argValue('--sizes')?.split(',').map(Number);
  const ts = argValue('--time-scale');
  await runStandalone((o) => run({ ...o, sizes, timeScale: ts ? Number(ts) : undefined, cpuProfDir: argValue('--cpu-prof'), keepLogDir: argValue('--keep-log') }));
}
