import { createHash } from 'node:crypto';
import type { Cancel, Scheduler } from './clock.js';
import { placeNode, systemIdFor, type NodePlace } from './layout.js';
import { pickShare, prng } from './random.js';
import {
  FAULT_KINDS,
  RESET_TYPES,
  SIM_PROFILES,
  type BootArtifacts,
  type FaultKind,
  type FaultSpec,
  type PowerState,
  type PowerTransition,
  type ResetCounts,
  type ResetLogEntry,
  type SimBooted,
  type SimProfile,
  type SimReportView,
  type SimTimings,
} from './types.js';

export interface SimBmc {
  xname: string;
  profile: SimProfile;
  nodes: SimNode[];
  /** System Id → node. */
  systems: Map<string, SimNode>;
  /** System Name → node, where Names differ from Ids (sushy). */
  systemNames: Map<string, SimNode>;
  /** X-Auth-Token → session (generic profile only). */
  sessions: Map<string, { id: string; user: string }>;
  nextSessionId: number;
  acceptedResets: number;
  nextTaskId: number;
  tasks: Set<string>;
  /** URL path prefix of this BMC on its listener: "/bmc/<xname>" (shared) or "" (per-port). */
  prefix: string;
  /** Base URL the inventory hands out (origin + prefix). */
  baseUrl: string;
}

export interface SimNode {
  place: NodePlace;
  bmc: SimBmc;
  profile: SimProfile;
  systemId: string;
  systemName: string;
  power: PowerState;
  transition: { timer: Cancel; due: number; to: 'On' | 'Off' } | null;
  restartAfterOff: boolean;
  /** Bumped whenever the node starts to lose power: stale boots, reports and CFS runs check it. */
  epoch: number;
  booted: SimBooted | null;
  bootTimer: Cancel | null;
  bootCount: number;
  resets: ResetCounts;
  report: SimReportView | null;
}

/** Callbacks from the power model to the boot and CFS models. */
export interface FleetHooks {
  /** The node reached On through a power-on (not at start). */
  poweredOn(node: SimNode): void;
  /** The node started to lose power (PoweringOff) or reached Off. */
  poweringDown(node: SimNode): void;
}

export const DEFAULT_INITIAL_BOOT: BootArtifacts = {
  kernel: 's3://boot-images/sim-initial/kernel',
  initrd: 's3://boot-images/sim-initial/initrd',
  params: 'console=ttyS0,115200 root=live:sim-initial',
};

/**
 * A UUID from the node's xname, as libvirt gives each domain one. Its last digit is the other
 * node's number behind the BMC, so a client that guesses a system from the xname's node
 * number picks the wrong node (as bosd once did against sushy-tools).
 */
function sushySystemId(place: NodePlace): string {
  const h = createHash('sha256').update(place.xname).digest('hex');
  const other = String((place.slotNode + 1) % 2);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 31)}${other}`;
}

function zeroResets(): ResetCounts {
  const r = {} as ResetCounts;
  for (const t of RESET_TYPES) r[t] = 0;
  return r;
}

/** The BMCs, the nodes behind them, their power model, faults and logs. */
export class Fleet {
  readonly nodes = new Map<string, SimNode>();
  readonly order: SimNode[] = [];
  readonly bmcs = new Map<string, SimBmc>();
  readonly resetLog: ResetLogEntry[] = [];
  readonly timeline: PowerTransition[] = [];
  private readonly faults = new Map<FaultKind, Set<string>>();
  hooks: FleetHooks = { poweredOn() {}, poweringDown() {} };
  /** Every PowerState change of a node (the EventService's events). */
  onPower?: (node: SimNode, to: PowerState) => void;

  constructor(
    count: number,
    profileOf: (bmcXname: string) => SimProfile,
    readonly timings: SimTimings,
    private readonly scheduler: Scheduler,
    initialPower: 'On' | 'Off',
    initialBoot: BootArtifacts,
  ) {
    for (const k of FAULT_KINDS) this.faults.set(k, new Set());
    for (let i = 0; i < count; i++) {
      const place = placeNode(i);
      let bmc = this.bmcs.get(place.bmc);
      if (!bmc) {
        const profile = profileOf(place.bmc);
        if (!SIM_PROFILES.includes(profile)) throw new Error(`profile for ${place.bmc} must be ${SIM_PROFILES.map((p) => `"${p}"`).join(', ')}, got ${String(profile)}`);
        bmc = {
          xname: place.bmc,
          profile,
          nodes: [],
          systems: new Map(),
          systemNames: new Map(),
          sessions: new Map(),
          nextSessionId: 1,
          acceptedResets: 0,
          nextTaskId: 1,
          tasks: new Set(),
          prefix: '',
          baseUrl: '',
        };
        this.bmcs.set(place.bmc, bmc);
      }
      const systemId = bmc.profile === 'sushy' ? sushySystemId(place) : systemIdFor(bmc.profile, place.slotNode);
      const node: SimNode = {
        place,
        bmc,
        profile: bmc.profile,
        systemId,
        systemName: bmc.profile === 'sushy' ? place.hostname : systemId,
        power: initialPower,
        transition: null,
        restartAfterOff: false,
        epoch: 0,
        booted: initialPower === 'On' ? { ...initialBoot, token: null } : null,
        bootTimer: null,
        bootCount: 0,
        resets: zeroResets(),
        report: null,
      };
      bmc.nodes.push(node);
      bmc.systems.set(node.systemId, node);
      if (node.systemName !== node.systemId) bmc.systemNames.set(node.systemName, node);
      this.nodes.set(place.xname, node);
      this.order.push(node);
    }
  }

  get(xname: string): SimNode {
    const n = this.nodes.get(xname);
    if (!n) throw new Error(`unknown node ${xname}`);
    return n;
  }

  // ---- faults ----------------------------------------------------------------

  applyInitialFaults(specs: FaultSpec[], seed: number): void {
    const rand = prng(seed);
    const all = this.order.map((n) => n.place.xname);
    for (const spec of specs) {
      const names = [...(spec.xnames ?? [])];
      if (spec.rate !== undefined) names.push(...pickShare(all, spec.rate, rand));
      this.setFault(spec.kind, names, true);
    }
  }

  /** xnames may be node xnames or BMC xnames; unknown names throw. */
  setFault(kind: FaultKind, xnames: string[], on: boolean): void {
    const set = this.faults.get(kind);
    if (!set) throw new Error(`unknown fault kind "${String(kind)}"; expected one of ${FAULT_KINDS.join(', ')}`);
    for (const x of xnames) {
      if (!this.nodes.has(x) && !this.bmcs.has(x)) throw new Error(`unknown xname "${x}"`);
    }
    for (const x of xnames) {
      if (on) set.add(x);
      else set.delete(x);
    }
  }

  faultList(): Record<FaultKind, string[]> {
    const out = {} as Record<FaultKind, string[]>;
    for (const [k, v] of this.faults) out[k] = [...v].sort();
    return out;
  }

  /** A node-level fault: set on the node or on its BMC. */
  hasFault(node: SimNode, kind: FaultKind): boolean {
    const set = this.faults.get(kind)!;
    return set.has(node.place.xname) || set.has(node.bmc.xname);
  }

  /** A BMC-level fault for a request not aimed at one system: set on the BMC or any node behind it. */
  bmcHasFault(bmc: SimBmc, kind: FaultKind): boolean {
    const set = this.faults.get(kind)!;
    if (set.size === 0) return false;
    return set.has(bmc.xname) || bmc.nodes.some((n) => set.has(n.place.xname));
  }

  nodeFaults(node: SimNode): FaultKind[] {
    return FAULT_KINDS.filter((k) => this.hasFault(node, k));
  }

  // ---- power model -----------------------------------------------------------

  logReset(node: SimNode, type: string, accepted: boolean, status: number): void {
    node.resets[type] = (node.resets[type] ?? 0) + 1;
    this.resetLog.push({ at: Date.now(), xname: node.place.xname, type, accepted, status });
  }

  private setPower(node: SimNode, to: PowerState): void {
    if (node.power === to) return;
    this.timeline.push({ at: Date.now(), xname: node.place.xname, from: node.power, to });
    node.power = to;
    this.onPower?.(node, to);
  }

  private startPowerOn(node: SimNode): void {
    node.restartAfterOff = false;
    this.setPower(node, 'PoweringOn');
    const ms = this.scheduler.ms(this.timings.powerOn);
    node.transition = {
      to: 'On',
      due: this.scheduler.now() + ms,
      timer: this.scheduler.afterMs(ms, () => {
        node.transition = null;
        this.setPower(node, 'On');
        this.hooks.poweredOn(node);
      }),
    };
  }

  private startPowerOff(node: SimNode, simSeconds: number, restart: boolean): void {
    node.transition?.timer.cancel();
    node.restartAfterOff = restart;
    node.epoch++;
    node.bootTimer?.cancel();
    node.bootTimer = null;
    this.setPower(node, 'PoweringOff');
    this.hooks.poweringDown(node);
    const ms = this.scheduler.ms(simSeconds);
    node.transition = {
      to: 'Off',
      due: this.scheduler.now() + ms,
      timer: this.scheduler.afterMs(ms, () => {
        node.transition = null;
        node.booted = null;
        this.setPower(node, 'Off');
        this.hooks.poweringDown(node);
        if (node.restartAfterOff) this.startPowerOn(node);
      }),
    };
  }

  private gracefulOff(node: SimNode, restart: boolean): void {
    if (this.hasFault(node, 'graceful_ignored')) return; // the OS never acts on the request
    this.startPowerOff(node, this.timings.gracefulOff, restart);
  }

  /**
   * Applies an accepted ResetType. Like real BMCs, a request equal to the current or pending
   * state is ignored, and so is `On` while the node is powering off.
   */
  applyReset(node: SimNode, type: string): void {
    const p = node.power;
    switch (type) {
      case 'On':
      case 'ForceOn':
        if (p === 'Off') this.startPowerOn(node);
        return; // On / PoweringOn: already there; PoweringOff: ignored
      case 'Off':
      case 'GracefulShutdown':
        if (p === 'On') this.gracefulOff(node, false);
        return; // PoweringOn: no OS to shut down yet; Off / PoweringOff: already going
      case 'ForceOff':
        if (p === 'On' || p === 'PoweringOn') this.startPowerOff(node, this.timings.forceOff, false);
        else if (p === 'PoweringOff') {
          node.restartAfterOff = false;
          const ms = this.scheduler.ms(this.timings.forceOff);
          if (node.transition && node.transition.due - this.scheduler.now() > ms) this.startPowerOff(node, this.timings.forceOff, false);
        }
        return;
      case 'ForceRestart':
      case 'PowerCycle':
        if (p === 'On' || p === 'PoweringOn') this.startPowerOff(node, this.timings.forceOff, true);
        else if (p === 'Off') this.startPowerOn(node);
        else node.restartAfterOff = true;
        return;
      case 'GracefulRestart':
        if (p === 'On') this.gracefulOff(node, true);
        else if (p === 'Off') this.startPowerOn(node);
        else if (p === 'PoweringOff') node.restartAfterOff = true;
        return;
      case 'PushPowerButton':
        if (p === 'On') this.gracefulOff(node, false);
        else if (p === 'Off') this.startPowerOn(node);
        return;
      default:
        return; // Nmi and friends: no power change
    }
  }

  close(): void {
    for (const n of this.order) {
      n.transition?.timer.cancel();
      n.transition = null;
      n.bootTimer?.cancel();
      n.bootTimer = null;
    }
  }
}
