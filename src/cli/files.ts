import { readFile } from 'node:fs/promises';
import { bosError, oneLine } from '../core/errors.js';
import type { Io } from './io.js';

export async function readText(path: string, io: Io): Promise<string> {
  if (path === '-') return io.readStdin();
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw bosError('BOS_FILE_UNREADABLE', `cannot read ${path}: ${why}`);
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
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw bosError('BOS_FILE_INVALID', `${path} is not valid YAML: ${oneLine(doc.errors[0].message)}`);
  }
  const value = doc.toJS();
  if (value === null || typeof value !== 'object') {
    throw bosError('BOS_FILE_INVALID', `${path} holds a ${value === null ? 'null' : typeof value}, not an object or list: expected JSON or YAML`);
  }
  return value;
}

export async function readStructured(path: string, io: Io): Promise<unknown> {
  return parseStructured(await readText(path, io), path);
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
