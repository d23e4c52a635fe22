import { Command, CommanderError, Option } from 'commander';
import { EXIT, isBosError, oneLine } from '../core/errors.js';
import { createDeps, type CliDeps } from './context.js';
import { CommandFailed } from './exit.js';
import { createProcessIo, type Io } from './io.js';
import { OUTPUT_FORMATS } from './output/format.js';
import { register as registerApplyStaged } from './commands/apply-staged.js';
import { register as registerComponent } from './commands/component.js';
import { register as registerInventory } from './commands/inventory.js';
import { register as registerOptions } from './commands/options.js';
import { register as registerSession } from './commands/session.js';
import { register as registerTemplate } from './commands/sessiontemplate.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerSim } from './commands/sim.js';
import { register as registerToken } from './commands/token.js';
import { register as registerImage } from './commands/image.js';
import { register as registerRollback } from './commands/rollback.js';
import { register as registerSlurm } from './commands/slurm.js';
import { VERSION } from '../version.js';

export function buildProgram(deps: CliDeps): Command {
  const program = new Command('bosctl')
    .description('Rolling upgrades of HPC clusters with BOS v2 staged sessions')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--db <path>', 'database file (default: $BOSCTL_DB, /var/lib/bosd/bosd.db if that directory exists, else $XDG_STATE_HOME/bosctl/bosd.db)'))
    .addOption(new Option('--server <url>', 'work through bosd\'s API instead of a database file: http(s)://HOST:PORT or unix:///run/bosd/bosd.sock (default: $BOSCTL_SERVER, or server: in $XDG_CONFIG_HOME/bosctl/config.yaml)'))
    .addOption(new Option('--token-file <file>', 'file holding the API token for --server (default: $BOSCTL_TOKEN_FILE, or token_file: in the config file; $BOSCTL_TOKEN may hold the token itself)'))
    .addOption(new Option('--ca-bundle <file>', 'CA certificates (PEM) to verify an https --server (default: $BOSCTL_CA_BUNDLE, or ca_bundle: in the config file)'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS as unknown as string[]).default('table'))
    .option('--no-headers', 'print tables without their header row')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-q, --quiet', 'print only errors and requested data')
    .option('-v, --verbose', 'print more detail, including error codes')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', `
Examples:
  bosctl inventory import nodes.csv
  bosctl sessiontemplate create compute-v2 --file compute-v2.yaml
  bosctl session create --template compute-v2 --operation reboot --stage --limit Compute
  bosctl apply-staged nid[000001-000004]
  bosctl component list --staged-session SESSION -o wide

Exit codes: 0 success, 1 the operation failed, 2 bad input, 3 not found, 4 conflict.
Environment: BOSCTL_DB (database path), BOSCTL_SERVER, BOSCTL_TOKEN_FILE, BOSCTL_TOKEN,
BOSCTL_CA_BUNDLE (remote mode), NO_COLOR, FORCE_COLOR.
Configuration file: $XDG_CONFIG_HOME/bosctl/config.yaml (~/.config/bosctl/config.yaml) with
server:, token_file:, ca_bundle: and output: (the default of -o).`);

  registerInventory(program, deps);
  registerTemplate(program, deps);
  registerSession(program, deps);
  registerComponent(program, deps);
  registerApplyStaged(program, deps);
  registerOptions(program, deps);
  registerDemo(program, deps);
  registerRollback(program, deps);
  registerToken(program, deps);
  registerImage(program, deps);
  registerSlurm(program, deps);
  registerSim(program, deps);

  applyToAll(program, (c) => {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => deps.io.out(s), writeErr: (s) => deps.io.err(s), outputError: () => {} });
  });
  return program;
}

function applyToAll(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const c of cmd.commands) applyToAll(c, fn);
}

/** Runs bosctl; returns the exit code. Every error becomes one line on stderr, never a stack. */
export async function run(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const deps = createDeps(io, env);
  const program = buildProgram(deps);
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
    io.err(`bosctl: ${oneLine(e.message)}\n`);
    return EXIT.FAILED;
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
