import { admitPowerOp, type PowerCaps } from '../../core/rollout-safety.js';
import { chassisOf } from '../../core/xname.js';
import type { PowerTarget } from '../drivers.js';
import type { NodeTable, NodeWork } from '../node-work.js';
import { recordCallFailure } from './call-failure.js';
import { writeNode, type StepContext } from './context.js';

/**
 * Power requests: admission under the caps (max_concurrent_power_operations,
 * max_power_operations_per_chassis), and the Redfish call itself.
 */
export class PowerAdmission {
  caps: PowerCaps = { global: 0, perChassis: 0 };
  /** Admitted power operations whose intent is not stored yet (admission is synchronous, storing is not). */
  private readonly reservations = new Map<string, string>();

  constructor(private readonly nodes: NodeTable) {}

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
   * queued (on hold, as BOS shows it, never stable or a power status) and looked at again soon.
   */
  async admit(ctx: StepContext, w: NodeWork): Promise<boolean> {
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
      ctx.nodes.setDue(w, ctx.mono() + Math.min(ctx.config.powerPollMs, 100));
      return false;
    }
    w.queued = undefined;
    if (this.capped) this.reservations.set(w.id, chassisOf(w.id));
    return true;
  }

  release(id: string): void {
    this.reservations.delete(id);
  }
}

/** Asks the BMC to power the node off or on; the caller holds a Redfish slot. */
export async function requestPower(ctx: StepContext, w: NodeWork, target: PowerTarget, step: { kind: 'power_on' } | { kind: 'power_off'; mode: 'graceful' | 'forceful' }): Promise<void> {
  try {
    const r = await (step.kind === 'power_on' ? ctx.drivers.power.powerOn(target) : ctx.drivers.power.powerOff(target, step.mode));
    ctx.log.log('info', step.kind === 'power_on' ? 'power on requested' : `power off (${step.mode}) requested`, { component: w.id, reset_type: r.resetType, session: w.component.session });
    w.power = undefined;
    ctx.nodes.setDue(w, ctx.mono() + Math.min(ctx.config.powerPollMs, 250));
  } catch (e) {
    await recordCallFailure(ctx, w, (e as Error).message);
  }
}
