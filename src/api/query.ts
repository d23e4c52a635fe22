import { bosError } from '../core/errors.js';
import { parseBooleanWord } from '../core/options.js';

/** Query values as BOS clients send them: booleans as true/True/false/False. */
export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const b = parseBooleanWord(v);
  if (b === undefined) throw bosError('BOS_VALUE_INVALID', `invalid query parameter ${name}="${v}": expected true or false`);
  return b;
}

export function queryInt(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw bosError('BOS_VALUE_INVALID', `invalid query parameter ${name}="${v}": expected an integer from ${min} to ${max}`);
  }
  return Number(v);
}

export function queryString(q: URLSearchParams, name: string, maxLength = 65535): string | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v.length > maxLength) throw bosError('BOS_VALUE_INVALID', `query parameter ${name} is longer than ${maxLength} characters`);
  return v;
}

/** BOS lets clients repeat ids (?ids=a&ids=b) or join them (?ids=a,b). */
export function queryList(q: URLSearchParams, name: string): string[] | undefined {
  const all = q.getAll(name);
  if (all.length === 0) return undefined;
  return all.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw bosError('BOS_VALUE_INVALID', `the body must be a JSON object (${what})`);
  }
  return body as Record<string, unknown>;
}
