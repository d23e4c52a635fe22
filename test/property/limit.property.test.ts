import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBosError } from '../../src/core/errors.js';
import { evaluateLimit, parseLimit, type LimitOp, type LimitTerm } from '../../src/core/limit.js';
import type { InventoryNode } from '../../src/core/types.js';
import { indexOf, smallCluster } from '../core/fixtures.js';

const RUNS = { numRuns: 300 };
const nodes = smallCluster();
const idx = indexOf(nodes);
const ALL = nodes.map((n) => n.xname);

/**
 * The names a limit may use in this cluster, each with its members computed straight from
 * the fixture (not through the inventory index): the model the properties compare with.
 */
const has = (f: (n: InventoryNode) => boolean) => ALL.filter((_, i) => f(nodes[i]));
const NAMED: Array<[string, string[]]> = [
  ['all', ALL], ['*', ALL],
  ['gpu', has((n) => n.groups.includes('gpu'))], ['login', has((n) => n.groups.includes('login'))],
  ['Compute', has((n) => n.role === 'Compute')], ['compute', has((n) => n.groups.includes('compute'))],
  ['Application', has((n) => n.role === 'Application')], ['application_uan', has((n) => n.role === 'Application' && n.subrole === 'UAN')],
  ...nodes.map((n): [string, string[]] => [n.xname, [n.xname]]),
  ...nodes.map((n): [string, string[]] => [`nid${String(n.nid).padStart(6, '0')}`, [n.xname]]),
  ...nodes.map((n): [string, string[]] => [String(n.nid), [n.xname]]),
  ['uan01', ['x3000c0s1b0n0']],
  ['nid[000001-000003]', ALL.slice(0, 3)], ['nid[000002,000007-000008]', [ALL[1], ALL[6], ALL[7]]],
  ['x1000c0s[0-1]b0n[0-1]', ALL.slice(0, 4)],
];
const MEMBERS = new Map(NAMED);

const term = fc.record({ op: fc.constantFrom<LimitOp>('union', 'intersect', 'exclude'), name: fc.constantFrom(...NAMED.map(([n]) => n)) });
const pad = fc.constantFrom('', ' ', '  ');
const PREFIX: Record<LimitOp, string> = { union: '', intersect: '&', exclude: '!' };

function format(terms: LimitTerm[], spaces: string[]): string {
  return terms.map((t, i) => `${spaces[i % spaces.length]}${PREFIX[t.op]}${t.name}${spaces[(i + 1) % spaces.length]}`).join(',');
}

/** BOS's reading of a limit, left to right, starting from nothing. */
function model(terms: LimitTerm[]): Set<string> {
  let out = new Set<string>();
  for (const t of terms) {
    const m = new Set(MEMBERS.get(t.name)!);
    if (t.op === 'union') for (const x of m) out.add(x);
    else if (t.op === 'intersect') out = new Set([...out].filter((x) => m.has(x)));
    else for (const x of m) out.delete(x);
  }
  return out;
}

const sorted = (s: Iterable<string>) => [...s].sort();

describe('limit expressions (property)', () => {
  it('parse(format(terms)) gives the terms back, with any spaces around items', () => {
    fc.assert(fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), fc.array(pad, { minLength: 1, maxLength: 3 }), (terms, spaces) => {
      expect(parseLimit(format(terms, spaces))).toEqual(terms);
    }), RUNS);
  });

  it('evaluates like the set model, left to right, for every mix of names and operators', () => {
    fc.assert(fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), (terms) => {
      expect(sorted(evaluateLimit(format(terms, ['']), idx))).toEqual(sorted(model(terms)));
    }), RUNS);
  });

  it('laws: A,!A is empty; all,&A is A; unions commute; X,!Y is within X', () => {
    const name = fc.constantFrom(...NAMED.map(([n]) => n));
    fc.assert(fc.property(name, name, (a, b) => {
      expect(evaluateLimit(`${a},!${a}`, idx).size).toBe(0);
      expect(sorted(evaluateLimit(`all,&${a}`, idx))).toEqual(sorted(evaluateLimit(a, idx)));
      expect(sorted(evaluateLimit(`${a},${b}`, idx))).toEqual(sorted(evaluateLimit(`${b},${a}`, idx)));
      const x = evaluateLimit(a, idx);
      for (const n of evaluateLimit(`${a},!${b}`, idx)) expect(x.has(n)).toBe(true);
    }), RUNS);
  });

  it('every unknown name is reported at once, and only those', () => {
    const unknown = fc.stringMatching(/^zz[a-z0-9]{1,8}$/);
    fc.assert(fc.property(fc.array(term, { maxLength: 3 }), fc.uniqueArray(unknown, { minLength: 1, maxLength: 3 }), (known, bad) => {
      const text = [format(known, ['']), ...bad].filter(Boolean).join(',');
      try {
        evaluateLimit(text, idx);
        expect.unreachable(`"${text}" names unknown nodes`);
      } catch (e) {
        expect(isBosError(e) && e.code).toBe('BOS_LIMIT_UNKNOWN_NAME');
        const named = [...(e as Error).message.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
        expect(sorted(named)).toEqual(sorted(bad));
      }
    }), RUNS);
  });

  it('any text either evaluates or fails with a BOS error: never a crash', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: fc.constantFrom(',', '&', '!', '[', ']', '-', ' ', 'a', 'l', 'n', 'i', 'd', '0', '1', '9', 'x', 'c', 's', 'b', '*', '\n', '\t'), maxLength: 24 }),
      fc.array(fc.constantFrom(...NAMED.map(([n]) => n), '', '&', '!', '[', 'nid[', 'nid[3-1]', 'x1000c0s0n0'), { maxLength: 5 }).map((xs) => xs.join(',')),
    );
    fc.assert(fc.property(text, (t) => {
      try {
        const out = evaluateLimit(t, idx);
        for (const x of out) expect(ALL).toContain(x);
      } catch (e) {
        expect(isBosError(e), `${JSON.stringify(t)} threw ${String(e)}`).toBe(true);
        // (The message quotes the input as given; the CLI and the API make it one line.)
        expect((e as Error).message.length).toBeGreaterThan(0);
        expect((e as { code: string }).code).toMatch(/^BOS_(LIMIT|XNAME|HOSTLIST|NODE)_/);
      }
    }), { numRuns: 1000 });
  });
});
