/**
 * Which of several bosd on one database runs the reconciler: the holder of the lease row
 * (store/leases.ts). Clock-free across hosts: no instance ever compares its time with another's.
 * - The leader bumps the row's beat every BEAT_MS.
 * - A standby reads the row every BEAT_MS; when (holder, epoch, beat) stayed the same for
 *   LEASE_MS of its own monotonic clock, it takes the lease with a compare-and-set on what it saw
 *   (the next epoch): of several standbys, one wins.
 * - The leader's writes are fenced: each checks, inside its transaction, that the lease still
 *   has our holder and epoch; one that does not is refused, and the instance steps down.
 * - The leader stops acting on its own when its last stored beat is LEASE_MS/2 old (asked
 *   before every power call): a leader frozen (SIGSTOP, a stalled VM) past a takeover makes no
 *   call when it wakes, because a standby waits a whole LEASE_MS.
 */
import { hostname } from 'node:os';
import type { Lease, Term } from '../store/leases.js';
import type { Store } from '../store/store.js';
import { WriteRefused } from '../integrations/guarded-dispatcher.js';
import type { PowerDriver, PowerTarget } from './drivers.js';
import type { Logger } from './log.js';
import { realScheduler, type Scheduler } from './loop.js';

export const LEASE_NAME = 'reconciler';
/** How often the leader beats and a standby looks (three beats fit in LEASE_MS/2: one late beat costs nothing). */
export const BEAT_MS = 1_000;
/** How long a standby waits, on its own clock, for a beat before it takes over. */
export const LEASE_MS = 6_000;

/** Thrown by a fenced write, or a power call, of an instance that no longer leads. */
export class NotLeading extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotLeading';
  }
}

/** Whether `e` (or an error it wraps) says a write or call was refused because this instance does not lead. */
export function isNotLeading(e: unknown): boolean {
  for (let x = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof NotLeading || x instanceof WriteRefused) return true;
  }
  return false;
}

/** This instance's id in the lease: instance_id from bosd.yaml, else hostname:pid. */
export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}`;
}

export interface LeadershipOptions {
  store: Store;
  /** This instance's id (stable for the process's life). */
  id: string;
  log: Logger;
  /** The monotonic clock: the only one used for any decision here. */
  mono?: () => number;
  /** The wall clock: only the `since` shown. */
  wall?: () => number;
  scheduler?: Scheduler;
  /** Became leader for `term`: start the reconciler (as after a crash: from the stored state). */
  onLead(term: Term): void;
  /** No longer leader: stop the reconciler at once. */
  onStepDown(reason: string): void;
  leaseMs?: number;
  beatMs?: number;
}

export type Role = 'leader' | 'standby';

export class Leadership {
  private term: Term | undefined;
  /** Monotonic time of the last beat stored (the leader's). */
  private lastBeatOk = 0;
  /** The lease as this standby last saw it changed, and when (its monotonic clock). */
  private seen: { key: string; lease: Lease; at: number } | undefined;
  private timer: unknown;
  private stopped = false;
  private beating = false;
  private readonly mono: () => number;
  private readonly wall: () => number;
  private readonly scheduler: Scheduler;
  private readonly leaseMs: number;
  private readonly beatMs: number;
  /** Terms won so far (for tests and logs). */
  takeovers = 0;

  constructor(private readonly o: LeadershipOptions) {
    this.mono = o.mono ?? (() => performance.now());
    this.wall = o.wall ?? Date.now;
    this.scheduler = o.scheduler ?? realScheduler;
    this.leaseMs = o.leaseMs ?? LEASE_MS;
    this.beatMs = o.beatMs ?? BEAT_MS;
  }

  get role(): Role {
    return this.term ? 'leader' : 'standby';
  }

  get id(): string {
    return this.o.id;
  }

  /** The lease as stored (who leads, which term, since when), for health and doctor. */
  current(): Lease | undefined {
    return this.o.store.read(() => this.o.store.leases.get(LEASE_NAME));
  }

  /** Looks once now (a fresh or released lease is taken at once), then every BEAT_MS. */
  start(): void {
    this.tick();
  }

  /** Stops looking; a leader gives the lease up so that another instance takes it at once. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.scheduler.clear(this.timer);
    this.timer = undefined;
    const t = this.term;
    if (!t) return;
    this.term = undefined;
    try {
      this.o.store.write(() => this.o.store.leases.release(t));
    } catch (e) {
      this.o.log.log('warn', 'could not release the leadership lease: a standby takes over after it expires', { error: (e as Error).message });
    }
  }

  /**
   * Whether this instance may call out now (before every power call): it leads and stored a
   * beat less than LEASE_MS/2 ago. If not, it steps down at once.
   */
  mayAct(term?: Term): boolean {
    if (!this.term || (term && term !== this.term)) return false;
    const age = this.mono() - this.lastBeatOk;
    if (age < this.leaseMs / 2) return true;
    this.stepDown(`no heartbeat stored for ${Math.round(age)} ms (half the ${this.leaseMs} ms lease)`);
    return false;
  }

  /**
   * Inside a write transaction: refuses it unless the lease still has our holder and epoch
   * (and, given `term`, unless that term is still the current one: a reconciler of an earlier
   * term still finishing its steps never writes under a later one).
   */
  fence(term?: Term): void {
    const t = this.term;
    if (term && term !== t) throw new NotLeading(`not the leader: write refused (epoch ${term.epoch} is over)`);
    if (t && this.o.store.leases.holds(t)) return;
    if (t) queueMicrotask(() => { if (this.term === t) this.stepDown(`another instance holds the lease now (ours was epoch ${t.epoch})`); });
    throw new NotLeading(`not the leader: write refused (${t ? `epoch ${t.epoch} is over` : 'standby'})`);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.scheduler.set(() => this.tick(), this.beatMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.term) void this.beat().finally(() => this.schedule());
    else {
      try {
        this.watch();
      } catch (e) {
        this.o.log.log('warn', 'leadership: cannot read or take the lease', { error: (e as Error).message });
      }
      this.schedule();
    }
  }

  private async beat(): Promise<void> {
    const t = this.term!;
    if (this.beating) return;
    this.beating = true;
    try {
      const held = await this.o.store.writeAsync(() => this.o.store.leases.beat(t));
      if (this.term !== t) return;
      if (held) this.lastBeatOk = this.mono();
      else this.stepDown(`another instance took the lease over (ours was epoch ${t.epoch})`);
    } catch (e) {
      if (this.term !== t) return;
      this.o.log.log('warn', 'leadership: heartbeat not stored', { error: (e as Error).message });
      this.mayAct();
    } finally {
      this.beating = false;
    }
  }

  /** A standby's look at the lease: take it when it is free, ours from before, or unchanged for LEASE_MS. */
  private watch(): void {
    const { store, id } = this.o;
    const now = this.mono();
    const lease = store.read(() => store.leases.get(LEASE_NAME));
    const since = new Date(this.wall()).toISOString();
    if (!lease) {
      if (store.write(() => store.leases.create(LEASE_NAME, id, since))) this.lead({ name: LEASE_NAME, holder: id, epoch: 1 }, 'the first');
      return;
    }
    const key = `${lease.holder}\n${lease.epoch}\n${lease.beat}`;
    if (this.seen?.key !== key) this.seen = { key, lease, at: now };
    const free = lease.holder === '' || lease.holder === id;
    const expired = now - this.seen.at >= this.leaseMs;
    if (!free && !expired) return;
    const unchangedMs = Math.round(now - this.seen.at);
    const term = store.write(() => store.leases.takeOver(lease, id, since));
    this.seen = undefined;
    if (!term) return;
    this.lead(term, free ? (lease.holder === '' ? 'released' : 'held by this instance before') : `no heartbeat from ${lease.holder} for ${unchangedMs} ms`);
  }

  private lead(term: Term, why: string): void {
    this.term = term;
    this.lastBeatOk = this.mono();
    this.takeovers++;
    this.o.log.log('info', 'leading the reconciler', { instance: term.holder, epoch: term.epoch, lease: why });
    this.o.onLead(term);
  }

  private stepDown(reason: string): void {
    const t = this.term;
    if (!t) return;
    this.term = undefined;
    this.seen = undefined;
    this.o.log.log('warn', 'stepped down: standby now', { instance: t.holder, epoch: t.epoch, reason });
    this.o.onStepDown(reason);
  }
}

/**
 * The store as the leader's reconciler sees it: every write transaction first checks the lease
 * (Leadership.fence), in the same transaction, so a deposed leader's writes are refused whole.
 */
export function fencedStore(store: Store, fence: () => void): Store {
  const write = <T>(fn: () => T): T => store.write(() => { fence(); return fn(); });
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'write') return write;
      if (prop === 'writeAsync') return <T>(fn: () => T): Promise<T> => target.retryBusy(() => write(fn));
      if (prop === 'writeEach') return <T>(items: ReadonlyArray<() => T>) => target.write(() => { fence(); return target.writeEach(items); });
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The power driver as the leader uses it: right before each power request, the instance must
 * still lead with a recent beat (Leadership.mayAct), or the request is not sent.
 */
export function guardedPower(power: PowerDriver, mayAct: () => boolean): PowerDriver {
  const check = (t: PowerTarget) => {
    if (!mayAct()) throw new NotLeading(`not the leader: power request for ${t.nodeXname} not sent`);
  };
  // Checked before the call, and again right before the request is written (after any wait for
  // a connection to the BMC): a request queued when its leader froze is not sent when it wakes.
  return {
    powerState: (t) => power.powerState(t),
    powerOff: async (t, mode) => { check(t); return power.powerOff({ ...t, mayCall: mayAct }, mode); },
    powerOn: async (t) => { check(t); return power.powerOn({ ...t, mayCall: mayAct }); },
    close: () => power.close?.() ?? Promise.resolve(),
  };
}
