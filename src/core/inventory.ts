import { bosError } from './errors.js';
import type { InventoryNode } from './types.js';
import { isNodeXname, looksLikeXname, normalizeNodeXname } from './xname.js';
import type { PlanIndex } from './session-plan.js';

/**
 * The fields of an inventory record, each with the spellings accepted for it (any letter
 * case): bosctl's own, and HSM's (ID, NID, Role, SubRole, Enabled, Arch).
 */
export const INVENTORY_FIELDS = {
  xname: ['xname', 'id'],
  nid: ['nid'],
  hostname: ['hostname', 'host'],
  aliases: ['aliases', 'alias'],
  role: ['role'],
  subrole: ['subrole', 'sub_role'],
  groups: ['groups', 'group'],
  enabled: ['enabled'],
  arch: ['arch'],
  bmc_address: ['bmc_address', 'bmc', 'fqdn'],
  redfish_system_id: ['redfish_system_id', 'system_id'],
  credentials_ref: ['credentials_ref', 'credentials'],
} as const satisfies Record<keyof InventoryNode, readonly string[]>;

type Field = keyof typeof INVENTORY_FIELDS;
const FIELD_NAMES = Object.keys(INVENTORY_FIELDS) as Field[];
const SPELLINGS = new Map<string, Field>(FIELD_NAMES.flatMap((f) => INVENTORY_FIELDS[f].map((k) => [k, f] as [string, Field])));

/**
 * One node as a record names it: the xname, and only the fields the record gives. An import
 * merges it into the stored node (or, with replace, starts from an empty node).
 */
export type InventoryPatch = Partial<Omit<InventoryNode, 'xname'>> & { xname: string };

/** Longest hostname (RFC 1123: 253 characters, labels of at most 63). */
export const HOSTNAME_MAX = 253;
/** Longest group, role or subrole name. */
export const GROUP_NAME_MAX = 64;
/** Longest BMC address, Redfish system Id or credentials reference. */
export const INVENTORY_TEXT_MAX = 255;

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
const GROUP_NAME = new RegExp(`^[A-Za-z0-9][-A-Za-z0-9_.]{0,${GROUP_NAME_MAX - 1}}$`);
/** Printable, no spaces: what a BMC address or a reference may hold. */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

/** RFC 1123 host name: dot-separated labels of letters, digits and inner "-", at most 253 characters. */
export function isHostname(name: string): boolean {
  return name.length <= HOSTNAME_MAX && name.split('.').every((l) => HOSTNAME_LABEL.test(l));
}

/** An HSM-style group or role name: letters, digits, "-", "_", ".", at most 64, beginning with a letter or digit. */
export function isGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}

/** A value for a message: cut short, control characters shown as escapes. */
function shown(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const cut = text.length > 64 ? `${text.slice(0, 64)}... (${text.length} characters)` : text;
  return JSON.stringify(cut).slice(1, -1);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function didYouMean(key: string): string {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestD = 3;
  for (const name of SPELLINGS.keys()) {
    const d = editDistance(k, name);
    if (d < bestD) { best = INVENTORY_FIELDS[SPELLINGS.get(name)!][0]; bestD = d; }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

export interface ParseRecordOptions {
  /**
   * A CSV row: every column is there in every row, so an empty cell means "not given" (the
   * stored value is kept). In JSON and YAML an empty string or null clears the field.
   */
  csv?: boolean;
}

/**
 * Turns one raw inventory record (from JSON, YAML or CSV) into the fields it gives. An
 * unknown field, a field given twice (two spellings) or a bad value is an error naming the
 * record (`where`, e.g. "nodes.csv row 3") and its xname.
 */
export function parseInventoryRecord(raw: Record<string, unknown>, where: string, opts: ParseRecordOptions = {}): InventoryPatch {
  const given = new Map<Field, { key: string; value: unknown }>();
  const rawXname = Object.keys(raw).find((k) => INVENTORY_FIELDS.xname.includes(k.toLowerCase() as 'xname'));
  const xnameText = rawXname !== undefined && typeof raw[rawXname] === 'string' ? String(raw[rawXname]).trim() : '';
  const label = isNodeXname(xnameText) ? `${where} (${normalizeNodeXname(xnameText)})` : where;
  const bad = (what: string) => bosError('BOS_INVENTORY_INVALID', `${label}: ${what}`);
  for (const [key, value] of Object.entries(raw)) {
    const field = SPELLINGS.get(key.toLowerCase());
    if (field === undefined) {
      throw bad(`unknown field "${shown(key)}"${didYouMean(key)}: known fields are ${FIELD_NAMES.join(', ')}; nothing was imported`);
    }
    const clash = given.get(field);
    if (clash) throw bad(`"${clash.key}" and "${shown(key)}" both give ${field}: keep one`);
    if (value === undefined) continue;
    if (opts.csv && typeof value === 'string' && value.trim() === '') continue;
    given.set(field, { key, value });
  }
  /** The value of a field: undefined when not given, null when cleared. */
  const get = (f: Field): unknown => {
    const g = given.get(f);
    if (g === undefined) return undefined;
    if (g.value === null || (typeof g.value === 'string' && g.value.trim() === '')) return null;
    return g.value;
  };
  const str = (f: Field, max: number): string | null | undefined => {
    const v = get(f);
    if (v === undefined || v === null) return v;
    if (typeof v !== 'string' && typeof v !== 'number') throw bad(`${f} must be text, not ${Array.isArray(v) ? 'a list' : typeof v}`);
    const text = String(v).trim();
    if (text.length > max) throw bad(`${f} is ${text.length} characters long: at most ${max}`);
    return text;
  };
  const list = (f: Field): string[] | undefined => {
    const v = get(f);
    if (v === undefined) return undefined;
    if (v === null) return [];
    if (!Array.isArray(v) && typeof v !== 'string') throw bad(`${f} must be a list or text separated by ";", not ${typeof v}`);
    const items = Array.isArray(v) ? v.map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x) : JSON.stringify(x) ?? '')) : v.split(/[;,\s]+/);
    return [...new Set(items.map((x) => x.trim()).filter(Boolean))];
  };

  const xnameRaw = get('xname');
  if (typeof xnameRaw !== 'string') throw bad('missing xname');
  if (!isNodeXname(xnameRaw.trim())) throw bad(`invalid node xname "${shown(xnameRaw)}": expected x<cabinet>c<chassis>s<slot>b<bmc>n<node>, e.g. x3000c0s19b1n0`);
  const xname = normalizeNodeXname(xnameRaw.trim());
  const out: InventoryPatch = { xname };

  const nidRaw = get('nid');
  if (nidRaw === null) out.nid = null;
  else if (nidRaw !== undefined) {
    const text = String(nidRaw).trim();
    if (!/^\d{1,9}$/.test(text)) throw bad(`invalid nid "${shown(text)}": expected a non-negative integer`);
    out.nid = Number(text);
  }

  const hostname = str('hostname', HOSTNAME_MAX);
  if (typeof hostname === 'string') {
    if (!isHostname(hostname)) throw bad(`invalid hostname "${shown(hostname)}": expected an RFC 1123 host name (letters, digits and "-" in labels of at most 63, joined by "."; at most ${HOSTNAME_MAX} characters)`);
    if (looksLikeXname(hostname) && isNodeXname(hostname) && normalizeNodeXname(hostname) !== xname) throw bad(`hostname "${hostname}" is another node's xname`);
  }
  if (hostname !== undefined) out.hostname = hostname;
  const aliases = list('aliases');
  if (aliases !== undefined) {
    for (const a of aliases) {
      if (!isHostname(a)) throw bad(`invalid alias "${shown(a)}": expected an RFC 1123 host name (letters, digits and "-" in labels of at most 63, joined by ".")`);
    }
    out.aliases = aliases;
  }

  for (const f of ['role', 'subrole'] as const) {
    const v = str(f, GROUP_NAME_MAX);
    if (typeof v === 'string' && !isGroupName(v)) throw bad(`invalid ${f} "${shown(v)}": expected letters, digits, "-", "_" and ".", beginning with a letter or digit, at most ${GROUP_NAME_MAX} characters`);
    if (v !== undefined) out[f] = v;
  }
  const groups = list('groups');
  if (groups !== undefined) {
    for (const g of groups) {
      if (!isGroupName(g)) throw bad(`invalid group "${shown(g)}": expected letters, digits, "-", "_" and ".", beginning with a letter or digit, at most ${GROUP_NAME_MAX} characters`);
    }
    out.groups = groups;
  }

  const enabledRaw = get('enabled');
  if (enabledRaw === null) out.enabled = true;
  else if (enabledRaw !== undefined) {
    const t = String(enabledRaw).trim().toLowerCase();
    if (['true', 'yes', '1'].includes(t)) out.enabled = true;
    else if (['false', 'no', '0'].includes(t)) out.enabled = false;
    else throw bad(`invalid enabled "${shown(enabledRaw)}": expected true or false`);
  }
  const arch = str('arch', GROUP_NAME_MAX);
  if (typeof arch === 'string' && !['x86', 'arm', 'other', 'unknown'].includes(arch.toLowerCase())) {
    throw bad(`invalid arch "${shown(arch)}": expected X86, ARM, Other or Unknown`);
  }
  if (arch !== undefined) out.arch = arch === null ? null : arch.toUpperCase() === 'X86' || arch.toUpperCase() === 'ARM' ? arch.toUpperCase() : capitalize(arch);

  for (const f of ['bmc_address', 'redfish_system_id', 'credentials_ref'] as const) {
    const v = str(f, INVENTORY_TEXT_MAX);
    if (typeof v === 'string' && !TOKEN_TEXT.test(v)) throw bad(`invalid ${f} "${shown(v)}": expected printable characters without spaces, at most ${INVENTORY_TEXT_MAX}`);
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** A node with nothing known but its xname (what a new node starts from). */
export function emptyInventoryNode(xname: string): InventoryNode {
  return {
    xname, nid: null, hostname: null, aliases: [], role: null, subrole: null, groups: [], enabled: true,
    arch: null, bmc_address: null, redfish_system_id: null, credentials_ref: null,
  };
}

/** `base` (or an empty node) with the fields `patch` gives; an alias equal to the hostname is dropped. */
export function applyInventoryPatch(base: InventoryNode | undefined, patch: InventoryPatch): InventoryNode {
  const out: InventoryNode = { ...(base ?? emptyInventoryNode(patch.xname)) };
  for (const f of FIELD_NAMES) {
    const v = patch[f];
    if (v !== undefined) (out as unknown as Record<string, unknown>)[f] = v;
  }
  out.aliases = out.aliases.filter((a) => a !== out.hostname);
  return out;
}

/**
 * Turns one raw inventory record into a whole InventoryNode: the fields it does not give
 * are empty (nid null, no groups, enabled). `where` names the record for error messages.
 */
export function normalizeInventoryRecord(raw: Record<string, unknown>, where: string, opts: ParseRecordOptions = {}): InventoryNode {
  return applyInventoryPatch(undefined, parseInventoryRecord(raw, where, opts));
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
