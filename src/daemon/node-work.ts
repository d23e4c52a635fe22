import { isActive, sameArtifacts, type PowerState } from '../core/reconcile.js';
import type { BootArtifacts, Component } from '../core/types.js';
import type { NodeWriteResult } from '../services/node-writes.js';
import type { Store } from '../store/store.js';
import type { CfsState } from './drivers.js';
import { DueQueue } from './due-queue.js';
import type { Watch } from './steps/poll-plan.js';

/** What bosd holds in memory for a node it works on: its row, its facts, when it is next due. */
export interface NodeWork {
  id: string;
  component: Component;
  rev: number;
  busy: boolean;
  /** A change arrived while a step ran: reload before the next one. */
  dirty: boolean;
  power?: { state: PowerState; at: number };
  powerError?: string;
  powerFailures: number;
  /** Failed calls setting its CFS configuration, in a row (a restart starts the count again). */
  configureFailures: number;
  cfs?: { state: CfsState | null; at: number };
  dueAfterStep?: boolean;
  /** When bosd started (or, after a restart, first saw) the node's current last action, monotonic. */
  actionAt?: { key: string; at: number };
  /** BSS or CFS could not be reached: the node waits until `until` (monotonic), no attempt spent. */
  serviceWait?: { reason: string; until: number; failures: number };
  /** Why its power operation waits for others (logged once per reason). */
  queued?: string;
  /** The change it waits to see after a request, and when it is next read (steps/poll-plan.ts). */
  watch?: Watch;
}

/** Which action the node is in: a new key starts a new wait. */
export function actionKey(c: Component): string {
  return `${c.last_action.action ?? ''}|${c.last_action.last_updated ?? ''}`;
}

/** Power events (power-events.ts): for a node whose BMC's events are live, when its power must be read anyway (else undefined: poll). */
export interface PowerEventHook {
  readDue(w: NodeWork): number | undefined;
}

/** Distinct artifact sets kept for sharing at most; beyond, the table starts again. */
export const SHARED_ARTIFACTS_MAX = 1024;
const sharedArtifacts = new Map<string, Readonly<BootArtifacts>>();

/**
 * The nodes of a session boot the same artifacts: each distinct set is held once, frozen, and
 * the node's row points at it (desired, actual and staged), instead of three copies a node.
 */
export function shareArtifacts(c: Component): Component {
  for (const s of [c.desired_state, c.actual_state, c.staged_state]) {
    const a = s?.boot_artifacts;
    // Only the three known fields: the row is written back from this copy, so nothing else may be dropped.
    if (!a || Object.keys(a).length !== 3 || typeof a.kernel !== 'string' || typeof a.initrd !== 'string' || typeof a.kernel_parameters !== 'string') continue;
    const key = `${a.kernel}\0${a.initrd}\0${a.kernel_parameters}`;
    let shared = sharedArtifacts.get(key);
    if (!shared) {
      if (sharedArtifacts.size >= SHARED_ARTIFACTS_MAX) sharedArtifacts.clear();
      shared = Object.freeze({ kernel: a.kernel, kernel_parameters: a.kernel_parameters, initrd: a.initrd });
      sharedArtifacts.set(key, shared);
    }
    s.boot_artifacts = shared as BootArtifacts;
  }
  return c;
}

/** The nodes bosd works on (enabled, not failed) and the queue of when each is due. */
export class NodeTable {
  private readonly nodes = new Map<string, NodeWork>();
  readonly due = new DueQueue();
  /** Set when bosd listens to Redfish events. */
  powerEvents?: PowerEventHook;

  get size(): number {
    return this.nodes.size;
  }

  get(id: string): NodeWork | undefined {
    return this.nodes.get(id);
  }

  values(): IterableIterator<NodeWork> {
    return this.nodes.values();
  }

  /** Whether bosd still works on a node of this session (stops at the first: usually at once). */
  anyOfSession(session: string): boolean {
    for (const w of this.nodes.values()) if (w.component.session === session) return true;
    return false;
  }

  /** Takes up (or refreshes) a node from its stored row; it is due at once. */
  track(component: Component, rev: number): void {
    const old = this.nodes.get(component.id);
    const desiredChanged = old && !sameArtifacts(old.component.desired_state.boot_artifacts, component.desired_state.boot_artifacts);
    this.nodes.set(component.id, {
      id: component.id, component: shareArtifacts(component), rev, busy: false, dirty: false,
      // Facts stay valid across a reload unless the goal changed.
      power: desiredChanged ? undefined : old?.power,
      powerFailures: old?.powerFailures ?? 0,
      actionAt: old?.actionAt,
      serviceWait: desiredChanged ? undefined : old?.serviceWait,
      configureFailures: old?.configureFailures ?? 0,
      cfs: undefined,
      watch: desiredChanged ? undefined : old?.watch,
      queued: old?.queued,
    });
    this.due.set(component.id, 0);
  }

  /** When `w` is next due; a record already replaced by a reload is left alone. */
  setDue(w: NodeWork, at: number): void {
    if (this.nodes.get(w.id) === w) this.due.set(w.id, at);
  }

  setAllDue(at: number): void {
    for (const w of this.nodes.values()) this.setDue(w, at);
  }

  forget(id: string): void {
    this.nodes.delete(id);
    this.due.delete(id);
  }

  /** Rows others changed: reload each (a node mid-step is reloaded when its step ends). */
  reload(store: Store, ids: string[]): void {
    if (ids.length === 0) return;
    const idle = ids.filter((id) => {
      const w = this.nodes.get(id);
      if (w?.busy) w.dirty = true;
      return !w?.busy;
    });
    // One query for all of them (one round trip on PostgreSQL).
    const rows = store.read(() => store.components.getManyVersioned(idle));
    for (const id of idle) {
      const w = this.nodes.get(id);
      const v = rows.get(id);
      if (!v || !isActive(v.component)) { this.forget(id); continue; }
      if (w && w.rev === v.rev) continue;
      this.track(v.component, v.rev);
    }
  }

  /** After a step that saw its row changed by someone else. */
  reloadDirty(store: Store, w: NodeWork): void {
    if (!w.dirty) return;
    w.dirty = false;
    const v = store.read(() => store.components.getVersioned(w.id));
    if (!v || !isActive(v.component)) this.forget(w.id);
    else if (v.rev !== w.rev) this.track(v.component, v.rev);
  }

  /** Takes a write's outcome into the node's record. */
  afterWrite(w: NodeWork, r: NodeWriteResult): void {
    if (r === 'gone') { this.forget(w.id); return; }
    if (r !== 'conflict' && r !== 'unchanged') { w.component = shareArtifacts(r.component); w.rev = r.rev; }
    else if (r === 'conflict') w.dirty = true;
  }
}
