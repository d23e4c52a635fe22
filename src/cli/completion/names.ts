import type { NameKind } from './kinds.js';

/** A completion candidate: the word, and what zsh and fish show beside it. */
export interface Named {
  value: string;
  description?: string;
}

/** Where the names come from: the database file or bosd's API, whichever bosctl would use. */
export interface NameSource {
  /** The names of a kind; those starting with `prefix` at least (a source may return more). */
  names(kind: NameKind, prefix: string): Promise<Named[]>;
  close(): void;
}

export function sessionNamed(name: string, operation: string, template: string, status: string): Named {
  return { value: name, description: `${operation} ${template}, ${status}` };
}

export function nodeNamed(name: string, other: string | null | undefined): Named {
  return other ? { value: name, description: other } : { value: name };
}

/** A node's nid as Cray hostnames spell it (nid000001); bosctl accepts any zero padding. */
export function nidNamed(nid: number, xname: string): Named {
  return { value: `nid${String(nid).padStart(6, '0')}`, description: xname };
}

/** Whether a name typed so far could be the start of a nid name. */
export const mayBeNid = (prefix: string) => 'nid'.startsWith(prefix.slice(0, 3));

export function tokenNamed(id: string, role: string, description: string | null | undefined): Named {
  return { value: id, description: description ? `${role}: ${description}` : role };
}

/** Groups and roles, with how many nodes each has. */
export function countedNamed(counts: Iterable<[string, number]>): Named[] {
  return [...counts].map(([value, n]) => ({ value, description: `${n} node${n === 1 ? '' : 's'}` }));
}
