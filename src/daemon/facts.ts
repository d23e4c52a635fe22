import type { Facts, PowerState } from '../core/reconcile.js';
import { bmcOf } from '../core/xname.js';
import { needsConfigurationChange } from '../integrations/errors.js';
import type { Store } from '../store/store.js';
import { sameArtifacts } from '../core/reconcile.js';
import { Coalescer, SLOT, type Semaphore } from './coalesce.js';
import type { CfsState, ConfigDriver, PowerDriver, PowerTarget } from './drivers.js';
import type { Logger } from './log.js';
import { actionKey, type NodeWork } from './node-work.js';
import type { PollPlanner } from './steps/poll-plan.js';

/**
 * What bosd observes before it decides: a node's power (from its BMC), its CFS state, and when
 * its current action started on the monotonic clock. Reads are cached per node and batched.
 */

/** Notices the database refusing writes and taking them again. */
export class DbOutageWatch {
  down = false;
  private seen = 0;
  endedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly store: Store, private readonly log: Logger) {}

  /** True when the outage ended just now (waits that overlapped it must start again). */
  check(now: number): boolean {
    const h = this.store.writeHealth;
    if (h.failures !== this.seen) {
      this.seen = h.failures;
      if (!this.down) this.log.log('error', 'database cannot be written: nodes wait, no power call is made until it can', { code: 'BOS_DB_UNWRITABLE', error: h.failing ?? 'a write failed' });
      this.down = true;
    }
    if (this.down && h.failing === null) {
      this.down = false;
      this.endedAt = now;
      return true;
    }
    return false;
  }
}

export interface FactDeps {
  store: Store;
  power: PowerDriver;
  cfs: ConfigDriver | null;
  /** Bounds Redfish calls in flight. */
  sem: Semaphore;
  outage: DbOutageWatch;
  mono: () => number;
  config: { powerPollMs: number; cfsPollMs: number; batchWindowMs: number };
  /** Outage ended: every node is due again. */
  onOutageEnded: (now: number) => void;
  /** Runs fn after ms (the loop's scheduler). */
  later: (fn: () => void, ms: number) => void;
}

/** What facts need of Redfish events (power-events.ts). */
export interface PowerEventFacts {
  readonly enabled: boolean;
  contact(t: PowerTarget): Promise<void>;
  current(id: string): { state: PowerState; at: number } | undefined;
  readDue(w: NodeWork): number | undefined;
  /** A read's result; an event newer than the read is returned (its state wins). */
  observed(id: string, state: PowerState, sentAt: number, at: number): { state: PowerState; at: number } | undefined;
}

export class FactGatherer {
  private readonly targets = new Map<string, PowerTarget>();
  private readonly cfsReads: Coalescer<string, CfsState | null>;
  /** Plans the reads of changes nodes wait for (set by the stepper that owns it). */
  polls?: PollPlanner;
  /** Set when bosd listens to Redfish events: a fact from a live event stream replaces a poll. */
  events?: PowerEventFacts;

  constructor(private readonly d: FactDeps) {
    this.cfsReads = new Coalescer((ids) => this.flushCfsReads(ids), 1000, d.config.batchWindowMs, d.later);
  }

  /** The node's BMC as Redfish is called: from the inventory, read once. */
  target(id: string): PowerTarget {
    if (!this.targets.has(id)) this.loadTargets([id]);
    return this.targets.get(id)!;
  }

  /** Reads the inventory of nodes not read yet, in one query (nodes that just became active). */
  loadTargets(ids: Iterable<string>): void {
    const missing = [...ids].filter((id) => !this.targets.has(id));
    if (missing.length === 0) return;
    const rows = this.d.store.read(() => this.d.store.inventory.getMany(missing));
    for (const id of missing) {
      const n = rows.get(id);
      const bmc = bmcOf(id);
      this.targets.set(id, { nodeXname: id, bmcXname: bmc, address: n?.bmc_address ?? bmc, systemId: n?.redfish_system_id ?? null, credentialsRef: n?.credentials_ref ?? null });
    }
  }

  /** Its power (read again when stale or after a failed read), and the counts decide needs. */
  async power(w: NodeWork, now: number): Promise<Facts> {
    const phase = w.component.status.phase;
    if (phase === 'powering_on' && bootReported(w)) {
      // Its boot report proves it On: it booted with the parameters set for this power-on.
      w.power = { state: 'On', at: now };
      if (w.watch?.kind === 'on') this.polls?.end(w);
    }
    const ev = this.events?.enabled ? this.events : undefined;
    // What the BMC's live events said since the last read (a power request forgets the read).
    if (ev && !w.power && w.powerError === undefined) w.power = ev.current(w.id);
    const readDue = w.power && ev ? ev.readDue(w) : undefined;
    // A node being configured has booted: CFS, not its BMC, says when it is done.
    // A node waiting for a change it asked for is read when its plan says (steps/poll-plan.ts).
    const planned = w.watch && w.watch.kind !== 'cfs' ? w.watch.next : undefined;
    const stale = !w.power || (phase !== 'configuring' && (readDue !== undefined ? now >= readDue
      : planned !== undefined ? now >= planned : now - w.power.at >= this.d.config.powerPollMs));
    if (stale || w.powerError !== undefined) {
      try {
        const target = this.target(w.id);
        // Reading the power of a node not started yet leads to its first request: it goes before
        // the polls of nodes already waiting, so a large apply gets every node going sooner.
        const read = await this.d.sem.run(async () => {
          // First contact with a BMC subscribes to its events before the read, so that the read
          // and the events after it leave no gap. Inside the slot: a large apply sets up its
          // BMCs in the order of its nodes, not all of them before the first read.
          if (ev) await ev.contact(target);
          const start = this.d.mono();
          return { state: await this.d.power.powerState(target), start, end: this.d.mono() };
        }, phase === '' ? SLOT.start : SLOT.poll);
        const state = read.state;
        w.power = { state, at: read.end };
        const watch = w.watch;
        if (watch && watch.kind !== 'cfs') this.polls?.read(w, state === (watch.kind === 'off' ? 'Off' : 'On'), read.start, read.end);
        const newer = ev?.observed(w.id, state, read.start, read.end);
        if (newer) w.power = newer;
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
    return { power: w.power?.state, powerError: w.powerError, powerFailures: w.powerFailures, configureFailures: w.configureFailures };
  }

  /** CFS's view of the node (null without CFS), cached for a poll interval. */
  async cfs(w: NodeWork): Promise<Facts['cfs']> {
    if (!this.d.cfs) return null;
    let state: CfsState | null;
    if (w.cfs && this.d.mono() - w.cfs.at < this.d.config.cfsPollMs) state = w.cfs.state;
    else {
      const start = this.d.mono();
      state = await this.cfsReads.add(w.id);
      w.cfs = { state, at: this.d.mono() };
      const done = state?.configuration_status === 'configured' || state?.configuration_status === 'failed';
      if (w.watch?.kind === 'cfs') this.polls?.read(w, done, start, w.cfs.at);
    }
    return state ?? { desired_config: '', enabled: false, configuration_status: 'unknown' };
  }

  /**
   * The start of the node's current action on the monotonic clock. A stored time only says when
   * an action began on some wall clock: an action bosd did not start in this run (a restart, or
   * another process) counts from when bosd first sees it, so a wait resumed after a restart runs
   * in full and a moved clock never shortens one. A wait that overlapped a database outage counts
   * from its end: a boot report refused meanwhile must be able to come again.
   */
  actionStart(w: NodeWork): number {
    const key = actionKey(w.component);
    const now = this.d.mono();
    if (w.actionAt?.key !== key) w.actionAt = { key, at: now };
    // While writes fail, no wait runs out: its end could not be stored, nor a report that ends it.
    this.watchOutage(now);
    if (this.d.outage.down) return now;
    return Math.max(w.actionAt.at, this.d.outage.endedAt);
  }

  watchOutage(now: number): void {
    if (this.d.outage.check(now)) this.d.onOutageEnded(now);
  }

  private async flushCfsReads(ids: string[]): Promise<Array<CfsState | null | Error>> {
    try {
      const m = await this.d.cfs!.getComponents(ids);
      return ids.map((id) => m.get(id) ?? null);
    } catch (e) {
      return ids.map(() => e as Error);
    }
  }
}

/** The node reported booting its desired artifacts with the BSS token set for this power-on. */
function bootReported(w: NodeWork): boolean {
  const c = w.component;
  const token = c.desired_state.bss_token;
  return !!token && c.actual_state.bss_token === token && c.last_action.action === 'powering_on'
    && sameArtifacts(c.actual_state.boot_artifacts, c.desired_state.boot_artifacts);
}
