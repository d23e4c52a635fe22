import { CommanderError, type Command } from 'commander';
import { EXIT, isBosError, oneLine } from '../core/errors.js';
import { createDeps, type CliDeps } from './context.js';
import { CommandFailed } from './exit.js';
import { createProcessIo, type Io } from './io.js';
import { register as registerApplyStaged } from './commands/apply-staged.js';
import { baseProgram, finishProgram } from './program-base.js';

/** Options of the root command that take a value (the next word is not a command). */
const VALUE_OPTIONS = new Set(['--db', '--db-password-file', '--server', '--token-file', '--ca-bundle', '--tenant', '-o', '--output']);

/** The command word of argv: its first word that is not an option or an option's value. */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (VALUE_OPTIONS.has(a)) { i++; continue; }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/**
 * apply-staged is what Slurm runs on every node it reboots: it gets a program with only
 * itself, so the other commands' modules are never loaded. Everything else gets them all.
 */
async function programFor(argv: string[], deps: CliDeps): Promise<Command> {
  const help = argv.includes('--help') || argv.includes('-h');
  const word = commandWord(argv);
  if (word === undefined && !help && (argv.includes('--version') || argv.includes('-V'))) return finishProgram(baseProgram(deps), deps);
  if (word === 'apply-staged' && !help) {
    const program = baseProgram(deps);
    registerApplyStaged(program, deps);
    return finishProgram(program, deps);
  }
  return (await import('./program.js')).buildProgram(deps);
}

/** Runs bosctl; returns the exit code. Every error becomes one line on stderr, never a stack. */
export async function run(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // A tab press: the completion module alone decides what to load, and never fails out loud.
  if (argv[0] === '__complete') return (await import('./completion/complete.js')).complete(argv.slice(1), io, env);
  const deps = createDeps(io, env);
  const program = await programFor(argv, deps);
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (e) {
    return reportError(e, io, verbose);
  } finally {
    try { deps.close(); } catch { /* closing never hides the real outcome */ }
  }
}

export function reportError(e: unknown, io: Io, verbose: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
    if (e.code === 'commander.executeSubCommandAsync') return EXIT.OK;
    const msg = oneLine(e.message.replace(/^error: /, ''));
    io.err(`bosctl: ${msg} (see --help)\n`);
    return EXIT.BAD_INPUT;
  }
  if (e instanceof CommandFailed) {
    io.err(`bosctl: ${oneLine(e.message)}${verbose ? ` [${e.code}]` : ''}\n`);
    return e.exitCode;
  }
  if (isBosError(e)) {
    io.err(`bosctl: ${oneLine(e.message)}${e.hint ? ` (hint: ${oneLine(e.hint)})` : ''}${verbose ? ` [${e.code}]` : ''}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  io.err(`bosctl: internal error: ${oneLine(err?.message ?? String(e))} (this is a bug; please report it)\n`);
  if (verbose && err?.stack) io.err(err.stack + '\n');
  return EXIT.FAILED;
}

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const colorFlag = argv.includes('--no-color') ? false : undefined;
  const code = await run(argv, createProcessIo(colorFlag));
  process.exitCode = code;
}
