/**
 * Reading a file that a user or an API caller named, safely: regular files only, at most a
 * given number of bytes, never blocking on a FIFO, and (for bosd's API) only inside allowed
 * directories. The one place bosctl and bosd open such files; callers put the failure in words.
 *
 * This is the one module of core that does I/O: every reader of user-named files shares it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** The most an input file bosctl reads (inventory, template, options) may hold. */
export const MAX_INPUT_FILE_BYTES = 16 * 1_048_576;
/** The most a small secret file (token, credentials) may hold. */
export const MAX_SECRET_FILE_BYTES = 65_536;

export type BoundedReadFailure =
  /** No such file (or a path component is not a directory). */
  | 'missing'
  | 'denied'
  /** A directory, FIFO, socket or device. */
  | 'not-regular'
  | 'too-large'
  /** Outside the allowed directories (or none are allowed). */
  | 'outside'
  | 'other';

export class BoundedReadError extends Error {
  constructor(
    readonly kind: BoundedReadFailure,
    /** Words for the user, without the file's content: "it is a FIFO", "1200000 bytes". */
    readonly detail: string,
    /** The file's size when known (too-large). */
    readonly size?: number,
  ) {
    super(detail);
    this.name = 'BoundedReadError';
  }
}

export interface BoundedReadOptions {
  maxBytes: number;
  /**
   * Directories the file must be in after symlinks are resolved. undefined: anywhere (a user
   * reading as themselves); []: nowhere.
   */
  allowedDirs?: readonly string[];
}

function kindOfNode(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}

function errnoFailure(e: unknown): BoundedReadError {
  if (e instanceof BoundedReadError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new BoundedReadError('missing', 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return new BoundedReadError('denied', 'permission denied');
  if (code === 'EISDIR') return new BoundedReadError('not-regular', 'it is a directory, not a regular file');
  if (code === 'ELOOP') return new BoundedReadError('other', 'too many symbolic links');
  return new BoundedReadError('other', code ?? (e as Error).message);
}

function isInside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel === '' ? false : !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The allowed directories with their symlinks resolved; those that do not exist are left out. */
async function realDirs(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) {
    try {
      out.push(await realpath(resolve(d)));
    } catch {
      // A configured directory that does not exist allows nothing.
    }
  }
  return out;
}

/**
 * Whether `path` is inside one of `dirs`. A path that does not resolve is judged by its text,
 * so a refusal never tells whether a file outside exists.
 */
async function checkInside(path: string, dirs: readonly string[]): Promise<void> {
  const outside = new BoundedReadError('outside', dirs.length === 0 ? 'no directories are allowed' : `it is not inside ${dirs.join(', ')}`);
  if (dirs.length === 0) throw outside;
  const real = await realDirs(dirs);
  let target: string;
  try {
    target = await realpath(path);
  } catch {
    target = resolve(path);
    if (!real.some((d) => isInside(target, d)) && !dirs.some((d) => isInside(target, resolve(d)))) throw outside;
    return;
  }
  if (!real.some((d) => isInside(target, d))) throw outside;
}

/** The path an open descriptor refers to (Linux), to catch a swap between check and open. */
async function pathOfFd(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Reads a whole regular file of at most `maxBytes`. Opened non-blocking (a FIFO cannot hang
 * it) and checked with fstat before any byte is read; never reads more than maxBytes + 1.
 * Throws BoundedReadError.
 */
export async function readBounded(path: string, opts: BoundedReadOptions): Promise<Buffer> {
  const file = resolve(path);
  if (opts.allowedDirs !== undefined) await checkInside(file, opts.allowedDirs);
  try {
    const pre = await stat(file);
    if (!pre.isFile()) throw new BoundedReadError('not-regular', `it is ${kindOfNode(pre)}, not a regular file`);
  } catch (e) {
    throw errnoFailure(e);
  }
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw errnoFailure(e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new BoundedReadError('not-regular', `it is ${kindOfNode(st)}, not a regular file`);
    if (opts.allowedDirs !== undefined) {
      const opened = await pathOfFd(handle.fd);
      const real = await realDirs(opts.allowedDirs);
      if (opened !== undefined && !real.some((d) => isInside(opened, d))) {
        throw new BoundedReadError('outside', `it is not inside ${opts.allowedDirs.join(', ')}`);
      }
    }
    if (st.size > opts.maxBytes) throw new BoundedReadError('too-large', `it is ${st.size} bytes, more than ${opts.maxBytes}`, st.size);
    // The size may change while reading (or lie, as in /proc): read at most one byte past the cap.
    const buf = Buffer.alloc(Math.min(opts.maxBytes + 1, Math.max(st.size + 1, 4096)));
    let total = 0;
    let chunk = buf;
    for (;;) {
      if (total === chunk.length) {
        if (chunk.length > opts.maxBytes) break;
        const bigger = Buffer.alloc(Math.min(opts.maxBytes + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, total);
        chunk = bigger;
      }
      const { bytesRead } = await handle.read(chunk, total, chunk.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > opts.maxBytes) throw new BoundedReadError('too-large', `it is more than ${opts.maxBytes} bytes`);
    return chunk.subarray(0, total);
  } catch (e) {
    throw errnoFailure(e);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** readBounded, decoded as UTF-8 text. */
export async function readBoundedText(path: string, opts: BoundedReadOptions): Promise<string> {
  return (await readBounded(path, opts)).toString('utf8');
}

/** The most a configuration file (bosd.yaml, bosctl's config.yaml) or a PEM file may hold. */
export const MAX_CONFIG_FILE_BYTES = 1_048_576;

/**
 * readBounded for start-up files read synchronously (configuration, credentials, certificates,
 * tokens): regular files only, opened non-blocking, never more than maxBytes + 1 bytes read.
 * Throws BoundedReadError; failures that are the system's (ENOENT, EACCES) keep its `code`.
 */
export function readBoundedSync(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw Object.assign(errnoFailure(e), { code: (e as NodeJS.ErrnoException).code });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BoundedReadError('not-regular', `it is ${kindOfNode(st)}, not a regular file`);
    if (st.size > maxBytes) throw new BoundedReadError('too-large', `it is ${st.size} bytes, more than ${maxBytes}`, st.size);
    const buf = Buffer.alloc(maxBytes + 1);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new BoundedReadError('too-large', `it is more than ${maxBytes} bytes`);
    }
    return buf.subarray(0, total);
  } catch (e) {
    throw errnoFailure(e);
  } finally {
    closeSync(fd);
  }
}
