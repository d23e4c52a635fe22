import { describe, expect, it } from 'vitest';
import { checkInventoryUnique, normalizeInventoryRecord } from '../../src/core/inventory.js';
import { resolveNodeArgs } from '../../src/core/node-names.js';
import { indexOf, node, smallCluster } from './fixtures.js';

describe('inventory records', () => {
  it('accepts HSM spellings and normalizes', () => {
    const n = normalizeInventoryRecord({ ID: 'X1000C0S0B0N0', NID: '7', Role: 'Compute', groups: 'a;b', Enabled: 'false', arch: 'x86' }, 'row 1');
    expect(n).toMatchObject({ xname: 'x1000c0s0b0n0', nid: 7, role: 'Compute', groups: ['a', 'b'], enabled: false, arch: 'X86' });
  });

  it('names the record and the field that is wrong', () => {
    expect(() => normalizeInventoryRecord({ nid: 1 }, 'row 3')).toThrow('row 3: missing xname');
    expect(() => normalizeInventoryRecord({ xname: 'x1000c0s0n0' }, 'row 4')).toThrow(/row 4: invalid node xname "x1000c0s0n0"/);
    expect(() => normalizeInventoryRecord({ xname: 'x1000c0s0b0n0', nid: 'abc' }, 'row 5')).toThrow(/invalid nid "abc"/);
  });

  it('refuses a name used by two nodes', () => {
    expect(() => checkInventoryUnique([node('x1c0s0b0n0', 1), node('x1c0s0b0n1', 1)])).toThrow(/nid "nid1" is used by both/);
    expect(() => checkInventoryUnique([node('x1c0s0b0n0', 1), node('x1c0s0b0n0', 2)])).toThrow(/appears twice/);
  });
});

describe('node name resolution', () => {
  const idx = indexOf(smallCluster());
  it('resolves xnames, nids, hostnames and hostlists, deduplicated in order', () => {
    const r = resolveNodeArgs(['nid[000001-000002]', 'X1000C0S0B0N0,uan01', '3', 'nid000099'], idx);
    expect(r.xnames).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x3000c0s1b0n0', 'x1000c0s1b0n0']);
    expect(r.unknown).toEqual(['nid000099']);
  });

  it('a malformed xname is an error, not an unknown node', () => {
    expect(() => resolveNodeArgs(['x1000c0s0n0'], idx)).toThrow(expect.objectContaining({ code: 'BOS_XNAME_INVALID' }));
  });
});
