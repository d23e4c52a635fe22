import { bosError } from './errors.js';
import { evaluateLimit, type LimitIndex } from './limit.js';
import { splitTopLevel } from './hostlist.js';
import { looksLikeNid } from './node-names.js';
import { configurationFor } from './template.js';
import type { BootArtifacts, InventoryNode, Operation, SessionTemplate } from './types.js';
import { OPERATIONS } from './types.js';
import { isNodeXname, normalizeNodeXname, compareXnames } from './xname.js';

export interface PlanIndex extends LimitIndex {
  node(xname: string): InventoryNode | undefined;
}

export interface PlanInput {
  template: SessionTemplate;
  /**
   * Each boot set's resolved artifacts (kernel parameters assembled as BOS does). Without
   * it the plan only says which nodes each boot set gets (their artifacts are empty).
   */
  artifacts?: ReadonlyMap<string, BootArtifacts>;
  operation: Operation;
  /** '' means no limit. */
  limit: string;
  includeDisabled: boolean;
  options: { reject_nids: boolean; session_limit_required: boolean };
  /**
   * bosctl's checks (default true): a limit naming an unknown node, group or role, and a plan
   * with no node, are refused. false is BOS's reading: unknown names match nothing and a plan
   * may be empty (the session then ends with BOS's error, operators/session_setup.py).
   */
  strict?: boolean;
}

export interface NodeTarget {
  xname: string;
  bootSet: string;
  boot_artifacts: BootArtifacts;
  configuration: string;
}

export interface SessionPlan {
  targets: NodeTarget[];
  /** Boot sets that got at least one node (only these need their artifacts resolved). */
  bootSetsUsed: string[];
  /** Things an admin should see but that do not stop the session. */
  warnings: string[];
}

export const EMPTY_ARTIFACTS: BootArtifacts = { kernel: '', kernel_parameters: '', initrd: '' };

export function parseOperation(text: string): Operation {
  const op = text.trim().toLowerCase();
  if (!(OPERATIONS as readonly string[]).includes(op)) {
    throw bosError('BOS_OPERATION_INVALID', `unknown operation "${text}": expected boot, reboot or shutdown`);
  }
  return op as Operation;
}

/**
 * Which nodes a session acts on and what each gets, as BOS's session setup decides it:
 * each boot set's nodes (node_list ∪ node_groups ∪ node_roles_groups), narrowed by the limit,
 * by arch, and by the inventory's enabled flag unless include_disabled. A node in two boot
 * sets gets the later one, as in BOS, with a warning.
 */
export function planSession(input: PlanInput, index: PlanIndex): SessionPlan {
  const { template, operation, limit, includeDisabled, options, artifacts: resolved } = input;
  if (options.session_limit_required && limit.trim() === '') {
    throw bosError('BOS_SESSION_LIMIT_REQUIRED', 'this session has no limit, and the session_limit_required option is true');
  }
  if (options.reject_nids && limit.trim() !== '') {
    const nids = splitTopLevel(limit).map((s) => s.trim()).filter(looksLikeNid);
    if (nids.length > 0) throw bosError('BOS_NIDS_REJECTED', `the limit names NIDs (${nids.join(', ')}), and the reject_nids option is true`);
  }
  const strict = input.strict !== false;
  const limited = limit.trim() === '' ? undefined : evaluateLimit(limit, index, { unknownMatchesNothing: !strict });
  const warnings: string[] = [];
  const byNode = new Map<string, NodeTarget>();

  for (const [name, bs] of Object.entries(template.boot_sets)) {
    const at = `boot set "${name}"`;
    let artifacts = EMPTY_ARTIFACTS;
    // A boot set left unresolved got no node of its own (a later boot set took them all).
    if (operation !== 'shutdown' && resolved) artifacts = resolved.get(name) ?? EMPTY_ARTIFACTS;
    const configuration = operation === 'shutdown' ? '' : configurationFor(template, bs);

    const members = new Set<string>();
    for (const entry of bs.node_list ?? []) {
      const x = isNodeXname(entry) ? normalizeNodeXname(entry) : index.xnameByName(entry);
      if (x === undefined || !index.hasXname(x)) warnings.push(`${at}: node ${entry} is not in the inventory; skipped`);
      else members.add(x);
    }
    for (const g of bs.node_groups ?? []) {
      const m = index.groupMembers(g);
      if (m === undefined) warnings.push(`${at}: group "${g}" is not in the inventory; skipped`);
      else m.forEach((x) => members.add(x));
    }
    for (const r of bs.node_roles_groups ?? []) {
      const m = index.roleMembers(r);
      if (m === undefined) warnings.push(`${at}: role "${r}" has no nodes in the inventory; skipped`);
      else m.forEach((x) => members.add(x));
    }

    const wantArch = (bs.arch ?? 'X86').toUpperCase();
    let disabled = 0;
    let otherArch = 0;
    for (const x of members) {
      if (limited && !limited.has(x)) continue;
      const node = index.node(x);
      const arch = (node?.arch ?? 'UNKNOWN').toUpperCase();
      if (!(arch === wantArch || (wantArch === 'X86' && arch === 'UNKNOWN'))) { otherArch++; continue; }
      if (!includeDisabled && node && !node.enabled) { disabled++; continue; }
      const previous = byNode.get(x);
      if (previous && previous.bootSet !== name) warnings.push(`node ${x} is in boot sets "${previous.bootSet}" and "${name}"; "${name}" wins`);
      byNode.set(x, { xname: x, bootSet: name, boot_artifacts: artifacts, configuration });
    }
    if (disabled > 0) warnings.push(`${at}: ${disabled} disabled node(s) left out (use --include-disabled to act on them)`);
    if (otherArch > 0) warnings.push(`${at}: ${otherArch} node(s) of another arch than ${wantArch} left out`);
  }

  if (byNode.size === 0 && strict) {
    throw bosError('BOS_LIMIT_INVALID', `session would act on no nodes: template "${template.name}"${limit ? ` with limit "${limit}"` : ''} matches no enabled node of the inventory`,
      'check the template\'s node_list, node_groups and node_roles_groups and the limit against "bosctl inventory list"');
  }
  const targets = [...byNode.values()].sort((a, b) => compareXnames(a.xname, b.xname));
  if (resolved && operation !== 'shutdown') {
    const missing = targets.find((t) => !resolved.has(t.bootSet));
    if (missing) throw bosError('BOS_INTERNAL', `boot set "${missing.bootSet}" of template "${template.name}" was not resolved`);
  }
  return { targets, warnings, bootSetsUsed: [...new Set(targets.map((t) => t.bootSet))] };
}
