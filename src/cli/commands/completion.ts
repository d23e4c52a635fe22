import { Argument, Command } from 'commander';
import type { CliDeps, RunDeps } from '../context.js';
import { SHELLS, completionScript, type Shell } from '../completion/scripts.js';

export function register(program: Command, deps: CliDeps): void {
  define(program, deps);
  defineComplete(program, deps);
}

export function define(parent: Command, deps: CliDeps, run: (o: { shell: Shell }, deps: Pick<RunDeps, 'io'>) => Promise<void> = runCompletion): Command {
  return parent.command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText('after', `
The script completes commands, flags, fixed values (-o, --operation, ...) and names from
the database or bosd's API, as the command line would use them (--db, --server, the
environment, the config file): templates, sessions, nodes, groups, roles, option keys, tokens.

Examples:
  source <(bosctl completion bash)                        # bash: in ~/.bashrc
  bosctl completion bash > /etc/bash_completion.d/bosctl  # bash: for everyone
  bosctl completion zsh > "\${fpath[1]}/_bosctl"           # zsh: then start a new shell (compinit)
  source <(bosctl completion zsh)                         # zsh: in ~/.zshrc, after compinit
  bosctl completion fish > ~/.config/fish/completions/bosctl.fish

The same scripts ship in completions/ (bosctl.bash, _bosctl, bosctl.fish).`)
    .action(async (shell: Shell) => {
      await run({ shell }, { io: deps.io });
    });
}

export async function runCompletion(o: { shell: Shell }, deps: Pick<RunDeps, 'io'>): Promise<void> {
  deps.io.out(completionScript(o.shell));
}

/** What the scripts call on every tab press; main.ts answers it before building any program. */
export function defineComplete(parent: Command, deps: CliDeps): Command {
  return parent.command('__complete', { hidden: true })
    .description('print completions for the words typed so far')
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      const { complete } = await import('../completion/complete.js');
      await complete(words, deps.io, deps.env);
    });
}
