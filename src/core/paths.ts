import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SYSTEM_DB_DIR = '/var/lib/bosd';

/**
 * Where the database is: --db, else $BOSCTL_DB, else /var/lib/bosd/bosd.db when that
 * directory exists (the daemon's, on the admin node), else $XDG_STATE_HOME/bosctl/bosd.db.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BOSCTL_DB) return env.BOSCTL_DB;
  if (existsSync(SYSTEM_DB_DIR)) return join(SYSTEM_DB_DIR, 'bosd.db');
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'bosctl', 'bosd.db');
}
