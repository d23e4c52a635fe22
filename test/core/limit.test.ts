import { describe, expect, it } from 'vitest';
import { evaluateLimit, parseLimit } from '../../src/core/limit.js';
import { indexOf, smallCluster } from './fixtures.js';

const idx = indexOf(smallCluster());
const sorted = (s: Set<string>) => [...s].sort();

describe('BOS limit expressions', () => {
  it('parses union, intersect and exclude terms left to right', () => {
    expect(parseLimit('a,&b,!c')).toEqual([
      { op: 'union', name: 'a' }, { op: 'intersect', name: 'b' }, { op: 'exclude', name: 'c' },
    ]);
  });

  it('all and * mean every node', () => {
    expect(evaluateLimit('all', idx).size).toBe(10);
    expect(evaluateLimit('*', idx).size).toBe(10);
  });

  it('resolves groups, roles (Role and Role_SubRole, any case), xnames, nids, hostnames and hostlists', () => {
    expect(sorted(evaluateLimit('gpu', idx))).toEqual(['x1000c0s3b0n0', 'x1000c0s3b0n1']);
    expect(evaluateLimit('Compute', idx).size).toBe(8);
    expect(evaluateLimit('application_uan', idx).size).toBe(2);
    expect(sorted(evaluateLimit('x1000c0s0b0n0,nid000002,uan01', idx))).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x3000c0s1b0n0']);
    expect(evaluateLimit('nid[000001-000004]', idx).size).toBe(4);
  });

  it('intersects and excludes', () => {
    expect(sorted(evaluateLimit('compute,&gpu,!nid000008', idx))).toEqual(['x1000c0s3b0n0']);
    expect(evaluateLimit('all,!Compute', idx).size).toBe(2);
    // An intersect first narrows an empty set: BOS starts from nothing.
    expect(evaluateLimit('&gpu', idx).size).toBe(0);
  });

  it('names every unknown name at once', () => {
    expect(() => evaluateLimit('compute,nosuchgroup,!other', idx)).toThrow(/unknown nodes, groups or roles: "nosuchgroup", "other"/);
    try { evaluateLimit('nosuch', idx); } catch (e) { expect((e as { code: string }).code).toBe('BOS_LIMIT_UNKNOWN_NAME'); }
  });

  it('rejects empty items and doubled operators', () => {
    for (const bad of ['', 'a,,b', 'compute,', '&', '!!gpu']) {
      expect(() => parseLimit(bad), bad).toThrow(expect.objectContaining({ code: 'BOS_LIMIT_INVALID' }));
    }
  });

  it('a malformed xname in a limit is an xname error', () => {
    expect(() => evaluateLimit('x1000c0s0n0', idx)).toThrow(expect.objectContaining({ code: 'BOS_XNAME_INVALID' }));
  });
});
