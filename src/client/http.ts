/**
 * One-shot HTTP exchanges with bosd over node:http / node:https (not undici: its import
 * alone costs more than the rest of `bosctl apply-staged`, which Slurm runs per node).
 * No keep-alive (a CLI makes a few calls and exits), a connect and a whole-request
 * time-out, and bounded retries where a retry cannot do harm.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { bosError, type BosError } from '../core/errors.js';
import type { Endpoint } from './endpoint.js';
import { RetriesExhausted, withRetry } from '../core/retry.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * When a failed exchange may be tried again:
 * - 'safe': only when the request cannot have reached bosd (refused, no socket, connect time-out);
 * - 'idempotent': also after a reset or a 502/503/504 (GET, PUT, DELETE; and POST /applystaged,
 *   which gives the same desired state when applied twice).
 */
export type RetryClass = 'safe' | 'idempotent';

export interface TransportOptions {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  attempts: number;
  backoffMs: number;
  backoffFactor: number;
  /** PEM bundle for https (instead of Node's CA list). */
  ca?: Buffer;
}

export const DEFAULT_TRANSPORT: TransportOptions = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  attempts: 3,
  backoffMs: 200,
  backoffFactor: 2,
};

/** A failure below HTTP: whether the request may have reached bosd decides whether to retry. */
export class TransportError extends Error {
  constructor(message: string, readonly reason: string, readonly maybeSent: boolean, readonly retryable = true) {
    super(message);
    this.name = 'TransportError';
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RETRY_STATUSES = new Set([502, 503, 504]);

function describe(e: NodeJS.ErrnoException, ep: Endpoint): TransportError {
  const code = e.code ?? '';
  if (e instanceof TransportError) return e;
  switch (code) {
    case 'ECONNREFUSED': return new TransportError('connection refused', code, false);
    case 'ENOENT': return new TransportError(ep.scheme === 'unix' ? 'no such socket' : 'not found', code, false);
    case 'EACCES': return new TransportError('permission denied', code, false, false);
    case 'ENOTFOUND': return new TransportError(`no such host ${ep.host}`, code, false, false);
    case 'EAI_AGAIN': return new TransportError(`cannot resolve ${ep.host} (DNS)`, code, false);
    case 'EHOSTUNREACH': case 'ENETUNREACH': return new TransportError('no route to host', code, false);
    case 'ECONNRESET': return new TransportError('connection reset', code, true);
    case 'EPIPE': return new TransportError('connection closed while sending', code, true);
  }
  if (/certificate|self[- ]signed|UNABLE_TO|CERT_|ERR_TLS|SSL|wrong version number/i.test(`${code} ${e.message}`)) {
    return new TransportError(`TLS: ${e.message.split('\n')[0]}`, code || 'TLS', false, false);
  }
  if (e.message === 'socket hang up') return new TransportError('connection closed before an answer', 'ECONNRESET', true);
  return new TransportError(e.message.split('\n')[0] || code, code, true);
}

let httpsModule: typeof import('node:https') | undefined;

async function once(ep: Endpoint, method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, t: TransportOptions): Promise<HttpResponse> {
  const opts: RequestOptions & { ca?: Buffer } = {
    method,
    path: ep.basePath + path,
    headers: { ...headers, Host: ep.scheme === 'unix' ? 'localhost' : hostHeader(ep), ...(body ? { 'Content-Length': String(body.length) } : {}) },
    // A fresh agent without keep-alive: the connection closes after the answer.
    agent: false,
  };
  if (ep.socketPath) opts.socketPath = ep.socketPath;
  else { opts.host = ep.host; opts.port = ep.port; }
  let request = httpRequest;
  if (ep.scheme === 'https') {
    httpsModule ??= await import('node:https');
    request = httpsModule.request as typeof httpRequest;
    if (t.ca) opts.ca = t.ca;
  }
  return new Promise<HttpResponse>((resolve, reject) => {
    let connected = false;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(wholeTimer);
      fn();
    };
    const req = request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })));
      res.on('error', (e) => finish(() => reject(describe(e, ep))));
      res.on('aborted', () => finish(() => reject(new TransportError('connection closed during the answer', 'ECONNRESET', true))));
    });
    const connectTimer = setTimeout(() => {
      if (!connected) req.destroy(new TransportError(`no connection within ${t.connectTimeoutMs / 1000} s`, 'ETIMEDOUT', false));
    }, t.connectTimeoutMs);
    const wholeTimer = setTimeout(() => {
      req.destroy(new TransportError(`no answer within ${t.requestTimeoutMs / 1000} s`, 'ETIMEDOUT', true, false));
    }, t.requestTimeoutMs);
    req.on('socket', (s: Socket) => {
      const ready = ep.scheme === 'https' ? 'secureConnect' : 'connect';
      if (!s.connecting && ep.scheme !== 'https') connected = true;
      else s.once(ready, () => { connected = true; });
    });
    req.on('error', (e) => finish(() => reject(describe(e, ep))));
    req.end(body);
  });
}

function hostHeader(ep: Endpoint): string {
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
  const defaultPort = ep.scheme === 'https' ? 443 : 80;
  return ep.port === defaultPort ? host : `${host}:${ep.port}`;
}

/** Sends a request, retrying as `retry` allows; transport failures become BOS_SERVER_UNREACHABLE. */
export async function exchange(
  ep: Endpoint, method: string, path: string,
  opts: { headers: OutgoingHttpHeaders; body?: Buffer; retry: RetryClass; transport: TransportOptions },
): Promise<HttpResponse> {
  const t = opts.transport;
  const idempotent = opts.retry === 'idempotent';
  const policy = { attempts: t.attempts, minDelayMs: t.backoffMs, maxDelayMs: Infinity, factor: t.backoffFactor };
  try {
    return (await withRetry(policy, async () => {
      try {
        return await once(ep, method, path, opts.headers, opts.body, t);
      } catch (e) {
        throw e instanceof TransportError ? e : describe(e as NodeJS.ErrnoException, ep);
      }
    }, {
      retryError: (e) => (e as TransportError).retryable && (!(e as TransportError).maybeSent || idempotent),
      retryAnswer: (res) => idempotent && RETRY_STATUSES.has(res.status),
    })).answer;
  } catch (e) {
    if (!(e instanceof RetriesExhausted)) throw e;
    throw unreachable(ep, e.error as TransportError, e.attempts);
  }
}

/** Unreachable errors that may pass (refused, reset, no socket yet): bosd restarting looks like this. */
const transient = new WeakSet<object>();

/** Whether an error is bosd being unreachable in a way a later try may not be (a watch retries these). */
export function isTransientUnreachable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && transient.has(e);
}

/** Unreachable errors whose request cannot have reached bosd (refused, no socket, connect time-out, DNS, TLS). */
const unsent = new WeakSet<object>();
/** Every unreachable error exchange made (a failure below HTTP, no answer). */
const noAnswer = new WeakSet<object>();

/** Whether `e` is bosd being unreachable before the request was sent: another server may take it. */
export function failedUnsent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && unsent.has(e);
}

/** Whether `e` is a failure without an answer (possibly after sending): a request safe to repeat may go elsewhere. */
export function failedWithoutAnswer(e: unknown): boolean {
  return typeof e === 'object' && e !== null && noAnswer.has(e);
}

/** Marks an error made of several unreachable ones as one a later try may not meet. */
export function markTransient(e: object): void {
  transient.add(e);
}

function unreachable(ep: Endpoint, te: TransportError, attempts: number): BosError {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  let hint: string | undefined;
  if (te.reason === 'EACCES' && ep.scheme === 'unix') hint = `only bosd's user and group may connect to ${ep.socketPath}: run as one of them, or use --server https://... with a token`;
  else if (te.message.startsWith('TLS:')) hint = 'give the CA that signed bosd\'s certificate with --ca-bundle FILE (or ca_bundle: in ~/.config/bosctl/config.yaml)';
  const err = bosError('BOS_SERVER_UNREACHABLE', `bosd at ${ep.display} is not reachable: ${te.message}${tries}`, hint);
  if (te.retryable) transient.add(err);
  if (!te.maybeSent) unsent.add(err);
  noAnswer.add(err);
  return err;
}
