import type { ReconcileOptions } from '../../core/reconcile.js';
import type { Options } from '../../core/options.js';
import type { NodeWrite, NodeWriteResult } from '../../services/node-writes.js';
import type { BootParamsDriver, ConfigDriver, PowerDriver } from '../drivers.js';
import type { Logger } from '../log.js';
import type { NodeTable, NodeWork } from '../node-work.js';
import type { ReconcilerConfig } from '../reconciler-config.js';

export interface Drivers {
  power: PowerDriver;
  bss: BootParamsDriver;
  cfs: ConfigDriver | null;
}

export type StepOptions = ReconcileOptions & Pick<Options, 'max_component_batch_size'>;

/** What every step is given: the node table, the drivers, the clocks and a way to write a node's row. */
export interface StepContext {
  nodes: NodeTable;
  drivers: Drivers;
  log: Logger;
  config: ReconcilerConfig;
  /** The monotonic clock: deadlines and back-offs. */
  mono: () => number;
  /** The wall clock: times stored. */
  now: () => number;
  options: () => StepOptions;
  /** Queues a write of the node's row for the next batched transaction. */
  write: (w: NodeWork, item: Omit<NodeWrite, 'id' | 'known'>) => Promise<NodeWriteResult>;
  /** Runs fn after ms on the loop's scheduler. */
  later: (fn: () => void, ms: number) => void;
}

/** Writes the node's row and takes the outcome into its record. */
export async function writeNode(ctx: StepContext, w: NodeWork, item: Omit<NodeWrite, 'id' | 'known'>): Promise<NodeWriteResult> {
  const r = await ctx.write(w, item);
  ctx.nodes.afterWrite(w, r);
  return r;
}
