import { NameIndex } from '../../store/name-index.js';
import type { NameKind } from './kinds.js';
import { countedNamed, mayBeNid, nidNamed, nodeNamed, sessionNamed, tokenNamed, type NameSource, type Named } from './names.js';

/** Names from the database file through the store's read-only name index. */
export function localNameSource(path: string): NameSource | undefined {
  const index = NameIndex.open(path);
  if (!index) return undefined;
  const described = (r: { name: string; description: string | null }): Named => (r.description ? { value: r.name, description: r.description } : { value: r.name });
  const counted = (rows: Array<{ k: string; n: number }>) => countedNamed(rows.map((r) => [r.k, r.n]));

  const lookups: Record<NameKind, (prefix: string) => Named[]> = {
    template: (p) => index.templates(p).map(described),
    session: (p) => index.sessions(p).map((r) => sessionNamed(r.name, r.operation, r.template_name, r.status)),
    node: (p) => [
      ...index.nodes(p).map((r) => nodeNamed(r.xname, r.hostname)),
      ...index.nodeNames(p).map((r) => nodeNamed(r.name, r.xname)),
      ...(mayBeNid(p) ? index.nids().map((r) => nidNamed(r.nid, r.xname)) : []),
    ],
    group: (p) => counted(index.groups(p)),
    role: (p) => counted(index.roles(p)),
    token: (p) => index.tokens(p).map((r) => tokenNamed(r.id, r.role, r.description)),
    tenant: (p) => index.tenants(p).map(described),
  };

  return {
    async names(kind, prefix) {
      return lookups[kind](prefix);
    },
    close() { index.close(); },
  };
}
