/**
 * Statements with their values written in, for the simple protocol (one message for many
 * statements). Only the worker thread loads this (and node-postgres with it).
 */
import pg from 'pg';
import type { Stmt } from './protocol.js';

/** A statement's text cut at its placeholders: text, value index, text, ... (cached per text). */
type Template = Array<string | number>;
const templates = new Map<string, Template>();

function template(t: string): Template {
  const hit = templates.get(t);
  if (hit) return hit;
  const parts: Template = [];
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === "'" || ch === '"') {
      const end = t.indexOf(ch, i + 1);
      i = end < 0 ? t.length : end;
    } else if (ch === '$' && /[0-9]/.test(t[i + 1] ?? '')) {
      const m = /^[0-9]+/.exec(t.slice(i + 1))!;
      parts.push(t.slice(from, i), Number(m[0]) - 1);
      i += m[0].length;
      from = i + 1;
    }
  }
  parts.push(t.slice(from));
  if (templates.size >= 2000) templates.clear();
  templates.set(t, parts);
  return parts;
}

/** The statement with each $n replaced by its value as a quoted literal (outside quotes only). */
export function withLiterals(s: Stmt): string {
  if (s.values.length === 0) return s.text;
  const parts = template(s.text);
  const out = new Array<string>(parts.length);
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    out[k] = typeof p === 'number' ? literal(s.values[p]) : p;
  }
  return out.join('');
}

/** A value as PostgreSQL reads an untyped literal: the type comes from its place, as a parameter's would. */
function literal(v: unknown): string {
  const p = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue(v);
  if (p === null || p === undefined) return 'NULL';
  if (Buffer.isBuffer(p)) return quote(`\\x${p.toString('hex')}`);
  return quote(String(p));
}

/**
 * A quoted string literal, as libpq's PQescapeLiteral writes it: quotes doubled, and with
 * backslashes the E'' form (right whatever standard_conforming_strings says). By regular
 * expression rather than character by character: a value may be megabytes of JSON.
 */
export function quote(s: string): string {
  const q = s.replace(/'/g, "''");
  return s.includes('\\') ? ` E'${q.replace(/\\/g, '\\\\')}'` : `'${q}'`;
}
