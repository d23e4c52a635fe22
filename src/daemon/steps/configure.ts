import { Coalescer } from '../coalesce.js';
import type { ConfigDriver } from '../drivers.js';
import type { NodeWork } from '../node-work.js';
import { recordCallFailure, serviceDown, waitForService } from './call-failure.js';
import { writeNode, type StepContext } from './context.js';
import type { PollPlanner } from './poll-plan.js';

export type CfsPatch = Parameters<ConfigDriver['patchComponents']>[1];

/** Nodes getting the same CFS patch within the batch window share one PATCH. */
export class CfsPatcher {
  private readonly batch: Coalescer<{ id: string; patch: CfsPatch }, true>;

  constructor(private readonly cfs: () => ConfigDriver | null, batchWindowMs: number, later: (fn: () => void, ms: number) => void) {
    this.batch = new Coalescer((items) => this.flush(items), Number.POSITIVE_INFINITY, batchWindowMs, later);
  }

  patch(id: string, patch: CfsPatch): Promise<true> {
    return this.batch.add({ id, patch });
  }

  private async flush(items: Array<{ id: string; patch: CfsPatch }>): Promise<Array<true | Error>> {
    const groups = new Map<string, number[]>();
    items.forEach((it, i) => {
      const key = JSON.stringify(it.patch);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: Array<true | Error> = new Array(items.length);
    await Promise.all([...groups.values()].map(async (idx) => {
      try {
        await this.cfs()!.patchComponents(idx.map((i) => items[i].id), items[idx[0]].patch);
        for (const i of idx) out[i] = true;
      } catch (e) {
        for (const i of idx) out[i] = e as Error;
      }
    }));
    return out;
  }
}

/** The node booted its desired image: CFS is enabled with its desired configuration. */
export async function configure(ctx: StepContext, patcher: CfsPatcher, polls: PollPlanner, w: NodeWork): Promise<void> {
  try {
    await patcher.patch(w.id, { desired_config: w.component.desired_state.configuration ?? '', enabled: true, tags: { bos_session: w.component.session } });
    w.cfs = undefined;
    w.configureFailures = 0;
    const waited = w.serviceWait !== undefined;
    w.serviceWait = undefined;
    await writeNode(ctx, w, {
      fn: (cur) => (waited ? { ...cur, error: '' } : undefined),
      event: { action: 'configuration_enabled', detail: { configuration: w.component.desired_state.configuration } },
    });
    // Read at once (a node may be configured already), then as planned.
    ctx.nodes.setDue(w, polls.start(w, 'cfs', ctx.mono(), true));
  } catch (e) {
    if (serviceDown(e)) { await waitForService(ctx, w, e); return; }
    w.configureFailures++;
    await recordCallFailure(ctx, w, (e as Error).message);
  }
}
