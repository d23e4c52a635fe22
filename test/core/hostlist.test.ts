import { describe, it, expect } from 'vitest';
import { BosError, isBosError } from '../../src/core/errors.js';
import {
  compareNatural, compareSlurmPrefix, compressHostlist, countNames, expandHostlist, hostnames, isHostlist, parseHostlist, rangedString, sortRanges, uniqueRanges,
} from '../../src/core/hostlist.js';

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

  it('splits on commas and whitespace outside brackets, as Slurm does', () => {
    expect(expandHostlist(' a , b,c ')).toEqual(['a', 'b', 'c']);
    expect(expandHostlist('nid[1-2] nid[5-6]')).toEqual(['nid1', 'nid2', 'nid5', 'nid6']);
    expect(expandHostlist('nid[1-2]\tnid4\nnid7')).toEqual(['nid1', 'nid2', 'nid4', 'nid7']);
  });

  it('skips empty items: an empty expression names no node', () => {
    expect(expandHostlist('nid1,')).toEqual(['nid1']);
    expect(expandHostlist(',nid1,,nid2')).toEqual(['nid1', 'nid2']);
    expect(expandHostlist('')).toEqual([]);
    expect(expandHostlist(' , ')).toEqual([]);
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

  it('allows blanks and a "+" before a number, and blanks before "-", as Slurm does, without counting them as digits', () => {
    expect(expandHostlist('n[ 1, 3 -4]')).toEqual(['n1', 'n3', 'n4']);
    expect(expandHostlist('n[+1-+2]')).toEqual(['n1', 'n2']);
  });

  it('reads "lo-" as lo, as Slurm does', () => {
    expect(expandHostlist('nid[1-]')).toEqual(['nid1']);
    expect(expandHostlist('nid[05-,7]')).toEqual(['nid05', 'nid7']);
  });

  it('expands several groups as a product in Slurm\'s order: the last fastest, then the first, the second, ...', () => {
    expect(expandHostlist('x[1-2]y[3-4]')).toEqual(['x1y3', 'x1y4', 'x2y3', 'x2y4']);
    expect(expandHostlist('a[1-2]b[1-2]c[1-2]')).toEqual(['a1b1c1', 'a1b1c2', 'a2b1c1', 'a2b1c2', 'a1b2c1', 'a1b2c2', 'a2b2c1', 'a2b2c2']);
    const names = expandHostlist('x1000c[0-1]s[0-7]b0n[0-1]');
    expect(names).toHaveLength(32);
    expect(names.slice(0, 5)).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c1s0b0n0', 'x1000c1s0b0n1', 'x1000c0s1b0n0']);
    expect(new Set(names).size).toBe(32);
  });

  it('handles a group at the start and next to another group', () => {
    expect(expandHostlist('[1-2]')).toEqual(['1', '2']);
    expect(expandHostlist('[1-2][5,7]')).toEqual(['15', '17', '25', '27']);
  });

  it('removes exact duplicates and keeps the first appearance', () => {
    expect(expandHostlist('b,a,b,n[1-3],n[2-4],a')).toEqual(['b', 'a', 'n1', 'n2', 'n3', 'n4']);
    expect(expandHostlist('n[1,1,01]')).toEqual(['n1', 'n01']);
  });

  it('handles numbers beyond the safe integer range, as written', () => {
    expect(expandHostlist('n[99999999999999999998-99999999999999999999]')).toEqual([
      'n99999999999999999998',
      'n99999999999999999999',
    ]);
    expect(expandHostlist('n[09007199254740993-09007199254740994]')).toEqual(['n09007199254740993', 'n09007199254740994']);
    expect(expandHostlist('a[18446744073709551615-18446744073709551616]b[1]')).toEqual(['a18446744073709551615b1', 'a18446744073709551616b1']);
  });

  it('accepts a range of exactly 65,536 names, Slurm\'s largest', () => {
    expect(expandHostlist('nid[0-65535]')).toHaveLength(65_536);
  });

  it('allows exactly maxHosts names', () => {
    expect(expandHostlist('n[1-10]', 10)).toHaveLength(10);
  });

  describe('errors', () => {
    it.each(['nid[1-4', 'nid[1,2', 'a[1]b[2', 'a[1-2]b['])('rejects the unclosed "[" in %j (Slurm misreads it)', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, '"[" is not closed');
    });

    it.each(['nid[1]]', 'a[1]x]y[2]', 'a]b[1,3]', ']a[1]', 'a]', 'nid1-4]', ']'])('rejects the "]" outside a bracket group in %j (Slurm takes some as part of a name)', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, '"]" has no matching "["');
    });

    it.each([
      ['x1000c0s[0-2]b0n0', 'b0n0'],
      ['cn[001-003]-ib', '-ib'],
      ['nid[1-2]5', '5'],
      ['a[1]b[2]c', 'c'],
    ])('rejects text after the last bracket group in %j, as Slurm does', (expr, rest) => {
      expectHostlistError(() => expandHostlist(expr), expr, JSON.stringify(rest), 'follows the last bracket group', 'cn001-ib,cn002-ib');
    });

    it('names only the offending item', () => {
      const err = expectHostlistError(() => expandHostlist('ok[1-2],bad[1]x'), 'bad[1]x');
      expect(err.message).not.toContain('ok[1-2]');
    });

    it.each(['nid[1[2]]', 'nid[[1]]', 'a[1-2,[3]]', 'a[[1]'])('rejects the nested brackets in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'nested');
    });

    it.each(['nid[]', 'nid[ ]'])('rejects the empty bracket in %j', (expr) => {
      expectHostlistError(() => expandHostlist(expr), expr, 'empty brackets');
    });

    it.each(['nid[1,,2]', 'nid[1,]', 'nid[,1]', 'nid[,]'])('rejects the empty element in %j', (expr) => {
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
      ['nid[-]', '-'],
      ['nid[1-2-3]', '1-2-3'],
      ['nid[1--2]', '1--2'],
      ['nid[1.5]', '1.5'],
      ['nid[++1]', '++1'],
      ['nid[1 ]', '1 '],
      ['nid[1- ]', '1- '],
      ['nid[0x1]', '0x1'],
      ['nid[x]', 'x'],
    ])('rejects the non-numeric range in %j', (expr, part) => {
      expectHostlistError(() => expandHostlist(expr), expr, JSON.stringify(part), 'is not a number or a range');
    });

    it('rejects a range of more than 65,536 names, as Slurm does', () => {
      expectHostlistError(() => expandHostlist('nid[1-65537]'), 'nid[1-65537]', 'range 1-65537 holds 65537 names', 'more than the 65536 Slurm allows', 'e.g. 1-65536,');
      expectHostlistError(() => expandHostlist('n[0-99999999999999999999999]'), 'n[0-99999999999999999999999]', 'more than the 65536');
    });

    it('rejects an expansion larger than maxHosts, counted over all items and before repeats are dropped', () => {
      expectHostlistError(() => expandHostlist('n[1-11]', 10), 'n[1-11]', 'expands to 11 names', 'limit of 10');
      expectHostlistError(() => expandHostlist('a[1-6],b[1-5]', 10), 'a[1-6],b[1-5]', 'expands to 11 names');
      expectHostlistError(() => expandHostlist('a[1-6],a[1-5]', 10), 'a[1-6],a[1-5]', 'expands to 11 names');
      expectHostlistError(() => expandHostlist('x[0-999]c[0-999]s[0-999]'), 'x[0-999]c[0-999]s[0-999]', 'expands to 1000000000 names');
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

  it('runs a zero-padded range on into wider numbers, as Slurm does', () => {
    expect(compressHostlist(['nid08', 'nid09', 'nid10'])).toBe('nid[08-10]');
    expect(compressHostlist(['nid10', 'nid11', 'nid09', 'nid12', 'nid20'])).toBe('nid[09-12,20]');
    expect(compressHostlist(['a099', 'a100'])).toBe('a[099-100]');
  });

  it('keeps paddings that read differently apart, narrower first', () => {
    expect(compressHostlist(['n1', 'n2', 'n001', 'n002'])).toBe('n[1-2,001-002]');
    expect(compressHostlist(['n01', 'n1'])).toBe('n[1,01]');
    expect(compressHostlist(['a2', 'a02', 'a002', 'a1'])).toBe('a[1-2,02,002]');
    expect(compressHostlist(['nid009', 'nid010', 'nid11'])).toBe('nid[11,009-010]');
  });

  it('brackets only a trailing number: names that differ earlier are listed whole', () => {
    expect(compressHostlist(['x1000c0s0b0n0', 'x1000c0s1b0n0', 'x1000c0s2b0n0'])).toBe('x1000c0s0b0n0,x1000c0s1b0n0,x1000c0s2b0n0');
    expect(compressHostlist(['cn001-ib', 'cn002-ib', 'cn003-ib'])).toBe('cn001-ib,cn002-ib,cn003-ib');
    expect(compressHostlist(['rack1-node1-ib', 'rack1-node2-ib', 'rack1-node3-eth'])).toBe('rack1-node1-ib,rack1-node2-ib,rack1-node3-eth');
    expect(compressHostlist(expandHostlist('x1000c0s0b0n[0-1],x1000c0s1b0n[0-1]'))).toBe('x1000c0s0b0n[0-1],x1000c0s1b0n[0-1]');
  });

  it('writes hostlists that read back to the same names', () => {
    const names = expandHostlist('x1000c[0-1]s[0-7]b0n[0-1]');
    const compressed = compressHostlist(names);
    expect(compressed).toMatch(/^(x1000c[01]s[0-7]b0n\[0-1\],?)+$/);
    expect(new Set(expandHostlist(compressed))).toEqual(new Set(names));
  });

  it('passes names without digits through, deduplicated and sorted', () => {
    expect(compressHostlist(['login', 'admin', 'login'])).toBe('admin,login');
  });

  it('drops duplicates', () => {
    expect(compressHostlist(['n1', 'n2', 'n1', 'n2'])).toBe('n[1-2]');
  });

  it('orders groups as Slurm sorts prefixes, whatever the input order', () => {
    const names = ['nid10', 'b1', 'a2', 'nid9', 'x10c0s0b0n0', 'x2c0s0b0n0', 'a1', 'login', 'a'];
    expect(compressHostlist(names)).toBe('a,a[1-2],b1,login,nid[9-10],x2c0s0b0n0,x10c0s0b0n0');
    expect(compressHostlist([...names].reverse())).toBe(compressHostlist(names));
    expect(compressHostlist(['b1', 'B1', 'a1'])).toBe('B1,a1,b1');
  });

  it('compresses expansions back to their short form', () => {
    for (const expr of ['nid[000001-000004]', 'nid[8-10]', 'nid[08-10]', 'nid[1-1000]', 'n[1-3,5,7-9]', 'x3000c0s19b1n0', 'x3000c0s19b1n[0-1]']) {
      expect(compressHostlist(expandHostlist(expr))).toBe(expr);
    }
  });

  it('handles names that start with a digit or contain dashes and dots', () => {
    const names = ['10-0-0-1', '10-0-0-2', 'node1.example.com', 'node2.example.com', '7'];
    const compressed = compressHostlist(names);
    expect(compressed).toBe('7,10-0-0-[1-2],node1.example.com,node2.example.com');
    expect(new Set(expandHostlist(compressed))).toEqual(new Set(names));
  });

  it('keeps names with numbers past 2^53 whole', () => {
    const names = ['n99999999999999999998', 'n99999999999999999999', 'n1'];
    expect(compressHostlist(names)).toBe('n1,n99999999999999999998,n99999999999999999999');
  });

  it.each(['', 'a b', 'a,b', 'n[1]', 'n]', ' a', 'a\n'])('rejects the name %j that no hostlist could hold', (name) => {
    expectHostlistError(() => compressHostlist(['ok1', name]), name, 'invalid host name');
  });
});

describe('parseHostlist and the writers (scontrol show hostnames, hostlist, hostlistsorted)', () => {
  const write = (expr: string) => rangedString(parseHostlist(expr));
  const sorted = (expr: string) => rangedString(sortRanges(parseHostlist(expr)));

  it('keeps repeated names and the order given, as scontrol does', () => {
    expect(hostnames(parseHostlist('a,b,a'))).toEqual(['a', 'b', 'a']);
    expect(write('a3,a1,a2')).toBe('a[3,1-2]');
    expect(write('tux2,tux1,tux2')).toBe('tux[2,1-2]');
    expect(write('x1,x2,y1,x3')).toBe('x[1-2],y1,x3');
  });

  it('keeps a prefix as written in brackets: nid1[1-2] is not nid[11-12]', () => {
    expect(write('nid1[1-2],nid13')).toBe('nid1[1-2],nid13');
    expect(write('a[1-2]b[3-4,5-6]')).toBe('a1b[3-6],a2b[3-6]');
    expect(write('nid[1-2],nid[3-4],nid5')).toBe('nid[1-5]');
  });

  it('runs a range on when the next number reads the same in its width', () => {
    expect(write('a9,a10')).toBe('a[9-10]');
    expect(write('a[09-99],a100')).toBe('a[09-100]');
    expect(write('a[009-010],a11')).toBe('a[009-010,11]');
    expect(write('a9,a010')).toBe('a[9,010]');
    expect(write('a[00-01],a2')).toBe('a[00-01,2]');
  });

  it('sorts as hostlistsorted, keeping repeats as overlapping ranges', () => {
    expect(sorted('tux2,tux1,tux2')).toBe('tux[1-2,2]');
    expect(sorted('a[1-5],a[3-7]')).toBe('a[1-3,3-4,4-5,5-7]');
    expect(sorted('x[17-21,0-5,9-19]')).toBe('x[0-5,9-17,17-18,18-19,19-21]');
    expect(sorted('a10,a11,a9')).toBe('a[9-11]');
    expect(sorted('a9,a10,a09')).toBe('a[9-10,09]');
    expect(sorted('a1,a9,a05,a10')).toBe('a[1,9,05,10]');
    expect(sorted('b,a1,a,A')).toBe('A,a,a1,b');
    expect(sorted('a10b1,a9b1')).toBe('a9b1,a10b1');
  });

  it('drops repeats where they first reappear, splitting ranges around them', () => {
    expect(rangedString(uniqueRanges(parseHostlist('a[1-5],a[3-7]')))).toBe('a[1-7]');
    expect(rangedString(uniqueRanges(parseHostlist('a[4-6],a[1-9]')))).toBe('a[4-6,1-3,7-9]');
    expect(hostnames(uniqueRanges(parseHostlist('b,a,b,n[1-3],n[2-4],a')))).toEqual(['b', 'a', 'n1', 'n2', 'n3', 'n4']);
  });

  it('counts names without writing them out', () => {
    expect(countNames(parseHostlist('a[1-65536]b[1-10],c'))).toBe(655_361);
    expect(countNames(parseHostlist(''))).toBe(0);
  });

  it('expands and compresses a million names in linear time (measured in bench/hostlist.js)', () => {
    const list = parseHostlist('x[1-1000]n[1-1000]');
    expect(countNames(list)).toBe(1_000_000);
    const names = hostnames(list);
    expect(names).toHaveLength(1_000_000);
    expect(compressHostlist(names).split(',')).toHaveLength(1000);
  });
});

describe('compareSlurmPrefix', () => {
  it('sorts as Slurm sorts hostlist prefixes: case-sensitive, numbers by value, leading zeros digit by digit', () => {
    const sortedBy = (xs: string[]) => [...xs].sort(compareSlurmPrefix);
    expect(sortedBy(['b', 'a', 'B', 'A'])).toEqual(['A', 'B', 'a', 'b']);
    expect(sortedBy(['a10b', 'a9b', 'a1b'])).toEqual(['a1b', 'a9b', 'a10b']);
    expect(sortedBy(['a', 'a-', 'a.', 'a_'])).toEqual(['a', 'a-', 'a.', 'a_']);
    expect(sortedBy(['x01y', 'x1y', 'x001y'])).toEqual(['x001y', 'x01y', 'x1y']);
    expect(sortedBy(['e', 'é', 'f'])).toEqual(['é', 'e', 'f']);
    expect(compareSlurmPrefix('nid', 'nid')).toBe(0);
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
