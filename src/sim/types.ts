/**
 * Public types of the simulator (BSS, CFS v3, a Redfish BMC fleet and the nodes behind it).
 * Times in SimTimings are simulated seconds; `timeScale` turns them into real seconds.
 */

/**
 * cray-ex: HPE Cray EX node controllers (Node0, Node1; ResetActionInfo; no sessions).
 * generic: a rack server vendor (System.Embedded.N; sessions; AllowableValues on the action).
 * sushy: OpenStack sushy-tools over libvirt: system Ids are UUIDs that follow no node number,
 *   Names are the domains' names (the nodes' hostnames), and a system addressed by its Name
 *   answers 307 to its Id's URL. Basic auth only.
 */
export type SimProfile = 'cray-ex' | 'generic' | 'sushy';
export const SIM_PROFILES: readonly SimProfile[] = ['cray-ex', 'generic', 'sushy'];
export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';

/**
 * What a BMC's EventService offers: SSE (ServerSentEventUri) and push subscriptions, push
 * only, or no EventService at all. Default: sse+push for cray-ex and generic, none for sushy
 * (sushy-tools has no EventService).
 */
export type EventsMode = 'sse+push' | 'push' | 'none';
export const EVENTS_MODES: readonly EventsMode[] = ['sse+push', 'push', 'none'];
export const DEFAULT_EVENTS: Readonly<Record<SimProfile, EventsMode>> = { 'cray-ex': 'sse+push', generic: 'sse+push', sushy: 'none' };

/** Every ResetType the simulator counts; which ones a BMC accepts depends on its profile. */
export const RESET_TYPES = [
  'On',
  'Off',
  'ForceOff',
  'GracefulShutdown',
  'ForceRestart',
  'GracefulRestart',
  'PushPowerButton',
  'ForceOn',
  'PowerCycle',
  'Nmi',
] as const;
export type ResetType = (typeof RESET_TYPES)[number];

/** What each profile's ComputerSystem.Reset accepts. */
export const ALLOWED_RESETS: Readonly<Record<SimProfile, readonly ResetType[]>> = {
  'cray-ex': ['On', 'Off', 'ForceOff'],
  generic: ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'GracefulRestart', 'PushPowerButton'],
  sushy: ['On', 'ForceOn', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'PushPowerButton'],
};

/** Per-node reset counters: every known type (0 when never asked) plus any unknown string a client sent. */
export type ResetCounts = Record<ResetType, number> & Record<string, number>;

export interface SimTimings {
  gracefulOff: number;
  forceOff: number;
  powerOn: number;
  boot: number;
  configure: number;
}

export const DEFAULT_TIMINGS: Readonly<SimTimings> = { gracefulOff: 30, forceOff: 2, powerOn: 10, boot: 120, configure: 60 };

export const FAULT_KINDS = [
  'bmc_5xx',
  'bmc_hang',
  'graceful_ignored',
  'never_boots',
  'wrong_artifacts',
  'cfs_fails',
  // Configuration stays pending while the fault is set (tests of "still configuring").
  'cfs_held',
  // BSS answers 503 to the node's boot script fetch (the node tries again, as iPXE does).
  'bss_5xx',
  'reset_refused',
  'bmc_conn_reset',
  'reset_no_answer',
  // The node's power events are lost (never sent) or sent LATE_EVENT_SIM_SECONDS late.
  'events_dropped',
  'events_late',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** `xnames` may name nodes or (for bmc_5xx / bmc_hang / bmc_conn_reset) BMCs; `rate` picks that share of all nodes with the seed. */
export interface FaultSpec {
  kind: FaultKind;
  xnames?: string[];
  rate?: number;
}

export interface BootArtifacts {
  kernel: string;
  initrd: string;
  params: string;
}

export interface SimOptions {
  nodes: number;
  /** Real seconds per simulated second (default 0.01). */
  timeScale?: number;
  /** Keep simulated time still until Simulator.advance moves it (tests of "nothing happened"). */
  manualClock?: boolean;
  /** A function is called once per BMC with the BMC's xname (e.g. x1000c0s3b0). */
  profile?: SimProfile | ((xname: string) => SimProfile);
  /** The BMCs' EventService (default by profile: DEFAULT_EVENTS); a function is called per BMC xname. */
  events?: EventsMode | ((xname: string) => EventsMode);
  timings?: Partial<SimTimings>;
  faults?: FaultSpec[];
  credentials?: { username: string; password: string };
  bmcMode?: 'shared' | 'per-port';
  /** Cray EX BMCs close every connection (default); true keeps them open as most BMCs do. */
  bmcKeepAlive?: boolean;
  bosUrl?: string;
  bosToken?: string;
  initialPower?: 'On' | 'Off';
  /** What nodes that start On are running (no token). Defaults to a built-in "sim-initial" image. */
  initialBoot?: BootArtifacts;
  seed?: number;
  onBoot?: (xname: string, report: { token: string | null }) => void;
  /** Boot report retry policy in real milliseconds (defaults 200, 5000, 60000). */
  reportRetry?: { initialMs?: number; maxMs?: number; giveUpMs?: number };
}

export interface SimInventoryRecord {
  xname: string;
  nid: number;
  hostname: string;
  role: 'Compute';
  groups: string[];
  bmc_address: string;
  redfish_system_id: string;
  credentials_ref: 'sim';
}

export interface SimBooted {
  kernel: string;
  initrd: string;
  params: string;
  token: string | null;
}

export type CfsStatus = 'unconfigured' | 'pending' | 'configured' | 'failed';

export interface SimReportView {
  /** PATCH attempts sent to bosd for the latest boot. */
  attempts: number;
  delivered: boolean;
  gaveUp: boolean;
  /** HTTP status of the last attempt; 0 for a connection error. */
  lastStatus: number | null;
}

export interface SimNodeView {
  xname: string;
  nid: number;
  hostname: string;
  bmc: string;
  profile: SimProfile;
  systemId: string;
  power: PowerState;
  booted: SimBooted | null;
  resets: ResetCounts;
  bootCount: number;
  configStatus: CfsStatus;
  cfs: { desired_config: string; enabled: boolean; configuration_status: CfsStatus };
  faults: FaultKind[];
  report: SimReportView | null;
}

export interface ResetLogEntry {
  at: number;
  xname: string;
  type: string;
  accepted: boolean;
  /** HTTP status answered (0 when the request was held by bmc_hang). */
  status: number;
}

export interface PowerTransition {
  at: number;
  xname: string;
  from: string;
  to: string;
}

export interface BssCall {
  at: number;
  method: string;
  /** Request path without the query, e.g. /boot/v1/bootparameters or /boot/v1/bootscript. */
  path: string;
  hosts: string[];
}

export interface CfsCall {
  at: number;
  method: string;
  ids: string[];
  patch?: unknown;
}

export interface SimStats {
  nodes: number;
  bmcs: number;
  listeners: number;
  power: Record<PowerState, number>;
  booted: number;
  bootCount: number;
  resets: { total: number; accepted: number; byType: Record<string, number> };
  redfish: { requests: number; unauthorized: number; errors5xx: number; hung: number; sessions: number; systemReads: number };
  bss: { calls: number; puts: number; bootscripts: number };
  cfs: { calls: number; patches: number; unconfigured: number; pending: number; configured: number; failed: number };
  boots: { started: number; noParams: number; neverBoots: number; wrongArtifacts: number; scriptFailures: Record<string, number> };
  reports: { attempts: number; delivered: number; gaveUp: number; retries: number; /** Failed attempts by HTTP status or client error code. */ failures: Record<string, number>; /** Delivered reports' request time, ms. */ ms: { p50: number; p99: number; max: number } };
  /** Redfish events: delivered (SSE + push), lost to faults, and subscriptions live now. */
  events: { sent: number; sse: number; pushed: number; pushFailed: number; dropped: number; delayed: number; subscriptionsLive: number; subscriptionsCreated: number; subscriptionsDeleted: number };
  /** How late the simulator's own event loop ran since it started (its saturation). */
  eventLoopDelayMs: { p99: number; max: number };
}
