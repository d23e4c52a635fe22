import { withStatus, zeroEventStats } from '../core/component.js';
import type { Actor, BootArtifacts, Component } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { NewEvent } from '../store/events.js';

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
    // What the group needs is read in three queries and written in a few statements, not a
    // round trip per node on PostgreSQL: the known rows' revisions, the other rows, and the
    // last stable states of the nodes that become stable.
    const revs = store.components.revisions(items.flatMap((it) => (it.known ? [it.id] : [])));
    const fresh = store.components.getManyVersioned([...new Set(items.filter((it) => !isCurrent(it, revs)).map((it) => it.id))]);
    const group: Group = {
      revs, fresh, written: new Map(), updates: [], events: [],
      lastStable: store.components.lastStableMany([...new Set(items.filter((it) => it.stable).map((it) => it.id))]),
    };
    const results = items.map((it) => commitOne(store, it, group, nowIso, actor));
    store.components.updateMany(group.updates);
    store.events.recordMany(group.events);
    return results;
  });
}

/** A group's reads, and its writes waiting for the end of the group. */
interface Group {
  revs: Map<string, number>;
  fresh: Map<string, { component: Component; rev: number }>;
  lastStable: Map<string, Component['desired_state']>;
  /** Rows as this group left them (a later item of the same node starts from there). */
  written: Map<string, { component: Component; rev: number }>;
  updates: Array<{ component: Component; rev: number }>;
  events: NewEvent[];
}

const isCurrent = (it: NodeWrite, revs: Map<string, number>) => it.known !== undefined && revs.get(it.id) === it.known.rev;

function commitOne(store: Store, it: NodeWrite, g: Group, nowIso: string, actor: Actor): NodeWriteResult {
  const v = g.written.get(it.id) ?? (isCurrent(it, g.revs) ? it.known : g.fresh.get(it.id));
  if (!v) return 'gone';
  const next = it.fn(v.component, v.rev);
  if (next === 'conflict') return 'conflict';
  if (it.bssToken) store.bssTokens.put(it.bssToken.token, it.bssToken.artifacts, nowIso);
  let final = next ?? v.component;
  if (it.stable) {
    store.components.setLastStable(it.id, final.desired_state, g.lastStable.get(it.id));
    g.lastStable.set(it.id, final.desired_state);
    // BOS's status operator on success: disabled, and the event's attempt counters reset (operators/status.py).
    final = { ...final, enabled: false, error: '', event_stats: zeroEventStats(), status: { ...final.status, phase: '', status_override: '' } };
  }
  let rev: number | undefined;
  if (next !== undefined || it.stable) {
    g.updates.push({ component: final, rev: v.rev });
    rev = v.rev + 1;
    g.written.set(it.id, { component: final, rev });
  }
  if (it.event) g.events.push({ at: nowIso, kind: 'component', subject: it.id, action: it.event.action, detail: { ...it.event.detail, session: final.session }, actor });
  return rev === undefined ? 'unchanged' : { rev, component: withStatus(final) };
}
