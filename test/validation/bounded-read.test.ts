/**
 * The one reader of user-named files (src/core/bounded-read.ts): regular files only, never
 * more than the cap read, a FIFO never waited on, allowed directories after symlinks.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedReadError, readBounded } from '../../src/core/bounded-read.js';
import { readLimitedText } from '../../src/cli/read-limited.js';
import { createTestIo } from '../../src/cli/io.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosctl-bounded-'));
  mkdirSync(join(dir, 'ok'));
  writeFileSync(join(dir, 'ok', 'small.txt'), 'hello');
  writeFileSync(join(dir, 'big.csv'), '');
  truncateSync(join(dir, 'big.csv'), 17 * 1_048_576);
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync(join(dir, 'big.csv'), join(dir, 'ok', 'link-out'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

async function failure(p: Promise<unknown>): Promise<BoundedReadError> {
  try { await p; } catch (e) { expect(e).toBeInstanceOf(BoundedReadError); return e as BoundedReadError; }
  throw new Error('expected a BoundedReadError');
}

describe('readBounded', () => {
  it('reads a small regular file', async () => {
    expect((await readBounded(join(dir, 'ok', 'small.txt'), { maxBytes: 5 })).toString()).toBe('hello');
  });

  it('refuses a file over the cap by its size, and one that has no size (procfs) by what it read', async () => {
    expect((await failure(readBounded(join(dir, 'ok', 'small.txt'), { maxBytes: 4 }))).kind).toBe('too-large');
    // /proc/self/status says size 0 but holds text: the read stops one byte past the cap.
    expect((await failure(readBounded('/proc/self/status', { maxBytes: 10 }))).kind).toBe('too-large');
    expect((await readBounded('/proc/self/status', { maxBytes: 1_048_576 })).length).toBeGreaterThan(10);
  });

  it('refuses a FIFO, a device and a directory without reading', async () => {
    expect((await failure(readBounded(join(dir, 'fifo'), { maxBytes: 10 }))).detail).toBe('it is a FIFO, not a regular file');
    expect((await failure(readBounded('/dev/zero', { maxBytes: 10 }))).detail).toBe('it is a device, not a regular file');
    expect((await failure(readBounded(dir, { maxBytes: 10 }))).detail).toBe('it is a directory, not a regular file');
  });

  it('allowed directories: inside yes, a symlink out no, none for []', async () => {
    expect((await readBounded(join(dir, 'ok', 'small.txt'), { maxBytes: 10, allowedDirs: [join(dir, 'ok')] })).toString()).toBe('hello');
    expect((await failure(readBounded(join(dir, 'ok', 'link-out'), { maxBytes: 10, allowedDirs: [join(dir, 'ok')] }))).kind).toBe('outside');
    expect((await failure(readBounded(join(dir, 'ok', 'small.txt'), { maxBytes: 10, allowedDirs: [] }))).kind).toBe('outside');
  });
});

describe('readLimitedText (the CLI\'s files)', () => {
  it('a 17 MiB inventory file is refused, unread, with the cap named', async () => {
    const e = await readLimitedText(join(dir, 'big.csv'), createTestIo()).then(() => undefined, (err: Error & { code?: string }) => err);
    expect(e?.code).toBe('BOS_FILE_INVALID');
    expect(e?.message).toBe(`${join(dir, 'big.csv')} is 17825792 bytes: too big for an input file (at most 16777216)`);
  });
});
