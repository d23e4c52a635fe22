import { sameArtifacts } from '../../core/reconcile.js';
import type { BootArtifacts } from '../../core/types.js';
import { Coalescer } from '../coalesce.js';
import type { NodeWork } from '../node-work.js';
import { serviceDown, waitForService } from './call-failure.js';
import type { CfsPatcher } from './configure.js';
import { writeNode, type StepContext } from './context.js';

/**
 * The first half of a power-on: BSS boot parameters (one PUT and one referral token for nodes
 * wanting the same artifacts), and CFS told the desired configuration, disabled until booted.
 */
export class BootParamsStep {
  private readonly puts: Coalescer<{ id: string; artifacts: BootArtifacts }, string>;

  constructor(private readonly ctx: StepContext, private readonly cfs: CfsPatcher) {
    // A short window lets nodes that reach the same step within it share one call.
    this.puts = new Coalescer((items) => this.flush(items), Number.POSITIVE_INFINITY, ctx.config.batchWindowMs, ctx.later);
  }

  async run(w: NodeWork): Promise<void> {
    const ctx = this.ctx;
    const artifacts = w.component.desired_state.boot_artifacts!;
    try {
      const token = await this.puts.add({ id: w.id, artifacts });
      const configuration = w.component.desired_state.configuration ?? '';
      if (ctx.drivers.cfs) {
        await this.cfs.patch(w.id, { desired_config: configuration, enabled: false, state: [], tags: { bos_session: w.component.session } });
      }
      const waited = w.serviceWait !== undefined;
      w.serviceWait = undefined;
      await writeNode(ctx, w, {
        fn: (cur) => (sameArtifacts(cur.desired_state.boot_artifacts, artifacts)
          ? { ...cur, ...(waited ? { error: '' } : {}), desired_state: { ...cur.desired_state, bss_token: token } }
          : undefined),
        event: { action: 'boot_parameters_set', detail: { kernel: artifacts.kernel, bss_token: token } },
        bssToken: { token, artifacts },
      });
      ctx.nodes.setDue(w, 0);
    } catch (e) {
      if (serviceDown(e)) { await waitForService(ctx, w, e); return; }
      const msg = (e as Error).message;
      // A failed BSS or CFS call counts as a failed power-on attempt (decide backs off and fails by policy).
      await writeNode(ctx, w, {
        fn: (cur) => ({
          ...cur,
          error: msg,
          last_action: { action: 'powering_on', failed: true, last_updated: new Date(ctx.now()).toISOString() },
          event_stats: { ...cur.event_stats, power_on_attempts: cur.event_stats.power_on_attempts + 1 },
        }),
        event: { action: 'call_failed', detail: { step: 'set_boot_params', error: msg, code: 'BOS_NODE_CALL_FAILED' } },
      });
      ctx.log.log('warn', 'setting boot parameters failed', { component: w.id, code: 'BOS_NODE_CALL_FAILED', error: msg });
      ctx.nodes.setDue(w, 0);
    }
  }

  private async flush(items: Array<{ id: string; artifacts: BootArtifacts }>): Promise<Array<string | Error>> {
    const groups = new Map<string, number[]>();
    items.forEach((it, i) => {
      const key = JSON.stringify([it.artifacts.kernel, it.artifacts.initrd, it.artifacts.kernel_parameters]);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: Array<string | Error> = new Array(items.length);
    const max = this.ctx.options().max_component_batch_size || Number.POSITIVE_INFINITY;
    await Promise.all([...groups.values()].flatMap((idx) => {
      const chunks: number[][] = [];
      for (let i = 0; i < idx.length; i += Math.min(max, idx.length)) chunks.push(idx.slice(i, i + Math.min(max, idx.length)));
      return chunks.map(async (chunk) => {
        const a = items[chunk[0]].artifacts;
        try {
          const { token } = await this.ctx.drivers.bss.putBootParameters({ hosts: chunk.map((i) => items[i].id), kernel: a.kernel, initrd: a.initrd, params: a.kernel_parameters });
          for (const i of chunk) out[i] = token;
        } catch (e) {
          for (const i of chunk) out[i] = e as Error;
        }
      });
    }));
    return out;
  }
}
