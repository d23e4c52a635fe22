/**
 * Slurm hostlist syntax: nid[000001-000004,000010],x1000c[0-1]s[0-7]b0n[0-1].
 *
 * Expansion: top-level commas separate items; each item is literal text with any number of
 * bracket groups, expanded as a cartesian product with the leftmost group varying slowest.
 * A group holds numbers and ranges low-high. A range whose start has a leading zero pads
 * every number to the start's width (08-10 -> 08,09,10); otherwise numbers are not padded
 * (8-10 -> 8,9,10). A single number is kept as written.
 */

import { bosError, type BosError } from './errors.js';

const MAX_QUOTED = 120;
const EXAMPLE = 'nid[000001-000004,000010]';

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

// ---------------------------------------------------------------------------------------
// Expansion

/** One element of a bracket group: a number as written, or a range first-last. */
interface Span {
  first: string;
  last: string | null;
}

type Segment = string | Span[];

/** Splits on commas outside brackets; bracket errors are left for parseItem to report. */
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

const SPAN_RE = /^(\d+)(?:-(\d+))?$/;

function parseGroup(content: string, item: string): Span[] {
  if (content.trim() === '') {
    throw itemInvalid(item, 'empty brackets "[]": expected numbers or ranges inside, e.g. nid[1-4,7]');
  }
  const spans: Span[] = [];
  for (const raw of content.split(',')) {
    const part = raw.trim();
    if (part === '') {
      throw itemInvalid(item, `empty element in ${quote(`[${content}]`)}: expected numbers or ranges separated by single commas, e.g. nid[1-4,7]`);
    }
    const m = SPAN_RE.exec(part);
    if (m === null) {
      throw itemInvalid(item, `${quote(part)} is not a number or a range: expected digits or low-high, e.g. 1-5`);
    }
    const first = m[1] as string;
    const last = m[2] ?? null;
    if (last !== null && BigInt(first) > BigInt(last)) {
      throw itemInvalid(item, `range ${first}-${last} is reversed: write it low-high, e.g. ${last}-${first}`);
    }
    spans.push({ first, last });
  }
  return spans;
}

function parseItem(item: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  while (i < item.length) {
    const open = item.indexOf('[', i);
    const close = item.indexOf(']', i);
    if (close !== -1 && (open === -1 || close < open)) {
      throw itemInvalid(item, '"]" has no matching "[": expected bracket groups like nid[1-4]');
    }
    if (open === -1) {
      segments.push(item.slice(i));
      break;
    }
    if (open > i) segments.push(item.slice(i, open));
    if (close === -1) throw itemInvalid(item, '"[" is not closed: expected bracket groups like nid[1-4]');
    const nested = item.indexOf('[', open + 1);
    if (nested !== -1 && nested < close) {
      throw itemInvalid(item, 'brackets cannot be nested: expected one level of bracket groups, e.g. x1000c[0-1]s[0-7]b0n0');
    }
    segments.push(parseGroup(item.slice(open + 1, close), item));
    i = close + 1;
  }
  return segments;
}

function spanSize(span: Span): bigint {
  return span.last === null ? 1n : BigInt(span.last) - BigInt(span.first) + 1n;
}

function itemSize(segments: Segment[]): bigint {
  let size = 1n;
  for (const seg of segments) {
    if (typeof seg !== 'string') size *= seg.reduce((sum, span) => sum + spanSize(span), 0n);
  }
  return size;
}

function isPadded(digits: string): boolean {
  return digits.length > 1 && digits.charCodeAt(0) === 48;
}

function spanValues(span: Span, out: string[]): void {
  if (span.last === null) {
    out.push(span.first);
    return;
  }
  const width = isPadded(span.first) ? span.first.length : 0;
  const hi = BigInt(span.last);
  if (hi <= BigInt(Number.MAX_SAFE_INTEGER)) {
    for (let n = Number(span.first), end = Number(hi); n <= end; n++) out.push(String(n).padStart(width, '0'));
  } else {
    for (let n = BigInt(span.first); n <= hi; n++) out.push(String(n).padStart(width, '0'));
  }
}

function expandItem(segments: Segment[], out: Set<string>): void {
  let names = [''];
  for (const seg of segments) {
    if (typeof seg === 'string') {
      names = names.map((name) => name + seg);
      continue;
    }
    const values: string[] = [];
    for (const span of seg) spanValues(span, values);
    const next: string[] = [];
    for (const name of names) for (const v of values) next.push(name + v);
    names = next;
  }
  for (const name of names) out.add(name);
}

/**
 * Expands a hostlist into names, in order of appearance with exact duplicates removed.
 * Throws BOS_HOSTLIST_INVALID for bad syntax or when the items would expand to more than
 * maxHosts names (counted before duplicates are removed).
 */
export function expandHostlist(expr: string, maxHosts = 1_000_000): string[] {
  if (expr.trim() === '') {
    throw invalid(`empty hostlist ${quote(expr)}: expected names or bracket groups, e.g. ${EXAMPLE}`);
  }
  const rawItems = splitTopLevel(expr);
  const parsed: Segment[][] = [];
  let total = 0n;
  for (let i = 0; i < rawItems.length; i++) {
    const item = (rawItems[i] as string).trim();
    if (item === '') {
      throw invalid(`invalid hostlist ${quote(expr)}: item ${i + 1} is empty: expected names separated by single commas, e.g. ${EXAMPLE},x3000c0s19b1n0`);
    }
    const segments = parseItem(item);
    total += itemSize(segments);
    parsed.push(segments);
  }
  if (total > BigInt(maxHosts)) {
    throw invalid(`hostlist ${quote(expr)} expands to ${total} names, more than the limit of ${maxHosts}: narrow the ranges or split the list`);
  }
  const out = new Set<string>();
  for (const segments of parsed) expandItem(segments, out);
  return [...out];
}

// ---------------------------------------------------------------------------------------
// Compression

/**
 * A set of names as a product: texts[0] fields[0] texts[1] ... fields[n-1] texts[n], each
 * field a set of digit strings, sorted numerically (by length, then code units). Every
 * field's strings can be written in one bracket group (see classify).
 */
interface Pattern {
  texts: string[];
  fields: string[][];
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function toPattern(name: string): Pattern {
  const texts: string[] = [];
  const fields: string[][] = [];
  let i = 0;
  let textStart = 0;
  while (i < name.length) {
    if (!isDigit(name.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < name.length && isDigit(name.charCodeAt(j))) j++;
    texts.push(name.slice(textStart, i));
    fields.push([name.slice(i, j)]);
    textStart = j;
    i = j;
  }
  texts.push(name.slice(textStart));
  return { texts, fields };
}

function byNumericValue(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits a set of digit strings into classes that each print as one bracket group:
 * zero-padded strings by their width, and the unpadded ones. An unpadded string that
 * continues a padded run of its width joins it (08,09,10 -> 08-10, as expanding 08-10
 * gives 10 unpadded).
 */
function classify(digits: Iterable<string>): string[][] {
  const padded = new Map<number, Set<string>>();
  const plain = new Set<string>();
  for (const d of digits) {
    if (!isPadded(d)) {
      plain.add(d);
      continue;
    }
    const set = padded.get(d.length);
    if (set === undefined) padded.set(d.length, new Set([d]));
    else set.add(d);
  }
  const rest: string[] = [];
  for (const d of [...plain].sort(byNumericValue)) {
    const set = padded.get(d.length);
    if (set !== undefined && set.has(String(BigInt(d) - 1n).padStart(d.length, '0'))) set.add(d);
    else rest.push(d);
  }
  const classes = [...padded.values()].map((set) => [...set]);
  if (rest.length > 0) classes.push(rest);
  return classes.map((c) => c.sort(byNumericValue));
}

/**
 * Merges the patterns that are equal except for the field `fromEnd` places from the last
 * one, uniting that field. Patterns with fewer fields pass through.
 */
function mergeAt(patterns: Pattern[], fromEnd: number): Pattern[] {
  const buckets = new Map<string, { base: Pattern; k: number; digits: string[] }>();
  const out: Pattern[] = [];
  for (const p of patterns) {
    const k = p.fields.length - 1 - fromEnd;
    if (k < 0) {
      out.push(p);
      continue;
    }
    const key = JSON.stringify([p.texts, p.fields.slice(0, k), p.fields.slice(k + 1)]);
    const bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, { base: p, k, digits: [...(p.fields[k] as string[])] });
    else bucket.digits.push(...(p.fields[k] as string[]));
  }
  for (const { base, k, digits } of buckets.values()) {
    for (const cls of classify(digits)) {
      const fields = base.fields.slice();
      fields[k] = cls;
      out.push({ texts: base.texts, fields });
    }
  }
  return out;
}

function renderField(digits: string[]): string {
  if (digits.length === 1) return digits[0] as string;
  const runs: string[] = [];
  let first = digits[0] as string;
  let prev = first;
  let prevValue = BigInt(prev);
  for (let i = 1; i <= digits.length; i++) {
    const d = digits[i];
    const value = d === undefined ? -1n : BigInt(d);
    if (d !== undefined && value === prevValue + 1n) {
      prev = d;
      prevValue = value;
      continue;
    }
    runs.push(first === prev ? first : `${first}-${prev}`);
    if (d !== undefined) {
      first = d;
      prev = d;
      prevValue = value;
    }
  }
  return `[${runs.join(',')}]`;
}

function render(p: Pattern, pick: (field: string[]) => string): string {
  let s = p.texts[0] as string;
  for (let i = 0; i < p.fields.length; i++) s += pick(p.fields[i] as string[]) + (p.texts[i + 1] as string);
  return s;
}

const UNSAFE_NAME_RE = /[[\],\s]/;

/**
 * The inverse of expandHostlist, Slurm style: names sharing all but their last number are
 * merged into one bracket group of ranges (nid000001,nid000002 -> nid[000001-000002]);
 * then, so that whole xname blocks come out short, groups equal but for an earlier number
 * are merged too (x1000c0s[0-7]b0n[0-1],x1000c1s[0-7]b0n[0-1] -> x1000c[0-1]s[0-7]b0n[0-1]).
 * A number that would be a group of one stays plain. Duplicates are dropped.
 *
 * Ordering: the groups are sorted in natural order of their first name (compareNatural),
 * so the result does not depend on the order of the input.
 *
 * Throws BOS_HOSTLIST_INVALID for a name that is empty or contains "[", "]", "," or
 * whitespace, as no hostlist could expand to it.
 */
export function compressHostlist(names: Iterable<string>): string {
  const unique = new Set<string>();
  for (const name of names) {
    if (name === '' || UNSAFE_NAME_RE.test(name)) {
      throw invalid(`invalid host name ${quote(name)} for a hostlist: expected a non-empty name without "[", "]", "," or whitespace, e.g. nid000001`);
    }
    unique.add(name);
  }
  let patterns = [...unique].map(toPattern);
  const maxFields = patterns.reduce((max, p) => Math.max(max, p.fields.length), 0);
  // Each pass only ever merges patterns, so stop when a full sweep leaves the count as is.
  for (;;) {
    const before = patterns.length;
    for (let fromEnd = 0; fromEnd < maxFields; fromEnd++) patterns = mergeAt(patterns, fromEnd);
    if (patterns.length === before) break;
  }
  return patterns
    .map((p) => ({ first: render(p, (f) => f[0] as string), text: render(p, renderField) }))
    .sort((a, b) => compareNatural(a.first, b.first) || compareNatural(a.text, b.text))
    .map((g) => g.text)
    .join(',');
}

// ---------------------------------------------------------------------------------------
// Ordering

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
