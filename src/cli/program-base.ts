import { Command, Option } from 'commander';
import type { CliDeps } from './context.js';
import { OUTPUT_FORMATS } from './output/format.js';
import { VERSION } from '../version.js';

/** The root command with its global options and help: every command hangs below it. */
export function baseProgram(_deps: CliDeps): Command {
  const program = new Command('bosctl')
    .description('Rolling upgrades of HPC clusters with BOS v2 staged sessions')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--db <path>', 'database file, or a PostgreSQL database as postgres://USER@HOST:PORT/DB (default: $BOSCTL_DB, /var/lib/bosd/bosd.db if that directory exists, else $XDG_STATE_HOME/bosctl/bosd.db)'))
    .addOption(new Option('--db-password-file <file>', 'file holding the PostgreSQL password of a postgres:// --db (default: $BOSCTL_DB_PASSWORD_FILE; else PGPASSFILE or ~/.pgpass)'))
    .addOption(new Option('--server <url>', 'work through bosd\'s API instead of a database file: http(s)://HOST:PORT or unix:///run/bosd/bosd.sock; several bosd on one database: URL1,URL2 (the next is tried when one is unreachable) (default: $BOSCTL_SERVER, or server: in $XDG_CONFIG_HOME/bosctl/config.yaml)'))
    .addOption(new Option('--token-file <file>', 'file holding the API token for --server (default: $BOSCTL_TOKEN_FILE, or token_file: in the config file; $BOSCTL_TOKEN may hold the token itself)'))
    .addOption(new Option('--ca-bundle <file>', 'CA certificates (PEM) to verify an https --server (default: $BOSCTL_CA_BUNDLE, or ca_bundle: in the config file)'))
    .addOption(new Option('--tenant <name>', 'act as this tenant: only its nodes, templates and sessions (sent as Cray-Tenant-Name; default: $BOSCTL_TENANT)'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS as unknown as string[]).default('table'))
    .option('--no-headers', 'print tables without their header row')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-q, --quiet', 'print only errors and requested data')
    .option('-v, --verbose', 'print more detail, including error codes')
    .showSuggestionAfterError(true)
    .configureHelp({
      sortSubcommands: false,
      showGlobalOptions: true,
      // Command lists show names (as gh does); each command's own --help shows its usage.
      subcommandTerm: (cmd) => [cmd.name(), ...cmd.aliases()].join('|'),
    })
    .addHelpText('after', `
Examples:
  bosctl inventory import nodes.csv
  bosctl sessiontemplate create compute-v2 --file compute-v2.yaml
  bosctl session create --template compute-v2 --operation reboot --stage --limit Compute
  bosctl apply-staged nid[000001-000004]
  bosctl component list --staged-session SESSION -o wide

Exit codes: 0 success, 1 the operation failed, 2 bad input, 3 not found, 4 conflict.
Environment: BOSCTL_DB (database path or URL), BOSCTL_DB_PASSWORD_FILE, BOSCTL_SERVER, BOSCTL_TOKEN_FILE, BOSCTL_TOKEN,
BOSCTL_CA_BUNDLE (remote mode), BOSCTL_TENANT (default of --tenant), BOSCTL_OUTPUT (default of -o),
NO_COLOR, FORCE_COLOR.
Configuration file: $XDG_CONFIG_HOME/bosctl/config.yaml (~/.config/bosctl/config.yaml) with
server:, token_file:, ca_bundle: and output: (the default of -o).`);
  return program;
}

/** Errors and output of every command go through bosctl's own handling and Io. */
export function finishProgram(program: Command, deps: CliDeps): Command {
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
