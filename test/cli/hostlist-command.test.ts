/**
 * bosctl hostlist expand|compress|count: scontrol show hostnames|hostlist|hostlistsorted for
 * hosts without Slurm. In-process through run(argv, io), and once as a real process (dist/).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { BIN } from './helpers.js';

async function bosctl(args: string[], opts: { stdin?: string; stdinIsTTY?: boolean } = {}) {
  const io = createTestIo({ stdin: opts.stdin, stdinIsTTY: opts.stdinIsTTY ?? false });
  const code = await run(args, io, {});
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('bosctl hostlist', () => {
  it('expand prints one name a line, in Slurm\'s order, repeats kept', async () => {
    const r = await bosctl(['hostlist', 'expand', 'nid[000001-000003]', 'x[1-2]y[3-4],nid000001']);
    expect(r).toEqual({ code: 0, stdout: 'nid000001\nnid000002\nnid000003\nx1y3\nx1y4\nx2y3\nx2y4\nnid000001\n', stderr: '' });
  });

  it('reads stdin when no hostlist or "-" is given: whitespace and commas separate', async () => {
    expect((await bosctl(['hostlist', 'expand'], { stdin: 'nid[1-2] nid5\nnid7,\n' })).stdout).toBe('nid1\nnid2\nnid5\nnid7\n');
    expect((await bosctl(['hostlist', 'compress', 'nid0', '-'], { stdin: 'nid1\nnid2\n' })).stdout).toBe('nid[0-2]\n');
  });

  it('compress writes one hostlist as scontrol show hostlist does; --sort as hostlistsorted; -u drops repeats', async () => {
    expect((await bosctl(['hostlist', 'compress', 'nid3', 'nid1', 'nid2', 'nid2'])).stdout).toBe('nid[3,1-2,2]\n');
    expect((await bosctl(['hostlist', 'compress', '--sort', 'nid3', 'nid1', 'nid2', 'nid2'])).stdout).toBe('nid[1-2,2-3]\n');
    expect((await bosctl(['hostlist', 'compress', '--sort', '-u', 'nid3', 'nid1', 'nid2', 'nid2'])).stdout).toBe('nid[1-3]\n');
    expect((await bosctl(['hostlist', 'compress', 'x1000c0s0b0n0', 'x1000c0s1b0n0', 'x1000c0s1b0n1'])).stdout).toBe('x1000c0s0b0n0,x1000c0s1b0n[0-1]\n');
  });

  it('count prints a number, without writing the names out', async () => {
    expect((await bosctl(['hostlist', 'count', 'a[1-65536]b[1-10]'])).stdout).toBe('655360\n');
    expect((await bosctl(['hostlist', 'count', '-u', 'nid[1-8],nid[5-12]'])).stdout).toBe('12\n');
    expect((await bosctl(['hostlist', 'count', ''])).stdout).toBe('0\n');
  });

  it('-o json gives an array of names, the hostlist as a string, the count as a number', async () => {
    expect(JSON.parse((await bosctl(['-o', 'json', 'hostlist', 'expand', 'n[1-2]'])).stdout)).toEqual(['n1', 'n2']);
    expect(JSON.parse((await bosctl(['-o', 'json', 'hostlist', 'compress', 'n1,n2'])).stdout)).toBe('n[1-2]');
    expect(JSON.parse((await bosctl(['-o', 'json', 'hostlist', 'count', 'n[1-2]'])).stdout)).toBe(2);
  });

  it('refuses what Slurm refuses: one line naming the item, exit 2, nothing on stdout', async () => {
    for (const expr of ['x1000c0s[0-2]b0n0', 'nid[1-65537]', 'nid[3-1]', 'nid[1-2']) {
      const r = await bosctl(['hostlist', 'expand', 'ok1', expr]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(JSON.stringify(expr));
    }
  });

  it('with no hostlist and stdin on a terminal, says what to give instead of waiting', async () => {
    const r = await bosctl(['hostlist', 'expand'], { stdinIsTTY: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no hostlist given');
  });

  it('runs as a real process: a pipe of names in, one hostlist out', () => {
    const r = spawnSync(process.execPath, [BIN, 'hostlist', 'compress', '--sort'], { input: 'nid000002\nnid000001\nlogin1\n', encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'login1,nid[000001-000002]\n', stderr: '' });
  });
});
