import { withStatus, zeroEventStats } from '../core/component.js';
import type { Actor, BootArtifacts, Component } from '../core/types.js';
import type { Store } from '../store/store.js';

/**
 * The reconciler's writes of component rows, many nodes' in one transaction. Each write is a
 * function of the row as it is when the transaction runs, so a change made meanwhile by
 * someone else is seen (and may be refused as a conflict) rather than overwritten.
 */

/** Who the reconciler's writes are recorded as: its own changes are not reloaded as others'. */
export const RECONCILER_ACTOR: Actor = { user: 'bosd', via: 'bosd reconciler' };

/** The next row, undefined to leave it (the event is still recorded), or 'conflict'. */
export type NodeWriteFn = (cur: Component, rev: number) => Component | undefined | 'conflict';

export interface NodeWrite {
  id: string;
  /** The row as the caller last saw it: used without reading it again while its revision is unchanged. */
  known?: { component: Component; rev: number };
  fn: NodeWriteFn;
  event?: { action: string; detail: Record<string, unknown> };
  bssToken?: { token: string; artifacts: BootArtifacts };
  /** The node reached its desired state: BOS's status operator's bookkeeping on success. */
  stable?: boolean;
}

export type NodeWriteResult = { rev: number; component: Component } | 'conflict' | 'gone' | 'unchanged';

export function commitNodeWrites(store: Store, items: NodeWrite[], nowIso: string, actor: Actor = RECONCILER_ACTOR): Promise<NodeWriteResult[]> {
  return store.writeAsync(() => {
    // Every known row's revision in one query (one round trip on PostgreSQL, not one per node).
    const revs = store.components.revisions(items.flatMap((it) => (it.known ? [it.id] : [])));
    return items.map((it) => commitOne(store, it, revs, nowIso, actor));
  });
}

function commitOne(store: Store, it: NodeWrite, revs: Map<string, number>, nowIso: string, actor: Actor): NodeWriteResult {
  const v = it.known && revs.get(it.id) === it.known.rev ? it.known : store.components.getVersioned(it.id);
  if (!v) return 'gone';
  const next = it.fn(v.component, v.rev);
  if (next === 'conflict') return 'conflict';
  if (it.bssToken) store.bssTokens.put(it.bssToken.token, it.bssToken.artifacts, nowIso);
  let final = next ?? v.component;
  if (it.stable) {
    store.components.setLastStable(it.id, final.desired_state);
    // BOS's status operator on success: disabled, and the event's attempt counters reset (operators/status.py).
    final = { ...final, enabled: false, error: '', event_stats: zeroEventStats(), status: { ...final.status, phase: '', status_override: '' } };
  }
  const rev = next !== undefined || it.stable ? store.components.update(final, v.rev) : undefined;
  // A later item of the same node in this group sees this write.
  if (rev !== undefined && revs.has(it.id)) revs.set(it.id, rev);
  if (it.event) store.events.record(nowIso, 'component', it.id, it.event.action, { ...it.event.detail, session: final.session }, actor);
  return rev === undefined ? 'unchanged' : { rev, component: withStatus(final) };
}
