/**
 * The API's unix socket path: bosd replaces only a socket (a stale one a crash left), never
 * another kind of file, never a socket another bosd answers on; and at stop it removes only
 * the socket it created (same device and inode).
 */
import { lstatSync, unlinkSync, type Stats } from 'node:fs';
import { connect } from 'node:net';
import { bosError } from '../core/errors.js';

export interface SocketClaim { path: string; dev: number; ino: number }

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a socket';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Refuses a path that exists and is not a socket (exit 2: a restart cannot fix it). */
export function checkSocketPath(path: string): void {
  const st = lstatOrNull(path);
  if (st && !st.isSocket()) {
    throw bosError('BOS_VALUE_INVALID', `socket path ${path} is ${kindOf(st)}, not a socket: bosd replaces only a socket it left behind; give --socket (socket:) a path of its own, e.g. /run/bosd/bosd.sock`);
  }
}

/** Whether something accepts connections on the socket (a stale one refuses at once). */
function answers(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (live: boolean) => { clearTimeout(timer); s.destroy(); resolve(live); };
    // No answer in time: something holds it; better refused than deleted.
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT'));
  });
}

/** Makes the path free for listen(): nothing there, or a stale socket, which is removed. */
export async function claimSocketPath(path: string): Promise<void> {
  checkSocketPath(path);
  const st = lstatOrNull(path);
  if (!st) return;
  if (await answers(path)) {
    throw Object.assign(new Error(`socket ${path} is in use: another process (another bosd?) answers on it; stop it, or give --socket another path`), { code: 'EADDRINUSE' });
  }
  const now = lstatOrNull(path);
  if (now && now.isSocket() && now.ino === st.ino && now.dev === st.dev) unlinkSync(path);
}

/** What listen() created, so that stop removes that file and no other. */
export function rememberSocket(path: string): SocketClaim {
  const st = lstatSync(path);
  return { path, dev: st.dev, ino: st.ino };
}

/** Removes the socket bosd created, if it is still that socket; true when removed. */
export function releaseSocketPath(claim: SocketClaim): boolean {
  const st = lstatOrNull(claim.path);
  if (!st || !st.isSocket() || st.ino !== claim.ino || st.dev !== claim.dev) return false;
  try {
    unlinkSync(claim.path);
    return true;
  } catch {
    return false;
  }
}
