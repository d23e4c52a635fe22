import { describe, it, expect } from 'vitest';
import { BosError, isBosError } from '../../src/core/errors.js';
import { compareNatural, compressHostlist, expandHostlist, isHostlist } from '../../src/core/hostlist.js';

function thrown(fn: () => unknown): BosError {
  try {
    fn();
  } catch (e) {
    if (isBosError(e)) return e;
    throw new Error(`expected a BosError, got ${String(e)}`);
  }
  throw new Error('expected a BosError, nothing was thrown');
}

function expectHostlistError(fn: () => unknown, token: string, ...phrases: string[]): BosError {
  const err = thrown(fn);
  expect(err.code).toBe('BOS_HOSTLIST_INVALID');
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message).toContain(JSON.stringify(token));
  for (const phrase of phrases) expect(err.message).toContain(phrase);
  return err;
}

describe('expandHostlist', () => {
  it('passes a plain name through', () => {
    expect(expandHostlist('x3000c0s19b1n0')).toEqual(['x3000c0s19b1n0']);
  });

  it('splits top-level commas and trims whitespace around items', () => {
    expect(expandHostlist(' a , b,c ')).toEqual(['a', 'b', 'c']);
  });

  it('expands a range with zero padding from the start', () => {
    expect(expandHostlist('nid[000001-000004]')).toEqual(['nid000001', 'nid000002', 'nid000003', 'nid000004']);
  });

  it('does not pad a range whose start has no leading zero', () => {
    expect(expandHostlist('nid[8-10]')).toEqual(['nid8', 'nid9', 'nid10']);
  });

  it('pads to the width of a zero-padded start', () => {
    expect(expandHostlist('nid[08-10]')).toEqual(['nid08', 'nid09', 'nid10']);
    expect(expandHostlist('n[098-101]')).toEqual(['n098', 'n099', 'n100', 'n101']);
  });

  it('keeps a single number as written', () => {
    expect(expandHostlist('nid[007,7,0]')).toEqual(['nid007', 'nid7', 'nid0']);
  });

  it('treats a range starting at 0 as unpadded', () => {
    expect(expandHostlist('n[0-2]')).toEqual(['n0', 'n1', 'n2']);
  });

  it('mixes numbers and ranges in one group, commas inside brackets belonging to it', () => {
    expect(expandHostlist('nid[000001-000003,000010],login1')).toEqual([
      'nid000001',
      'nid000002',
      'nid000003',
      'nid000010',
      'login1',
    ]);
  });

  it('allows whitespace around elements inside brackets', () => {
    expect(expandHostlist('n[ 1 , 3-3 ]')).toEqual(['n1', 'n3']);
  });

  it('expands several groups as a product, leftmost varying slowest', () => {
    const names = expandHostlist('x1000c[0-1]s[0-7]b0n[0-1]');
    expect(names).toHaveLength(32);
    expect(names.slice(0, 5)).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0', 'x1000c0s1b0n1', 'x1000c0s2b0n0']);
    expect(names.at(-1)).toBe('x1000c1s7b0n1');
  });

  it('handles a group at the start, end and next to another group', () => {
    expect(expandHostlist('[1-2]a')).toEqual(['1a', '2a']);
    expect(expandHostlist('[1-2][5,7]')).toEqual(['15', '17', '25', '27']);
  });

  it('removes exact duplicates and keeps the first appearance', () => {
    expect(expandHostlist('b,a,b,n[1-3],n[2-4],a')).toEqual(['b', 'a', 'n1', 'n2', 'n3', 'n4']);
    expect(expandHostlist('n[1,1,01]')).toEqual(['n1', 'n01']);
  });

  it('handles numbers beyond the safe integer range', () => {
    expect(expandHostlist('n[99999999999999999998-99999999999999999999]')).toEqual([
      'n99999999999999999998',
      'n99999999999999999999',
    ]);
    expect(expandHostlist('n[09007199254740993-09007199254740994]')).toEqual(['n09007199254740993', 'n09007199254740994']);
  });

  it('allows exactly maxHosts names', () => {
    expect(expandHostlist('n[1-10]', 10)).toHaveLength(10);
  });

  describe('errors', () => {
    it.each(['', '   '])('rejects the empty expression %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'empty hostlist', 'e.g.');
    });

    it.each(['a,,b', 'a,', ',a', 'a, ,b'])('rejects an empty item in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'is empty');
    });

    it.each(['nid[1-4', 'nid[1,2', 'a[1]b[2'])('rejects the unclosed "[" in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, '"[" is not closed');
    });

    it.each(['nid1-4]', 'nid[1]2]', ']'])('rejects the unmatched "]" in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, '"]" has no matching "["');
    });

    it('names only the offending item', () => {
      const err = expectHostlistError(() => expandHostlist('ok[1-2],bad]'), 'bad]');
      expect(err.message).not.toContain('ok[1-2]');
    });

    it.each(['nid[1[2]]', 'nid[[1]]', 'a[1-2,[3]]'])('rejects the nested brackets in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'nested');
    });

    it.each(['nid[]', 'nid[ ]'])('rejects the empty bracket in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'empty brackets');
    });

    it.each(['nid[1,,2]', 'nid[1,]', 'nid[,1]'])('rejects the empty element in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'empty element');
    });

    it('rejects a reversed range with the documented wording', () => {
      const err = expectHostlistError(() => expandHostlist('nid[5-1]'), 'nid[5-1]');
      expect(err.message).toContain('range 5-1 is reversed: write it low-high, e.g. 1-5');
    });

    it.each([
      ['nid[a-b]', 'a-b'],
      ['nid[1-b]', '1-b'],
      ['nid[-1]', '-1'],
      ['nid[1-]', '1-'],
      ['nid[1-2-3]', '1-2-3'],
      ['nid[1.5]', '1.5'],
      ['nid[+1]', '+1'],
      ['nid[x]', 'x'],
    ])('rejects the non-numeric range in %j', (expr, part) => {
      expectHostlistError(() => expandHostlist(expr), expr, JSON.stringify(part), 'is not a number or a range');
    });

    it('rejects an expansion larger than maxHosts, counted over all items', () => {
      expectHostlistError(() => expandHostlist('n[1-11]', 10), 'n[1-11]', 'expands to 11 names', 'limit of 10');
      expectHostlistError(() => expandHostlist('a[1-6],b[1-5]', 10), 'a[1-6],b[1-5]', 'expands to 11 names');
      expectHostlistError(() => expandHostlist('x[0-999]c[0-999]s[0-999]'), 'x[0-999]c[0-999]s[0-999]', 'expands to 1000000000 names');
    });

    it('rejects a huge range quickly without expanding it', () => {
      const started = Date.now();
      expectHostlistError(() => expandHostlist('n[0-99999999999999999999999]'), 'n[0-99999999999999999999999]', 'more than the limit');
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('keeps messages on one line when the input has newlines', () => {
      const err = thrown(() => expandHostlist('a\n[1-'));
      expect(err.code).toBe('BOS_HOSTLIST_INVALID');
      expect(err.message).not.toMatch(/[\r\n]/);
    });
  });
});

describe('compressHostlist', () => {
  it('returns an empty string for no names', () => {
    expect(compressHostlist([])).toBe('');
  });

  it('leaves a single name alone', () => {
    expect(compressHostlist(['nid000001'])).toBe('nid000001');
    expect(compressHostlist(['login'])).toBe('login');
  });

  it('merges consecutive numbers into ranges, keeping the padding', () => {
    expect(compressHostlist(['nid000001', 'nid000002'])).toBe('nid[000001-000002]');
    expect(compressHostlist(['nid000003', 'nid000001', 'nid000002', 'nid000010'])).toBe('nid[000001-000003,000010]');
  });

  it('sorts numerically within a group', () => {
    expect(compressHostlist(['n10', 'n9', 'n1', 'n8'])).toBe('n[1,8-10]');
  });

  it('joins unpadded numbers of the width of a padded group into it', () => {
    expect(compressHostlist(['nid08', 'nid09', 'nid10'])).toBe('nid[08-10]');
    expect(compressHostlist(['nid10', 'nid11', 'nid09', 'nid12', 'nid20'])).toBe('nid[09-12],nid20');
    expect(compressHostlist(expandHostlist('nid[1-1000],nid[0001-0100]'))).toBe('nid[0001-0100],nid[1-1000]');
  });

  it('keeps different paddings apart', () => {
    expect(compressHostlist(['n1', 'n2', 'n001', 'n002'])).toBe('n[001-002],n[1-2]');
    expect(compressHostlist(['n01', 'n1'])).toBe('n01,n1');
  });

  it('keeps the text after the last number', () => {
    expect(compressHostlist(['rack1-node1-ib', 'rack1-node2-ib', 'rack1-node3-eth'])).toBe('rack1-node[1-2]-ib,rack1-node3-eth');
  });

  it('passes names without digits through, deduplicated', () => {
    expect(compressHostlist(['login', 'admin', 'login'])).toBe('admin,login');
  });

  it('drops duplicates', () => {
    expect(compressHostlist(['n1', 'n2', 'n1', 'n2'])).toBe('n[1-2]');
  });

  it('orders groups naturally by their first name, whatever the input order', () => {
    const names = ['nid10', 'b1', 'a2', 'nid9', 'x10c0s0b0n0', 'x2c0s0b0n0', 'a1', 'login'];
    expect(compressHostlist(names)).toBe('a[1-2],b1,login,nid[9-10],x[2,10]c0s0b0n0');
    expect(compressHostlist(['x10c0s0b0n0', 'x2c0s0b0n1', 'nid1'])).toBe('nid1,x2c0s0b0n1,x10c0s0b0n0');
    expect(compressHostlist([...names].reverse())).toBe(compressHostlist(names));
  });

  it('compresses an xname block back into one short expression', () => {
    expect(compressHostlist(expandHostlist('x1000c[0-1]s[0-7]b0n[0-1]'))).toBe('x1000c[0-1]s[0-7]b0n[0-1]');
    expect(compressHostlist(expandHostlist('x[1000-1003]c[0-7]s[0-7]b[0-1]n[0-1]').reverse())).toBe(
      'x[1000-1003]c[0-7]s[0-7]b[0-1]n[0-1]',
    );
  });

  it('compresses expansions back to their short form', () => {
    for (const expr of ['nid[000001-000004]', 'nid[8-10]', 'nid[08-10]', 'nid[1-1000]', 'n[1-3,5,7-9]', 'x3000c0s19b1n0']) {
      expect(compressHostlist(expandHostlist(expr))).toBe(expr);
    }
  });

  it('handles names that start with a digit or contain dashes and dots', () => {
    const names = ['10-0-0-1', '10-0-0-2', 'node1.example.com', 'node2.example.com', '7'];
    const compressed = compressHostlist(names);
    expect(compressed).toBe('7,10-0-0-[1-2],node[1-2].example.com');
    expect(new Set(expandHostlist(compressed))).toEqual(new Set(names));
  });

  it('handles numbers beyond the safe integer range', () => {
    const names = ['n99999999999999999998', 'n99999999999999999999', 'n100000000000000000000'];
    expect(compressHostlist(names)).toBe('n[99999999999999999998-100000000000000000000]');
  });

  it.each(['', 'a b', 'a,b', 'n[1]', 'n]', ' a', 'a\n'])('rejects the name %j that no hostlist could hold', (name) => {
    expectHostlistError(() => compressHostlist(['ok1', name]), name, 'invalid host name');
  });
});

describe('isHostlist', () => {
  it.each(['nid[1-4]', 'a,b[1]', 'x1000c[0-1]s0b0n0', 'n[]'])('is true for %j', (text) => {
    expect(isHostlist(text)).toBe(true);
  });

  it.each(['nid1', 'a,b', 'n[1', 'n]1[', ''])('is false for %j', (text) => {
    expect(isHostlist(text)).toBe(false);
  });
});

describe('compareNatural', () => {
  it('compares digit runs by value and letters without case', () => {
    expect(compareNatural('nid2', 'nid10')).toBeLessThan(0);
    expect(compareNatural('NID2', 'nid10')).toBeLessThan(0);
    expect(compareNatural('nid010', 'nid9')).toBeGreaterThan(0);
    expect(compareNatural('a', 'a1')).toBeLessThan(0);
    expect(compareNatural('n99999999999999999999', 'n100000000000000000000')).toBeLessThan(0);
  });

  it('is zero only for equal strings', () => {
    expect(compareNatural('n1', 'n1')).toBe(0);
    expect(compareNatural('n01', 'n1')).not.toBe(0);
    expect(compareNatural('N1', 'n1')).not.toBe(0);
    expect(Math.sign(compareNatural('n01', 'n1'))).toBe(-Math.sign(compareNatural('n1', 'n01')));
  });
});
