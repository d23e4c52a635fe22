import { closeSync, constants, fchmodSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { bosError, oneLine } from '../core/errors.js';
import type { Io } from './io.js';

/**
 * Refuses a file holding a secret (a token, credentials) that its group or others may read.
 * A file that does not exist is left to its reader, which says so in its own words.
 */
export function assertOwnerOnly(path: string, what: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return;
  }
  if ((mode & 0o077) !== 0) {
    throw bosError('BOS_FILE_INSECURE', `${what} ${path} is open to ${(mode & 0o007) !== 0 ? 'others' : 'its group'} (mode ${(mode & 0o777).toString(8)}): it holds a secret; run chmod 600 ${path}`,
      `run chmod 600 ${path} (and keep it owned by the user who runs bosctl)`);
  }
}

/**
 * Writes a secret to a new file of mode 0600 (created so, whatever the umask). An existing
 * file is refused unless `force`, and then replaced by rename: never written through a
 * symbolic link, never readable by others for a moment.
 */
export function writeSecretFile(path: string, content: string, opts: { force?: boolean } = {}): void {
  const target = opts.force ? join(dirname(path), `.${basename(path)}.${process.pid}.tmp`) : path;
  let fd: number;
  try {
    fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !opts.force) {
      throw bosError('BOS_FILE_UNREADABLE', `${path} already exists: bosctl does not overwrite a file with a secret unless asked`, 'pass --force to replace it, or choose another --output-file');
    }
    const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw bosError('BOS_FILE_UNREADABLE', `cannot write ${path}: ${why}`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, content);
  } catch (e) {
    closeSync(fd);
    rmSync(target, { force: true });
    throw bosError('BOS_FILE_UNREADABLE', `cannot write ${path}: ${(e as Error).message}`);
  }
  closeSync(fd);
  if (target !== path) {
    try {
      renameSync(target, path);
    } catch (e) {
      rmSync(target, { force: true });
      const code = (e as NodeJS.ErrnoException).code;
      throw bosError('BOS_FILE_UNREADABLE', `cannot replace ${path}: ${code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
    }
  }
}

/** Parses JSON or YAML (JSON is YAML, but JSON's own errors read better for .json files). */
export async function parseStructured(text: string, path: string): Promise<unknown> {
  const trimmed = text.trim();
  if (trimmed === '') throw bosError('BOS_FILE_INVALID', `${path} is empty: expected JSON or YAML`);
  if (path.endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw bosError('BOS_FILE_INVALID', `${path} is not valid JSON: ${oneLine((e as Error).message)}`);
    }
  }
  const { parseYamlText } = await import('../core/yaml.js');
  const value = parseYamlText(text, path);
  if (value === null || typeof value !== 'object') {
    throw bosError('BOS_FILE_INVALID', `${path} holds a ${value === null ? 'null' : typeof value}, not an object or list: expected JSON or YAML`);
  }
  return value;
}

/** RFC 4180 CSV with a header row → records. */
export function parseCsv(text: string, path: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      if (c === '\n') line++;
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r') { i++; continue; }
    if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; line++; continue; }
    field += c; i++;
  }
  if (quoted) throw bosError('BOS_FILE_INVALID', `${path} is not valid CSV: a quoted field opened before line ${line} is never closed`);
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0].trim() === '') && !r[0].startsWith('#'));
  if (nonEmpty.length === 0) throw bosError('BOS_FILE_INVALID', `${path} is empty: expected a CSV header row such as xname,nid,hostname,role,groups`);
  const header = nonEmpty[0].map((h) => h.trim().toLowerCase());
  if (!header.includes('xname') && !header.includes('id')) {
    throw bosError('BOS_FILE_INVALID', `${path}: the CSV header has no xname column: expected a header row such as xname,nid,hostname,role,groups`);
  }
  return nonEmpty.slice(1).map((r, n) => {
    if (r.length !== header.length) {
      throw bosError('BOS_FILE_INVALID', `${path}: data row ${n + 1} has ${r.length} fields, the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((h, k) => [h, r[k].trim()]));
  });
}
