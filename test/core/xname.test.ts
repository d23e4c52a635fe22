import { describe, it, expect } from 'vitest';
import { BosError, isBosError } from '../../src/core/errors.js';
import {
  bmcOf,
  chassisOf,
  compareXnames,
  formatBmcXname,
  formatNodeXname,
  isBmcXname,
  isNodeXname,
  looksLikeXname,
  normalizeBmcXname,
  normalizeNodeXname,
  parseBmcXname,
  parseNodeXname,
} from '../../src/core/xname.js';

function thrown(fn: () => unknown): BosError {
  try {
    fn();
  } catch (e) {
    if (isBosError(e)) return e;
    throw new Error(`expected a BosError, got ${String(e)}`);
  }
  throw new Error('expected a BosError, nothing was thrown');
}

function expectOneLine(err: BosError, token: string): void {
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message).toContain(JSON.stringify(token));
}

const BAD_NODE_XNAMES = [
  '',
  'x',
  'x3000',
  'x3000c0',
  'x3000c0s19',
  'x3000c0s19n0',
  'x3000c0s19b1',
  'x3000c0s19b1n',
  'x3000c0s19b1n0x',
  'x3000c0s19b1n0 ',
  ' x3000c0s19b1n0',
  'y3000c0s19b1n0',
  'x3000c0s19b1n-1',
  'x-3000c0s19b1n0',
  'x3000c0s19b1n0.5',
  'x1234567c0s0b0n0',
  'x01234567c0s0b0n0',
  'x3000c1000s0b0n0',
  'x3000c0s1000b0n0',
  'x3000c0s0b1000n0',
  'x3000c0s0b0n1000',
  'x3000 c0s19b1n0',
  'x３000c0s19b1n0',
  'nid000001',
  'x3000c0s19b1n0\n',
];

describe('parseNodeXname', () => {
  it('parses the fields of a node xname', () => {
    expect(parseNodeXname('x3000c0s19b1n0')).toEqual({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1, node: 0 });
    expect(parseNodeXname('x1000c7s7b1n1')).toEqual({ cabinet: 1000, chassis: 7, slot: 7, bmc: 1, node: 1 });
  });

  it('accepts upper case and mixed case', () => {
    expect(parseNodeXname('X3000C0S19B1N0')).toEqual({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1, node: 0 });
    expect(parseNodeXname('x3000C0s19B1n0')).toEqual({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1, node: 0 });
  });

  it('accepts leading zeros', () => {
    expect(parseNodeXname('x003000c000s019b01n00')).toEqual({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1, node: 0 });
  });

  it('does not count leading zeros towards the width of a field', () => {
    expect(parseNodeXname('x0001000c0007s007b0001n000001')).toEqual({ cabinet: 1000, chassis: 7, slot: 7, bmc: 1, node: 1 });
    expect(isNodeXname('x0000000c0s0b0n0')).toBe(true);
  });

  it('accepts the widest fields: 6 digits of cabinet, 3 of the others', () => {
    expect(parseNodeXname('x999999c999s999b999n999')).toEqual({ cabinet: 999999, chassis: 999, slot: 999, bmc: 999, node: 999 });
    expect(parseNodeXname('x0c0s0b0n0')).toEqual({ cabinet: 0, chassis: 0, slot: 0, bmc: 0, node: 0 });
  });

  it.each(BAD_NODE_XNAMES)('rejects %j with BOS_XNAME_INVALID', (text) => {
    const err = thrown(() => parseNodeXname(text));
    expect(err.code).toBe('BOS_XNAME_INVALID');
    expectOneLine(err, text);
    expect(err.message).toContain('expected x<cabinet>c<chassis>s<slot>b<bmc>n<node>');
  });

  it('words the error as documented', () => {
    expect(thrown(() => parseNodeXname('x3000c0s19n0')).message).toBe(
      'invalid node xname "x3000c0s19n0": expected x<cabinet>c<chassis>s<slot>b<bmc>n<node>, e.g. x3000c0s19b1n0',
    );
  });

  it('hints when a BMC xname was given for a node', () => {
    const err = thrown(() => parseNodeXname('X3000C0S19B1'));
    expect(err.hint).toContain('BMC xname');
    expect(err.hint).toContain('x3000c0s19b1n0');
  });

  it('keeps a message with a newline in the token on one line', () => {
    const err = thrown(() => parseNodeXname('x1\nrm -rf /\r\n\u2028'));
    expect(err.message).not.toMatch(/[\r\n\u2028\u2029]/);
  });

  it('shortens a very long token in the message', () => {
    const err = thrown(() => parseNodeXname('x'.repeat(10_000)));
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toContain('"xxxx');
  });
});

describe('normalizeNodeXname', () => {
  it.each([
    ['X3000C0S019B1N0', 'x3000c0s19b1n0'],
    ['x3000c0s19b1n0', 'x3000c0s19b1n0'],
    ['x0001000c07s007b001n001', 'x1000c7s7b1n1'],
    ['X0C000S0B0N000', 'x0c0s0b0n0'],
  ])('%s -> %s', (input, output) => {
    expect(normalizeNodeXname(input)).toBe(output);
  });

  it('is idempotent', () => {
    const once = normalizeNodeXname('X3000C0S019B1N0');
    expect(normalizeNodeXname(once)).toBe(once);
  });

  it('throws BOS_XNAME_INVALID naming the token', () => {
    const err = thrown(() => normalizeNodeXname('x3000c0s19b1'));
    expect(err.code).toBe('BOS_XNAME_INVALID');
    expectOneLine(err, 'x3000c0s19b1');
  });
});

describe('isNodeXname', () => {
  it('is true for node xnames in any case and with leading zeros', () => {
    expect(isNodeXname('x3000c0s19b1n0')).toBe(true);
    expect(isNodeXname('X3000C0S019B1N0')).toBe(true);
  });

  it.each(BAD_NODE_XNAMES)('is false for %j without throwing', (text) => {
    expect(isNodeXname(text)).toBe(false);
  });
});

describe('looksLikeXname', () => {
  it.each(['x3000c0s19b1n0', 'X3000', 'x1', 'x3000c0s19n0', 'x0garbage'])('is true for %j', (text) => {
    expect(looksLikeXname(text)).toBe(true);
  });

  it.each(['', 'x', 'xname', 'nid000001', 'node-x1', ' x3000c0s19b1n0', 'c0s1'])('is false for %j', (text) => {
    expect(looksLikeXname(text)).toBe(false);
  });
});

describe('formatNodeXname', () => {
  it('writes the canonical form', () => {
    expect(formatNodeXname({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1, node: 0 })).toBe('x3000c0s19b1n0');
  });

  it('round-trips with parseNodeXname', () => {
    const parts = { cabinet: 1000, chassis: 7, slot: 7, bmc: 1, node: 1 };
    expect(parseNodeXname(formatNodeXname(parts))).toEqual(parts);
  });

  it.each([
    ['node', { cabinet: 1, chassis: 0, slot: 0, bmc: 0, node: -1 }, '-1'],
    ['node', { cabinet: 1, chassis: 0, slot: 0, bmc: 0, node: 1000 }, '1000'],
    ['slot', { cabinet: 1, chassis: 0, slot: 1.5, bmc: 0, node: 0 }, '1.5'],
    ['cabinet', { cabinet: 1_000_000, chassis: 0, slot: 0, bmc: 0, node: 0 }, '1000000'],
    ['chassis', { cabinet: 1, chassis: Number.NaN, slot: 0, bmc: 0, node: 0 }, 'NaN'],
  ])('rejects a bad %s field with BOS_XNAME_INVALID', (field, parts, value) => {
    const err = thrown(() => formatNodeXname(parts));
    expect(err.code).toBe('BOS_XNAME_INVALID');
    expectOneLine(err, field);
    expect(err.message).toContain(value);
  });
});

describe('BMC xnames', () => {
  it('parses, tests and normalizes', () => {
    expect(parseBmcXname('x3000c0s19b1')).toEqual({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1 });
    expect(parseBmcXname('X3000C00S019B01')).toEqual({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1 });
    expect(isBmcXname('x3000c0s19b1')).toBe(true);
    expect(isBmcXname('x3000c0s19b1n0')).toBe(false);
    expect(normalizeBmcXname('X3000C0S019B1')).toBe('x3000c0s19b1');
    expect(formatBmcXname({ cabinet: 3000, chassis: 0, slot: 19, bmc: 1 })).toBe('x3000c0s19b1');
  });

  it.each(['', 'x3000c0s19', 'x3000c0s19b1n0', 'x3000c0s19b', 'x1234567c0s0b0', 'x3000c0s19b1000', 'b1', 'x3000c0s19b1 '])(
    'rejects %j with BOS_BMC_XNAME_INVALID',
    (text) => {
      const err = thrown(() => parseBmcXname(text));
      expect(err.code).toBe('BOS_BMC_XNAME_INVALID');
      expectOneLine(err, text);
      expect(err.message).toContain('expected x<cabinet>c<chassis>s<slot>b<bmc>, e.g. x3000c0s19b1');
      expect(isBmcXname(text)).toBe(false);
    },
  );

  it('normalizeBmcXname throws BOS_BMC_XNAME_INVALID and hints at the BMC of a node xname', () => {
    const err = thrown(() => normalizeBmcXname('x3000c0s19b1n0'));
    expect(err.code).toBe('BOS_BMC_XNAME_INVALID');
    expect(err.hint).toContain('x3000c0s19b1');
  });

  it('formatBmcXname rejects out-of-range fields', () => {
    const err = thrown(() => formatBmcXname({ cabinet: 0, chassis: 0, slot: 0, bmc: 1000 }));
    expect(err.code).toBe('BOS_BMC_XNAME_INVALID');
    expectOneLine(err, 'bmc');
  });
});

describe('bmcOf and chassisOf', () => {
  it('bmcOf drops the node', () => {
    expect(bmcOf('x3000c0s19b1n0')).toBe('x3000c0s19b1');
    expect(bmcOf('X3000C0S019B01N1')).toBe('x3000c0s19b1');
  });

  it('bmcOf rejects anything but a node xname', () => {
    for (const text of ['x3000c0s19b1', 'nid1', '']) {
      const err = thrown(() => bmcOf(text));
      expect(err.code).toBe('BOS_XNAME_INVALID');
      expectOneLine(err, text);
    }
  });

  it('chassisOf keeps cabinet and chassis of a node or BMC xname', () => {
    expect(chassisOf('x3000c0s19b1n0')).toBe('x3000c0');
    expect(chassisOf('X1000C07S7B1N1')).toBe('x1000c7');
    expect(chassisOf('x1000c7s7b1')).toBe('x1000c7');
  });

  it('chassisOf rejects other text with BOS_XNAME_INVALID', () => {
    const err = thrown(() => chassisOf('x1000c7'));
    expect(err.code).toBe('BOS_XNAME_INVALID');
    expectOneLine(err, 'x1000c7');
  });
});

describe('compareXnames', () => {
  it('orders numeric fields by value', () => {
    expect(compareXnames('x2c0s1b0n0', 'x10c0s0b0n0')).toBeLessThan(0);
    expect(compareXnames('x10c0s0b0n0', 'x2c0s1b0n0')).toBeGreaterThan(0);
    expect(compareXnames('x1000c0s2b0n0', 'x1000c0s10b0n0')).toBeLessThan(0);
    expect(compareXnames('x1000c0s0b0n9', 'x1000c0s0b0n10')).toBeLessThan(0);
    expect(compareXnames('x1000c0s0b0n0', 'x1000c0s0b0n0')).toBe(0);
  });

  it('sorts a list naturally', () => {
    const list = ['x10c0s0b0n0', 'x2c0s1b0n0', 'x2c0s0b0n1', 'x2c0s0b0n0', 'x2c1s0b0n0', 'x1000c0s0b1n0'];
    expect([...list].sort(compareXnames)).toEqual([
      'x2c0s0b0n0',
      'x2c0s0b0n1',
      'x2c0s1b0n0',
      'x2c1s0b0n0',
      'x10c0s0b0n0',
      'x1000c0s0b1n0',
    ]);
  });

  it('puts a BMC before its nodes', () => {
    expect(compareXnames('x1c0s0b0', 'x1c0s0b0n0')).toBeLessThan(0);
  });

  it('is a total order that does not throw on other text', () => {
    expect(compareXnames('X1c0s0b0n0', 'x1c0s0b0n0')).not.toBe(0);
    expect(compareXnames('x01c0s0b0n0', 'x1c0s0b0n0')).not.toBe(0);
    expect(Math.sign(compareXnames('nid2', 'nid10'))).toBe(-1);
    expect(Math.sign(compareXnames('', 'x1'))).toBe(-1);
  });
});
