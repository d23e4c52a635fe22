/**
 * The CLI's reader of files a user names (inventory, templates, options): regular files only,
 * at most MAX_INPUT_FILE_BYTES, through core/bounded-read.ts, failures as one-line bosErrors.
 */
import { BoundedReadError, MAX_INPUT_FILE_BYTES, readBoundedText } from '../core/bounded-read.js';
import { bosError } from '../core/errors.js';
import type { Io } from './io.js';

/** Reads `path` ("-": stdin) as UTF-8 text of at most `maxBytes`. */
export async function readLimitedText(path: string, io: Io, maxBytes = MAX_INPUT_FILE_BYTES): Promise<string> {
  if (path === '-') {
    const text = await io.readStdin();
    if (Buffer.byteLength(text) > maxBytes) throw bosError('BOS_FILE_INVALID', `standard input holds more than ${maxBytes} bytes: too big for an input file`);
    return text;
  }
  try {
    return await readBoundedText(path, { maxBytes });
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    if (e.kind === 'too-large') throw bosError('BOS_FILE_INVALID', `${path} is ${e.size ?? `more than ${maxBytes}`} bytes: too big for an input file (at most ${maxBytes})`);
    throw bosError('BOS_FILE_UNREADABLE', `cannot read ${path}: ${e.detail}`);
  }
}
