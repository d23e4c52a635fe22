/**
 * HPE Cray xnames: x<cabinet>c<chassis>s<slot>b<bmc>n<node> for a node and the same
 * without n<node> for its BMC. All fields are decimal: the cabinet up to 6 digits
 * (0-999999), the others up to 3 (0-999). Parsing accepts upper case and leading zeros;
 * the canonical form is lower case without leading zeros.
 */

import { bosError, type BosError } from './errors.js';
import { compareNatural } from './hostlist.js';

export interface BmcXname {
  cabinet: number;
  chassis: number;
  slot: number;
  bmc: number;
}

export interface NodeXname extends BmcXname {
  node: number;
}

// Leading zeros do not count towards a field's digits: x0003000c0s019b1n0 is x3000c0s19b1n0.
const NODE_RE = /^x0*(\d{1,6})c0*(\d{1,3})s0*(\d{1,3})b0*(\d{1,3})n0*(\d{1,3})$/i;
const BMC_RE = /^x0*(\d{1,6})c0*(\d{1,3})s0*(\d{1,3})b0*(\d{1,3})$/i;
const LOOKS_LIKE_RE = /^x\d/i;

const NODE_FORM = 'x<cabinet>c<chassis>s<slot>b<bmc>n<node>, e.g. x3000c0s19b1n0';
const BMC_FORM = 'x<cabinet>c<chassis>s<slot>b<bmc>, e.g. x3000c0s19b1';

const MAX_CABINET = 999_999;
const MAX_FIELD = 999;
const MAX_QUOTED = 120;

/** Double-quoted, escaped so the message stays on one line, and cut short if very long. */
function quote(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text;
  return JSON.stringify(cut).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function nodeInvalid(text: string): BosError {
  // A BMC xname given where a node was wanted is a common slip: say so in the hint.
  const hint = BMC_RE.test(text)
    ? `${quote(text)} is a BMC xname; add n<node> to name one of its nodes, e.g. ${normalizeBmcXname(text)}n0`
    : undefined;
  return bosError('BOS_XNAME_INVALID', `invalid node xname ${quote(text)}: expected ${NODE_FORM}`, hint);
}

function bmcInvalid(text: string): BosError {
  const hint = NODE_RE.test(text)
    ? `${quote(text)} is a node xname; its BMC is ${bmcOf(text)}`
    : undefined;
  return bosError('BOS_BMC_XNAME_INVALID', `invalid BMC xname ${quote(text)}: expected ${BMC_FORM}`, hint);
}

/** Parses a node xname such as x3000c0s19b1n0; throws BOS_XNAME_INVALID. */
export function parseNodeXname(text: string): NodeXname {
  const m = NODE_RE.exec(text);
  if (m === null) throw nodeInvalid(text);
  return {
    cabinet: Number(m[1]),
    chassis: Number(m[2]),
    slot: Number(m[3]),
    bmc: Number(m[4]),
    node: Number(m[5]),
  };
}

/** Parses a BMC xname such as x3000c0s19b1; throws BOS_BMC_XNAME_INVALID. */
export function parseBmcXname(text: string): BmcXname {
  const m = BMC_RE.exec(text);
  if (m === null) throw bmcInvalid(text);
  return { cabinet: Number(m[1]), chassis: Number(m[2]), slot: Number(m[3]), bmc: Number(m[4]) };
}

export function isNodeXname(text: string): boolean {
  return NODE_RE.test(text);
}

export function isBmcXname(text: string): boolean {
  return BMC_RE.test(text);
}

/** True when the text was meant as an xname (x followed by a digit, any case), valid or not. */
export function looksLikeXname(text: string): boolean {
  return LOOKS_LIKE_RE.test(text);
}

function checkField(kind: 'node' | 'BMC', name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    const code = kind === 'node' ? 'BOS_XNAME_INVALID' : 'BOS_BMC_XNAME_INVALID';
    throw bosError(code, `invalid ${kind} xname field ${quote(name)} = ${String(value)}: expected an integer from 0 to ${max}`);
  }
}

function checkBmcFields(kind: 'node' | 'BMC', parts: BmcXname): void {
  checkField(kind, 'cabinet', parts.cabinet, MAX_CABINET);
  checkField(kind, 'chassis', parts.chassis, MAX_FIELD);
  checkField(kind, 'slot', parts.slot, MAX_FIELD);
  checkField(kind, 'bmc', parts.bmc, MAX_FIELD);
}

/** Canonical text of a node xname; throws BOS_XNAME_INVALID for fields out of range. */
export function formatNodeXname(parts: NodeXname): string {
  checkBmcFields('node', parts);
  checkField('node', 'node', parts.node, MAX_FIELD);
  return `x${parts.cabinet}c${parts.chassis}s${parts.slot}b${parts.bmc}n${parts.node}`;
}

/** Canonical text of a BMC xname; throws BOS_BMC_XNAME_INVALID for fields out of range. */
export function formatBmcXname(parts: BmcXname): string {
  checkBmcFields('BMC', parts);
  return `x${parts.cabinet}c${parts.chassis}s${parts.slot}b${parts.bmc}`;
}

/** X3000C0S019B1N0 -> x3000c0s19b1n0; throws BOS_XNAME_INVALID. */
export function normalizeNodeXname(text: string): string {
  return formatNodeXname(parseNodeXname(text));
}

/** X3000C0S019B1 -> x3000c0s19b1; throws BOS_BMC_XNAME_INVALID. */
export function normalizeBmcXname(text: string): string {
  return formatBmcXname(parseBmcXname(text));
}

/** The BMC of a node: x3000c0s19b1n0 -> x3000c0s19b1; throws BOS_XNAME_INVALID. */
export function bmcOf(nodeXname: string): string {
  return formatBmcXname(parseNodeXname(nodeXname));
}

/**
 * The chassis of a node (or of a BMC): x3000c0s19b1n0 -> x3000c0.
 * Throws BOS_XNAME_INVALID when the text is neither.
 */
export function chassisOf(xname: string): string {
  const parts: BmcXname = isBmcXname(xname) ? parseBmcXname(xname) : parseNodeXname(xname);
  return `x${parts.cabinet}c${parts.chassis}`;
}

/**
 * Natural order for sorting: numeric fields compare by value (x2c0s1b0n0 < x10c0s0b0n0),
 * letters without regard to case. Total on any strings, so it is safe on input that is
 * not an xname; texts equal but for case or leading zeros are ordered by their code units.
 */
export function compareXnames(a: string, b: string): number {
  return compareNatural(a, b);
}
