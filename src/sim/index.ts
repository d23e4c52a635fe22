/**
 * The simulator bosd, the demo, tests and benchmarks run against: BSS, CFS v3, a fleet of
 * Redfish BMCs and the nodes behind them (power model, boot, boot report to bosd), with
 * fault knobs. Everything listens on 127.0.0.1 on OS-chosen ports.
 */
import type { Server, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Booter } from './boot.js';
import { Bss } from './bss.js';
import { Cfs } from './cfs.js';
import { Scheduler } from './clock.js';
import { controlHandler } from './control.js';
import { DEFAULT_INITIAL_BOOT, Fleet, type SimNode } from './fleet.js';
import { Listeners, sendJson } from './http.js';
import { Redfish } from './redfish.js';
import {
  DEFAULT_EVENTS,
  DEFAULT_TIMINGS,
  EVENTS_MODES,
  type EventsMode,
  type BssCall,
  type CfsCall,
  type FaultKind,
  type PowerState,
  type PowerTransition,
  type ResetLogEntry,
  type SimInventoryRecord,
  type SimNodeView,
  type SimOptions,
  type SimProfile,
  type SimStats,
  type SimTimings,
} from './types.js';

export * from './types.js';
export { parseBootscript } from './boot.js';
export { placeNode } from './layout.js';

export interface Simulator {
  /** http://127.0.0.1:PORT; BSS paths are /boot/v1/... */
  readonly bssUrl: string;
  /** http://127.0.0.1:PORT; CFS paths are /cfs/v3/... */
  readonly cfsUrl: string;
  /** http://127.0.0.1:PORT; the simulator's JSON control API (GET /nodes, POST /faults, GET /stats, ...). */
  readonly controlUrl: string;
  /** The BMC credentials (what credentials_ref "sim" stands for). */
  readonly credentials: { username: string; password: string };
  readonly timings: Readonly<SimTimings>;
  readonly timeScale: number;
  inventory(): SimInventoryRecord[];
  setBosUrl(url: string, token?: string): void;
  /** xnames may be node xnames or BMC xnames (a BMC-wide bmc_5xx / bmc_hang / bmc_conn_reset). Unknown names throw. */
  setFault(kind: FaultKind, xnames: string[], on: boolean): void;
  faults(): Record<FaultKind, string[]>;
  node(xname: string): SimNodeView;
  nodes(): SimNodeView[];
  resetLog(): ResetLogEntry[];
  powerTimeline(): PowerTransition[];
  bssCalls(): BssCall[];
  cfsCalls(): CfsCall[];
  stats(): SimStats;
  /** Every listening server the simulator created (for tests: count them, check `listening`). */
  servers(): readonly Server[];
  /** Ends every open Redfish event stream (SSE) at once, as a BMC reboot would; returns how many. */
  breakEventStreams(): number;
  /** With manualClock: moves simulated time on, running every power, boot and CFS step that falls due. */
  advance(simSeconds: number): void;
  /** Stops every timer, request and listener; safe to call twice. */
  close(): Promise<void>;
}

/** SimOptions and where to listen: the simulator's own choice of ports unless portBase is given. */
export interface SimStartOptions extends SimOptions {
  /**
   * Fixed ports from this one: BSS portBase, CFS +1, control +2, then the Redfish listener
   * (+3; per-port BMCs: +3, +4, ... one each). Undefined: ports the OS picks.
   */
  portBase?: number;
}

/** How many ports the simulator takes (for portBase): BSS, CFS, control and the BMC listeners. */
export function portsNeeded(bmcMode: 'shared' | 'per-port', bmcs: number): number {
  return 3 + (bmcMode === 'shared' ? 1 : bmcs);
}

function checkOptions(opts: SimStartOptions): void {
  if (opts.portBase !== undefined && (!Number.isInteger(opts.portBase) || opts.portBase < 1 || opts.portBase > 65535)) throw new Error('portBase must be an integer from 1 to 65535');
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 200_000) throw new Error('nodes must be an integer from 1 to 200000');
  if (opts.timeScale !== undefined && !(opts.timeScale > 0 && Number.isFinite(opts.timeScale))) throw new Error('timeScale must be a positive number');
  if (opts.bmcMode !== undefined && opts.bmcMode !== 'shared' && opts.bmcMode !== 'per-port') throw new Error('bmcMode must be "shared" or "per-port"');
  if (opts.initialPower !== undefined && opts.initialPower !== 'On' && opts.initialPower !== 'Off') throw new Error('initialPower must be "On" or "Off"');
  if (typeof opts.events === 'string' && !EVENTS_MODES.includes(opts.events)) throw new Error(`events must be one of ${EVENTS_MODES.join(', ')}`);
  for (const [k, v] of Object.entries(opts.timings ?? {})) {
    if (!(k in DEFAULT_TIMINGS)) throw new Error(`unknown timing "${k}"`);
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new Error(`timing ${k} must be a non-negative number of seconds`);
  }
}

export async function startSimulator(opts: SimStartOptions): Promise<Simulator> {
  checkOptions(opts);
  const timeScale = opts.timeScale ?? 0.01;
  const timings: SimTimings = { ...DEFAULT_TIMINGS, ...(opts.timings ?? {}) };
  const credentials = { ...(opts.credentials ?? { username: 'root', password: 'initial0' }) };
  const profile = opts.profile ?? 'cray-ex';
  const profileOf: (bmc: string) => SimProfile = typeof profile === 'function' ? profile : () => profile;
  const bmcMode = opts.bmcMode ?? 'shared';

  const scheduler = new Scheduler(timeScale, opts.manualClock === true);
  const fleet = new Fleet(opts.nodes, profileOf, timings, scheduler, opts.initialPower ?? 'On', opts.initialBoot ?? DEFAULT_INITIAL_BOOT);
  fleet.applyInitialFaults(opts.faults ?? [], opts.seed ?? 1);
  const bss = new Bss(fleet);
  const cfs = new Cfs(fleet, scheduler);
  const events = opts.events ?? ((bmc: string) => DEFAULT_EVENTS[profileOf(bmc)]);
  const eventsOf: (bmc: string) => EventsMode = typeof events === 'function' ? events : () => events;
  const redfish = new Redfish(fleet, credentials, opts.bmcKeepAlive === true, scheduler, (bmc) => eventsOf(bmc.xname));
  const booter = new Booter(fleet, scheduler, opts.onBoot, {
    initialMs: opts.reportRetry?.initialMs ?? 200,
    maxMs: opts.reportRetry?.maxMs ?? 5000,
    giveUpMs: opts.reportRetry?.giveUpMs ?? 60_000,
  });
  booter.bosUrl = opts.bosUrl;
  booter.bosToken = opts.bosToken;
  booter.onBooted = (node) => cfs.nodeBooted(node.place.xname);
  fleet.hooks = {
    poweredOn: (node) => booter.poweredOn(node),
    poweringDown: (node) => cfs.nodeDown(node.place.xname),
  };

  const listeners = new Listeners();
  const onError = (err: unknown, res: ServerResponse) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 500, { error: `simulator error: ${(err as Error)?.message ?? String(err)}` });
  };

  // How late this process's event loop ran (the simulator's own saturation, in its stats).
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing) return closing;
    loopDelay.disable();
    scheduler.close();
    fleet.close();
    cfs.close();
    booter.close();
    redfish.close();
    closing = listeners.close();
    return closing;
  };

  let bssUrl: string;
  let cfsUrl: string;
  let controlUrl: string;
  const base = opts.portBase;
  if (base !== undefined && base + portsNeeded(bmcMode, fleet.bmcs.size) - 1 > 65535) {
    await close();
    throw new Error(`portBase ${base} leaves too few ports: ${portsNeeded(bmcMode, fleet.bmcs.size)} are needed (${base}-${base + portsNeeded(bmcMode, fleet.bmcs.size) - 1})`);
  }
  /** The n-th port from portBase, or 0 (the OS picks). */
  const port = (n: number) => (base === undefined ? 0 : base + n);
  const listen = async (h: Parameters<Listeners['listen']>[0], n: number) => {
    try {
      return await listeners.listen(h, onError, '127.0.0.1', port(n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${port(n)} (127.0.0.1) is in use: choose another port base`);
      throw e;
    }
  };
  try {
    bssUrl = (await listen(bss.handle, 0)).origin;
    cfsUrl = (await listen(cfs.handle, 1)).origin;
    bss.origin = bssUrl;
    booter.bssOrigin = bssUrl;
    if (bmcMode === 'shared') {
      const { origin } = await listen(redfish.shared, 3);
      for (const bmc of fleet.bmcs.values()) {
        bmc.prefix = `/bmc/${bmc.xname}`;
        bmc.baseUrl = `${origin}${bmc.prefix}`;
      }
    } else {
      let i = 3;
      for (const bmc of fleet.bmcs.values()) {
        const { origin } = await listen(redfish.perBmc(bmc), i++);
        bmc.prefix = '';
        bmc.baseUrl = origin;
      }
    }
  } catch (err) {
    await close();
    throw err;
  }

  const nodeView = (n: SimNode): SimNodeView => {
    const c = cfs.components.get(n.place.xname)!;
    return {
      xname: n.place.xname,
      nid: n.place.nid,
      hostname: n.place.hostname,
      bmc: n.bmc.xname,
      profile: n.profile,
      systemId: n.systemId,
      power: n.power,
      booted: n.booted ? { ...n.booted } : null,
      resets: { ...n.resets },
      bootCount: n.bootCount,
      configStatus: c.configuration_status,
      cfs: { desired_config: c.desired_config, enabled: c.enabled, configuration_status: c.configuration_status },
      faults: fleet.nodeFaults(n),
      report: n.report ? { ...n.report } : null,
    };
  };

  const inventory = (): SimInventoryRecord[] =>
    fleet.order.map((n) => ({
      xname: n.place.xname,
      nid: n.place.nid,
      hostname: n.place.hostname,
      role: 'Compute',
      groups: ['compute'],
      bmc_address: n.bmc.baseUrl,
      redfish_system_id: n.systemId,
      credentials_ref: 'sim',
    }));

  const stats = (): SimStats => {
    const power: Record<PowerState, number> = { On: 0, Off: 0, PoweringOn: 0, PoweringOff: 0 };
    let booted = 0;
    let bootCount = 0;
    for (const n of fleet.order) {
      power[n.power]++;
      if (n.booted) booted++;
      bootCount += n.bootCount;
    }
    const byType: Record<string, number> = {};
    let accepted = 0;
    for (const r of fleet.resetLog) {
      byType[r.type] = (byType[r.type] ?? 0) + 1;
      if (r.accepted) accepted++;
    }
    const b = booter.counters;
    const { sent, sse, pushed, pushFailed, dropped, delayed, subscriptionsCreated, subscriptionsDeleted } = redfish.events.counters;
    const ev = { sent, sse, pushed, pushFailed, dropped, delayed, subscriptionsCreated, subscriptionsDeleted };
    return {
      nodes: fleet.order.length,
      bmcs: fleet.bmcs.size,
      listeners: listeners.servers.length,
      power,
      booted,
      bootCount,
      resets: { total: fleet.resetLog.length, accepted, byType },
      redfish: { ...redfish.counters },
      bss: { calls: bss.calls.length, puts: bss.puts, bootscripts: bss.bootscripts },
      cfs: { calls: cfs.calls.length, patches: cfs.patches, ...cfs.counts() },
      boots: { started: b.started, noParams: b.noParams, neverBoots: b.neverBoots, wrongArtifacts: b.wrongArtifacts, scriptFailures: { ...b.scriptFailures } },
      reports: { attempts: b.reportAttempts, delivered: b.reportsDelivered, gaveUp: b.reportsGaveUp, retries: b.reportRetries, failures: { ...b.reportFailures }, ms: percentiles(b.reportMs) },
      events: { ...ev, subscriptionsLive: redfish.events.live },
      eventLoopDelayMs: { p99: Math.round(loopDelay.percentile(99) / 1e6), max: Math.round(loopDelay.max / 1e6) },
    };
  };

  const api: Omit<Simulator, 'bssUrl' | 'cfsUrl' | 'controlUrl'> = {
    credentials,
    timings,
    timeScale,
    inventory,
    setBosUrl(url: string, token?: string) {
      const u = new URL(url); // throws on garbage
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('bosUrl must be http(s)');
      booter.bosUrl = url;
      booter.bosToken = token;
    },
    setFault: (kind, xnames, on) => fleet.setFault(kind, xnames, on),
    faults: () => fleet.faultList(),
    node: (xname) => nodeView(fleet.get(xname)),
    nodes: () => fleet.order.map(nodeView),
    resetLog: () => fleet.resetLog.map((e) => ({ ...e })),
    powerTimeline: () => fleet.timeline.map((e) => ({ ...e })),
    bssCalls: () => bss.calls.map((c) => ({ ...c, hosts: [...c.hosts] })),
    cfsCalls: () => cfs.calls.map((c) => ({ ...c, ids: [...c.ids] })),
    stats,
    servers: () => listeners.servers.slice(),
    breakEventStreams: () => redfish.events.breakStreams(),
    advance: (simSeconds) => scheduler.advance(simSeconds),
    close,
  };
  try {
    if (opts.bosUrl) api.setBosUrl(opts.bosUrl, opts.bosToken);
    controlUrl = (await listen(controlHandler(api), 2)).origin;
  } catch (err) {
    await close();
    throw err;
  }
  return { ...api, bssUrl, cfsUrl, controlUrl };
}

/** p50, p99 and max of a list of durations (ms, rounded); zeros when it is empty. */
function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  if (xs.length === 0) return { p50: 0, p99: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(s[s.length - 1]!) };
}
