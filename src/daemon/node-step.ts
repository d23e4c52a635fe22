import { decide, type Decision, type Facts } from '../core/reconcile.js';
import { heldReason } from '../core/rollout-safety.js';
import type { NodeWrite } from '../services/node-writes.js';
import type { Semaphore } from './coalesce.js';
import type { FactGatherer } from './facts.js';
import { failureCode } from './node-errors.js';
import { actionKey, type NodeWork } from './node-work.js';
import type { SessionProgress } from './progress.js';
import type { BootParamsStep } from './steps/boot-params.js';
import { configure, type CfsPatcher } from './steps/configure.js';
import { writeNode, type StepContext } from './steps/context.js';
import { finish } from './steps/finish.js';
import { requestPower, WAITER_LOOK_MS, type PowerAdmission } from './steps/power.js';
import { PollPlanner } from './steps/poll-plan.js';
import { scheduleObserve, scheduleWait } from './steps/wait.js';

export interface NodeStepParts {
  facts: FactGatherer;
  admission: PowerAdmission;
  bootParams: BootParamsStep;
  cfs: CfsPatcher;
  progress: SessionProgress;
  /** Redfish calls in flight. */
  sem: Semaphore;
}

/**
 * One step of one node: gather its facts, let `decide` choose, store the intent, then act.
 * Every step's intent is committed before the call out, so a restart resumes the node.
 */
export class NodeStepper {
  /** The one planner of reads of changes nodes wait for. */
  readonly polls: PollPlanner;

  constructor(private readonly ctx: StepContext, private readonly p: NodeStepParts) {
    this.polls = new PollPlanner(ctx.config, ctx.nodes);
    p.facts.polls = this.polls;
  }

  async step(w: NodeWork): Promise<void> {
    try {
      await this.stepOnce(w);
    } finally {
      // A node let go waits for nothing (a record replaced by a reload hands its watch on).
      if (!this.ctx.nodes.get(w.id)) this.polls.end(w);
      this.p.admission.stepped(w.id);
    }
  }

  private async stepOnce(w: NodeWork): Promise<void> {
    const { ctx, p } = this;
    const now = ctx.mono();
    if (w.serviceWait && now < w.serviceWait.until) { ctx.nodes.setDue(w, w.serviceWait.until); return; }
    if (p.admission.stillWaiting(w)) { ctx.nodes.setDue(w, now + WAITER_LOOK_MS); return; }
    const phase = w.component.status.phase;
    const facts: Facts = await p.facts.power(w, now);
    let d = this.decideNow(w, facts);
    if (d.step.kind === 'observe' && d.step.cfs) {
      facts.cfs = await p.facts.cfs(w);
      d = this.decideNow(w, facts);
    }
    // Trying BSS or CFS again after it was unreachable: the node stays on hold with its reason until it answers.
    if (w.serviceWait && (d.step.kind === 'set_boot_params' || d.step.kind === 'configure') && d.component.status.phase === w.component.status.phase) {
      d = { ...d, component: w.component };
    }
    ctx.log.log('debug', 'decided', { component: w.id, step: d.step.kind, phase: d.component.status.phase, power: facts.power ?? null, cfs: facts.cfs?.configuration_status ?? null });
    if (await this.holdIfHalted(w, d)) return;
    const powerStep = d.step.kind === 'power_off' || d.step.kind === 'power_on';
    if (powerStep && !(await p.admission.admit(ctx, w))) return;
    try {
      if (powerStep) {
        // A power request's intent is stored once a Redfish slot is free, decided again then:
        // its wait counts from the request, and a crash leaves only requests in flight in doubt.
        // Power requests go before polls (urgent).
        await p.sem.run(async () => {
          const fresh = this.decideNow(w, facts);
          if (await this.persistIntent(w, fresh)) await this.perform(w, fresh, phase);
        }, true);
        return;
      }
      if (!(await this.persistIntent(w, d))) return;
      await this.perform(w, d, phase);
    } finally {
      p.admission.release(w.id);
    }
  }

  private decideNow(w: NodeWork, facts: Facts): Decision {
    return decide(w.component, { ...facts, actionStartedAt: this.p.facts.actionStart(w) }, this.ctx.options(), this.ctx.mono(), new Date(this.ctx.now()).toISOString());
  }

  /** A node of a halted session that has not started yet: hold it (once) and leave it. */
  private async holdIfHalted(w: NodeWork, d: Decision): Promise<boolean> {
    const starting = ['power_off', 'power_on', 'set_boot_params'].includes(d.step.kind)
      && (w.component.last_action.action === 'apply_staged' || w.component.last_action.action === 'session_setup');
    if (!starting || !w.component.session) return false;
    if (!this.p.progress.halted(w.component.session)) return false;
    const reason = heldReason(w.component.session);
    if (w.component.error !== reason) {
      await writeNode(this.ctx, w, {
        fn: (cur, rev) => (rev === w.rev ? { ...cur, error: reason, status: { ...cur.status, status_override: 'on_hold' } } : 'conflict'),
        event: { action: 'held', detail: { reason, code: 'BOS_NODE_HELD' } },
      });
      this.ctx.log.log('info', 'node held', { component: w.id, code: 'BOS_NODE_HELD', session: w.component.session });
    }
    this.ctx.nodes.setDue(w, Number.POSITIVE_INFINITY);
    return true;
  }

  /** Stores the decision's component if it differs; false when someone changed it first. */
  private async persistIntent(w: NodeWork, d: Decision): Promise<boolean> {
    if (d.component === w.component && d.step.kind !== 'done' && d.step.kind !== 'fail') return true;
    const decidedAt = this.ctx.mono();
    const expect = w.rev;
    const r = await this.ctx.write(w, {
      fn: (_cur, rev) => (rev === expect ? d.component : 'conflict'),
      event: eventFor(d),
      stable: d.step.kind === 'done',
    });
    if (r === 'conflict' || r === 'gone') {
      w.dirty = true;
      this.ctx.nodes.setDue(w, 0);
      return false;
    }
    if (r !== 'unchanged') { w.component = r.component; w.rev = r.rev; }
    const key = actionKey(w.component);
    if (w.actionAt?.key !== key) w.actionAt = { key, at: decidedAt };
    return true;
  }

  private async perform(w: NodeWork, d: Decision, phaseBefore: string): Promise<void> {
    const { ctx, p } = this;
    const step = d.step;
    switch (step.kind) {
      case 'wait': return scheduleWait(ctx, this.polls, w, step.until);
      case 'observe': return scheduleObserve(ctx, w);
      // step() holds a Redfish slot for this call.
      case 'power_off':
      case 'power_on': return requestPower(ctx, this.polls, w, p.facts.target(w.id), step);
      case 'set_boot_params': return p.bootParams.run(w);
      case 'configure': return configure(ctx, p.cfs, this.polls, w);
      case 'done':
      case 'fail': return finish(ctx, p.progress, w, step, phaseBefore);
    }
  }
}

function eventFor(d: Decision): NodeWrite['event'] {
  switch (d.step.kind) {
    case 'power_off': return { action: d.step.mode === 'graceful' ? 'powering_off_gracefully' : 'powering_off_forcefully', detail: {} };
    case 'power_on': return { action: 'powering_on', detail: {} };
    case 'set_boot_params': return { action: 'setting_boot_parameters', detail: {} };
    case 'configure': return { action: 'configuring', detail: {} };
    case 'done': return { action: d.component.desired_state.boot_artifacts?.kernel ? 'stable' : 'powered_off', detail: { kernel: d.component.desired_state.boot_artifacts?.kernel ?? '' } };
    case 'fail': return { action: 'failed', detail: { reason: d.step.reason, code: failureCode(d.step.reason) } };
    default: return { action: 'phase', detail: { phase: d.component.status.phase } };
  }
}
