import { admitPowerOp, type PowerCaps } from '../../core/rollout-safety.js';
import { chassisOf } from '../../core/xname.js';
import type { PowerTarget } from '../drivers.js';
import type { NodeTable, NodeWork } from '../node-work.js';
import { isNotLeading } from '../leadership.js';
import { recordCallFailure } from './call-failure.js';
import { writeNode, type StepContext } from './context.js';
import type { PollPlanner } from './poll-plan.js';

/** How often a node waiting for a power-cap slot is looked at (without a read) when nothing woke it. */
export const WAITER_LOOK_MS = 30_000;

/**
 * Power requests: admission under the caps (max_concurrent_power_operations,
 * max_power_operations_per_chassis), and the Redfish call itself.
 */
export class PowerAdmission {
  private capsNow: PowerCaps = { global: 0, perChassis: 0 };
  /** Admitted power operations whose intent is not stored yet (admission is synchronous, storing is not). */
  private readonly reservations = new Map<string, string>();
  /** Nodes refused a slot, in order: woken when a slot frees (and looked at seldom, in case none says so). */
  private readonly waiters = new Map<string, { chassis: string; w: NodeWork }>();
  /** Woken waiters not stepped yet: they hold the slot they were woken for. */
  private readonly woken = new Map<string, string>();
  private wakeQueued = false;

  constructor(private readonly nodes: NodeTable) {}

  get caps(): PowerCaps {
    return this.capsNow;
  }

  /** Changed caps (options): the waiting nodes are looked at again. */
  set caps(c: PowerCaps) {
    const changed = c.global !== this.capsNow.global || c.perChassis !== this.capsNow.perChassis;
    this.capsNow = c;
    if (changed) this.slotsMayHaveFreed();
  }

  /**
   * A waiting node looked at by its seldom timer, its row unchanged since it was refused: true
   * when still no slot fits it (it is not read then); false to step it as usual.
   */
  stillWaiting(w: NodeWork): boolean {
    const waiting = this.waiters.get(w.id);
    if (waiting?.w !== w) return false;
    return this.capped && !admitPowerOp(waiting.chassis, [...this.inFlight(w.id), ...this.woken.values()], this.capsNow).ok;
  }

  /**
   * Something that can free a slot happened (a step ended, caps changed): once per event-loop
   * turn, the waiters that fit now, in the order they came, are due at once.
   */
  slotsMayHaveFreed(): void {
    if (this.waiters.size === 0 || this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.wakeFitting();
    });
  }

  /** The node's step ended (whatever it did): a slot it was woken for is its own no longer. */
  stepped(id: string): void {
    if (this.woken.delete(id) || this.waiters.size > 0) this.slotsMayHaveFreed();
  }

  private wakeFitting(): void {
    for (const id of this.woken.keys()) if (!this.nodes.get(id)) this.woken.delete(id);
    const flying = this.capped ? [...this.inFlight(''), ...this.woken.values()] : [];
    for (const [id, { chassis }] of this.waiters) {
      const w = this.nodes.get(id);
      if (!w) { this.waiters.delete(id); continue; }
      if (this.capped) {
        const ok = admitPowerOp(chassis, flying, this.capsNow).ok;
        if (!ok) {
          if (this.capsNow.global > 0 && flying.length >= this.capsNow.global) break;
          continue;
        }
        flying.push(chassis);
      }
      this.waiters.delete(id);
      this.woken.set(id, chassis);
      this.nodes.setDue(w, 0);
    }
  }

  get capped(): boolean {
    return this.caps.global > 0 || this.caps.perChassis > 0;
  }

  /** Nodes bosd has asked to power off or on that have not reached that state yet (their chassis). */
  inFlight(except: string): string[] {
    const out: string[] = [];
    for (const [id, chassis] of this.reservations) if (id !== except) out.push(chassis);
    for (const n of this.nodes.values()) {
      if (n.id === except || this.reservations.has(n.id)) continue;
      const a = n.component.last_action;
      // An on-hold node whose power read failed may still be powering: it keeps its slot.
      if (a.failed || n.component.status.status_override === 'failed') continue;
      const off = a.action === 'powering_off_gracefully' || a.action === 'powering_off_forcefully';
      const on = a.action === 'powering_on' && n.component.status.phase === 'powering_on';
      if ((off && n.power?.state !== 'Off') || (on && n.power?.state !== 'On')) out.push(chassisOf(n.id));
    }
    return out;
  }

  /**
   * Admits the node's power operation, reserving its slot until `release`; else the node is
   * queued (on hold, as BOS shows it, never stable or a power status) until a slot frees.
   */
  async admit(ctx: StepContext, w: NodeWork): Promise<boolean> {
    this.woken.delete(w.id);
    const admit = this.capped ? admitPowerOp(chassisOf(w.id), this.inFlight(w.id), this.caps) : { ok: true as const };
    if (!admit.ok) {
      if (w.queued !== admit.reason) {
        w.queued = admit.reason;
        ctx.log.log('info', 'power operation queued', { component: w.id, reason: admit.reason });
        await writeNode(ctx, w, {
          fn: (cur) => (cur.status.status_override === '' ? { ...cur, status: { ...cur.status, status_override: 'on_hold' } } : undefined),
          event: { action: 'queued', detail: { reason: admit.reason } },
        });
      }
      // No read and no poll: a freed slot wakes it (slotsMayHaveFreed); the seldom look is a safety net.
      if (this.waiters.get(w.id)?.w !== w) this.waiters.set(w.id, { chassis: chassisOf(w.id), w });
      ctx.nodes.setDue(w, ctx.mono() + WAITER_LOOK_MS);
      return false;
    }
    this.waiters.delete(w.id);
    w.queued = undefined;
    if (this.capped) this.reservations.set(w.id, chassisOf(w.id));
    return true;
  }

  release(id: string): void {
    this.reservations.delete(id);
    this.slotsMayHaveFreed();
  }
}

/** Asks the BMC to power the node off or on; the caller holds a Redfish slot. */
export async function requestPower(ctx: StepContext, polls: PollPlanner, w: NodeWork, target: PowerTarget, step: { kind: 'power_on' } | { kind: 'power_off'; mode: 'graceful' | 'forceful' }): Promise<void> {
  try {
    const r = await (step.kind === 'power_on' ? ctx.drivers.power.powerOn(target) : ctx.drivers.power.powerOff(target, step.mode));
    ctx.log.log('info', step.kind === 'power_on' ? 'power on requested' : `power off (${step.mode}) requested`, { component: w.id, reset_type: r.resetType, session: w.component.session });
    w.power = undefined;
    ctx.nodes.setDue(w, polls.start(w, step.kind === 'power_on' ? 'on' : 'off', ctx.mono()));
  } catch (e) {
    // This instance stopped leading (leadership.ts): no call was made; the next leader resumes the node.
    if (isNotLeading(e)) { ctx.log.log('warn', 'power request not sent: this instance no longer leads', { component: w.id }); return; }
    await recordCallFailure(ctx, w, (e as Error).message);
  }
}
