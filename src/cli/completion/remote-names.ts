import { nodeNames, roleKeys } from '../../core/inventory.js';
import type { InventoryNode } from '../../core/types.js';
import { RemoteBackend, type RemoteBackendOptions } from '../../client/remote-backend.js';
import type { NameKind } from './kinds.js';
import { countedNamed, mayBeNid, nidNamed, nodeNamed, sessionNamed, tokenNamed, type NameSource, type Named } from './names.js';

/** A tab press waits for bosd briefly and once: no retries, short time-outs. */
const QUICK = { attempts: 1, connectTimeoutMs: 1_000, requestTimeoutMs: 3_000 };

function count(keys: Iterable<string>, into: Map<string, number>): void {
  for (const k of keys) into.set(k, (into.get(k) ?? 0) + 1);
}

/** Names through bosd's API, with the same calls as bosctl's commands. */
export function remoteNameSource(opts: RemoteBackendOptions): NameSource {
  const backend = new RemoteBackend({ ...opts, transport: QUICK });
  let inventory: Promise<InventoryNode[]> | undefined;
  const nodes = () => (inventory ??= backend.listInventory());
  const tally = async (keysOf: (n: InventoryNode) => string[]) => {
    const counts = new Map<string, number>();
    for (const n of await nodes()) count(keysOf(n), counts);
    return countedNamed(counts);
  };

  const queries: Record<NameKind, (prefix: string) => Promise<Named[]>> = {
    template: async () => (await backend.listTemplates()).map((t) => (t.description ? { value: t.name, description: t.description } : { value: t.name })),
    session: async () => (await backend.listSessions({})).map((s) => sessionNamed(s.name, s.operation, s.template_name, s.status.status)),
    node: async (prefix) => (await nodes()).flatMap((n) => [
      nodeNamed(n.xname, n.hostname),
      ...nodeNames(n).map((name) => nodeNamed(name, n.xname)),
      ...(n.nid !== null && mayBeNid(prefix) ? [nidNamed(n.nid, n.xname)] : []),
    ]),
    group: () => tally((n) => n.groups),
    role: () => tally(roleKeys),
    token: async () => (await backend.listTokens()).filter((t) => !t.revoked_at).map((t) => tokenNamed(t.id, t.role, t.description)),
    tenant: async () => (await backend.listTenants()).map((t) => (t.description ? { value: t.name, description: t.description } : { value: t.name })),
  };

  return {
    names: (kind, prefix) => queries[kind](prefix),
    close() { backend.close(); },
  };
}
