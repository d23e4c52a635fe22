/**
 * bosd's exit status, chosen so systemd does the right thing: the unit restarts on failure
 * except after exit 2 (RestartPreventExitStatus=2). So 2 is for what a restart cannot fix,
 * 1 for what may pass (a port still held by the previous bosd, a full disk, a database
 * locked too long). bosd --help, bosd(8) and the README are written from EXIT_STATUS.
 */
import { EXIT, isBosError } from '../core/errors.js';

export const EXIT_STATUS: ReadonlyArray<{ code: number; meaning: string }> = [
  { code: EXIT.OK, meaning: 'stopped cleanly (SIGTERM or SIGINT, after letting calls in flight finish)' },
  { code: EXIT.FAILED, meaning: 'failed in a way a restart may fix (address or socket in use, database locked or disk full, a crash)' },
  { code: EXIT.BAD_INPUT, meaning: 'a restart cannot fix it: bad flag, setting or configuration file, credentials file missing or readable by others, a --socket path that is not a socket, a corrupt database or one from a newer bosctl' },
];

/** Database errors that stay until someone acts on the file. */
const PERMANENT = new Set(['BOS_DB_CORRUPT', 'BOS_DB_TOO_NEW']);

/** Node errors of start-up that name a setting which cannot work as given. */
const PERMANENT_ERRNO = new Set(['EACCES', 'ENOENT', 'EISDIR', 'ENOTDIR', 'EINVAL', 'ERR_INVALID_URL', 'ERR_OSSL_PEM_NO_START_LINE']);

/** The exit status for an error that stopped bosd from starting or running. */
export function bosdExitCode(e: unknown): 1 | 2 {
  if (isBosError(e)) return e.exitCode === EXIT.BAD_INPUT || PERMANENT.has(e.code) ? 2 : 1;
  if ((e as { badConfig?: boolean } | null)?.badConfig) return 2;
  const code = (e as { code?: unknown } | null)?.code;
  // EADDRINUSE, EADDRNOTAVAIL (an address not up yet at boot): transient, 1.
  if (typeof code === 'string' && PERMANENT_ERRNO.has(code)) return 2;
  return 1;
}

/** The text of bosd --help's "Exit codes" paragraph. */
export function exitStatusHelp(): string {
  return `Exit codes (systemd restarts bosd on 1, not on 2):\n${EXIT_STATUS.map((s) => wrap(`${s.code}  ${s.meaning}`, 76, '     ')).join('\n')}`;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) { lines.push(line); line = indent + word; } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => `  ${l}`).join('\n');
}
