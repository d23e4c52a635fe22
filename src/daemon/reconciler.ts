import { decide, isActive, sameArtifacts, type Decision, type Facts, type PowerState, type ReconcileOptions } from '../core/reconcile.js';
import { sessionIsDone, withStatus, zeroEventStats } from '../core/component.js';
import type { Options } from '../core/options.js';
import type { Actor, BootArtifacts, Component, Session } from '../core/types.js';
import { bmcOf, chassisOf } from '../core/xname.js';
import { admitPowerOp, budgetExhausted, heldReason, type PowerCaps } from '../core/rollout-safety.js';
import type { Store } from '../store/store.js';
import { cleanupCompletedSessions, expireActualStates } from '../services/housekeeping.js';
import { NO_NODES_ERROR, saveSessionStatus } from '../services/sessions.js';
import { Coalescer, Semaphore } from './coalesce.js';
import { DueQueue } from './due-queue.js';
import type { BootParamsDriver, CfsState, ConfigDriver, PowerDriver, PowerTarget } from './drivers.js';

type CfsPatch = Parameters<ConfigDriver['patchComponents']>[1];
import type { Logger } from './log.js';
import { isIntegrationError, needsConfigurationChange, type IntegrationError } from '../integrations/errors.js';

export interface ReconcilerConfig {
  /** How often a node's power is re-read while bosd waits for it to change (ms). */
  powerPollMs: number;
  /** How often CFS is asked about nodes being configured (ms). */
  cfsPollMs: number;
  /** First wait after a failed call out; doubles per attempt (ms). */
  retryBackoffMs: number;
  /** Redfish calls in flight at most. */
  maxInFlight: number;
  /** How often the database is checked for changes by other processes (ms). */
  watchMs: number;
  /** How often sessions are checked for completion (ms). */
  sweepMs: number;
  /** How long BSS and CFS calls wait for others to join their batch (ms). */
  batchWindowMs: number;
  /** How often expired actual states and old complete sessions are cleaned up (ms; default 60 s). */
  housekeepingMs?: number;
}

export const DEFAULT_RECONCILER_CONFIG: ReconcilerConfig = {
  powerPollMs: 2000, cfsPollMs: 5000, retryBackoffMs: 2000, maxInFlight: 64, watchMs: 5, sweepMs: 1000, batchWindowMs: 20,
};

interface NodeWork {
  id: string;
  component: Component;
  rev: number;
  busy: boolean;
  /** A change arrived while a step ran: reload before the next one. */
  dirty: boolean;
  power?: { state: PowerState; at: number };
  powerError?: string;
  powerFailures: number;
  /** Failed calls setting its CFS configuration, in a row (a restart starts the count again). */
  configureFailures: number;
  cfs?: { state: CfsState | null; at: number };
  dueAfterStep?: boolean;
  /** When bosd started (or, after a restart, first saw) the node's current last action, monotonic. */
  actionAt?: { key: string; at: number };
  /** BSS or CFS could not be reached: the node waits until `until` (monotonic), no attempt spent. */
  serviceWait?: { reason: string; until: number; failures: number };
  /** Why its power operation waits for others (logged once per reason). */
  queued?: string;
}

type WriteFn = (cur: Component, rev: number) => Component | undefined | 'conflict';
interface WriteItem {
  id: string;
  /** The row as the caller last saw it: used without reading it again while its revision is unchanged. */
  known?: { component: Component; rev: number };
  fn: WriteFn;
  event?: { action: string; detail: Record<string, unknown> };
  bssToken?: { token: string; artifacts: BootArtifacts };
  stable?: boolean;
}
type WriteResult = { rev: number; component: Component } | 'conflict' | 'gone' | 'unchanged';

const ACTOR: Actor = { user: 'bosd', via: 'bosd reconciler' };
/** Not the reconciler's own actor: its changes must be reloaded like anyone else's. */
const HOUSEKEEPING: Actor = { user: 'bosd', via: 'bosd housekeeping' };

/**
 * Drives every enabled component towards its desired state. All state is in the database:
 * each step's intent is committed before the call out, so a restart resumes every node
 * where it was. Calls to BSS and CFS made by many nodes at once are batched.
 */
export class Reconciler {
  private readonly nodes = new Map<string, NodeWork>();
  private readonly targets = new Map<string, PowerTarget>();
  private readonly sem: Semaphore;
  private readonly writes: Coalescer<WriteItem, WriteResult>;
  private readonly bssPuts: Coalescer<{ id: string; artifacts: BootArtifacts }, string>;
  private readonly cfsReads: Coalescer<string, CfsState | null>;
  private readonly cfsPatches: Coalescer<{ id: string; patch: CfsPatch }, true>;
  private options!: ReconcileOptions & Pick<Options, 'max_component_batch_size'>;
  private caps: PowerCaps = { global: 0, perChassis: 0 };
  /** Admitted power operations whose intent is not stored yet (admission is synchronous, storing is not). */
  private readonly powerReservations = new Map<string, string>();
  private lastEventId = 0;
  private readonly dbOutage = { down: false, seen: 0, endedAt: Number.NEGATIVE_INFINITY };
  private lastDataVersion = -1;
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = 0;
  private lastHousekeeping = 0;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly due = new DueQueue();
  private busyCount = 0;
  private wakeRequested = true;

  constructor(
    private readonly store: Store,
    private readonly drivers: { power: PowerDriver; bss: BootParamsDriver; cfs: ConfigDriver | null },
    private readonly log: Logger,
    private readonly config: ReconcilerConfig = DEFAULT_RECONCILER_CONFIG,
    /** The wall clock: stored times (display, restart) and housekeeping TTLs. */
    private readonly now: () => number = Date.now,
    /** The monotonic clock: every deadline, wait and back-off (a moved wall clock changes none). */
    private readonly mono: () => number = () => performance.now(),
  ) {
    this.sem = new Semaphore(config.maxInFlight);
    this.writes = new Coalescer((items) => this.commit(items), 2000);
    // A short window lets nodes that reach the same step within it share one call.
    this.bssPuts = new Coalescer((items) => this.flushBss(items), Number.POSITIVE_INFINITY, config.batchWindowMs);
    this.cfsReads = new Coalescer((ids) => this.flushCfsReads(ids), 1000, config.batchWindowMs);
    this.cfsPatches = new Coalescer((items) => this.flushCfsPatches(items), Number.POSITIVE_INFINITY, config.batchWindowMs);
  }

  start(): void {
    this.refreshOptions();
    this.lastEventId = this.store.events.lastId();
    for (const { component, rev } of this.store.components.activeVersioned()) this.track(component, rev);
    this.log.log('info', 'reconciler started', { active_nodes: this.nodes.size });
    this.schedule(0);
  }

  /** Something changed (the API wrote): look at once. */
  wake(): void {
    this.wakeRequested = true;
    if (!this.stopping) this.schedule(0);
  }

  /** Stops taking new steps and waits for those in flight, at most `boundMs`. */
  async stop(boundMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const all = Promise.allSettled([...this.inFlight]);
    let bounded: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => { bounded = setTimeout(() => r('timeout'), boundMs); });
    const outcome = await Promise.race([all.then(() => 'done' as const), timeout]);
    clearTimeout(bounded);
    if (outcome === 'timeout') this.log.log('warn', 'stopped with calls still in flight', { in_flight: this.inFlight.size });
  }

  /** For tests and status: how many nodes bosd is working on. */
  get activeCount(): number {
    return this.nodes.size;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopping) return;
    try {
      const dv = this.store.dataVersion();
      if (dv !== this.lastDataVersion || this.wakeRequested) {
        this.lastDataVersion = dv;
        this.wakeRequested = false;
        this.reloadChanged();
      }
      const now = this.mono();
      this.watchWriteHealth(now);
      if (now - this.lastSweep >= this.config.sweepMs) {
        this.lastSweep = now;
        this.sweepSessions();
      }
      if (now - this.lastHousekeeping >= (this.config.housekeepingMs ?? 60_000)) {
        this.lastHousekeeping = now;
        this.housekeeping();
      }
      const cap = this.options.max_component_batch_size || Number.POSITIVE_INFINITY;
      for (let id = this.busyCount < cap ? this.due.popDue(now) : undefined; id !== undefined; id = this.busyCount < cap ? this.due.popDue(now) : undefined) {
        const w = this.nodes.get(id);
        if (!w) continue;
        // Due again while its step still runs (the step set it): look once that step ends.
        if (w.busy) w.dueAfterStep = true;
        else this.runStep(w);
      }
      const wait = Math.min(this.config.watchMs, Math.max(1, this.due.peek() - now));
      this.schedule(wait);
    } catch (e) {
      this.log.log('error', 'reconciler pass failed', { error: (e as Error).message });
      this.schedule(this.config.retryBackoffMs);
    }
  }

  /** Notices the database refusing writes and taking them again (see actionStart). */
  private watchWriteHealth(now: number): void {
    const h = this.store.writeHealth;
    if (h.failures !== this.dbOutage.seen) {
      this.dbOutage.seen = h.failures;
      if (!this.dbOutage.down) this.log.log('error', 'database cannot be written: nodes wait, no power call is made until it can', { error: h.failing ?? 'a write failed' });
      this.dbOutage.down = true;
    }
    if (this.dbOutage.down && h.failing === null) {
      this.dbOutage.down = false;
      this.dbOutage.endedAt = now;
      this.log.log('info', 'database writable again: waits that overlapped the outage start again', { active_nodes: this.nodes.size });
      for (const w of this.nodes.values()) this.setDue(w, now);
    }
  }

  /** Whether the database refuses writes now (for health). */
  get databaseWritable(): boolean {
    return !this.dbOutage.down;
  }

  private refreshOptions(): void {
    const o = this.store.read(() => this.store.options.get());
    const before = this.options;
    this.options = {
      max_power_off_wait_time: o.max_power_off_wait_time,
      max_power_on_wait_time: o.max_power_on_wait_time,
      max_boot_wait_time: o.max_boot_wait_time,
      default_retry_policy: o.default_retry_policy,
      max_component_batch_size: o.max_component_batch_size,
      retryBackoffMs: this.config.retryBackoffMs,
    };
    this.caps = { global: o.max_concurrent_power_operations, perChassis: o.max_power_operations_per_chassis };
    // A changed wait or retry policy applies to nodes already waiting: decide them again now.
    if (before && JSON.stringify(before) !== JSON.stringify(this.options)) {
      const now = this.mono();
      for (const w of this.nodes.values()) this.setDue(w, now);
    }
  }

  /** Nodes bosd has asked to power off or on that have not reached that state yet. */
  private powerOpsInFlight(except: string): string[] {
    const out: string[] = [];
    for (const [id, chassis] of this.powerReservations) if (id !== except) out.push(chassis);
    for (const n of this.nodes.values()) {
      if (n.id === except || this.powerReservations.has(n.id)) continue;
      const a = n.component.last_action;
      // An on-hold node whose power read failed may still be powering: it keeps its slot.
      if (a.failed || n.component.status.status_override === 'failed') continue;
      const off = a.action === 'powering_off_gracefully' || a.action === 'powering_off_forcefully';
      const on = a.action === 'powering_on' && n.component.status.phase === 'powering_on';
      if ((off && n.power?.state !== 'Off') || (on && n.power?.state !== 'On')) out.push(chassisOf(n.id));
    }
    return out;
  }

  /** A node of a halted session that has not started yet: hold it (once) and leave it. */
  private async holdIfHalted(w: NodeWork, d: Decision): Promise<boolean> {
    const starting = ['power_off', 'power_on', 'set_boot_params'].includes(d.step.kind)
      && (w.component.last_action.action === 'apply_staged' || w.component.last_action.action === 'session_setup');
    if (!starting || !w.component.session) return false;
    const control = this.store.read(() => this.store.sessions.control(w.component.session));
    if (control.halted_at === null) return false;
    const reason = heldReason(w.component.session);
    if (w.component.error !== reason) {
      const r = await this.write(w, {
        fn: (cur, rev) => (rev === w.rev ? { ...cur, error: reason, status: { ...cur.status, status_override: 'on_hold' } } : 'conflict'),
        event: { action: 'held', detail: { reason } },
      });
      this.afterWrite(w, r);
      this.log.log('info', 'node held', { component: w.id, session: w.component.session });
    }
    this.setDue(w, Number.POSITIVE_INFINITY);
    return true;
  }

  /** After a failure: halt the session when its failed nodes reach its budget. */
  private checkBudget(session: string): void {
    if (!session) return;
    const nowIso = new Date(this.now()).toISOString();
    this.store.write(() => {
      const s = this.store.sessions.get(session);
      const control = this.store.sessions.control(session);
      if (!s || control.halted_at !== null || control.max_failures === null) return;
      const members = this.store.components.list({ session });
      const failed = members.filter((c) => c.status.status_override === 'failed').length;
      const total = s.components ? s.components.split(',').length : members.length;
      if (!budgetExhausted(control.max_failures, failed, total)) return;
      this.store.sessions.setControl(session, { ...control, halted_at: nowIso });
      const error = `halted: failure budget ${control.max_failures} exhausted (${failed} of ${total} nodes failed)`;
      this.store.sessions.put({ ...s, status: { ...s.status, error } });
      this.store.events.record(nowIso, 'session', session, 'halted', { failed, total, max_failures: control.max_failures }, ACTOR);
      this.log.log('warn', 'session halted', { session, failed, total, max_failures: control.max_failures });
    });
  }

  private reloadChanged(): void {
    const { ids, lastId } = this.store.read(() => this.store.events.changedComponentsSince(this.lastEventId, ACTOR));
    this.lastEventId = lastId;
    this.refreshOptions();
    if (ids.length === 0) return;
    this.store.read(() => {
      for (const id of ids) {
        const w = this.nodes.get(id);
        if (w?.busy) { w.dirty = true; continue; }
        const v = this.store.components.getVersioned(id);
        if (!v || !isActive(v.component)) { this.forget(id); continue; }
        if (w && w.rev === v.rev) continue;
        this.track(v.component, v.rev);
      }
    });
  }

  private track(component: Component, rev: number): void {
    const old = this.nodes.get(component.id);
    const desiredChanged = old && !sameArtifacts(old.component.desired_state.boot_artifacts, component.desired_state.boot_artifacts);
    this.nodes.set(component.id, {
      id: component.id, component, rev, busy: false, dirty: false,
      // Facts stay valid across a reload unless the goal changed.
      power: desiredChanged ? undefined : old?.power,
      powerFailures: old?.powerFailures ?? 0,
      actionAt: old?.actionAt,
      serviceWait: desiredChanged ? undefined : old?.serviceWait,
      configureFailures: old?.configureFailures ?? 0,
      cfs: undefined,
    });
    this.due.set(component.id, 0);
  }

  private setDue(w: NodeWork, at: number): void {
    if (this.nodes.get(w.id) === w) this.due.set(w.id, at);
  }

  private forget(id: string): void {
    this.nodes.delete(id);
    this.due.delete(id);
  }

  private target(id: string): PowerTarget {
    let t = this.targets.get(id);
    if (!t) {
      const n = this.store.read(() => this.store.inventory.get(id));
      const bmc = bmcOf(id);
      t = { nodeXname: id, bmcXname: bmc, address: n?.bmc_address ?? bmc, systemId: n?.redfish_system_id ?? null, credentialsRef: n?.credentials_ref ?? null };
      this.targets.set(id, t);
    }
    return t;
  }

  private runStep(w: NodeWork): void {
    w.busy = true;
    this.busyCount++;
    const p = this.step(w)
      .catch((e) => {
        this.log.log('error', 'step failed', { component: w.id, error: (e as Error).message });
        this.setDue(w, this.mono() + this.config.retryBackoffMs);
      })
      .finally(() => {
        w.busy = false;
        this.busyCount--;
        if (w.dueAfterStep) { w.dueAfterStep = false; this.setDue(w, 0); }
        this.inFlight.delete(p);
        if (w.dirty) {
          w.dirty = false;
          const v = this.store.read(() => this.store.components.getVersioned(w.id));
          if (!v || !isActive(v.component)) this.forget(w.id);
          else if (v.rev !== w.rev) this.track(v.component, v.rev);
        }
        if (!this.stopping) this.schedule(0);
      });
    this.inFlight.add(p);
  }

  /**
   * The start of the node's current action on the monotonic clock. A stored time only says when
   * an action began on some wall clock: an action bosd did not start in this run (a restart, or
   * another process) counts from when bosd first sees it, so a wait resumed after a restart runs
   * in full and a moved clock never shortens one. A wait that overlapped a database outage counts
   * from its end: a boot report refused meanwhile must be able to come again.
   */
  private actionStart(w: NodeWork): number {
    const key = actionKey(w.component);
    const now = this.mono();
    if (w.actionAt?.key !== key) w.actionAt = { key, at: now };
    // While writes fail, no wait runs out: its end could not be stored, nor a report that ends it.
    this.watchWriteHealth(now);
    if (this.dbOutage.down) return now;
    return Math.max(w.actionAt.at, this.dbOutage.endedAt);
  }

  private decideNow(w: NodeWork, facts: Facts): Decision {
    return decide(w.component, { ...facts, actionStartedAt: this.actionStart(w) }, this.options, this.mono(), new Date(this.now()).toISOString());
  }

  private async step(w: NodeWork): Promise<void> {
    const now = this.mono();
    if (w.serviceWait && now < w.serviceWait.until) { this.setDue(w, w.serviceWait.until); return; }
    const facts: Facts = {};
    const phase = w.component.status.phase;
    // A node being configured has booted: CFS, not its BMC, says when it is done.
    const stale = !w.power || (now - w.power.at >= this.config.powerPollMs && phase !== 'configuring');
    const needPower = stale || w.powerError !== undefined;
    if (needPower) {
      try {
        // Reading the power of a node not started yet leads to its first request: it goes before
        // the polls of nodes already waiting, so a large apply gets every node going sooner.
        const state = await this.sem.run(() => this.drivers.power.powerState(this.target(w.id)), phase === '');
        w.power = { state, at: this.mono() };
        w.powerError = undefined;
        w.powerFailures = 0;
      } catch (e) {
        w.power = undefined;
        w.powerError = (e as Error).message;
        // Which system the node is, or whether its BMC may be used, is a matter of configuration:
        // fail the node now with the reason rather than asking again.
        w.powerFailures = needsConfigurationChange(e) ? Number.MAX_SAFE_INTEGER : w.powerFailures + 1;
      }
    }
    facts.power = w.power?.state;
    facts.powerError = w.powerError;
    facts.powerFailures = w.powerFailures;
    facts.configureFailures = w.configureFailures;
    let d = this.decideNow(w, facts);
    if (d.step.kind === 'observe' && d.step.cfs) {
      if (!this.drivers.cfs) facts.cfs = null;
      else if (w.cfs && this.mono() - w.cfs.at < this.config.cfsPollMs) facts.cfs = w.cfs.state;
      else {
        facts.cfs = await this.cfsReads.add(w.id);
        w.cfs = { state: facts.cfs, at: this.mono() };
      }
      if (facts.cfs === null && this.drivers.cfs) facts.cfs = { desired_config: '', enabled: false, configuration_status: 'unknown' };
      d = this.decideNow(w, facts);
    }
    // Trying BSS or CFS again after it was unreachable: the node stays on hold with its reason until it answers.
    if (w.serviceWait && (d.step.kind === 'set_boot_params' || d.step.kind === 'configure') && d.component.status.phase === w.component.status.phase) {
      d = { ...d, component: w.component };
    }
    this.log.log('debug', 'decided', { component: w.id, step: d.step.kind, phase: d.component.status.phase, power: facts.power ?? null, cfs: facts.cfs?.configuration_status ?? null });
    if (await this.holdIfHalted(w, d)) return;
    if (d.step.kind === 'power_off' || d.step.kind === 'power_on') {
      const capped = this.caps.global > 0 || this.caps.perChassis > 0;
      const admit = capped ? admitPowerOp(chassisOf(w.id), this.powerOpsInFlight(w.id), this.caps) : { ok: true as const };
      if (!admit.ok) {
        if (w.queued !== admit.reason) {
          w.queued = admit.reason;
          this.log.log('info', 'power operation queued', { component: w.id, reason: admit.reason });
          // Waiting for a slot is on hold, as BOS shows it, never stable or a power status.
          const r = await this.write(w, {
            fn: (cur) => (cur.status.status_override === '' ? { ...cur, status: { ...cur.status, status_override: 'on_hold' } } : undefined),
            event: { action: 'queued', detail: { reason: admit.reason } },
          });
          this.afterWrite(w, r);
        }
        this.setDue(w, this.mono() + Math.min(this.config.powerPollMs, 100));
        return;
      }
      w.queued = undefined;
      if (capped) this.powerReservations.set(w.id, chassisOf(w.id));
    }
    try {
      if (d.step.kind === 'power_off' || d.step.kind === 'power_on') {
        // A power request's intent is stored once a Redfish slot is free, decided again then:
        // its wait counts from the request, and a crash leaves only requests in flight in doubt.
        // Power requests go before polls (urgent).
        await this.sem.run(async () => {
          const fresh = this.decideNow(w, facts);
          if (await this.persistIntent(w, fresh)) await this.perform(w, fresh, phase);
        }, true);
        return;
      }
      if (!(await this.persistIntent(w, d))) return;
      await this.perform(w, d, phase);
    } finally {
      this.powerReservations.delete(w.id);
    }
  }

  /** Stores the decision's component if it differs; false when someone changed it first. */
  private async persistIntent(w: NodeWork, d: Decision): Promise<boolean> {
    if (d.component === w.component && d.step.kind !== 'done' && d.step.kind !== 'fail') return true;
    const decidedAt = this.mono();
    const expect = w.rev;
    const event = eventFor(d);
    const r = await this.write(w, {
      fn: (_cur, rev) => (rev === expect ? d.component : 'conflict'),
      event,
      stable: d.step.kind === 'done',
    });
    if (r === 'conflict' || r === 'gone') {
      w.dirty = true;
      this.setDue(w, 0);
      return false;
    }
    if (r !== 'unchanged') { w.component = r.component; w.rev = r.rev; }
    const key = actionKey(w.component);
    if (w.actionAt?.key !== key) w.actionAt = { key, at: decidedAt };
    return true;
  }

  private async perform(w: NodeWork, d: Decision, phaseBefore: string): Promise<void> {
    const step = d.step;
    const t0 = this.mono();
    switch (step.kind) {
      case 'wait': {
        let next = step.until ?? Number.POSITIVE_INFINITY;
        const poweringOff = w.component.status.phase === 'powering_off';
        const awaitingOn = w.component.status.phase === 'powering_on' && w.power?.state !== 'On';
        if (poweringOff || awaitingOn || w.powerError) next = Math.min(next, t0 + this.config.powerPollMs);
        if (w.component.status.phase === 'configuring') next = Math.min(next, t0 + this.config.cfsPollMs);
        this.setDue(w, next);
        if (w.component.status.phase === 'configuring') w.cfs = undefined;
        return;
      }
      case 'observe':
        this.setDue(w, t0 + this.config.retryBackoffMs);
        return;
      case 'power_off':
      case 'power_on': {
        const target = this.target(w.id);
        try {
          // step() holds a Redfish slot for this call.
          const r = await (step.kind === 'power_on' ? this.drivers.power.powerOn(target) : this.drivers.power.powerOff(target, step.mode));
          this.log.log('info', step.kind === 'power_on' ? 'power on requested' : `power off (${step.mode}) requested`, { component: w.id, reset_type: r.resetType, session: w.component.session });
          w.power = undefined;
          this.setDue(w, this.mono() + Math.min(this.config.powerPollMs, 250));
        } catch (e) {
          await this.recordCallFailure(w, (e as Error).message);
        }
        return;
      }
      case 'set_boot_params': {
        const artifacts = w.component.desired_state.boot_artifacts!;
        try {
          const token = await this.bssPuts.add({ id: w.id, artifacts });
          const configuration = w.component.desired_state.configuration ?? '';
          if (this.drivers.cfs) {
            await this.cfsPatches.add({ id: w.id, patch: { desired_config: configuration, enabled: false, state: [], tags: { bos_session: w.component.session } } });
          }
          const waited = w.serviceWait !== undefined;
          w.serviceWait = undefined;
          const r = await this.write(w, {
            fn: (cur) => (sameArtifacts(cur.desired_state.boot_artifacts, artifacts)
              ? { ...cur, ...(waited ? { error: '' } : {}), desired_state: { ...cur.desired_state, bss_token: token } }
              : undefined),
            event: { action: 'boot_parameters_set', detail: { kernel: artifacts.kernel, bss_token: token } },
            bssToken: { token, artifacts },
          });
          this.afterWrite(w, r);
          this.setDue(w, 0);
        } catch (e) {
          if (serviceDown(e)) { await this.waitForService(w, e); return; }
          const msg = (e as Error).message;
          const r = await this.write(w, {
            fn: (cur) => ({
              ...cur,
              error: msg,
              last_action: { action: 'powering_on', failed: true, last_updated: new Date(this.now()).toISOString() },
              event_stats: { ...cur.event_stats, power_on_attempts: cur.event_stats.power_on_attempts + 1 },
            }),
            event: { action: 'call_failed', detail: { step: 'set_boot_params', error: msg } },
          });
          this.afterWrite(w, r);
          this.log.log('warn', 'setting boot parameters failed', { component: w.id, error: msg });
          this.setDue(w, 0);
        }
        return;
      }
      case 'configure': {
        try {
          await this.cfsPatches.add({ id: w.id, patch: { desired_config: w.component.desired_state.configuration ?? '', enabled: true, tags: { bos_session: w.component.session } } });
          w.cfs = undefined;
          w.configureFailures = 0;
          const waited = w.serviceWait !== undefined;
          w.serviceWait = undefined;
          const r = await this.write(w, {
            fn: (cur) => (waited ? { ...cur, error: '' } : undefined),
            event: { action: 'configuration_enabled', detail: { configuration: w.component.desired_state.configuration } },
          });
          this.afterWrite(w, r);
          this.setDue(w, this.mono() + this.config.cfsPollMs);
        } catch (e) {
          if (serviceDown(e)) { await this.waitForService(w, e); return; }
          w.configureFailures++;
          await this.recordCallFailure(w, (e as Error).message);
        }
        return;
      }
      case 'done':
      case 'fail': {
        if (step.kind === 'fail') {
          this.log.log('warn', 'node failed', { component: w.id, reason: step.reason, session: w.component.session });
          this.checkBudget(w.component.session);
        }
        else this.log.log('info', wantsOffLabel(w.component), { component: w.id, session: w.component.session, phase_before: phaseBefore });
        this.forget(w.id);
        this.sweepSessions(w.component.session);
        return;
      }
    }
  }

  /**
   * BSS or CFS did not answer (or answered 429/5xx): the node waits on hold with the reason and
   * tries again with a growing back-off; it spends no attempt, because nothing about it failed.
   */
  private async waitForService(w: NodeWork, e: IntegrationError): Promise<void> {
    const name = e.service.toUpperCase();
    const reason = `waiting for ${name}: ${e.message}`;
    const failures = (w.serviceWait?.failures ?? 0) + 1;
    const until = this.mono() + Math.min(SERVICE_WAIT_MAX_MS, this.config.retryBackoffMs * 2 ** Math.min(failures - 1, 16));
    w.serviceWait = { reason, until, failures };
    if (w.component.error !== reason || w.component.status.status_override !== 'on_hold') {
      if (failures === 1) this.log.log('warn', `node waits for ${name}`, { component: w.id, error: e.message });
      const r = await this.write(w, {
        fn: (cur) => ({ ...cur, error: reason, status: { ...cur.status, status_override: 'on_hold' } }),
        event: { action: 'waiting', detail: { service: e.service, error: e.message } },
      });
      this.afterWrite(w, r);
    }
    this.setDue(w, until);
  }

  private async recordCallFailure(w: NodeWork, msg: string): Promise<void> {
    this.log.log('warn', 'call failed', { component: w.id, action: w.component.last_action.action, error: msg });
    const r = await this.write(w, {
      fn: (cur) => ({ ...cur, error: msg, last_action: { ...cur.last_action, failed: true } }),
      event: { action: 'call_failed', detail: { step: w.component.last_action.action, error: msg } },
    });
    this.afterWrite(w, r);
    w.power = undefined;
    this.setDue(w, 0);
  }

  /** Queues a write of the node's row for the next transaction. */
  private write(w: NodeWork, item: Omit<WriteItem, 'id' | 'known'>): Promise<WriteResult> {
    return this.writes.add({ ...item, id: w.id, known: { component: w.component, rev: w.rev } });
  }

  private afterWrite(w: NodeWork, r: WriteResult): void {
    if (r === 'gone') { this.forget(w.id); return; }
    if (r !== 'conflict' && r !== 'unchanged') { w.component = r.component; w.rev = r.rev; }
    else if (r === 'conflict') w.dirty = true;
  }

  /** One transaction for many nodes' writes, each a function of the row as it is now. */
  private commit(items: WriteItem[]): Promise<WriteResult[]> {
    const nowIso = new Date(this.now()).toISOString();
    return this.store.writeAsync(() => items.map((it): WriteResult => {
      const v = it.known && this.store.components.revisionOf(it.id) === it.known.rev ? it.known : this.store.components.getVersioned(it.id);
      if (!v) return 'gone';
      const next = it.fn(v.component, v.rev);
      if (next === 'conflict') return 'conflict';
      if (it.bssToken) this.store.bssTokens.put(it.bssToken.token, it.bssToken.artifacts, nowIso);
      let final = next ?? v.component;
      if (it.stable) {
        this.store.components.setLastStable(it.id, final.desired_state);
        // BOS's status operator on success: disabled, and the event's attempt counters reset (operators/status.py).
        final = { ...final, enabled: false, error: '', event_stats: zeroEventStats(), status: { ...final.status, phase: '', status_override: '' } };
      }
      const rev = next !== undefined || it.stable ? this.store.components.put(final) : undefined;
      if (it.event) this.store.events.record(nowIso, 'component', it.id, it.event.action, { ...it.event.detail, session: final.session }, ACTOR);
      return rev === undefined ? 'unchanged' : { rev, component: withStatus(final) };
    }));
  }

  /** Nodes wanting the same artifacts share one BSS PUT (and one referral token). */
  private async flushBss(items: Array<{ id: string; artifacts: BootArtifacts }>): Promise<Array<string | Error>> {
    const groups = new Map<string, number[]>();
    items.forEach((it, i) => {
      const key = JSON.stringify([it.artifacts.kernel, it.artifacts.initrd, it.artifacts.kernel_parameters]);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: Array<string | Error> = new Array(items.length);
    const max = this.options.max_component_batch_size || Number.POSITIVE_INFINITY;
    await Promise.all([...groups.values()].flatMap((idx) => {
      const chunks: number[][] = [];
      for (let i = 0; i < idx.length; i += Math.min(max, idx.length)) chunks.push(idx.slice(i, i + Math.min(max, idx.length)));
      return chunks.map(async (chunk) => {
        const a = items[chunk[0]].artifacts;
        try {
          const { token } = await this.drivers.bss.putBootParameters({ hosts: chunk.map((i) => items[i].id), kernel: a.kernel, initrd: a.initrd, params: a.kernel_parameters });
          for (const i of chunk) out[i] = token;
        } catch (e) {
          for (const i of chunk) out[i] = e as Error;
        }
      });
    }));
    return out;
  }

  /** Nodes getting the same CFS patch share one PATCH. */
  private async flushCfsPatches(items: Array<{ id: string; patch: CfsPatch }>): Promise<Array<true | Error>> {
    const groups = new Map<string, number[]>();
    items.forEach((it, i) => {
      const key = JSON.stringify(it.patch);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: Array<true | Error> = new Array(items.length);
    await Promise.all([...groups.values()].map(async (idx) => {
      try {
        await this.drivers.cfs!.patchComponents(idx.map((i) => items[i].id), items[idx[0]].patch);
        for (const i of idx) out[i] = true;
      } catch (e) {
        for (const i of idx) out[i] = e as Error;
      }
    }));
    return out;
  }

  private async flushCfsReads(ids: string[]): Promise<Array<CfsState | null | Error>> {
    try {
      const m = await this.drivers.cfs!.getComponents(ids);
      return ids.map((id) => m.get(id) ?? null);
    } catch (e) {
      return ids.map(() => e as Error);
    }
  }

  /** BOS's clean-up operators; what they change is picked up by the next reload. */
  private housekeeping(): void {
    const ctx = { store: this.store, actor: HOUSEKEEPING, now: () => new Date(this.now()) };
    const expired = expireActualStates(ctx);
    const deleted = cleanupCompletedSessions(ctx);
    if (expired.length > 0) this.wakeRequested = true;
    if (expired.length + deleted.length > 0) this.log.log('info', 'cleaned up', { actual_states_expired: expired.length, sessions_deleted: deleted.length });
  }

  /**
   * BOS's session setup and completion operators: pending → running once bosd sees a session
   * (complete at once, with BOS's error, when it got no node); running → complete when none of
   * its nodes is enabled for it or has its stage (operators/session_completion.py), its extended
   * status saved then.
   */
  private sweepSessions(only?: string): void {
    const nowIso = new Date(this.now()).toISOString();
    this.store.write(() => {
      const one = only === undefined ? undefined : this.store.sessions.statusOf(only);
      const sessions: Array<{ name: string; tenant?: string; status: Session['status'] }> = only === undefined ? this.store.sessions.unfinished() : one ? [{ name: only, status: one }] : [];
      for (const { name, tenant, status } of sessions) {
        if (status.status === 'complete') continue;
        const empty = status.status === 'pending' && this.store.sessions.get(name, tenant)?.components === '';
        const members = empty ? [] : [
          ...this.store.components.list({ session: name, enabled: true, limit: 1 }),
          ...this.store.components.list({ stagedSession: name, limit: 1 }),
        ];
        if (sessionIsDone(name, members)) {
          this.store.sessions.setStatus(name, { ...status, status: 'complete', end_time: nowIso, ...(empty ? { error: NO_NODES_ERROR } : {}) }, tenant);
          this.store.events.record(nowIso, 'session', name, 'complete', empty ? { error: NO_NODES_ERROR } : {}, ACTOR);
          this.saveStatus(name, tenant);
          this.log.log('info', 'session complete', { session: name, ...(empty ? { error: NO_NODES_ERROR } : {}) });
        } else if (status.status === 'pending') {
          this.store.sessions.setStatus(name, { ...status, status: 'running' }, tenant);
          this.store.events.record(nowIso, 'session', name, 'running', {}, ACTOR);
        }
      }
    });
  }

  /** A complete session's extended status, saved as BOS's completion operator saves it; a failure here only logs. */
  private saveStatus(name: string, tenant: string | undefined): void {
    try {
      saveSessionStatus({ store: this.store, actor: ACTOR, now: () => new Date(this.now()), ...(tenant ? { tenant } : {}) }, name);
    } catch (e) {
      this.log.log('warn', 'could not save the status of a complete session', { session: name, error: (e as Error).message });
    }
  }
}

/** The longest wait between tries while BSS or CFS is unreachable. */
const SERVICE_WAIT_MAX_MS = 60_000;

function serviceDown(e: unknown): e is IntegrationError {
  return isIntegrationError(e) && e.retryable && (e.service === 'bss' || e.service === 'cfs');
}

function actionKey(c: Component): string {
  return `${c.last_action.action ?? ''}|${c.last_action.last_updated ?? ''}`;
}

function wantsOffLabel(c: Component): string {
  return c.desired_state.boot_artifacts?.kernel ? 'node stable' : 'node powered off';
}

function eventFor(d: Decision): WriteItem['event'] {
  switch (d.step.kind) {
    case 'power_off': return { action: d.step.mode === 'graceful' ? 'powering_off_gracefully' : 'powering_off_forcefully', detail: {} };
    case 'power_on': return { action: 'powering_on', detail: {} };
    case 'set_boot_params': return { action: 'setting_boot_parameters', detail: {} };
    case 'configure': return { action: 'configuring', detail: {} };
    case 'done': return { action: d.component.desired_state.boot_artifacts?.kernel ? 'stable' : 'powered_off', detail: { kernel: d.component.desired_state.boot_artifacts?.kernel ?? '' } };
    case 'fail': return { action: 'failed', detail: { reason: d.step.reason } };
    default: return { action: 'phase', detail: { phase: d.component.status.phase } };
  }
}
