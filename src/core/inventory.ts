import { bosError } from './errors.js';
import type { InventoryNode } from './types.js';
import { isNodeXname, looksLikeXname, normalizeNodeXname } from './xname.js';
import type { PlanIndex } from './session-plan.js';

/**
 * Turns one raw inventory record (from JSON, YAML or CSV) into an InventoryNode.
 * Accepts HSM-like spellings too (ID, NID, Role, SubRole, Enabled, Arch).
 * `where` names the record for error messages (e.g. "row 3").
 */
export function normalizeInventoryRecord(raw: Record<string, unknown>, where: string): InventoryNode {
  const get = (...keys: string[]): unknown => {
    for (const k of keys) {
      for (const actual of Object.keys(raw)) {
        if (actual.toLowerCase() === k.toLowerCase() && raw[actual] !== undefined && raw[actual] !== null && raw[actual] !== '') return raw[actual];
      }
    }
    return undefined;
  };
  const bad = (what: string) => bosError('BOS_INVENTORY_INVALID', `${where}: ${what}`);

  const xnameRaw = get('xname', 'id');
  if (typeof xnameRaw !== 'string') throw bad('missing xname');
  if (!isNodeXname(xnameRaw)) throw bad(`invalid node xname "${xnameRaw}": expected x<cabinet>c<chassis>s<slot>b<bmc>n<node>, e.g. x3000c0s19b1n0`);
  const xname = normalizeNodeXname(xnameRaw);

  let nid: number | null = null;
  const nidRaw = get('nid');
  if (nidRaw !== undefined) {
    const text = String(nidRaw).trim();
    if (!/^\d{1,9}$/.test(text)) throw bad(`invalid nid "${text}": expected a non-negative integer`);
    nid = Number(text);
  }

  const str = (...keys: string[]): string | null => {
    const v = get(...keys);
    if (v === undefined) return null;
    if (typeof v !== 'string' && typeof v !== 'number') throw bad(`${keys[0]} must be text`);
    return String(v).trim() || null;
  };
  const list = (...keys: string[]): string[] => {
    const v = get(...keys);
    if (v === undefined) return [];
    const items = Array.isArray(v) ? v.map(String) : String(v).split(/[;,\s]+/);
    return [...new Set(items.map((s) => s.trim()).filter(Boolean))];
  };

  const hostname = str('hostname', 'host');
  if (hostname !== null && !/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(hostname)) throw bad(`invalid hostname "${hostname}": expected letters, digits, "-", "_" and "."`);
  if (hostname !== null && looksLikeXname(hostname) && normalizeNodeXname(hostname) !== xname && isNodeXname(hostname)) {
    throw bad(`hostname "${hostname}" is another node's xname`);
  }
  const aliases = list('aliases', 'alias').filter((a) => a !== hostname);
  for (const a of aliases) {
    if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(a)) throw bad(`invalid alias "${a}": expected letters, digits, "-", "_" and "."`);
  }

  const bmcAddress = str('bmc_address', 'bmc', 'fqdn');
  const enabledRaw = get('enabled');
  let enabled = true;
  if (enabledRaw !== undefined) {
    const t = String(enabledRaw).trim().toLowerCase();
    if (['true', 'yes', '1'].includes(t)) enabled = true;
    else if (['false', 'no', '0'].includes(t)) enabled = false;
    else throw bad(`invalid enabled "${String(enabledRaw)}": expected true or false`);
  }
  const arch = str('arch');
  if (arch !== null && !['x86', 'arm', 'other', 'unknown'].includes(arch.toLowerCase())) {
    throw bad(`invalid arch "${arch}": expected X86, ARM, Other or Unknown`);
  }

  return {
    xname,
    nid,
    hostname,
    aliases,
    role: str('role'),
    subrole: str('subrole', 'sub_role'),
    groups: list('groups', 'group'),
    enabled,
    arch: arch === null ? null : arch.toUpperCase() === 'X86' || arch.toUpperCase() === 'ARM' ? arch.toUpperCase() : capitalize(arch),
    bmc_address: bmcAddress,
    redfish_system_id: str('redfish_system_id', 'system_id'),
    credentials_ref: str('credentials_ref', 'credentials'),
  };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** Checks a whole import for names used twice, so a bad file changes nothing. */
export function checkInventoryUnique(nodes: InventoryNode[]): void {
  const seen = new Map<string, string>();
  const claim = (name: string, xname: string, what: string) => {
    const key = name.toLowerCase();
    const other = seen.get(key);
    if (other !== undefined && other !== xname) {
      throw bosError('BOS_INVENTORY_INVALID', `${what} "${name}" is used by both ${other} and ${xname}`);
    }
    seen.set(key, xname);
  };
  const xnames = new Set<string>();
  for (const n of nodes) {
    if (xnames.has(n.xname)) throw bosError('BOS_INVENTORY_INVALID', `xname ${n.xname} appears twice in the file`);
    xnames.add(n.xname);
  }
  for (const n of nodes) {
    if (n.nid !== null) claim(`nid${n.nid}`, n.xname, 'nid');
    if (n.hostname) claim(n.hostname, n.xname, 'hostname');
    for (const a of n.aliases) claim(a, n.xname, 'alias');
  }
}

/** The names a node answers to besides its xname: hostname and aliases. */
export function nodeNames(n: InventoryNode): string[] {
  return [n.hostname, ...n.aliases].filter((s): s is string => !!s);
}

/** Role keys as BOS matches them: Role and Role_SubRole. */
export function roleKeys(n: InventoryNode): string[] {
  if (!n.role) return [];
  return n.subrole ? [n.role, `${n.role}_${n.subrole}`] : [n.role];
}

export function sameInventoryNode(a: InventoryNode, b: InventoryNode): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * An in-memory index of a whole inventory for limit and boot set resolution.
 * Name lookups go to `names` (the store's indexed table) when given.
 */
export function inventoryIndex(nodes: InventoryNode[], names?: Pick<PlanIndex, 'xnameByName' | 'xnameByNid'>): PlanIndex {
  const byXname = new Map(nodes.map((n) => [n.xname, n]));
  const groups = new Map<string, string[]>();
  const roles = new Map<string, string[]>();
  const byName = new Map<string, string>();
  const byNid = new Map<number, string>();
  const add = (m: Map<string, string[]>, k: string, x: string) => { const l = m.get(k); if (l) l.push(x); else m.set(k, [x]); };
  for (const n of nodes) {
    for (const g of n.groups) add(groups, g, n.xname);
    for (const r of roleKeys(n)) add(roles, r.toLowerCase(), n.xname);
    if (!names) {
      for (const name of nodeNames(n)) byName.set(name.toLowerCase(), n.xname);
      if (n.nid !== null) byNid.set(n.nid, n.xname);
    }
  }
  return {
    allXnames: () => byXname.keys(),
    node: (x) => byXname.get(x),
    hasXname: (x) => byXname.has(x),
    xnameByName: names ? (name) => names.xnameByName(name) : (name) => byName.get(name.toLowerCase()),
    xnameByNid: names ? (nid) => names.xnameByNid(nid) : (nid) => byNid.get(nid),
    groupMembers: (g) => groups.get(g),
    roleMembers: (r) => roles.get(r.toLowerCase()),
  };
}
