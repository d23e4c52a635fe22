/**
 * Fuzzing bosctl's argument parsing: generated argv (unknown commands and flags, flags
 * without their value, bad values for -o, --operation, --limit, --max-failures and numbers,
 * random Unicode and control characters) run in-process through run(argv, io) against a
 * copy of a seeded database, then a sample as real processes (dist/). Whatever the input:
 * never an internal error or a stack trace; a failure is one line on stderr; bad input exits
 * 2; a failed command leaves the database as it was.
 */
import fc from 'fast-check';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIo } from '../../src/cli/io.js';
import { commandWord, run } from '../../src/cli/main.js';
import { bosctl, dump, EXAMPLES } from '../cli/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Subcommands that are safe to run with anything: no network, no waiting, no simulator. */
const COMMANDS: string[][] = [
  ['inventory', 'list'], ['inventory', 'describe'], ['inventory', 'import'],
  ['sessiontemplate', 'list'], ['sessiontemplate', 'describe'], ['sessiontemplate', 'create'], ['sessiontemplate', 'validate'],
  ['sessiontemplate', 'update'], ['sessiontemplate', 'delete'], ['template', 'list'],
  ['session', 'create'], ['session', 'list'], ['session', 'describe'], ['session', 'status'], ['session', 'history'],
  ['session', 'resume'], ['session', 'abort'], ['session', 'delete'],
  ['component', 'list'], ['component', 'describe'], ['component', 'update'], ['component', 'history'],
  ['apply-staged'], ['options', 'list'], ['options', 'update'], ['rollback'],
  ['token', 'create'], ['token', 'list'], ['token', 'revoke'],
];
/** Every word and flag that is real somewhere: generated "unknown" ones must not be these. */
const REAL = new Set([
  ...COMMANDS.flat(), 'demo', 'sim', 'doctor', 'slurm', 'image', 'completion', 'help', 'ls', 'show', 'rm', 'set',
]);
/**
 * Never generated: they leave the sandbox (another database, a server, files) or wait for
 * bosd (--wait, --watch). A command word naming a long-running command is never generated either.
 */
const OFF_LIMITS = /^(--db|--server|--token-file|--ca-bundle|--wait|--watch|--self)(=|$)|^-[a-zA-Z]*w/;
const LONG_RUNNING = new Set(['demo', 'sim', 'doctor', 'slurm', 'image', 'completion']);

/** Flags that take a value, per command (a missing value is bad input). */
const VALUE_FLAGS: Array<[string[], string]> = [
  [['session', 'create'], '--template'], [['session', 'create'], '--operation'], [['session', 'create'], '--limit'],
  [['session', 'create'], '--max-failures'], [['session', 'create'], '--name'], [['component', 'list'], '--status'],
  [['component', 'list'], '--phase'], [['component', 'history', 'nid000001'], '--last'], [['token', 'create'], '--role'],
  [['token', 'create'], '--expires'], [['sessiontemplate', 'create', 'x'], '--arch'], [['component', 'list'], '--enabled'],
  [['session', 'list'], '--status'], [['rollback'], '--limit'], [['inventory', 'list'], '-o'],
];

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
/** Any text, control characters, escapes and astral-plane characters included. */
const wild = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0007', '\n', '\r', '\t', '\u001b', '\u202e', '\ud83d\ude00', '"', "'", '\\', '%', '$', '[', ']', '!', '&', ',', '*', '-', '=', ' '), maxLength: 12 }),
);

interface Case { argv: string[]; bad: boolean }

const unknownCommand = fc.tuple(word.filter((w) => !REAL.has(w)), fc.array(word, { maxLength: 3 }))
  .map(([w, rest]): Case => ({ argv: [w, ...rest], bad: true }));
const unknownFlag = fc.tuple(fc.constantFrom(...COMMANDS), word.filter((w) => !REAL.has(w)))
  .map(([cmd, w]): Case => ({ argv: [...cmd, `--zz${w}`], bad: true }));
const missingValue = fc.constantFrom(...VALUE_FLAGS).map(([cmd, flag]): Case => ({ argv: [...cmd, flag], bad: true }));
const badOutput = fc.tuple(fc.constantFrom(...COMMANDS.filter((c) => c.length === 2 && c[1] === 'list')), fc.oneof(word, wild))
  .filter(([, o]) => !['table', 'wide', 'json', 'yaml', 'name'].includes(o))
  .map(([cmd, o]): Case => ({ argv: ['-o', o, ...cmd], bad: true }));
const badOperation = fc.oneof(word, wild).filter((o) => !['boot', 'reboot', 'shutdown'].includes(o))
  .map((op): Case => ({ argv: ['session', 'create', '--template', 'compute-v2', '--stage', '--operation', op], bad: true }));
/**
 * Limits that are malformed, empty or name nothing known: bad input either way (an empty
 * --limit, e.g. from an unset shell variable, must not mean every node).
 */
const badLimit = fc.oneof(
  fc.constantFrom('', ' ', '\t', ',', ',,', '&', '!', '!&x', 'nid[', 'nid[5-1]', 'nid[a-b]', 'x1000c0s0b0n0]', '&&Compute', 'Compute,!'),
  word.filter((w) => !['all', 'compute', 'gpu'].includes(w.toLowerCase())).map((w) => `zz${w}`),
  wild.filter((w) => !/^[\s,]*(all|\*)[\s,]*$/i.test(w)),
).map((limit): Case => ({ argv: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', limit], bad: true }));
const badBudget = fc.oneof(
  fc.constantFrom('-1', 'abc', '101%', '1.5', '', '1e3', '0x10', '5%%', '%', 'Infinity', 'NaN', '99999999999999999999'),
  wild.filter((w) => !/^\s*\d+(\.\d+)?%?\s*$/.test(w)),
).map((n): Case => ({ argv: ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--max-failures', n], bad: true }));
const badNumber = fc.oneof(fc.constantFrom('-1', '0', 'x', '1.5', '', '1e9999', ' '), wild.filter((w) => !/^\s*\d+\s*$/.test(w)))
  .map((n): Case => ({ argv: ['component', 'history', 'nid000001', '--last', n], bad: true }));
const badOptions = fc.oneof(
  fc.constantFrom('max_boot_wait_time=abc', 'max_boot_wait_time=-5', 'nosuch=1', 'max_boot_wait_time', '=5', 'clear_stage=maybe', 'default_retry_policy=1.5'),
  wild.filter((w) => !w.includes('=')),
).map((kv): Case => ({ argv: ['options', 'update', kv], bad: true }));
/** Anything at all after a real command: no promise about the exit code, only about its manner. */
const anything = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(fc.oneof(word, wild, word.map((w) => `--${w}`), word.map((w) => `-${w.slice(0, 2)}`)), { maxLength: 4 }))
  .map(([cmd, rest]): Case => ({ argv: [...cmd, ...rest], bad: false }));

const cases = fc.oneof(unknownCommand, unknownFlag, missingValue, badOutput, badOperation, badLimit, badBudget, badNumber, badOptions, anything, anything)
  .filter((c) => !c.argv.some((a) => OFF_LIMITS.test(a)) && !LONG_RUNNING.has(commandWord(c.argv) ?? ''));

const STACK = /\n\s+at .+[(:]\d+|\bat (async )?[\w.<>]+ \(|node:internal|\.ts:\d+:\d+|\.js:\d+:\d+/;
const show = (argv: string[]) => JSON.stringify(argv);

/** The one-line contract for a failure's stderr. */
function checkOutcome(c: Case, code: number | null, stderr: string): void {
  expect(stderr, `${show(c.argv)}: internal error`).not.toMatch(/internal error/i);
  expect(stderr, `${show(c.argv)}: stack trace`).not.toMatch(STACK);
  if (code !== 0) {
    // One line; a command on several objects (delete a b) may say one line per object it could not change.
    const lines = stderr.endsWith('\n') ? stderr.slice(0, -1).split('\n') : [stderr];
    expect(lines.length === 1 || (code === 1 && lines.every((l) => l.startsWith('bosctl: '))), `${show(c.argv)} exited ${code} with stderr ${JSON.stringify(stderr)}`).toBe(true);
    expect(stderr.endsWith('\n'), show(c.argv)).toBe(true);
    expect(stderr, show(c.argv)).toMatch(/^bosctl: \S/);
  }
  if (c.bad) expect(code, `${show(c.argv)} (bad input) exit code; stderr ${JSON.stringify(stderr)}`).toBe(2);
}

let dir: string;
let seeded: string;
const ENV: NodeJS.ProcessEnv = { NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config', PATH: process.env.PATH };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bosctl-fuzz-'));
  seeded = join(dir, 'seeded.db');
  for (const argv of [
    ['inventory', 'import', join(EXAMPLES, 'inventory.csv')],
    ['sessiontemplate', 'create', 'compute-v1', '--file', join(EXAMPLES, 'compute-v1.yaml')],
    ['sessiontemplate', 'create', 'compute-v2', '--file', join(EXAMPLES, 'compute-v2.json')],
    ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'staged'],
  ]) {
    const io = createTestIo();
    expect(await run(['--db', seeded, '-q', ...argv], io, ENV), io.stderr).toBe(0);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A fresh copy of the seeded database for one case. */
function freshDb(): string {
  const db = join(dir, `case-${n++}.db`);
  copyFileSync(seeded, db);
  return db;
}

describe('fuzzed bosctl arguments', () => {
  it(`in-process: ${RUNS} generated argv (seed ${SEED}): one-line errors, exit 2 for bad input, nothing written on failure`, async () => {
    const exits: Record<number, number> = {};
    console.log(`cli fuzz seed ${SEED} (reproduce: FUZZ_SEED=${SEED} npx vitest run test/fuzz/cli-args.test.ts)`);
    await fc.assert(fc.asyncProperty(cases, async (c) => {
      const db = freshDb();
      const before = dump(db);
      const io = createTestIo();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        run(['--db', db, ...c.argv], io, ENV),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${show(c.argv)} did not return within 20 s`)), 20_000); }),
      ]).finally(() => clearTimeout(timer));
      checkOutcome(c, code, io.stderr);
      exits[code] = (exits[code] ?? 0) + 1;
      if (code !== 0) expect(dump(db), `${show(c.argv)} failed but changed the database`).toEqual(before);
      rmSync(db, { force: true });
    }), { numRuns: RUNS, seed: SEED });
    console.log(`cli fuzz: exit codes of the generated cases ${JSON.stringify(exits)}`);
  }, 120_000);

  it('as real processes: a sample of the same cases', async () => {
    // A process's arguments cannot hold NUL bytes (the OS ends them there).
    const sample = fc.sample(cases.filter((c) => !c.argv.some((a) => a.includes('\u0000'))), { numRuns: 12, seed: SEED });
    for (const c of sample) {
      const db = freshDb();
      const before = dump(db);
      const r = await bosctl(c.argv, { db });
      expect(r.signal, show(c.argv)).toBeNull();
      checkOutcome(c, r.code, r.stderr);
      if (r.code !== 0) expect(dump(db), `${show(c.argv)} failed but changed the database`).toEqual(before);
    }
  }, 120_000);
});
