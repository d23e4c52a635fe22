import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { bosError, isBosError } from '../core/errors.js';
import type { Actor } from '../core/types.js';
import type { Backend } from '../services/backend.js';
import { VERSION } from '../version.js';
import { loadCliConfig, type CliConfig } from './config-file.js';
import type { Io } from './io.js';
import { parseOutputFormat, type OutputFormat } from './output/format.js';
import { defaultDbPath } from '../core/paths.js';

export interface GlobalOptions {
  db?: string;
  /** The PostgreSQL password file (--db-password-file, else BOSCTL_DB_PASSWORD_FILE). */
  dbPasswordFile?: string;
  output: OutputFormat;
  quiet: boolean;
  verbose: boolean;
  color?: boolean;
  headers: boolean;
  /** bosd's API when bosctl works remotely (--server, BOSCTL_SERVER or server: in the config file). */
  server?: string;
  /** The tenant every call acts as (--tenant, else BOSCTL_TENANT); undefined: none. */
  tenant?: string;
}

/** How bosctl reaches bosd in remote mode. */
export interface RemoteSettings {
  server: string;
  /** The secret itself (BOSCTL_TOKEN), when no token file wins over it. */
  token?: string;
  tokenFile?: string;
  caBundle?: string;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

function flag(o: Record<string, unknown>, key: string, name: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (String(v).trim() === '') throw bosError('BOS_VALUE_INVALID', `${name} is empty: give ${what}`);
  return String(v);
}

/**
 * Local database or bosd's API. Flags win over the environment, which wins over the
 * configuration file; --server and --db together (or BOSCTL_SERVER and BOSCTL_DB) are an error.
 */
function resolveTarget(o: Record<string, unknown>, env: NodeJS.ProcessEnv, config: () => CliConfig): RemoteSettings | undefined {
  const flagServer = flag(o, 'server', '--server', 'bosd\'s URL, e.g. https://bosd.example:8180 or unix:///run/bosd/bosd.sock');
  const flagDb = o.db as string | undefined;
  const flagToken = flag(o, 'tokenFile', '--token-file', 'the path of a file holding the token');
  const flagCa = flag(o, 'caBundle', '--ca-bundle', 'the path of a PEM file');
  if (flagServer !== undefined && flagDb !== undefined) {
    throw bosError('BOS_USAGE', 'give either --server (bosd\'s API) or --db (a database file), not both');
  }
  let server = flagServer;
  if (server === undefined && flagDb === undefined) {
    const envServer = nonEmpty(env.BOSCTL_SERVER);
    const envDb = nonEmpty(env.BOSCTL_DB);
    if (envServer !== undefined && envDb !== undefined) {
      throw bosError('BOS_USAGE', 'BOSCTL_SERVER and BOSCTL_DB are both set: unset one, or choose with --server URL or --db PATH');
    }
    server = envServer ?? (envDb === undefined ? config().server : undefined);
  }
  if (server === undefined) {
    if (flagToken !== undefined) throw bosError('BOS_USAGE', '--token-file goes with --server (or BOSCTL_SERVER): a local database needs no token');
    if (flagCa !== undefined) throw bosError('BOS_USAGE', '--ca-bundle goes with an https --server');
    return undefined;
  }
  const envToken = nonEmpty(env.BOSCTL_TOKEN);
  const tokenFile = flagToken ?? (envToken !== undefined ? undefined : nonEmpty(env.BOSCTL_TOKEN_FILE) ?? config().token_file);
  const caBundle = flagCa ?? nonEmpty(env.BOSCTL_CA_BUNDLE) ?? config().ca_bundle;
  return {
    server,
    ...(tokenFile !== undefined ? { tokenFile } : envToken !== undefined ? { token: envToken } : {}),
    ...(caBundle !== undefined ? { caBundle } : {}),
  };
}

/**
 * --tenant, else BOSCTL_TENANT: sent as Cray-Tenant-Name to bosd, applied by the services
 * locally. An empty --tenant is an error; an empty BOSCTL_TENANT means none.
 */
export function tenantOf(cmd: Command, env: NodeJS.ProcessEnv): string | undefined {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  const fromFlag = flag(o, 'tenant', '--tenant', 'a tenant name (bosctl tenant list), or leave --tenant out');
  if (fromFlag !== undefined) return fromFlag.trim();
  return nonEmpty(env.BOSCTL_TENANT)?.trim();
}

/** Where the command's backend is: the remote settings, or undefined for the local database. */
export function remoteSettingsOf(cmd: Command, env: NodeJS.ProcessEnv): RemoteSettings | undefined {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  return resolveTarget(o, env, () => loadCliConfig(env));
}

/** -o, else BOSCTL_OUTPUT, else output: in the configuration file, else table. */
function outputOf(cmd: Command, o: Record<string, unknown>, env: NodeJS.ProcessEnv): OutputFormat {
  const source = cmd.getOptionValueSourceWithGlobals('output');
  if (source === 'default' || source === undefined) {
    const fromEnv = nonEmpty(env.BOSCTL_OUTPUT);
    if (fromEnv !== undefined) {
      try {
        return parseOutputFormat(fromEnv.trim());
      } catch (e) {
        if (isBosError(e)) throw bosError(e.code, `BOSCTL_OUTPUT: ${e.message}`);
        throw e;
      }
    }
    const config = loadCliConfig(env);
    if (config.output !== undefined) {
      try {
        return parseOutputFormat(config.output);
      } catch (e) {
        if (isBosError(e)) throw bosError(e.code, `${config.path}: output: ${e.message}`);
        throw e;
      }
    }
  }
  return parseOutputFormat((o.output as string | undefined) ?? 'table');
}

/** What every command gets: the terminal, the backend (opened on first use) and the clock. */
export interface CliDeps {
  io: Io;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  backend(cmd: Command): Promise<Backend>;
  /** What a command's run function gets: these, with the global flags resolved, and no commander object. */
  forCommand(cmd: Command): RunDeps;
  close(): void;
}

/** A run function's dependencies (gh's Factory): everything it needs, nothing of commander. */
export interface RunDeps {
  io: Io;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** The global flags with the environment and the configuration file applied. */
  readonly globals: GlobalOptions;
  backend(): Promise<Backend>;
}

export function globalsOf(cmd: Command, env: NodeJS.ProcessEnv): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  if (o.db !== undefined && String(o.db).trim() === '') {
    throw bosError('BOS_VALUE_INVALID', '--db is empty: give the database file\'s path, or leave --db out for the default');
  }
  const remote = resolveTarget(o, env, () => loadCliConfig(env));
  const dbPasswordFile = flag(o, 'dbPasswordFile', '--db-password-file', 'the path of a file holding the database password') ?? nonEmpty(env.BOSCTL_DB_PASSWORD_FILE);
  return {
    db: o.db as string | undefined,
    ...(dbPasswordFile !== undefined ? { dbPasswordFile } : {}),
    output: outputOf(cmd, o, env),
    quiet: o.quiet === true,
    verbose: o.verbose === true,
    color: o.color as boolean | undefined,
    headers: o.headers !== false,
    ...(remote ? { server: remote.server } : {}),
    ...(tenantOf(cmd, env) !== undefined ? { tenant: tenantOf(cmd, env) } : {}),
  };
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The user, and under sudo the user behind it: events say who really acted. */
export function currentActor(cmd: Command, env: NodeJS.ProcessEnv): Actor {
  let user = 'unknown';
  try { user = userInfo().username; } catch { /* no passwd entry in some containers */ }
  if (env.SUDO_USER && env.SUDO_USER !== user) user = `${env.SUDO_USER} (as ${user})`;
  return { user, via: commandPath(cmd) };
}

/** User-Agent of remote calls: bosd records the token, this says who used it from where. */
export function userAgent(actor: Actor): string {
  let host = 'unknown';
  try { host = hostname(); } catch { /* keep unknown */ }
  // A header value is printable ASCII; a User-Agent comment has no parentheses of its own.
  const clean = (s: string) => s.replace(/[()]/g, '').replace(/[^\x20-\x7e]/g, '?');
  // The command too, so events show e.g. that Slurm's reboot program applied a node.
  return `bosctl/${VERSION} (${clean(actor.user)}@${clean(host)}; ${clean(actor.via)})`;
}

/**
 * Commands that only read the database: they open it read-only (no file created, nothing
 * migrated or written, a read-only filesystem is fine) and a missing one is "not found".
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'sessiontemplate list', 'sessiontemplate describe', 'sessiontemplate validate',
  'session list', 'session describe', 'session status', 'session history',
  'component list', 'component describe', 'component history',
  'inventory list', 'inventory describe', 'options list', 'token list', 'tenant list', 'tenant describe', 'image inspect', '__complete',
]);

/** Whether `cmd` only reads (its path without the program's name, e.g. "session list"). */
export function isReadOnlyCommand(cmd: Command): boolean {
  return READ_ONLY_COMMANDS.has(commandPath(cmd).split(' ').slice(1).join(' '));
}

/**
 * The backend is chosen on first use: RemoteBackend when a server is configured (--server,
 * BOSCTL_SERVER, server: in the config file), else LocalBackend on the database file. Each is
 * imported only then, so neither mode loads the other's code.
 */
export function createDeps(io: Io, env: NodeJS.ProcessEnv = process.env): CliDeps {
  let backend: Backend | undefined;
  const deps: CliDeps = {
    io,
    env,
    now: () => new Date(),
    forCommand(cmd) {
      // Resolved first, as commands always did: a bad -o or BOSCTL_OUTPUT fails before any work.
      return { io, env, now: deps.now, globals: globalsOf(cmd, env), backend: () => deps.backend(cmd) };
    },
    async backend(cmd) {
      if (!backend) {
        const g = globalsOf(cmd, env);
        const remote = remoteSettingsOf(cmd, env);
        if (remote) {
          // A token file others can read is refused before it is used (its secret is an API key).
          if (remote.tokenFile !== undefined) (await import('./files.js')).assertOwnerOnly(remote.tokenFile, 'token file');
          const [{ RemoteBackend }, { withCallSpinners }] = await Promise.all([import('../client/remote-backend.js'), import('./progress.js')]);
          const where = `bosd (${remote.server.replace(/\/\/[^@/]*@/, '//')})`;
          backend = withCallSpinners(new RemoteBackend({ ...remote, userAgent: userAgent(currentActor(cmd, env)), ...(g.tenant !== undefined ? { tenant: g.tenant } : {}) }), io, where);
        } else {
          const { LocalBackend } = await import('../services/local-backend.js');
          backend = new LocalBackend(g.db ?? defaultDbPath(env), currentActor(cmd, env), undefined, { readonly: isReadOnlyCommand(cmd), ...(g.tenant !== undefined ? { tenant: g.tenant } : {}), ...(g.dbPasswordFile !== undefined ? { passwordFile: g.dbPasswordFile } : {}) });
        }
      }
      return backend;
    },
    close() { backend?.close(); },
  };
  return deps;
}
