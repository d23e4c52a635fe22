/**
 * `bosctl completion SHELL` and the committed scripts in completions/: they are what the
 * generator writes (run `npm run completions` when this fails), the command prints the same,
 * a bad shell name is one line naming the good ones, and --help says how to install them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRIPT_FILES, SHELLS, completionScript } from '../../src/cli/completion/scripts.js';
import { bosctl } from '../cli/helpers.js';
import { COMPLETIONS } from './helpers.js';

describe('bosctl completion', () => {
  it.each(SHELLS)('completions/ holds the %s script the generator writes, and the command prints it', async (shell) => {
    const committed = readFileSync(join(COMPLETIONS, SCRIPT_FILES[shell]), 'utf8');
    expect(committed, `completions/${SCRIPT_FILES[shell]} is stale: run npm run completions`).toBe(completionScript(shell));
    const r = await bosctl(['completion', shell]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(committed);
  });

  it('refuses an unknown shell with one line naming bash, zsh and fish, exit 2', async () => {
    const r = await bosctl(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/tcsh/);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
    const none = await bosctl(['completion']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('explains how to install each script in --help', async () => {
    const r = await bosctl(['completion', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('source <(bosctl completion bash)');
    expect(r.stdout).toContain('fpath');
    expect(r.stdout).toContain('~/.config/fish/completions/bosctl.fish');
  });

  it('keeps __complete out of the help', async () => {
    const r = await bosctl(['--help']);
    expect(r.stdout).toMatch(/^\s+completion\b/m);
    expect(r.stdout).not.toContain('__complete');
  });
});
