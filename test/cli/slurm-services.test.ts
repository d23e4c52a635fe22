import { describe, expect, it } from 'vitest';
import { bosError } from '../../src/core/errors.js';
import type { Backend } from '../../src/services/backend.js';
import { rebootProgramFailure, runRebootProgram } from '../../src/services/slurm-reboot-program.js';
import { prepareRebootStaged } from '../../src/services/slurm-reboot-staged.js';

/** The Slurm glue as services: driven with a fake backend and a fake sleep, no CLI, no waiting. */
describe('slurm services', () => {
  it('reboot program: retries while bosd is unreachable, waiting one step longer each time', async () => {
    let calls = 0;
    const backend = {
      applyStaged: async () => {
        if (++calls < 3) throw bosError('BOS_SERVER_UNREACHABLE', 'connect ECONNREFUSED');
        return { succeeded: ['x1000c0s0b0n0'], failed: [], ignored: [], reasons: {} };
      },
    } as unknown as Backend;
    const log: string[] = [];
    const warn: string[] = [];
    const slept: number[] = [];
    const res = await runRebootProgram(
      { args: ['x1000c0s0b0n0'], self: false, attempts: 5, retryDelay: 2, setReason: false, scontrol: 'scontrol' },
      { backend: async () => backend, env: {}, log: (l) => log.push(l), warn: (l) => warn.push(l), sleep: async (ms) => { slept.push(ms); } },
    );
    expect(slept).toEqual([2000, 4000]);
    expect(warn).toEqual([
      'try 1 of 5: connect ECONNREFUSED; trying again in 2 s',
      'try 2 of 5: connect ECONNREFUSED; trying again in 4 s',
    ]);
    expect(log).toEqual(['controller mode: applying the staged state of x1000c0s0b0n0', 'succeeded 1: x1000c0s0b0n0: bosd reboots them into their staged state']);
    expect(rebootProgramFailure(res)).toBeUndefined();
  });

  it('reboot program: names what was not handed over, in Slurm\'s names', async () => {
    const backend = {
      applyStaged: async () => ({ succeeded: [], failed: [], ignored: ['x1000c0s0b0n1'], reasons: { x1000c0s0b0n1: 'nothing is staged' } }),
      listInventory: async () => [{ xname: 'x1000c0s0b0n1', nid: 2, hostname: 'nid000002', aliases: [] }],
    } as unknown as Backend;
    const log: string[] = [];
    const res = await runRebootProgram(
      { args: ['nid000002'], self: false, attempts: 1, retryDelay: 0, setReason: false, scontrol: 'scontrol' },
      { backend: async () => backend, env: {}, log: (l) => log.push(l), warn: () => {} },
    );
    expect(log.at(-1)).toBe('ignored nid000002 (x1000c0s0b0n1): nothing is staged: bosd does not reboot it; return it as it is: scontrol update nodename=nid000002 state=resume');
    expect(rebootProgramFailure(res)).toBe('1 ignored of 1 node(s) (nid000002): Slurm waits ResumeTimeout for them, then marks them DOWN; see the lines above for what to run');
  });

  it('reboot-staged: bad input is refused before the backend is opened', async () => {
    let opened = false;
    const open = async () => { opened = true; return {} as Backend; };
    await expect(prepareRebootStaged(open, { session: ' ', scontrol: 'scontrol' })).rejects.toMatchObject({ code: 'BOS_VALUE_INVALID' });
    await expect(prepareRebootStaged(open, { session: 's', scontrol: 'scontrol', reason: 'two\nlines' })).rejects.toThrow('--reason must be one non-empty line');
    expect(opened).toBe(false);
  });
});
