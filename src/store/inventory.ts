import { jsonArrayIntegers, jsonArrayValues, prepared, type Db } from './db.js';
import type { InventoryNode } from '../core/types.js';
import type { LookupKeys, NodeLookup } from '../core/node-names.js';
import type { PlanIndex } from '../core/session-plan.js';
import { inventoryIndex, nodeNames } from '../core/inventory.js';

interface Row {
  xname: string;
  nid: number | null;
  hostname: string | null;
  aliases: string;
  role: string | null;
  subrole: string | null;
  groups: string;
  enabled: number;
  arch: string | null;
  bmc_address: string | null;
  redfish_system_id: string | null;
  credentials_ref: string | null;
}

function fromRow(r: Row): InventoryNode {
  return {
    xname: r.xname,
    nid: r.nid,
    hostname: r.hostname,
    aliases: JSON.parse(r.aliases),
    role: r.role,
    subrole: r.subrole,
    groups: JSON.parse(r.groups),
    enabled: r.enabled === 1,
    arch: r.arch,
    bmc_address: r.bmc_address,
    redfish_system_id: r.redfish_system_id,
    credentials_ref: r.credentials_ref,
  };
}

export class InventoryStore {
  private readonly getStmt;
  private readonly byNameStmt;
  private readonly byNidStmt;

  constructor(private readonly db: Db) {
    this.getStmt = prepared<[string], Row>(db, 'SELECT * FROM nodes WHERE xname = ?');
    this.byNameStmt = prepared<[string], { xname: string }>(db, 'SELECT xname FROM node_names WHERE name = ?');
    this.byNidStmt = prepared<[number], { xname: string }>(db, 'SELECT xname FROM nodes WHERE nid = ?');
  }

  get(xname: string): InventoryNode | undefined {
    const r = this.getStmt.get(xname);
    return r ? fromRow(r) : undefined;
  }

  /** These nodes by xname (absent: not in the inventory), in one query. */
  getMany(xnames: string[]): Map<string, InventoryNode> {
    if (xnames.length === 0) return new Map();
    return new Map(prepared<[string], Row>(this.db, `SELECT * FROM nodes WHERE xname IN (${jsonArrayValues(this.db)})`)
      .all(JSON.stringify(xnames)).map((r) => { const n = fromRow(r); return [n.xname, n]; }));
  }

  list(): InventoryNode[] {
    return prepared<[], Row>(this.db, 'SELECT * FROM nodes').all().map(fromRow);
  }

  count(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM nodes').get() as { n: number }).n;
  }

  hasXname(xname: string): boolean {
    return this.getStmt.get(xname) !== undefined;
  }

  xnameByName(name: string): string | undefined {
    return this.byNameStmt.get(name)?.xname;
  }

  /**
   * Answers these keys from three queries. A key they did not find is not there (names compare
   * ASCII-case-insensitively, as NOCASE does), except a name with other letters: asked again.
   */
  prefetch(keys: LookupKeys): NodeLookup {
    const values = jsonArrayValues(this.db);
    const fold = (n: string) => n.replace(/[A-Z]+/g, (c) => c.toLowerCase());
    const byName = new Map(keys.names.length === 0 ? [] : prepared<[string], { name: string; xname: string }>(this.db, `SELECT name, xname FROM node_names WHERE name IN (${jsonArrayValues(this.db, false)})`)
      .all(JSON.stringify(keys.names)).map((r) => [fold(r.name), r.xname]));
    const xnames = new Set(keys.xnames.length === 0 ? [] : prepared<[string], { xname: string }>(this.db, `SELECT xname FROM nodes WHERE xname IN (${values})`)
      .all(JSON.stringify(keys.xnames)).map((r) => r.xname));
    const byNid = new Map(keys.nids.length === 0 ? [] : prepared<[string], { nid: number; xname: string }>(this.db, `SELECT nid, xname FROM nodes WHERE nid IN (${jsonArrayIntegers(this.db)})`)
      .all(JSON.stringify(keys.nids)).map((r) => [Number(r.nid), r.xname]));
    const asked = new Set(keys.names.map(fold));
    const askedXnames = new Set(keys.xnames);
    const askedNids = new Set(keys.nids);
    return {
      hasXname: (x) => xnames.has(x) || (!askedXnames.has(x) && this.hasXname(x)),
      xnameByName: (n) => byName.get(fold(n)) ?? (asked.has(fold(n)) && /^[\x00-\x7f]*$/.test(n) ? undefined : this.xnameByName(n)),
      xnameByNid: (nid) => byNid.get(nid) ?? (askedNids.has(nid) ? undefined : this.xnameByNid(nid)),
    };
  }

  xnameByNid(nid: number): string | undefined {
    return this.byNidStmt.get(nid)?.xname;
  }

  /** Replaces one node's record and its names and groups. */
  put(n: InventoryNode, now: string): void {
    prepared(this.db, 'DELETE FROM node_names WHERE xname = ?').run(n.xname);
    prepared(this.db, 'DELETE FROM node_groups WHERE xname = ?').run(n.xname);
    prepared(this.db, `INSERT INTO nodes (xname, nid, hostname, aliases, role, subrole, groups, enabled, arch, bmc_address, redfish_system_id, credentials_ref, updated_at)
      VALUES (@xname, @nid, @hostname, @aliases, @role, @subrole, @groups, @enabled, @arch, @bmc_address, @redfish_system_id, @credentials_ref, @updated_at)
      ON CONFLICT(xname) DO UPDATE SET nid = excluded.nid, hostname = excluded.hostname, aliases = excluded.aliases, role = excluded.role,
        subrole = excluded.subrole, groups = excluded.groups, enabled = excluded.enabled, arch = excluded.arch, bmc_address = excluded.bmc_address,
        redfish_system_id = excluded.redfish_system_id, credentials_ref = excluded.credentials_ref, updated_at = excluded.updated_at`)
      .run({ ...n, aliases: JSON.stringify(n.aliases), groups: JSON.stringify(n.groups), enabled: n.enabled ? 1 : 0, updated_at: now });
    const nameStmt = prepared(this.db, 'INSERT INTO node_names (name, xname) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET xname = excluded.xname');
    for (const name of nodeNames(n)) nameStmt.run(name, n.xname);
    const groupStmt = prepared(this.db, 'INSERT INTO node_groups (grp, xname) VALUES (?, ?) ON CONFLICT DO NOTHING');
    for (const g of n.groups) groupStmt.run(g, n.xname);
  }

  releaseNids(xnames: string[]): void {
    const stmt = prepared(this.db, 'UPDATE nodes SET nid = NULL WHERE xname = ?');
    for (const x of xnames) stmt.run(x);
  }

  delete(xname: string): boolean {
    return prepared(this.db, 'DELETE FROM nodes WHERE xname = ?').run(xname).changes > 0;
  }

  /** An in-memory index of the whole inventory for limit and boot set resolution. */
  index(): PlanIndex {
    return inventoryIndex(this.list(), this);
  }
}
