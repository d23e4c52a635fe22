/**
 * The generated scripts in completions/ in the real shells: bash (always), zsh and fish
 * (installed by .ci/run in CI; elsewhere the test says it was skipped and why). Each line is
 * completed as a user's Tab would, against a database made by the CLI, and the offered
 * words are compared with what the command definitions and the database hold.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { createDeps } from '../../src/cli/context.js';
import { createTestIo } from '../../src/cli/io.js';
import { OUTPUT_FORMATS } from '../../src/cli/output/format.js';
import { OPERATIONS } from '../../src/core/types.js';
import { BIN, removeTmpDirs } from '../cli/helpers.js';
import { bashComplete, fishComplete, fixtureDb, have, shellEnv, shimDir, tails, zshComplete, type Fixture } from './helpers.js';

afterAll(() => removeTmpDirs());

const program = buildProgram(createDeps(createTestIo(), {}));
const visible = (path: string[]) => {
  let cmd = program;
  for (const p of path) cmd = cmd.commands.find((c) => c.name() === p)!;
  return cmd.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden).map((c) => c.name()).sort();
};

let fx: Fixture;
let other: Fixture;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [fx, other] = await Promise.all([fixtureDb(), fixtureDb()]);
  env = shellEnv(shimDir(fx), fx.db);
});

type Case = { line: string; want: () => string[]; exact: boolean; not?: string[] };
const exact = (line: string, want: () => string[], not?: string[]): Case => ({ line, want, exact: true, not });
const includes = (line: string, want: () => string[], not?: string[]): Case => ({ line, want, exact: false, not });
const sorted = (xs: readonly string[]) => [...xs].sort();

const CASES: Case[] = [
  exact('bosctl ', () => visible([]), ['__complete', 'help']),
  exact('bosctl ses', () => ['session', 'sessiontemplate']),
  exact('bosctl session ', () => visible(['session'])),
  includes('bosctl session create --', () => ['--template', '--operation', '--limit', '--stage', '--db', '--output', '--help'], ['--template-name', '--staged']),
  exact('bosctl -o ', () => sorted(OUTPUT_FORMATS)),
  exact('bosctl session list --output ', () => sorted(OUTPUT_FORMATS)),
  exact('bosctl session create --operation ', () => sorted(OPERATIONS)),
  exact('bosctl session create --template ', () => ['compute-v1', 'compute-v2']),
  exact('bosctl sessiontemplate describe compute-v', () => ['compute-v1', 'compute-v2']),
  exact('bosctl session status ', () => ['rollout-v2']),
  exact('bosctl component describe x1000c1s3', () => ['x1000c1s3b0n0', 'x1000c1s3b0n1']),
  exact('bosctl apply-staged nid00001', () => ['nid000010', 'nid000011', 'nid000012', 'nid000013', 'nid000014', 'nid000015', 'nid000016']),
  exact('bosctl apply-staged x1000c0s0b0n0,x1000c0s0b0n', () => ['x1000c0s0b0n1']),
  exact('bosctl session create --limit gp', () => ['gpu']),
  exact('bosctl session create --limit Comp', () => ['Compute']),
  exact('bosctl options update clear_st', () => ['']),
  exact('bosctl options update clear_stage=', () => ['false', 'true']),
  exact('bosctl token revoke ', () => [fx.tokenId]),
  exact('bosctl completion ', () => ['bash', 'fish', 'zsh']),
];

const SHELLS = { bash: bashComplete, zsh: zshComplete, fish: fishComplete };
const inCi = ['1', 'true', 'yes'].includes((process.env.CI ?? '').trim().toLowerCase());

for (const [shell, complete] of Object.entries(SHELLS)) {
  const missing = !have(shell);
  if (missing && !inCi) console.warn(`test/completion/shells.test.ts: ${shell} is not installed, so its completion is NOT tested here (apt-get install ${shell}; .ci/run installs it)`);
  describe.skipIf(missing && !inCi)(`${shell} completion (completions/ script, real ${shell})`, () => {
    it.each(CASES)(`$line`, (c) => {
      if (missing) throw new Error(`${shell} must be tested in CI but is not installed (.ci/run installs zsh and fish)`);
      const got = tails(complete(c.line, env, fx.dir));
      if (c.exact) expect(got).toEqual(sorted(c.want()).map((w) => w.replace(/^.*[,=]/, '')));
      else expect(got).toEqual(expect.arrayContaining(c.want()));
      for (const n of c.not ?? []) expect(got).not.toContain(n);
    });

    it('takes the names from the --db typed on the line, not from BOSCTL_DB', () => {
      if (missing) throw new Error(`${shell} is not installed`);
      expect(tails(complete(`bosctl --db ${other.db} token revoke `, env, fx.dir))).toEqual([other.tokenId]);
    });

    if (shell === 'zsh') {
      it('works sourced after compinit too (source <(bosctl completion zsh))', () => {
        if (missing) throw new Error(`${shell} is not installed`);
        const script = fx.file('completion.zsh', spawnSync(process.execPath, [BIN, 'completion', 'zsh'], { encoding: 'utf8' }).stdout);
        expect(tails(zshComplete('bosctl session status ', env, fx.dir, script))).toEqual(['rollout-v2']);
      });
    }

    it('completes file names where a file is expected', () => {
      if (missing) throw new Error(`${shell} is not installed`);
      fx.file('nodes-a.csv', 'xname\n');
      expect(tails(complete('bosctl inventory import nodes-', env, fx.dir))).toEqual(['nodes-a.csv']);
    });
  });
}
