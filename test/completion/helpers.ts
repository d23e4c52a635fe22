/**
 * Helpers for the completion tests: a database with names in it (made by the real CLI),
 * a `bosctl` on PATH (a shim running bin/bosctl.js, so the scripts call it as an admin's
 * shell would), and one function per shell that returns what the shell offers for a line.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, EXAMPLES, ROOT, ok, tmpDb, type TmpDb } from '../cli/helpers.js';

export const COMPLETIONS = join(ROOT, 'completions');

export interface Fixture extends TmpDb {
  /** The id of the token created. */
  tokenId: string;
}

/** examples/inventory.csv, two templates, a staged session `rollout-v2`, an admin token. */
export async function fixtureDb(): Promise<Fixture> {
  const t = tmpDb();
  const opts = { db: t.db };
  await ok(['inventory', 'import', join(EXAMPLES, 'inventory.csv')], opts);
  for (const [name, description] of [['compute-v1', 'compute on v1'], ['compute-v2', 'compute on v2']]) {
    await ok(['sessiontemplate', 'create', name, '--kernel', `s3://img/${name}/kernel`, '--initrd', `s3://img/${name}/initrd`, '--node-roles', 'Compute', '--description', description], opts);
  }
  await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--name', 'rollout-v2', '-q'], opts);
  const token = await ok(['-o', 'json', 'token', 'create', '--role', 'wlm', '--description', 'slurmctld'], opts);
  return { ...t, tokenId: (JSON.parse(token.stdout) as { id: string }).id };
}

/** A directory holding an executable `bosctl` that runs this checkout's bin/bosctl.js. */
export function shimDir(t: TmpDb): string {
  const dir = join(t.dir, 'bin');
  const shim = t.file('bin/bosctl', `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

/** The environment the shells run in: the shim first on PATH, the fixture database, no config file. */
export function shellEnv(bin: string, db: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE', 'BOSCTL_CA_BUNDLE', 'NODE_OPTIONS']) delete env[k];
  return { ...env, PATH: `${bin}:${process.env.PATH ?? ''}`, BOSCTL_DB: db, NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config', HOME: bin };
}

export function have(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`], { encoding: 'utf8' }).status === 0;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): string {
  const r = spawnSync(cmd, args, { env, cwd, encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/**
 * bash: source the script, set COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD as bash
 * would for the cursor at the end of `line`, call _bosctl, print COMPREPLY.
 */
export function bashComplete(line: string, env: NodeJS.ProcessEnv, cwd: string): string[] {
  const script = `
source ${JSON.stringify(join(COMPLETIONS, 'bosctl.bash'))}
COMP_LINE=$1
COMP_POINT=\${#COMP_LINE}
# words as readline splits them: at blanks, and = and : are words of their own
read -ra COMP_WORDS <<<"$(sed -e 's/\\([=:]\\)/ \\1 /g' <<<"$1")"
[[ $1 == *[[:space:]=:] ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_bosctl
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  return lines(run('bash', ['--norc', '--noprofile', '-c', script, 'bash', line], env, cwd));
}

/**
 * zsh: the real completion system (compinit) on a pseudo-terminal, with _bosctl found in
 * $fpath, or with `from` (a script file) sourced after compinit; see zsh-complete.zsh.
 */
export function zshComplete(line: string, env: NodeJS.ProcessEnv, cwd: string, from = COMPLETIONS): string[] {
  return [...new Set(lines(run('zsh', ['-f', join(ROOT, 'test/completion/zsh-complete.zsh'), from, line], env, cwd)))];
}

/** fish: `complete -C LINE` after sourcing the script; the words without their descriptions. */
export function fishComplete(line: string, env: NodeJS.ProcessEnv, cwd: string): string[] {
  const script = `source ${JSON.stringify(join(COMPLETIONS, 'bosctl.fish'))}; complete -C $argv[1]`;
  return lines(run('fish', ['--no-config', '-c', script, line], env, cwd)).map((l) => l.split('\t')[0]);
}

/**
 * What a shell offers, as the words it would put after the last `,` or `=` of the current
 * word (bash and zsh show only that part, fish the whole word), unescaped.
 */
export function tails(words: string[]): string[] {
  return words.map((w) => w.replace(/\\(.)/g, '$1').replace(/^.*[,=]/, '')).sort();
}
