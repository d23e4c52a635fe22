import type { ServerResponse } from 'node:http';
import { ERRORS, isBosError, oneLine } from '../core/errors.js';

export const PROBLEM_TYPE_PREFIX = 'urn:bosctl:problem:';

/** RFC 7807 body: the same fields for every error (fastify's habit). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
}

/** Maps any error to problem+json. Unknown errors become a bare 500: no stack, no message. */
export function toProblem(e: unknown, instance?: string): Problem {
  if (isBosError(e)) {
    // The type names bosctl's error code (docs/errors.md), so a client can tell kinds apart.
    return { type: `${PROBLEM_TYPE_PREFIX}${e.code}`, title: e.title, status: e.httpStatus, detail: oneLine(e.message), ...(instance ? { instance } : {}) };
  }
  return { type: 'about:blank', title: ERRORS.BOS_INTERNAL.title, status: 500, detail: 'internal error; see bosd\'s log', ...(instance ? { instance } : {}) };
}

export function sendProblem(res: ServerResponse, p: Problem): void {
  const body = JSON.stringify(p);
  res.writeHead(p.status, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, data: unknown): void {
  if (status === 204) { res.writeHead(204); res.end(); return; }
  const body = JSON.stringify(data);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
