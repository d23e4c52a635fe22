import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration, formatDuration } from '../../src/core/duration.js';
import { EXIT } from '../../src/core/errors.js';
import { createDeps, type RunDeps } from '../../src/cli/context.js';
import { CommandFailed } from '../../src/cli/exit.js';
import { createTestIo } from '../../src/cli/io.js';
import { reportError } from '../../src/cli/main.js';
import { printChange, printResult } from '../../src/cli/output/result.js';
import { baseProgram } from '../../src/cli/program-base.js';
import { defineCreate, defineDelete, defineStatus, runDelete, type CreateOptions, type StatusOptions } from '../../src/cli/commands/session.js';
import { defineConfig, defineRebootProgram, type RebootProgramOptions } from '../../src/cli/commands/slurm.js';
import type { Backend } from '../../src/services/backend.js';

/** A program with one command defined with a spy run: what run got, and its deps' globals. */
async function parsed<T>(define: (parent: Command, deps: ReturnType<typeof createDeps>, run: (o: T, d: RunDeps) => Promise<void>) => Command, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const io = createTestIo();
  const deps = createDeps(io, env);
  const program = baseProgram(deps).exitOverride();
  const calls: { o: T; d: RunDeps }[] = [];
  define(program, deps, async (o, d) => { calls.push({ o, d }); });
  await program.parseAsync(argv, { from: 'user' });
  return calls;
}

describe('define + run: commander stays in define, run gets typed options and deps', () => {
  it('session create: aliases, --stage words and durations become one typed options object', async () => {
    const [c] = await parsed<CreateOptions>(defineCreate, ['-o', 'json', 'create', '--template-name', 'v2', '--operation', 'reboot', '--staged', 'false', '--wait', '--interval', '2s', '--retry-for', '15m', '-y']);
    expect(c.o).toEqual({
      template: 'v2', operation: 'reboot', stage: false, limit: undefined, name: undefined, includeDisabled: false, maxFailures: undefined,
      force: false, dryRun: false, yes: true, wait: true, interval: 2000, retryFor: 900_000,
    });
    expect(c.d.globals.output).toBe('json');
  });

  it('old spellings still mean what they meant: --interval in ms, --retry-for in seconds', async () => {
    const [c] = await parsed<StatusOptions>(defineStatus, ['status', 's1', '--watch', '--interval', '250', '--retry-for', '90']);
    expect(c.o).toEqual({ name: 's1', watch: true, interval: 250, retryFor: 90_000 });
    const [d] = await parsed<StatusOptions>(defineStatus, ['status', 's1']);
    expect(d.o.interval).toBe(1000);
  });

  it('the deps carry the environment: BOSCTL_OUTPUT reaches globals without a module global', async () => {
    const [a] = await parsed<{ name: string }>(defineDelete, ['delete', 'x'], { BOSCTL_OUTPUT: 'yaml' });
    const [b] = await parsed<{ name: string }>(defineDelete, ['delete', 'x'], { BOSCTL_OUTPUT: 'name' });
    expect([a.d.globals.output, b.d.globals.output]).toEqual(['yaml', 'name']);
  });

  it('slurm: durations in seconds with units, bare numbers as before', async () => {
    const [c] = await parsed<{ configureAllowance: number }>(defineConfig, ['config', '--configure-allowance', '15m']);
    expect(c.o.configureAllowance).toBe(900);
    const [d] = await parsed<{ configureAllowance: number }>(defineConfig, ['config']);
    expect(d.o.configureAllowance).toBe(600);
    const [r] = await parsed<RebootProgramOptions>(defineRebootProgram, ['reboot-program', 'nid1', '--retry-delay', '500ms']);
    expect(r.o).toEqual({ nodes: ['nid1'], self: false, attempts: 5, retryDelay: 0.5, setReason: false, scontrol: 'scontrol' });
  });

  it('a run function runs with no commander object: a fake backend and a test Io', async () => {
    const io = createTestIo();
    const deleted: string[] = [];
    const backend = { deleteSession: async (n: string) => { deleted.push(n); } } as unknown as Backend;
    await runDelete({ name: 'old' }, { io, env: {}, now: () => new Date(0), globals: { output: 'table', quiet: false, verbose: false, headers: true }, backend: async () => backend });
    expect(deleted).toEqual(['old']);
    expect(io.stdout).toBe('session old deleted\n');
  });
});

describe('one duration parser', () => {
  const rule = { name: '--interval', bare: 'ms' as const, min: 50, expected: 'at least 50ms' };
  it('takes ms, s, m, h, d, w and a bare number in the old unit', () => {
    expect(['500ms', '5s', '4m', '4h', '2d', '1w', '750'].map((t) => parseDuration(t, rule))).toEqual([500, 5000, 240_000, 14_400_000, 172_800_000, 604_800_000, 750]);
    expect(parseDuration('5', { ...rule, bare: 's' })).toBe(5000);
    expect(parseDuration('0.5', { ...rule, bare: 's', fractions: true })).toBe(500);
  });
  it('refuses what it cannot read or what is out of range, naming the flag and what is right (exit 2)', () => {
    for (const bad of ['', 'soon', '-1', '10', '5 s', '1.5s', '1y']) {
      expect(() => parseDuration(bad, rule)).toThrow(expect.objectContaining({ code: 'BOS_VALUE_INVALID', exitCode: 2, message: `invalid --interval "${bad}": expected at least 50ms` }));
    }
    expect(() => parseDuration('11m', { ...rule, max: 600_000 })).toThrow(/invalid --interval "11m"/);
  });
  it('shows a duration back in its largest whole unit', () => {
    expect([1000, 1500, 300_000, 500, 86_400_000].map(formatDuration)).toEqual(['1s', '1.5s', '5m', '500ms', '1d']);
  });
});

describe('one printer for results', () => {
  it('printResult: -o json/yaml print the data, other formats the lines for people', async () => {
    for (const [format, want] of [['json', '{\n  "a": 1\n}\n'], ['yaml', 'a: 1\n'], ['table', 'one line\n']] as const) {
      const io = createTestIo();
      await printResult(io, format, { a: 1 }, () => io.out('one line\n'));
      expect(io.stdout, format).toBe(want);
    }
  });
  it('printChange: "<kind> <name> <verb>", (dry run), -q, and data for -o json', async () => {
    const io = createTestIo();
    await printChange(io, { format: 'table', quiet: false }, { kind: 'tenant', name: 't1', verb: 'created', detail: ' (4 node(s))' });
    await printChange(io, { format: 'wide', quiet: false }, { kind: 'session', name: 's', verb: 'deleted', dryRun: true });
    await printChange(io, { format: 'table', quiet: true }, { kind: 'session', name: 's', verb: 'deleted' });
    await printChange(io, { format: 'json', quiet: false }, { kind: 'session', name: 's', verb: 'resumed', data: { released: [] } });
    expect(io.stdout).toBe('tenant t1 created (4 node(s))\nsession s deleted (dry run)\n{\n  "released": []\n}\n');
  });
});

describe('CommandFailed is a coded error of the registry', () => {
  it('prints its line as before, exits 1, and -v adds its code', () => {
    const e = new CommandFailed('BOS_SESSION_FAILED', 'session s: 1 of 4 node(s) failed');
    const io = createTestIo();
    expect(reportError(e, io, false)).toBe(EXIT.FAILED);
    expect(reportError(e, io, true)).toBe(EXIT.FAILED);
    expect(io.stderr).toBe('bosctl: session s: 1 of 4 node(s) failed\nbosctl: session s: 1 of 4 node(s) failed [BOS_SESSION_FAILED]\n');
  });
});

describe('bad input is exit 2, never exit 1', () => {
  it('demo: --nodes or --time-scale out of range (was exit 1)', async () => {
    const { run } = await import('../../src/cli/main.js');
    for (const args of [['--nodes', '3'], ['--time-scale', '2']]) {
      const io = createTestIo();
      expect(await run(['demo', ...args], io, {}), args.join(' ')).toBe(EXIT.BAD_INPUT);
      expect(io.stderr).toMatch(/^bosctl: --(nodes|time-scale) must be .*\n$/);
    }
  });
});
