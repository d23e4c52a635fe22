import type { BootArtifacts, Component } from './types.js';

export function sameArtifacts(a: BootArtifacts | undefined, b: BootArtifacts | undefined): boolean {
  return !!a && !!b && a.kernel === b.kernel && a.initrd === b.initrd && (a.kernel_parameters ?? '') === (b.kernel_parameters ?? '');
}

/** What a node would change from and to: its current (actual, else desired) state → a target. */
export interface NodeChange {
  xname: string;
  kernel: [string, string];
  initrd: [string, string];
  kernel_parameters: [string, string];
  configuration: [string, string];
  /** The node already runs the target: bosctl does not reboot it unless forced. */
  current: boolean;
}

export interface Target {
  boot_artifacts: BootArtifacts;
  configuration: string;
}

/** The state a node runs now: what it reported booting, else what it was last told. */
export function currentState(c: Component): Target {
  const a = c.actual_state.boot_artifacts ?? c.desired_state.boot_artifacts ?? { kernel: '', initrd: '', kernel_parameters: '' };
  return { boot_artifacts: a, configuration: c.desired_state.configuration ?? '' };
}

/**
 * A node is current when it reported booting exactly the target's artifacts, is not being
 * worked on, and its configuration is the target's.
 */
export function isCurrent(c: Component, t: Target): boolean {
  return sameArtifacts(c.actual_state.boot_artifacts, t.boot_artifacts)
    && (c.desired_state.configuration ?? '') === t.configuration
    && c.status.phase === '' && c.status.status_override !== 'failed';
}

export function nodeChange(c: Component, t: Target): NodeChange {
  const now = currentState(c);
  return {
    xname: c.id,
    kernel: [now.boot_artifacts.kernel, t.boot_artifacts.kernel],
    initrd: [now.boot_artifacts.initrd, t.boot_artifacts.initrd],
    kernel_parameters: [now.boot_artifacts.kernel_parameters ?? '', t.boot_artifacts.kernel_parameters ?? ''],
    configuration: [now.configuration, t.configuration],
    current: isCurrent(c, t),
  };
}

export interface ChangeGroup {
  nodes: string[];
  change: Omit<NodeChange, 'xname'>;
}

/** Nodes with identical changes, together, in the order first seen. */
export function groupChanges(changes: NodeChange[]): ChangeGroup[] {
  const groups = new Map<string, ChangeGroup>();
  for (const ch of changes) {
    const { xname, ...rest } = ch;
    const key = JSON.stringify(rest);
    const g = groups.get(key);
    if (g) g.nodes.push(xname);
    else groups.set(key, { nodes: [xname], change: rest });
  }
  return [...groups.values()];
}
