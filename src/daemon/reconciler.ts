import type { Store } from '../store/store.js';
import { cleanupCompletedSessions, expireActualStates } from '../services/housekeeping.js';
import { commitNodeWrites, RECONCILER_ACTOR, type NodeWrite, type NodeWriteResult } from '../services/node-writes.js';
import type { Actor } from '../core/types.js';
import { Coalescer, Semaphore } from './coalesce.js';
import { DbOutageWatch, FactGatherer, type PowerEventFacts } from './facts.js';
import type { Logger } from './log.js';
import { Loop, realScheduler, type Scheduler } from './loop.js';
import { unexpectedCode } from './node-errors.js';
import { NodeStepper } from './node-step.js';
import { NodeTable, type NodeWork, type PowerEventHook } from './node-work.js';
import { SessionProgress } from './progress.js';
import { DEFAULT_RECONCILER_CONFIG, type ReconcilerConfig } from './reconciler-config.js';
import { BootParamsStep } from './steps/boot-params.js';
import { CfsPatcher } from './steps/configure.js';
import type { Drivers, StepContext, StepOptions } from './steps/context.js';
import { PowerAdmission } from './steps/power.js';

export { DEFAULT_RECONCILER_CONFIG, type ReconcilerConfig };

/** Not the reconciler's own actor: its changes must be reloaded like anyone else's. */
const HOUSEKEEPING: Actor = { user: 'bosd', via: 'bosd housekeeping' };

/**
 * Drives every enabled component towards its desired state, composed of: the loop (loop.ts),
 * the nodes' records (node-work.ts), facts (facts.ts), one step per node (node-step.ts over
 * steps/), and the services that write rows and move sessions. All state is in the database:
 * each step's intent is committed before the call out, so a restart resumes every node where
 * it was. Calls to BSS and CFS made by many nodes at once are batched.
 */
export class Reconciler {
  private readonly nodes = new NodeTable();
  private readonly loop: Loop;
  private readonly stepper: NodeStepper;
  private readonly outage: DbOutageWatch;
  private readonly facts: FactGatherer;
  private readonly admission: PowerAdmission;
  private readonly progress: SessionProgress;
  private readonly writes: Coalescer<NodeWrite, NodeWriteResult>;
  private options!: StepOptions;
  private lastEventId = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private busyCount = 0;

  constructor(
    private readonly store: Store,
    drivers: Drivers,
    private readonly log: Logger,
    private readonly config: ReconcilerConfig = DEFAULT_RECONCILER_CONFIG,
    /** The wall clock: stored times (display, restart) and housekeeping TTLs. */
    private readonly now: () => number = Date.now,
    /** The monotonic clock: every deadline, wait and back-off (a moved wall clock changes none). */
    private readonly mono: () => number = () => performance.now(),
    /** Timers (the loop's, and the batch windows'): a test's fake clock. */
    scheduler: Scheduler = realScheduler,
  ) {
    const later = (fn: () => void, ms: number) => { scheduler.set(fn, ms); };
    const sem = new Semaphore(config.maxInFlight);
    this.writes = new Coalescer((items) => commitNodeWrites(store, items, new Date(now()).toISOString()), 2000);
    this.outage = new DbOutageWatch(store, log);
    this.progress = new SessionProgress(store, log, now);
    this.admission = new PowerAdmission(this.nodes);
    this.facts = new FactGatherer({
      store, power: drivers.power, cfs: drivers.cfs, sem, outage: this.outage, mono, config, later,
      onOutageEnded: (at) => {
        this.log.log('info', 'database writable again: waits that overlapped the outage start again', { active_nodes: this.nodes.size });
        this.nodes.setAllDue(at);
      },
    });
    const ctx: StepContext = {
      nodes: this.nodes, drivers, log, config, mono, now, later,
      options: () => this.options,
      write: (w, item) => this.writes.add({ ...item, id: w.id, known: { component: w.component, rev: w.rev } }),
    };
    const cfs = new CfsPatcher(() => drivers.cfs, config.batchWindowMs, later);
    this.stepper = new NodeStepper(ctx, { facts: this.facts, admission: this.admission, bootParams: new BootParamsStep(ctx, cfs), cfs, progress: this.progress, sem });
    this.loop = new Loop(this.nodes.due, {
      changed: () => this.reloadChanged(),
      everyTick: (t) => this.facts.watchOutage(t),
      periodic: [
        { everyMs: config.sweepMs, run: () => this.progress.sweep() },
        { everyMs: config.housekeepingMs ?? 60_000, run: () => this.housekeeping() },
      ],
      room: () => (this.options.max_component_batch_size || Number.POSITIVE_INFINITY) - this.busyCount,
      due: (id) => {
        const w = this.nodes.get(id);
        if (!w) return;
        // Due again while its step still runs (the step set it): look once that step ends.
        if (w.busy) w.dueAfterStep = true;
        else this.runStep(w);
      },
      failed: (e) => this.log.log('error', 'reconciler pass failed', { code: unexpectedCode(e), error: (e as Error).message }),
    }, () => store.dataVersion(), mono, config, scheduler);
  }

  start(): void {
    this.refreshOptions();
    this.lastEventId = this.store.events.lastId();
    for (const { component, rev } of this.store.components.activeVersioned()) this.nodes.track(component, rev);
    this.facts.loadTargets([...this.nodes.values()].map((w) => w.id));
    this.log.log('info', 'reconciler started', { active_nodes: this.nodes.size });
    this.loop.schedule(0);
  }

  /**
   * Listen to Redfish events (power-events.ts): `make` gets the node table the events wake and
   * the monotonic clock. Before start().
   */
  useEvents<E extends PowerEventFacts & PowerEventHook>(make: (nodes: NodeTable, mono: () => number) => E): E {
    const ev = make(this.nodes, this.mono);
    this.nodes.powerEvents = ev;
    this.facts.events = ev;
    return ev;
  }

  /** Something changed (the API wrote): look at once. */
  wake(): void {
    this.loop.wake();
  }

  /** Stops taking new steps and waits for those in flight, at most `boundMs`. */
  async stop(boundMs: number): Promise<void> {
    this.loop.stop();
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

  /** Whether the database refuses writes now (for health). */
  get databaseWritable(): boolean {
    return !this.outage.down;
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
    this.admission.caps = { global: o.max_concurrent_power_operations, perChassis: o.max_power_operations_per_chassis };
    // A changed wait or retry policy applies to nodes already waiting: decide them again now.
    if (before && JSON.stringify(before) !== JSON.stringify(this.options)) this.nodes.setAllDue(this.mono());
  }

  private reloadChanged(): void {
    const { ids, lastId } = this.store.read(() => this.store.events.changedComponentsSince(this.lastEventId, RECONCILER_ACTOR));
    this.lastEventId = lastId;
    this.refreshOptions();
    this.nodes.reload(this.store, ids);
    this.facts.loadTargets(ids.filter((id) => this.nodes.get(id)));
  }

  private runStep(w: NodeWork): void {
    w.busy = true;
    this.busyCount++;
    const p = this.stepper.step(w)
      .catch((e) => {
        this.log.log('error', 'step failed', { component: w.id, code: unexpectedCode(e), error: (e as Error).message });
        this.nodes.setDue(w, this.mono() + this.config.retryBackoffMs);
      })
      .finally(() => {
        w.busy = false;
        this.busyCount--;
        if (w.dueAfterStep) { w.dueAfterStep = false; this.nodes.setDue(w, 0); }
        this.inFlight.delete(p);
        this.nodes.reloadDirty(this.store, w);
        if (!this.loop.stopping) this.loop.schedule(0);
      });
    this.inFlight.add(p);
  }

  /** BOS's clean-up operators; what they change is picked up by the next reload. */
  private housekeeping(): void {
    const ctx = { store: this.store, actor: HOUSEKEEPING, now: () => new Date(this.now()) };
    const expired = expireActualStates(ctx);
    const deleted = cleanupCompletedSessions(ctx);
    if (expired.length > 0) this.loop.markChanged();
    if (expired.length + deleted.length > 0) this.log.log('info', 'cleaned up', { actual_states_expired: expired.length, sessions_deleted: deleted.length });
  }
}
