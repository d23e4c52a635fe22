import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isBosError } from '../../src/core/errors.js';
import { compareNatural, compressHostlist, expandHostlist } from '../../src/core/hostlist.js';
import {
  compareXnames,
  isBmcXname,
  isNodeXname,
  normalizeBmcXname,
  normalizeNodeXname,
  parseBmcXname,
  parseNodeXname,
} from '../../src/core/xname.js';

const RUNS = { numRuns: 300 };

function padded(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function randomCase(text: string, flips: boolean[]): string {
  return [...text].map((ch, i) => (flips[i % Math.max(1, flips.length)] ? ch.toUpperCase() : ch)).join('');
}

/** Zero-padded and unpadded nids under a few prefixes, so paddings collide. */
const nidName = fc
  .tuple(fc.constantFrom('nid', 'n', 'node'), fc.nat(120), fc.integer({ min: 0, max: 6 }))
  .map(([prefix, n, width]) => prefix + padded(n, width));

/** Node xnames from a small space, so whole blocks and near-blocks occur. */
const nodeXname = fc
  .tuple(
    fc.constantFrom(1000, 1001, 1002, 3000),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 7 }),
    fc.integer({ min: 0, max: 1 }),
    fc.integer({ min: 0, max: 1 }),
  )
  .map(([x, c, s, b, n]) => `x${x}c${c}s${s}b${b}n${n}`);

/** Names with several numbers, padding and text after the last number. */
const multiFieldName = fc
  .tuple(
    fc.constantFrom('rack', 'r', 'cab-'),
    fc.integer({ min: 0, max: 12 }),
    fc.constantFrom('-node', '.n', '_'),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 3 }),
    fc.constantFrom('', '-ib', '.example.com', 'x'),
  )
  .map(([a, i, b, j, w, suffix]) => `${a}${i}${b}${padded(j, w)}${suffix}`);

/** Any host name of letters, digits, '-', '_' and '.'. */
const anyName = fc.stringMatching(/^[A-Za-z0-9._-]{1,14}$/);

const hostName = fc.oneof(nidName, nodeXname, multiFieldName, anyName);

function expectBosErrorOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isBosError(e)) throw e;
    expect(e.message).not.toMatch(/[\r\n]/);
  }
}

describe('compressHostlist and expandHostlist', () => {
  it('expand(compress(names)) is the set of names', () => {
    fc.assert(
      fc.property(fc.array(hostName, { maxLength: 80 }), (names) => {
        const compressed = compressHostlist(names);
        if (names.length === 0) {
          expect(compressed).toBe('');
          return;
        }
        const expanded = expandHostlist(compressed);
        expect(new Set(expanded)).toEqual(new Set(names));
        expect(expanded).toHaveLength(new Set(names).size);
      }),
      RUNS,
    );
  });

  it('the round trip holds for each kind of name alone', () => {
    for (const arb of [nidName, nodeXname, multiFieldName, anyName]) {
      fc.assert(
        fc.property(fc.array(arb, { minLength: 1, maxLength: 60 }), (names) => {
          expect(new Set(expandHostlist(compressHostlist(names)))).toEqual(new Set(names));
        }),
        { numRuns: 150 },
      );
    }
  });

  it('compress does not depend on the order or repetition of its input', () => {
    fc.assert(
      fc.property(fc.array(hostName, { maxLength: 40 }), fc.integer(), (names, seed) => {
        const shuffled = [...names, ...names.slice(0, 5)].sort((a, b) => (hash(a, seed) - hash(b, seed)) || compareNatural(a, b));
        expect(compressHostlist(shuffled)).toBe(compressHostlist(names));
      }),
      RUNS,
    );
  });

  it('compress of the expansion of a generated hostlist expands to the same set', () => {
    const span = fc
      .tuple(fc.nat(30), fc.nat(5), fc.integer({ min: 0, max: 3 }), fc.boolean())
      .map(([lo, len, width, isRange]) => (isRange ? `${padded(lo, width)}-${lo + len}` : padded(lo, width)));
    const group = fc.array(span, { minLength: 1, maxLength: 3 }).map((spans) => `[${spans.join(',')}]`);
    const text = fc.constantFrom('nid', 'x', 'c', 's', '-', '.', 'n', 'b0n');
    // As in Slurm, a bracket group ends its item: no text after the last group.
    const item = fc.array(fc.oneof(text, group), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')).filter((i) => !/\][^\]]+$/.test(i));
    const expr = fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
    fc.assert(
      fc.property(expr, (e) => {
        const names = expandHostlist(e);
        const again = compressHostlist(names);
        expect(new Set(expandHostlist(again))).toEqual(new Set(names));
      }),
      RUNS,
    );
  });
});

describe('xname normalization', () => {
  const fields = fc.tuple(
    fc.integer({ min: 0, max: 999_999 }),
    fc.integer({ min: 0, max: 999 }),
    fc.integer({ min: 0, max: 999 }),
    fc.integer({ min: 0, max: 999 }),
    fc.integer({ min: 0, max: 999 }),
  );
  const padding = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 });
  const flips = fc.array(fc.boolean(), { minLength: 1, maxLength: 24 });

  const writtenNode = fc.tuple(fields, padding, flips).map(([[x, c, s, b, n], pads, f]) => {
    const cab = padded(x, Math.min(6, String(x).length + (pads[0] ?? 0)));
    const rest = [c, s, b, n].map((v, i) => padded(v, Math.min(3, String(v).length + (pads[i + 1] ?? 0))));
    return {
      text: randomCase(`x${cab}c${rest[0]}s${rest[1]}b${rest[2]}n${rest[3]}`, f),
      canonical: `x${x}c${c}s${s}b${b}n${n}`,
    };
  });

  it('normalizeNodeXname is idempotent and gives the canonical form', () => {
    fc.assert(
      fc.property(writtenNode, ({ text, canonical }) => {
        expect(isNodeXname(text)).toBe(true);
        const once = normalizeNodeXname(text);
        expect(once).toBe(canonical);
        expect(normalizeNodeXname(once)).toBe(once);
        expect(parseNodeXname(once)).toEqual(parseNodeXname(text));
      }),
      RUNS,
    );
  });

  it('normalizeBmcXname is idempotent', () => {
    fc.assert(
      fc.property(writtenNode, ({ text }) => {
        const bmc = text.slice(0, text.search(/n/i));
        const once = normalizeBmcXname(bmc);
        expect(normalizeBmcXname(once)).toBe(once);
        expect(isBmcXname(bmc)).toBe(true);
      }),
      RUNS,
    );
  });

  it('compareXnames orders by the numeric fields', () => {
    fc.assert(
      fc.property(fields, fields, (a, b) => {
        const [xa, xb] = [a, b].map(([x, c, s, bmc, n]) => `x${x}c${c}s${s}b${bmc}n${n}`) as [string, string];
        const byFields = a.findIndex((v, i) => v !== b[i]);
        const expected = byFields === -1 ? 0 : Math.sign((a[byFields] as number) - (b[byFields] as number));
        expect(Math.sign(compareXnames(xa, xb))).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('parsers on arbitrary input', () => {
  const hostlistish = fc.string({ unit: fc.constantFrom('[', ']', ',', '-', ' ', '0', '1', '9', 'n', 'x', '\n'), maxLength: 30 });
  const xnameish = fc.string({ unit: fc.constantFrom('x', 'X', 'c', 's', 'b', 'n', 'N', '0', '1', '9', ' ', '-'), maxLength: 24 });
  const anything = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), hostlistish, xnameish);

  it('expandHostlist only ever throws a one-line BosError', () => {
    fc.assert(
      fc.property(anything, (text) => {
        expectBosErrorOrValue(() => expandHostlist(text, 5_000));
      }),
      { numRuns: 2_000 },
    );
  });

  it('expandHostlist output never contains brackets or commas', () => {
    fc.assert(
      fc.property(hostlistish, (text) => {
        let names: string[] = [];
        try {
          names = expandHostlist(text, 5_000);
        } catch (e) {
          if (!isBosError(e)) throw e;
        }
        for (const name of names) expect(name).not.toMatch(/[[\],]/);
      }),
      { numRuns: 1_000 },
    );
  });

  it('the xname parsers only ever throw a one-line BosError, and agree with the predicates', () => {
    fc.assert(
      fc.property(anything, (text) => {
        expectBosErrorOrValue(() => parseNodeXname(text));
        expectBosErrorOrValue(() => parseBmcXname(text));
        expectBosErrorOrValue(() => normalizeNodeXname(text));
        expectBosErrorOrValue(() => normalizeBmcXname(text));
        expect(succeeds(() => parseNodeXname(text))).toBe(isNodeXname(text));
        expect(succeeds(() => parseBmcXname(text))).toBe(isBmcXname(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('compressHostlist only ever throws a one-line BosError', () => {
    fc.assert(
      fc.property(fc.array(anything, { maxLength: 10 }), (names) => {
        expectBosErrorOrValue(() => compressHostlist(names));
      }),
      { numRuns: 1_000 },
    );
  });

  it('compareNatural is a consistent total order', () => {
    const str = fc.oneof(fc.string({ maxLength: 8 }), hostName, xnameish);
    fc.assert(
      fc.property(str, str, str, (a, b, c) => {
        expect(compareNatural(a, b) === 0).toBe(a === b);
        expect(Math.sign(compareNatural(a, b)) + Math.sign(compareNatural(b, a))).toBe(0);
        const [x, y, z] = [a, b, c].sort(compareNatural) as [string, string, string];
        expect(compareNatural(x, y)).toBeLessThanOrEqual(0);
        expect(compareNatural(y, z)).toBeLessThanOrEqual(0);
        expect(compareNatural(x, z)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2_000 },
    );
  });
});

function succeeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function hash(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x9e3779b1);
  return h;
}
