/**
 * `bosctl component wait --stable` (what slurmd's ExecStartPre runs; the real-Slurm test runs
 * it in front of slurmd) and the flags `bosctl sim` got for the Slurm setup: --port-base and
 * --bos-token-file.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitVerdict } from '../../src/cli/commands/component-wait.js';
import { nodeIdentity, xnameFromCmdline } from '../../src/core/node-identity.js';
import type { Component } from '../../src/core/types.js';
import { BIN, bosctl, lines, ok, removeTmpDirs, seeded, tmpDb } from '../cli/helpers.js';
import { freePorts } from './helpers.js';

afterAll(() => removeTmpDirs());

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'console=ttyS0' };
const V1 = { ...V2, kernel: 's3://img/v1/kernel' };

function comp(p: Partial<Component> & { status?: Partial<Component['status']> }): Component {
  return {
    id: 'x1000c0s0b0n0', enabled: false, error: '', session: '',
    actual_state: { boot_artifacts: V2 }, desired_state: { boot_artifacts: V2, configuration: 'c' }, staged_state: {},
    last_action: {}, event_stats: { power_on_attempts: 0, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 },
    ...p,
    status: { phase: '', status: 'stable', status_override: '', ...p.status },
  } as Component;
}

describe('waitVerdict: stable only when bosd is done with the node and it runs its desired boot', () => {
  it('stable, waiting or failed', () => {
    expect(waitVerdict(comp({}))).toEqual({ state: 'stable', why: '' });
    expect(waitVerdict(comp({ desired_state: {}, actual_state: {} })).state).toBe('stable');
    expect(waitVerdict(comp({ enabled: true, status: { phase: 'configuring', status: 'configuring' } }))).toEqual({ state: 'waiting', why: 'bosd is working on it (configuring, phase configuring)' });
    // Disabled and stable, but its reported boot is not the desired one yet (the report is on its way).
    expect(waitVerdict(comp({ actual_state: { boot_artifacts: V1 } }))).toEqual({ state: 'waiting', why: `it reported booting ${V1.kernel}, not its desired ${V2.kernel}` });
    expect(waitVerdict(comp({ actual_state: {} })).why).toBe(`no boot of ${V2.kernel} reported yet`);
    expect(waitVerdict(comp({ enabled: true, error: 'CFS failed to apply configuration c', status: { status: 'failed', status_override: 'failed' } })))
      .toEqual({ state: 'failed', why: 'CFS failed to apply configuration c' });
  });
});

describe('nodeIdentity: as BOS\'s reporter finds its node, then the host name', () => {
  it('NODE_IDENTITY, then xname= on the kernel command line, then the short host name', () => {
    const cmdline = 'BOOT_IMAGE=/k console=ttyS0 xname=x3000c0s19b1n0 bss_referral_token=abc\n';
    expect(xnameFromCmdline(cmdline)).toBe('x3000c0s19b1n0');
    expect(xnameFromCmdline('xname= quiet')).toBeUndefined();
    expect(nodeIdentity({ env: { NODE_IDENTITY: ' x1c0s0b0n1 ' }, cmdline: () => cmdline, hostname: () => 'nid1.example' })).toEqual({ name: 'x1c0s0b0n1', from: 'NODE_IDENTITY' });
    expect(nodeIdentity({ env: {}, cmdline: () => cmdline, hostname: () => 'nid1.example' })).toEqual({ name: 'x3000c0s19b1n0', from: '/proc/cmdline' });
    expect(nodeIdentity({ env: {}, cmdline: () => undefined, hostname: () => 'nid1.example' })).toEqual({ name: 'nid1', from: 'hostname' });
  });
});

describe.concurrent('bosctl component wait --stable', () => {
  it('returns at once for stable nodes (by nid, hostlist or --self with NODE_IDENTITY)', async () => {
    const t = await seeded();
    const r = await ok(['component', 'wait', 'nid[000001-000002]', '--stable'], { db: t.db });
    expect(lines(r.stdout)).toEqual(['x1000c0s0b0n0: stable', 'x1000c0s0b0n1: stable']);
    const self = await ok(['component', 'wait', '--self', '--stable'], { db: t.db, env: { NODE_IDENTITY: 'x1000c0s1b0n0' } });
    expect(self.stdout).toBe('x1000c0s1b0n0: stable\n');
    expect(self.stderr).toBe('bosctl: this node is x1000c0s1b0n0 (from NODE_IDENTITY)\n');
  });

  it('waits while bosd works on a node; --timeout ends it with exit 1 naming why', async () => {
    const t = await seeded();
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--limit', 'nid000003', '--name', 'now', '--yes'], { db: t.db });
    const r = await bosctl(['component', 'wait', 'nid000003', '--stable', '--timeout', '1', '--interval', '100'], { db: t.db });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bosctl: x1000c0s1b0n0: waiting: bosd is working on it \(/m);
    expect(lines(r.stderr).at(-1)).toMatch(/^bosctl: timed out after 1 \(--timeout\): not stable yet: x1000c0s1b0n0 \(bosd is working on it/);
  });

  it('bad input: exit 2 (no condition, names and --self, a bad --timeout or --interval, no nodes); unknown node: exit 3', async () => {
    const t = await seeded();
    for (const args of [['nid000001'], ['nid000001', '--self', '--stable'], ['nid000001', '--stable', '--timeout', 'soon'], ['nid000001', '--stable', '--timeout', '0'], ['nid000001', '--stable', '--interval', '5'], ['--stable']]) {
      const r = await bosctl(['component', 'wait', ...args], { db: t.db });
      expect(r.code, args.join(' ')).toBe(2);
      expect(lines(r.stderr), args.join(' ')).toHaveLength(1);
    }
    const unknown = await bosctl(['component', 'wait', 'nid009999', '--stable'], { db: t.db });
    expect(unknown.code).toBe(3);
  });
});

describe.concurrent('bosctl sim --port-base and --bos-token-file', () => {
  it('listens on the ports from --port-base: BSS, CFS, control, Redfish', async () => {
    const base = await freeRun(4);
    const t = tmpDb();
    const token = join(t.dir, 'node-token');
    writeFileSync(token, 'bos_abcdefgh_' + 'x'.repeat(43) + '\n', { mode: 0o600 });
    const sim = spawn(process.execPath, [BIN, 'sim', '--nodes', '2', '--port-base', String(base), '--bos-url', 'http://127.0.0.1:9', '--bos-token-file', token, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const info = await new Promise<Record<string, string>>((resolve, reject) => {
        let out = '';
        sim.stdout.on('data', (d: Buffer) => { out += d; try { resolve(JSON.parse(out)); } catch { /* more to come */ } });
        sim.on('exit', (code) => reject(new Error(`sim exited ${code}`)));
      });
      expect(info).toMatchObject({ bss_url: `http://127.0.0.1:${base}`, cfs_url: `http://127.0.0.1:${base + 1}`, control_url: `http://127.0.0.1:${base + 2}` });
      const inv = await (await fetch(`${info.control_url}/inventory`)).json() as Array<{ bmc_address: string }>;
      expect(inv[0].bmc_address).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${base + 3}/bmc/`));
    } finally {
      sim.kill('SIGTERM');
      await new Promise((r) => sim.once('exit', r));
    }
  });

  it('refuses: a token file without --bos-url, one others may read, an empty one, a bad or busy port', async () => {
    const t = tmpDb();
    const token = join(t.dir, 'tok');
    writeFileSync(token, 'secret\n', { mode: 0o600 });
    const open = join(t.dir, 'open');
    writeFileSync(open, 'secret\n', { mode: 0o644 });
    const empty = join(t.dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const cases: Array<[string[], number, RegExp]> = [
      [['--bos-token-file', token], 2, /--bos-token-file needs --bos-url/],
      [['--bos-url', 'http://127.0.0.1:9', '--bos-token-file', open], 2, /is open to others \(mode 644\)/],
      [['--bos-url', 'http://127.0.0.1:9', '--bos-token-file', empty], 2, /is empty: write a node token in it/],
      [['--port-base', '70000'], 2, /invalid --port-base "70000": expected a port from 1 to 65535/],
      [['--port-base', '65534'], 2, /portBase 65534 leaves too few ports: 4 are needed/],
    ];
    for (const [args, code, re] of cases) {
      const r = await bosctl(['sim', '--nodes', '1', ...args]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(lines(r.stderr), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (busy.address() as { port: number }).port;
      const r = await bosctl(['sim', '--nodes', '1', '--port-base', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port} \\(127.0.0.1\\) is in use: choose another port base`));
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});

/** A port with the next three free too (best effort: free now, as freePorts is). */
async function freeRun(n: number): Promise<number> {
  for (;;) {
    const [p] = await freePorts(1);
    if (p + n > 65535) continue;
    const probes = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p + i, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (probes.every(Boolean)) return p;
  }
}
