import { bosError } from './errors.js';
import type { BootSet, SessionTemplate } from './types.js';
import { isNodeXname, looksLikeXname } from './xname.js';
import { looksLikeNid } from './node-names.js';

export const NAME_PATTERN = /^[a-zA-Z0-9](?:[-._a-zA-Z0-9]{0,125}[a-zA-Z0-9])?$/;

export function checkName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw bosError('BOS_NAME_INVALID', `invalid ${kind} name "${name}": use letters, digits, ".", "-" and "_", beginning and ending with a letter or digit (at most 127 characters)`);
  }
}

const HARDWARE_FIELDS = ['node_list', 'node_groups', 'node_roles_groups'] as const;

export interface TemplateCheckOptions {
  reject_nids: boolean;
}

/**
 * Every problem of a template at once (kubectl drain's habit), each one line and prefixed
 * with the boot set it concerns. The shape (types, unknown fields) is checked by the JSON
 * schema before this; these are the rules a schema cannot say.
 */
export function templateProblems(t: SessionTemplate, opts: TemplateCheckOptions): string[] {
  const problems: string[] = [];
  const sets = Object.entries(t.boot_sets ?? {});
  if (sets.length === 0) problems.push('the template has no boot sets: add at least one under boot_sets');
  for (const [key, bs] of sets) {
    const at = `boot set "${key}"`;
    if (!NAME_PATTERN.test(key)) problems.push(`${at}: invalid name: use letters, digits, ".", "-" and "_", beginning and ending with a letter or digit`);
    if (bs.name !== undefined && bs.name !== key) problems.push(`${at}: its name field "${bs.name}" differs from its key "${key}"`);
    const hasManifest = !!bs.path;
    const hasKernel = !!bs.kernel;
    if (!hasManifest && !hasKernel) {
      problems.push(`${at}: no kernel: give "kernel" and "initrd" (or a manifest "path" with "type": "s3")`);
    }
    if (hasManifest && !bs.type) problems.push(`${at}: "path" needs a "type" (e.g. "s3")`);
    if (hasKernel && !bs.initrd) problems.push(`${at}: "kernel" needs an "initrd"`);
    if (!hasKernel && bs.initrd) problems.push(`${at}: "initrd" needs a "kernel"`);
    const specified = HARDWARE_FIELDS.filter((f) => (bs[f]?.length ?? 0) > 0);
    if (specified.length === 0) {
      problems.push(`${at}: no nodes: give a non-empty node_list, node_groups or node_roles_groups`);
    }
    for (const n of bs.node_list ?? []) {
      if (looksLikeXname(n) && !isNodeXname(n)) problems.push(`${at}: node_list entry "${n}" is not a valid xname (e.g. x3000c0s19b1n0)`);
      else if (opts.reject_nids && looksLikeNid(n)) problems.push(`${at}: node_list entry "${n}" is a NID, and the reject_nids option is true`);
    }
  }
  return problems;
}

export function assertTemplateValid(t: SessionTemplate, opts: TemplateCheckOptions): void {
  const problems = templateProblems(t, opts);
  if (problems.length > 0) {
    throw bosError('BOS_TEMPLATE_INVALID', `session template "${t.name}" is invalid: ${problems.join('; ')}`);
  }
}

/** A boot set's own artifacts (our extension), or undefined when it names a manifest. */
export function directArtifacts(bs: BootSet): { kernel: string; initrd: string } | undefined {
  return bs.kernel && bs.initrd ? { kernel: bs.kernel, initrd: bs.initrd } : undefined;
}

/** The configuration a boot set's nodes get, BOS's way. */
export function configurationFor(t: SessionTemplate, bs: BootSet): string {
  if (t.enable_cfs === false) return '';
  return bs.cfs?.configuration ?? t.cfs?.configuration ?? '';
}

/** Builds a one-boot-set template from quick flags. */
export function quickTemplate(input: {
  name: string;
  description?: string;
  kernel: string;
  initrd: string;
  params?: string;
  nodeList?: string[];
  nodeGroups?: string[];
  nodeRoles?: string[];
  configuration?: string;
  arch?: BootSet['arch'];
  bootSetName?: string;
}): SessionTemplate {
  const bs: BootSet = { kernel: input.kernel, initrd: input.initrd, kernel_parameters: input.params ?? '' };
  if (input.nodeList?.length) bs.node_list = input.nodeList;
  if (input.nodeGroups?.length) bs.node_groups = input.nodeGroups;
  if (input.nodeRoles?.length) bs.node_roles_groups = input.nodeRoles;
  if (input.arch) bs.arch = input.arch;
  const t: SessionTemplate = { name: input.name, boot_sets: { [input.bootSetName ?? 'compute']: bs } };
  if (input.description) t.description = input.description;
  if (input.configuration) {
    t.enable_cfs = true;
    t.cfs = { configuration: input.configuration };
  } else {
    t.enable_cfs = false;
  }
  return t;
}
