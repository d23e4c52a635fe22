import { bosError } from './errors.js';
import { expandHostlist, splitTopLevel } from './hostlist.js';
import { resolveNodeName, type NodeLookup } from './node-names.js';

/** What a limit can name, besides nodes. */
export interface LimitIndex extends NodeLookup {
  allXnames(): Iterable<string>;
  /** Members of an inventory group, or undefined if no such group. */
  groupMembers(name: string): string[] | undefined;
  /** Members of a role (Role or Role_SubRole, case-insensitive), or undefined. */
  roleMembers(name: string): string[] | undefined;
}

export type LimitOp = 'union' | 'intersect' | 'exclude';
export interface LimitTerm { op: LimitOp; name: string }

/** Parses a BOS limit: `a,b` union, `&a` intersect, `!a` exclude, left to right. */
export function parseLimit(limit: string): LimitTerm[] {
  const text = limit.trim();
  if (text === '') throw bosError('BOS_LIMIT_INVALID', 'empty limit: name nodes, groups or roles, or "all"');
  return splitTopLevel(text).map((raw, i) => {
    const item = raw.trim();
    const op: LimitOp = item.startsWith('&') ? 'intersect' : item.startsWith('!') ? 'exclude' : 'union';
    const name = op === 'union' ? item : item.slice(1).trim();
    if (name === '' || /^[&!]/.test(name)) {
      throw bosError('BOS_LIMIT_INVALID', `invalid limit "${limit}": item ${i + 1} ("${item}") names nothing; expected a node, group, role or "all" after an optional & or !`);
    }
    return { op, name };
  });
}

/**
 * Evaluates a limit against the whole inventory. BOS evaluates it per boot set with "all"
 * meaning the boot set's nodes; intersecting this result with each boot set gives the same
 * answer, because union, intersection and difference all distribute over that intersection.
 * Every unknown name is reported at once.
 */
export function evaluateLimit(limit: string, index: LimitIndex, opts: { unknownMatchesNothing?: boolean } = {}): Set<string> {
  const terms = parseLimit(limit);
  const unknown: string[] = [];
  const sets = terms.map((t) => {
    const members = membersOf(t.name, index);
    if (members === undefined) unknown.push(t.name);
    return members ?? [];
  });
  // BOS (operators/session_setup.py _apply_limit) takes an unknown name as a node that matches nothing.
  if (unknown.length > 0 && !opts.unknownMatchesNothing) {
    const list = unknown.map((u) => `"${u}"`).join(', ');
    throw bosError('BOS_LIMIT_UNKNOWN_NAME', `limit names ${unknown.length === 1 ? 'an unknown node, group or role' : 'unknown nodes, groups or roles'}: ${list}`);
  }
  let result = new Set<string>();
  terms.forEach((t, i) => {
    const s = new Set(sets[i]);
    if (t.op === 'union') for (const x of s) result.add(x);
    else if (t.op === 'intersect') result = new Set([...result].filter((x) => s.has(x)));
    else for (const x of s) result.delete(x);
  });
  return result;
}

function membersOf(name: string, index: LimitIndex): string[] | undefined {
  if (name === 'all' || name === '*') return [...index.allXnames()];
  const group = index.groupMembers(name);
  if (group !== undefined) return group;
  const role = index.roleMembers(name);
  if (role !== undefined) return role;
  const nodes: string[] = [];
  for (const n of expandHostlist(name)) {
    const x = resolveNodeName(n, index);
    if (x === undefined) return undefined;
    nodes.push(x);
  }
  return nodes;
}
