/**
 * Slurm hostlists, read and written as Slurm 22.05 does (scontrol show hostnames, hostlist,
 * hostlistsorted); docs/hostlist.md has the rules and the few places where bosctl differs.
 *
 * A hostlist is a list of ranges, each a prefix and numbers lo..hi written with at least
 * `width` digits (nid[08-10] is "nid", 8..10, width 2), or a name without a number. Parsing
 * keeps the ranges as written: nid1[1-2] stays prefix "nid1", while the plain name nid13 is
 * "nid" and 13. Writing puts adjacent ranges of one prefix in one bracket group, so only a
 * trailing number is ever bracketed.
 */

import { bosError, type BosError } from './errors.js';

/** Slurm refuses a range of more names than this (nid[1-65537]). */
export const MAX_RANGE_SIZE = 65_536;
/** bosctl's own bound on the names of one expression, counted before duplicates are dropped. */
export const MAX_HOSTS = 1_000_000;

const SINGLE = -1;
const MAX_QUOTED = 120;

/** prefix + lo..hi with at least `width` digits; width SINGLE: the name `prefix`, no number. */
export interface HostRange {
  prefix: string;
  lo: number;
  hi: number;
  width: number;
}

/** Double-quoted, escaped so the message stays on one line, and cut short if very long. */
function quote(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text;
  return JSON.stringify(cut).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function invalid(message: string): BosError {
  return bosError('BOS_HOSTLIST_INVALID', message);
}

function itemInvalid(item: string, problem: string): BosError {
  return invalid(`invalid hostlist item ${quote(item)}: ${problem}`);
}

/** True if the text contains a bracket group, i.e. is meant to be expanded. */
export function isHostlist(text: string): boolean {
  return /\[[^[\]]*\]/.test(text);
}

/** Splits on commas outside brackets (BOS limits use it; hostlists also split on whitespace). */
export function splitTopLevel(expr: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      items.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  items.push(expr.slice(start));
  return items;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** ASCII whitespace. Slurm separates on space and tab only; see docs/hostlist.md. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** Items: split on commas and whitespace outside brackets, empty ones dropped (as Slurm does). */
function tokenize(expr: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= expr.length; i++) {
    const c = i < expr.length ? expr.charCodeAt(i) : 44;
    if (c === 91) depth++;
    else if (c === 93) depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === 44 || isSpace(c))) {
      if (i > start) items.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  if (depth > 0 && start < expr.length) items.push(expr.slice(start));
  return items;
}

// ---------------------------------------------------------------------------------------
// Building a list: pushing a range joins it to the last one when it continues it

function pad(n: number, width: number): string {
  const s = String(n);
  return width > s.length ? s.padStart(width, '0') : s;
}

function digitCount(n: number): number {
  let d = 1;
  for (let p = 10; p <= n; p *= 10) d++;
  return d;
}

/** Whether r's numbers read the same written with `width` digits as with their own. */
function widthFits(width: number, r: HostRange): boolean {
  return width === r.width || digitCount(r.lo) >= Math.max(width, r.width);
}

/** Appends r, or joins it to the last range; `fresh`: r is the caller's to give away. */
function push(list: HostRange[], r: HostRange, fresh = false): void {
  const last = list[list.length - 1];
  if (last !== undefined && last.width !== SINGLE && r.width !== SINGLE && last.prefix === r.prefix
    && r.lo === last.hi + 1 && widthFits(last.width, r)) {
    last.hi = r.hi;
    return;
  }
  list.push(fresh ? r : { ...r });
}

/** A plain name: its trailing digits are its number (a number past 2^53 stays text). */
function hostOf(name: string): HostRange {
  let i = name.length;
  let n = 0;
  for (let scale = 1; i > 0 && isDigit(name.charCodeAt(i - 1)); scale *= 10) {
    i--;
    n += (name.charCodeAt(i) - 48) * scale;
  }
  const digits = name.length - i;
  if (digits === 0 || !Number.isSafeInteger(n)) return { prefix: name, lo: 0, hi: 0, width: SINGLE };
  return { prefix: name.slice(0, i), lo: n, hi: n, width: digits };
}

// ---------------------------------------------------------------------------------------
// Parsing

/** One element of a bracket group: lo or lo-hi, as digit strings; width is lo's digit count. */
interface Span {
  lo: string;
  hi: string;
}

// Slurm reads numbers with strtoul: blanks and a "+" may come first, and blanks before the "-".
const SPAN_RE = /^[ \t\n\v\f\r]*\+?(\d+)(?:[ \t\n\v\f\r]*-(?:[ \t\n\v\f\r]*\+?(\d+))?)?$/;

function parseGroup(content: string, item: string): Span[] {
  if (content.trim() === '') {
    throw itemInvalid(item, `empty brackets ${quote(`[${content}]`)}: expected numbers or ranges inside, e.g. nid[1-4,7]`);
  }
  const spans: Span[] = [];
  for (const part of content.split(',')) {
    if (part.trim() === '') {
      throw itemInvalid(item, `empty element in ${quote(`[${content}]`)}: expected numbers or ranges separated by single commas, e.g. nid[1-4,7]`);
    }
    const m = SPAN_RE.exec(part);
    if (m === null) {
      throw itemInvalid(item, `${quote(part)} is not a number or a range: expected digits or low-high, e.g. 1-5`);
    }
    const lo = m[1] as string;
    const hi = m[2] ?? lo;
    const size = BigInt(hi) - BigInt(lo) + 1n;
    if (size <= 0n) throw itemInvalid(item, `range ${lo}-${hi} is reversed: write it low-high, e.g. ${hi}-${lo}`);
    if (size > BigInt(MAX_RANGE_SIZE)) {
      throw itemInvalid(item, `range ${lo}-${hi} holds ${size} names, more than the ${MAX_RANGE_SIZE} Slurm allows in one range: split it, e.g. ${lo}-${BigInt(lo) + BigInt(MAX_RANGE_SIZE) - 1n},...`);
    }
    spans.push({ lo, hi });
  }
  return spans;
}

function spanSize(s: Span): number {
  return Number(BigInt(s.hi) - BigInt(s.lo)) + 1;
}

function groupSize(spans: Span[]): number {
  return spans.reduce((sum, s) => sum + spanSize(s), 0);
}

/** Every number of a span as written (only for groups before the last: at most maxHosts). */
function spanTexts(s: Span, out: string[]): void {
  const width = s.lo.length;
  if (Number.isSafeInteger(Number(s.hi))) {
    for (let n = Number(s.lo), end = Number(s.hi); n <= end; n++) out.push(pad(n, width));
  } else {
    for (let n = BigInt(s.lo), end = BigInt(s.hi); n <= end; n++) out.push(String(n).padStart(width, '0'));
  }
}

/** The ranges of the last group under one prefix; numbers past 2^53 become plain names. */
function pushSpan(list: HostRange[], prefix: string, s: Span): void {
  const width = s.lo.length;
  const lo = Number(s.lo);
  const hi = Number(s.hi);
  if (Number.isSafeInteger(hi)) {
    push(list, { prefix, lo, hi, width });
    return;
  }
  for (let n = BigInt(s.lo), end = BigInt(s.hi); n <= end; n++) {
    push(list, { prefix: prefix + String(n).padStart(width, '0'), lo: 0, hi: 0, width: SINGLE });
  }
}

/** A name without brackets. A "]" in it is refused: Slurm takes it as part of the name. */
function plainName(item: string): undefined {
  if (item.includes(']')) throw itemInvalid(item, '"]" has no matching "[": expected a name, or bracket groups like nid[1-4]');
  return undefined;
}

interface ParsedItem {
  texts: string[];
  groups: Span[][];
}

/** text [group] text [group] ...: every "[" closed, none nested, nothing after the last group. */
function parseItem(item: string): ParsedItem {
  const texts: string[] = [];
  const groups: Span[][] = [];
  let i = 0;
  for (;;) {
    const open = item.indexOf('[', i);
    if (open === -1) break;
    const text = item.slice(i, open);
    // Slurm misreads some (a]b[1,3] gives a]b] and 3]).
    if (text.includes(']')) throw itemInvalid(item, '"]" has no matching "[": expected bracket groups like nid[1-4]');
    const close = item.indexOf(']', open + 1);
    if (close === -1) throw itemInvalid(item, '"[" is not closed: expected bracket groups like nid[1-4]');
    const nested = item.indexOf('[', open + 1);
    if (nested !== -1 && nested < close) {
      throw itemInvalid(item, 'brackets cannot be nested: expected one level of bracket groups, e.g. x1000c[0-1]s[0-7]b0n[0-1]');
    }
    texts.push(text);
    groups.push(parseGroup(item.slice(open + 1, close), item));
    i = close + 1;
  }
  const rest = item.slice(i);
  if (rest !== '') {
    if (rest.includes(']')) throw itemInvalid(item, '"]" has no matching "[": expected bracket groups like nid[1-4]');
    throw itemInvalid(item, `${quote(rest)} follows the last bracket group: Slurm brackets only a number at the end of a name, e.g. nid[1-4] or x1000c0s[0-1]b0n[0-1]; list other names whole, e.g. cn001-ib,cn002-ib`);
  }
  return { texts, groups };
}

/**
 * Pushes an item's ranges. With several groups the last varies fastest, then the first,
 * the second, and so on (a[1-2]b[1-2]c[1-2]: a1b1c1 a1b1c2 a2b1c1 ...), as Slurm does.
 */
function pushItem(list: HostRange[], { texts, groups }: ParsedItem): void {
  const last = groups[groups.length - 1] as Span[];
  let tails: string[][] = [[]];
  for (let j = groups.length - 2; j >= 0; j--) {
    const values: string[] = [];
    for (const s of groups[j] as Span[]) spanTexts(s, values);
    const next: string[][] = [];
    for (const tail of tails) for (const v of values) next.push([v, ...tail]);
    tails = next;
  }
  for (const tail of tails) {
    let prefix = texts[0] as string;
    for (let j = 0; j < tail.length; j++) prefix += (tail[j] as string) + (texts[j + 1] as string);
    for (const s of last) pushSpan(list, prefix, s);
  }
}

/**
 * Parses a hostlist into its ranges, as Slurm does: items are separated by commas and
 * whitespace outside brackets, empty items are skipped (so "" and "nid1," are fine), and
 * repeated names are kept. Throws BOS_HOSTLIST_INVALID, naming the item, for what Slurm
 * rejects, for the inputs Slurm misreads and for a "]" outside a bracket group
 * (docs/hostlist.md), and when the expression names more than maxHosts names.
 */
export function parseHostlist(expr: string, maxHosts = MAX_HOSTS): HostRange[] {
  const items = tokenize(expr).map((item) => ({ item, parsed: item.includes('[') ? parseItem(item) : plainName(item) }));
  let total = 0n;
  for (const { parsed } of items) {
    total += parsed === undefined ? 1n : parsed.groups.reduce((n, g) => n * BigInt(groupSize(g)), 1n);
  }
  if (total > BigInt(maxHosts)) {
    throw invalid(`hostlist ${quote(expr)} expands to ${total} names, more than the limit of ${maxHosts}: narrow the ranges or split the list`);
  }
  const list: HostRange[] = [];
  for (const { item, parsed } of items) {
    if (parsed === undefined) push(list, hostOf(item), true);
    else pushItem(list, parsed);
  }
  return list;
}

// ---------------------------------------------------------------------------------------
// Reading a list

/** How many names the ranges hold, repeats included. */
export function countNames(list: readonly HostRange[]): number {
  let n = 0;
  for (const r of list) n += r.width === SINGLE ? 1 : r.hi - r.lo + 1;
  return n;
}

/** Every name, in order, repeats included: scontrol show hostnames. */
export function hostnames(list: readonly HostRange[]): string[] {
  const out: string[] = [];
  for (const r of list) {
    if (r.width === SINGLE) {
      out.push(r.prefix);
      continue;
    }
    for (let n = r.lo; n <= r.hi; n++) out.push(r.prefix + pad(n, r.width));
  }
  return out;
}

/**
 * The list written as a hostlist: scontrol show hostlist. Adjacent ranges of one prefix
 * share a bracket group; a lone number is not bracketed.
 */
export function rangedString(list: readonly HostRange[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    const first = list[i] as HostRange;
    if (first.width === SINGLE) {
      parts.push(first.prefix);
      i++;
      continue;
    }
    let j = i + 1;
    while (j < list.length && (list[j] as HostRange).width !== SINGLE && (list[j] as HostRange).prefix === first.prefix) j++;
    const ranges = list.slice(i, j).map((r) => (r.lo === r.hi ? pad(r.lo, r.width) : `${pad(r.lo, r.width)}-${pad(r.hi, r.width)}`));
    parts.push(j - i === 1 && first.lo === first.hi ? first.prefix + (ranges[0] as string) : `${first.prefix}[${ranges.join(',')}]`);
    i = j;
  }
  return parts.join(',');
}

/** A name without its trailing digits: two ranges can only share a name if their stems are equal. */
function stemOf(r: HostRange): string {
  let i = r.prefix.length;
  while (i > 0 && isDigit(r.prefix.charCodeAt(i - 1))) i--;
  return i === r.prefix.length ? r.prefix : r.prefix.slice(0, i);
}

/** Ranges of one prefix and width that do not overlap hold no name twice. */
function disjoint(ranges: HostRange[]): boolean {
  const first = ranges[0] as HostRange;
  if (first.width === SINGLE) return false;
  for (const r of ranges) if (r.prefix !== first.prefix || r.width !== first.width) return false;
  const sorted = ranges.slice().sort((x, y) => x.lo - y.lo);
  for (let i = 1; i < sorted.length; i++) if ((sorted[i] as HostRange).lo <= (sorted[i - 1] as HostRange).hi) return false;
  return true;
}

/**
 * The list without repeated names, each kept where it first appears; ranges split around
 * them. Names are only compared where two ranges could share one (same stem, and not
 * simply disjoint numbers of one prefix and width), so a list without repeats costs little.
 */
export function uniqueRanges(list: readonly HostRange[]): HostRange[] {
  const byStem = new Map<string, HostRange[]>();
  for (const r of list) {
    const stem = stemOf(r);
    const bucket = byStem.get(stem);
    if (bucket === undefined) byStem.set(stem, [r]);
    else bucket.push(r);
  }
  const risky = new Set<HostRange>();
  for (const bucket of byStem.values()) if (bucket.length > 1 && !disjoint(bucket)) for (const r of bucket) risky.add(r);
  const seen = new Set<string>();
  const out: HostRange[] = [];
  for (const r of list) {
    if (!risky.has(r)) {
      push(out, r);
    } else if (r.width === SINGLE) {
      if (!seen.has(r.prefix)) {
        seen.add(r.prefix);
        push(out, r);
      }
    } else {
      let start = -1;
      for (let n = r.lo; n <= r.hi + 1; n++) {
        const name = n <= r.hi ? r.prefix + pad(n, r.width) : '';
        const fresh = n <= r.hi && !seen.has(name);
        if (fresh) {
          seen.add(name);
          if (start === -1) start = n;
        } else if (start !== -1) {
          push(out, { prefix: r.prefix, lo: start, hi: n - 1, width: r.width });
          start = -1;
        }
      }
    }
  }
  return out;
}

/** Whether n reads the same written with either width. */
function readsSame(n: number, w1: number, w2: number): boolean {
  return digitCount(n) >= Math.max(w1, w2);
}

/** Ranges of different widths compare by number when one of their first numbers reads the same in both. */
function comparable(a: HostRange, b: HostRange): boolean {
  return a.width === b.width || readsSame(a.lo, a.width, b.width) || readsSame(b.lo, a.width, b.width);
}

function rangeOrder(a: HostRange, b: HostRange): number {
  return comparable(a, b) ? a.lo - b.lo : a.width - b.width;
}

/**
 * Pushes ranges that overlap, name by name in order of their numbers; with `unique`, a
 * name equal to the one before (same number, same width: names made by hostOf) is dropped.
 */
function pushCluster(out: HostRange[], cluster: HostRange[], unique: boolean): void {
  if (cluster.length === 1) {
    push(out, cluster[0] as HostRange);
    return;
  }
  const names: HostRange[] = [];
  for (const r of cluster) for (let n = r.lo; n <= r.hi; n++) names.push({ prefix: r.prefix, lo: n, hi: n, width: r.width });
  names.sort(unique ? (a, b) => (a.lo - b.lo) || (a.width - b.width) : (a, b) => a.lo - b.lo);
  let last: HostRange | undefined;
  for (const r of names) {
    if (unique && last !== undefined && last.lo === r.lo && last.width === r.width) continue;
    push(out, r);
    last = r;
  }
}

/**
 * Pushes numbers of one prefix in order, joining runs; width null: each number unpadded.
 * With one width, or none zero-padded, this is the order hostlistsorted gives them.
 */
function pushSorted(out: HostRange[], prefix: string, numbers: Float64Array, width: number | null, unique: boolean): void {
  numbers.sort();
  let last: HostRange | undefined;
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i] as number;
    if (last !== undefined && n === last.hi && unique) continue;
    // No width check needed: one width, or numbers written without padding.
    if (last !== undefined && n === last.hi + 1) {
      last.hi = n;
      continue;
    }
    push(out, { prefix, lo: n, hi: n, width: width ?? digitCount(n) }, true);
    last = out[out.length - 1];
  }
}

/** The width all numbers share, null if none is zero-padded, undefined if neither. */
function commonWidth(numbers: ArrayLike<number>, widths: ArrayLike<number>): number | null | undefined {
  const width = widths[0] as number;
  let same = true;
  let unpadded = true;
  for (let i = 0; i < widths.length && (same || unpadded); i++) {
    if (widths[i] !== width) same = false;
    if (widths[i] !== digitCount(numbers[i] as number)) unpadded = false;
  }
  return same ? width : unpadded ? null : undefined;
}

/** sortRanges for many single names of one prefix, sorted as numbers; false if they are not such. */
function sortNumbers(out: HostRange[], prefix: string, ranges: HostRange[], unique: boolean): boolean {
  if (ranges.some((r) => r.lo !== r.hi)) return false;
  const numbers = Float64Array.from(ranges, (r) => r.lo);
  const width = commonWidth(numbers, ranges.map((r) => r.width));
  if (width === undefined) return false;
  pushSorted(out, prefix, numbers, width, unique);
  return true;
}

/**
 * The list sorted as scontrol show hostlistsorted sorts it: by prefix (compareSlurmPrefix),
 * a name without a number before the numbers of its prefix, then by number, or by width
 * where a number would read differently in the other width (a[1-2,02,002]); ranges that
 * continue one another are joined. Repeated names are kept: ranges that overlap are taken
 * apart and rebuilt name by name, so a[1-5],a[3-7] gives a[1-3,3-4,4-5,5-7] as in Slurm.
 * `unique` drops repeats instead, for lists of plain names (hostOf) only.
 */
export function sortRanges(list: readonly HostRange[], unique = false): HostRange[] {
  const singles = new Map<string, HostRange[]>();
  const numbered = new Map<string, HostRange[]>();
  for (const r of list) {
    const map = r.width === SINGLE ? singles : numbered;
    const bucket = map.get(r.prefix);
    if (bucket === undefined) map.set(r.prefix, [r]);
    else bucket.push(r);
  }
  const prefixes = [...new Set([...singles.keys(), ...numbered.keys()])].sort((a, b) => compareSlurmPrefix(a, b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: HostRange[] = [];
  for (const prefix of prefixes) {
    const named = singles.get(prefix);
    if (named !== undefined) for (const r of unique ? named.slice(0, 1) : named) push(out, r);
    const ranges = numbered.get(prefix);
    if (ranges === undefined) continue;
    if (sortNumbers(out, prefix, ranges, unique)) continue;
    ranges.sort(rangeOrder);
    let cluster: HostRange[] = [];
    let reach = -1;
    for (const r of ranges) {
      const prev = cluster[cluster.length - 1];
      if (prev !== undefined && r.lo <= reach && comparable(prev, r)) {
        cluster.push(r);
      } else {
        if (prev !== undefined) pushCluster(out, cluster, unique);
        cluster = [r];
        reach = -1;
      }
      reach = Math.max(reach, r.hi);
    }
    if (cluster.length > 0) pushCluster(out, cluster, unique);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// What the rest of bosctl uses

/**
 * Expands a hostlist into names, in Slurm's order with repeated names dropped (the first
 * kept). Throws BOS_HOSTLIST_INVALID for bad syntax or more than maxHosts names (counted
 * before repeats are dropped). An empty expression names no node.
 */
export function expandHostlist(expr: string, maxHosts = MAX_HOSTS): string[] {
  return hostnames(uniqueRanges(parseHostlist(expr, maxHosts)));
}

const UNSAFE_NAME_RE = /[[\],\s]/;

/**
 * Node names as one hostlist, as `scontrol show hostlistsorted` writes them once each:
 * sorted, repeats dropped, only a trailing number bracketed (nid[000001-000004],x1000c0s0b0n0).
 * Throws BOS_HOSTLIST_INVALID for a name that is empty or contains "[", "]", "," or
 * whitespace, as no hostlist could expand to it.
 */
interface Runs {
  los: number[];
  his: number[];
  widths: number[];
}

export function compressHostlist(names: Iterable<string>): string {
  // By prefix, runs of numbers apart from their names: no object per name, sorted or not.
  const singles = new Set<string>();
  const numbered = new Map<string, Runs>();
  let lastPrefix: string | undefined;
  let runs: Runs | undefined;
  for (const name of names) {
    if (name === '' || UNSAFE_NAME_RE.test(name)) {
      throw invalid(`invalid host name ${quote(name)} for a hostlist: expected a non-empty name without "[", "]", "," or whitespace, e.g. nid000001`);
    }
    // hostOf, without an object per name.
    let i = name.length;
    let n = 0;
    for (let scale = 1; i > 0 && isDigit(name.charCodeAt(i - 1)); scale *= 10) {
      i--;
      n += (name.charCodeAt(i) - 48) * scale;
    }
    const width = name.length - i;
    if (width === 0 || !Number.isSafeInteger(n)) {
      singles.add(name);
      continue;
    }
    if (runs === undefined || lastPrefix === undefined || lastPrefix.length !== i || !name.startsWith(lastPrefix)) {
      lastPrefix = name.slice(0, i);
      runs = numbered.get(lastPrefix);
      if (runs === undefined) numbered.set(lastPrefix, (runs = { los: [], his: [], widths: [] }));
    }
    const k = runs.los.length - 1;
    if (k >= 0 && n === (runs.his[k] as number) + 1 && width === runs.widths[k]) {
      runs.his[k] = n;
    } else {
      runs.los.push(n);
      runs.his.push(n);
      runs.widths.push(width);
    }
  }
  const prefixes = [...new Set([...singles, ...numbered.keys()])].sort((a, b) => compareSlurmPrefix(a, b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: HostRange[] = [];
  for (const prefix of prefixes) {
    if (singles.has(prefix)) out.push({ prefix, lo: 0, hi: 0, width: SINGLE });
    const r = numbered.get(prefix);
    if (r === undefined) continue;
    const width = r.los.length > 1 && r.los.every((lo, i) => lo === r.his[i]) ? commonWidth(r.los, r.widths) : undefined;
    if (width !== undefined) {
      pushSorted(out, prefix, Float64Array.from(r.los), width, true);
    } else {
      for (const x of sortRanges(r.los.map((lo, i) => ({ prefix, lo, hi: r.his[i] as number, width: r.widths[i] as number })), true)) push(out, x, true);
    }
  }
  return rangedString(out);
}

// ---------------------------------------------------------------------------------------
// Ordering

/** A character as Slurm compares it: a C char, signed, so bytes past ASCII sort first. */
function charAt(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.codePointAt(i) as number;
  return c < 128 ? c : c - 0x110000;
}

function charWidth(s: string, i: number): number {
  return (s.codePointAt(i) as number) > 0xffff ? 2 : 1;
}

/**
 * Slurm's order of hostlist prefixes (strnatcmp): case-sensitive, digit runs compared as
 * numbers, or digit by digit from the left when either run starts with "0".
 */
export function compareSlurmPrefix(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (;;) {
    const ca = charAt(a, i);
    const cb = charAt(b, j);
    if (isDigit(ca) && isDigit(cb)) {
      const r = ca === 48 || cb === 48 ? compareLeft(a, i, b, j) : compareRight(a, i, b, j);
      if (r !== 0) return r;
    }
    if (ca === 0 && cb === 0) return 0;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += charWidth(a, i);
    j += charWidth(b, j);
  }
}

/** Digit runs as fractions: the first differing digit decides, a shorter run first. */
function compareLeft(a: string, i: number, b: string, j: number): number {
  for (;; i++, j++) {
    const da = isDigit(charAt(a, i));
    const db = isDigit(charAt(b, j));
    if (!da && !db) return 0;
    if (!da) return -1;
    if (!db) return 1;
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** Digit runs as integers: the longer is larger, else the first differing digit decides. */
function compareRight(a: string, i: number, b: string, j: number): number {
  let bias = 0;
  for (;; i++, j++) {
    const da = isDigit(charAt(a, i));
    const db = isDigit(charAt(b, j));
    if (!da && !db) return bias;
    if (!da) return -1;
    if (!db) return 1;
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (bias === 0 && d !== 0) bias = d < 0 ? -1 : 1;
  }
}

function foldCase(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/**
 * Natural order: runs of digits compare by numeric value (nid2 < nid10), ASCII letters
 * without regard to case. A total order: texts that tie that way (x01 and x1, X1 and x1)
 * are ordered by their code units.
 */
export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      while (i < ei - 1 && a.charCodeAt(i) === 48) i++;
      while (j < ej - 1 && b.charCodeAt(j) === 48) j++;
      if (ei - i !== ej - j) return ei - i < ej - j ? -1 : 1;
      for (; i < ei; i++, j++) {
        const d = a.charCodeAt(i) - b.charCodeAt(j);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      continue;
    }
    const fa = foldCase(ca);
    const fb = foldCase(cb);
    if (fa !== fb) return fa < fb ? -1 : 1;
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
