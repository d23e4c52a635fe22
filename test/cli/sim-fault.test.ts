import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/cli/commands/sim.js';
import { FAULT_KINDS } from '../../src/sim/types.js';

describe('bosctl sim --fault', () => {
  it('takes every fault kind the simulator has, by xnames or by rate', () => {
    for (const kind of FAULT_KINDS) {
      expect(parseFault(`${kind}:x1000c0s0b0n0,x1000c0s1b0`)).toEqual({ kind, xnames: ['x1000c0s0b0n0', 'x1000c0s1b0'] });
      expect(parseFault(`${kind}@0.25`)).toEqual({ kind, rate: 0.25 });
    }
  });

  it('names the kinds it knows when given another one, and rejects a rate above 1', () => {
    expect(() => parseFault('disk_full:x1000c0s0b0n0')).toThrow(/invalid --fault "disk_full:x1000c0s0b0n0": expected KIND:XNAME\[,XNAME\] or KIND@RATE with KIND one of bmc_5xx, .*cfs_held.*events_late$/);
    expect(() => parseFault('bmc_5xx@1.5')).toThrow(/invalid --fault rate "1.5": expected a number from 0 to 1/);
  });
});
