import { bosError } from './errors.js';
import { expandHostlist } from './hostlist.js';
import { looksLikeXname, normalizeNodeXname } from './xname.js';

/** What name resolution needs to know of the inventory. */
export interface NodeLookup {
  /** xname if a node with this xname exists. */
  hasXname(xname: string): boolean;
  /** xname of the node with this hostname or alias (case-insensitive). */
  xnameByName(name: string): string | undefined;
  xnameByNid(nid: number): string | undefined;
  /**
   * A lookup that answers these keys from memory (read in a few queries, not one per name);
   * what it does not hold it asks as the lookup itself would.
   */
  prefetch?(keys: LookupKeys): NodeLookup;
}

/** What resolving a list of names will ask the inventory. */
export interface LookupKeys {
  names: string[];
  xnames: string[];
  nids: number[];
}

export interface ResolvedNodes {
  /** Distinct xnames, in the order first named. */
  xnames: string[];
  /** Names that match no node, as given. */
  unknown: string[];
  /** For messages: the name each xname was given as, when not its xname. */
  givenAs: Map<string, string>;
}

const NID_NAME = /^nid0*(\d+)$/i;

/**
 * Expands node arguments (xnames, nids, hostnames; single, comma-separated or hostlists;
 * several arguments) into xnames through the inventory. A token that looks like an xname but
 * is malformed is an error (exit 2), not an unknown node: it is a typo worth stopping for.
 */
export function resolveNodeArgs(args: string[], lookup: NodeLookup): ResolvedNodes {
  const names: string[] = [];
  for (const arg of args) {
    for (const word of arg.split(/\s+/)) {
      if (word.trim() !== '') for (const n of expandHostlist(word.trim())) names.push(n);
    }
  }
  if (lookup.prefetch) lookup = lookup.prefetch(lookupKeys(names));
  const seen = new Set<string>();
  const unknown = new Set<string>();
  const out: ResolvedNodes = { xnames: [], unknown: [], givenAs: new Map() };
  for (const name of names) {
    const xname = resolveNodeName(name, lookup);
    if (xname === undefined) {
      if (!unknown.has(name)) { unknown.add(name); out.unknown.push(name); }
      continue;
    }
    if (seen.has(xname)) continue;
    seen.add(xname);
    out.xnames.push(xname);
    if (name !== xname) out.givenAs.set(xname, name);
  }
  return out;
}

/** The keys resolveNodeName may look up for these names (a malformed xname is left to it to refuse). */
function lookupKeys(names: string[]): LookupKeys {
  const keys: LookupKeys = { names, xnames: [], nids: [] };
  for (const name of names) {
    if (looksLikeXname(name)) {
      try { keys.xnames.push(normalizeNodeXname(name)); } catch { /* resolveNodeName throws it */ }
    }
    const nid = NID_NAME.exec(name) ?? (/^\d+$/.test(name) ? [name, name] : null);
    if (nid) keys.nids.push(Number(nid[1]));
  }
  return keys;
}

export function resolveNodeName(name: string, lookup: NodeLookup): string | undefined {
  if (looksLikeXname(name) && !lookup.xnameByName(name)) {
    const xname = normalizeNodeXname(name);
    return lookup.hasXname(xname) ? xname : undefined;
  }
  const byName = lookup.xnameByName(name);
  if (byName !== undefined) return byName;
  const nid = NID_NAME.exec(name) ?? (/^\d+$/.test(name) ? [name, name] : null);
  if (nid) return lookup.xnameByNid(Number(nid[1]));
  return undefined;
}

/** True if a name looks like a NID (for the reject_nids option). */
export function looksLikeNid(name: string): boolean {
  return /^[&!]*nid/i.test(name);
}

export function requireSomeNodes(args: string[]): void {
  if (args.every((a) => a.trim() === '')) {
    throw bosError('BOS_NO_NODES', 'no nodes given: apply-staged never means "all nodes"');
  }
}
