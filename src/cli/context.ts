import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { bosError } from '../core/errors.js';
import type { Actor } from '../core/types.js';
import type { Backend } from '../services/backend.js';
import type { Io } from './io.js';
import { parseOutputFormat, type OutputFormat } from './output/format.js';
import { defaultDbPath } from './paths.js';

export interface GlobalOptions {
  db?: string;
  output: OutputFormat;
  quiet: boolean;
  verbose: boolean;
  color?: boolean;
  headers: boolean;
}

/** What every command gets: the terminal, the backend (opened on first use) and the clock. */
export interface CliDeps {
  io: Io;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  backend(cmd: Command): Promise<Backend>;
  close(): void;
}

export function globalsOf(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  if (o.db !== undefined && String(o.db).trim() === '') {
    throw bosError('BOS_VALUE_INVALID', '--db is empty: give the database file\'s path, or leave --db out for the default');
  }
  return {
    db: o.db as string | undefined,
    output: parseOutputFormat((o.output as string | undefined) ?? 'table'),
    quiet: o.quiet === true,
    verbose: o.verbose === true,
    color: o.color as boolean | undefined,
    headers: o.headers !== false,
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

export function createDeps(io: Io, env: NodeJS.ProcessEnv = process.env): CliDeps {
  let backend: Backend | undefined;
  return {
    io,
    env,
    now: () => new Date(),
    async backend(cmd) {
      if (!backend) {
        const { LocalBackend } = await import('../services/local-backend.js');
        backend = new LocalBackend(globalsOf(cmd).db ?? defaultDbPath(env), currentActor(cmd, env));
      }
      return backend;
    },
    close() { backend?.close(); },
  };
}
