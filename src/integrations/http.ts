/**
 * What the Redfish, BSS and CFS clients share: timeouts, retries as data, TLS options for the
 * dispatchers a client builds itself, one request/response exchange that always consumes the
 * body (so connections are reused, or closed when the server says `Connection: close`), and
 * the translation of undici's failures into IntegrationErrors.
 */
import { STATUS_CODES } from 'node:http';
import { Client, Dispatcher, Pool } from 'undici';
import type { IncomingHttpHeaders } from 'undici/types/header.js';
import { VERSION } from '../version.js';
import {
  IntegrationError,
  type IntegrationErrorKind,
  type IntegrationService,
  describeEndpoint,
  redact,
  summarizeErrorBody,
} from './errors.js';
import { RetriesExhausted, withRetry, type RetryPolicy } from '../core/retry.js';

export { parseRetryAfter, retryDelayMs, type RetryPolicy } from '../core/retry.js';

// ---------------------------------------------------------------------------------------------
// Options

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, minDelayMs: 250, maxDelayMs: 5_000, factor: 2 };
export const NO_RETRY: RetryPolicy = { attempts: 1, minDelayMs: 0, maxDelayMs: 0, factor: 1 };

/** Methods the clients retry on their own; POST never (a Redfish reset is not re-sent blindly). */
export const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
/** Answers worth another try (after `Retry-After` when the server gives one). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface Timeouts {
  /** Establishing the TCP/TLS connection. */
  connectMs: number;
  /** From sending the request to the response headers. */
  headersMs: number;
  /** Reading the response body. */
  bodyMs: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A number sets all three timeouts; an object sets some and leaves the rest at 10 s. */
export type TimeoutOption = number | Partial<Timeouts>;

export function resolveTimeouts(t: TimeoutOption | undefined): Timeouts {
  if (typeof t === 'number') {
    if (!(t > 0)) throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${t}`);
    return { connectMs: t, headersMs: t, bodyMs: t };
  }
  const d = DEFAULT_TIMEOUT_MS;
  return { connectMs: t?.connectMs ?? d, headersMs: t?.headersMs ?? d, bodyMs: t?.bodyMs ?? d };
}

export function resolveRetry(r: Partial<RetryPolicy> | undefined): RetryPolicy {
  const p = { ...DEFAULT_RETRY, ...(r ?? {}) };
  if (!Number.isInteger(p.attempts) || p.attempts < 1) throw new RangeError(`retry.attempts must be an integer >= 1, got ${p.attempts}`);
  if (p.minDelayMs < 0 || p.maxDelayMs < 0 || p.factor < 1) throw new RangeError('retry delays must be >= 0 and retry.factor >= 1');
  return p;
}

/** TLS options for the dispatchers a client builds itself (ignored for a given dispatcher). */
export interface TlsOptions {
  /** PEM bundle of the CAs to trust (instead of Node's default list). */
  ca?: string | Buffer;
  /** Accept any certificate. Explicit, and the clients warn once when it is on. */
  insecureSkipTlsVerify?: boolean;
}

/** A pool for one origin with the clients' timeouts and TLS settings. */
export function createPool(
  origin: string,
  opts: { connections: number; timeouts: Timeouts; tls: TlsOptions; keepAliveTimeoutMs?: number },
): Pool {
  return new Pool(origin, { connections: opts.connections, ...clientOptions(opts) });
}

/**
 * Up to `connections` undici Clients (one connection each) for one origin, opened as requests
 * need them. A Pool does the same but carries a 2,048-slot queue (≈ 18 KB a pool against ≈ 2 KB
 * a Client): with thousands of BMCs, whose pools are closed and reopened as the work moves on,
 * that queue was the largest single source of garbage in bosd (issue 17).
 */
export class OriginClients extends Dispatcher {
  private readonly clients: Client[] = [];
  private closing?: Promise<void>;

  constructor(
    private readonly origin: string,
    private readonly opts: { connections: number; timeouts: Timeouts; tls: TlsOptions; keepAliveTimeoutMs?: number },
  ) {
    super();
    if (!Number.isInteger(opts.connections) || opts.connections < 1) throw new RangeError(`connections must be an integer >= 1, got ${opts.connections}`);
  }

  /** Clients open now (each holds at most one connection). */
  get clientCount(): number {
    return this.clients.length;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.closing) throw Object.assign(new Error('the dispatcher is closed'), { code: 'UND_ERR_CLOSED' });
    // An idle client first; else a new one while under the bound; else the least loaded.
    let pick: Client | undefined;
    let least = Infinity;
    for (const c of this.clients) {
      const size = c.stats.size;
      if (size < least) { least = size; pick = c; }
      if (size === 0) break;
    }
    if ((pick === undefined || least > 0) && this.clients.length < this.opts.connections) {
      pick = new Client(this.origin, clientOptions(this.opts));
      this.clients.push(pick);
    }
    pick!.dispatch(options, handler);
    // Requests beyond the bound wait in the Clients' own queues: never ask the caller to hold back.
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.closing ??= Promise.all(this.clients.map((c) => c.close())).then(() => undefined);
    if (!callback) return this.closing;
    void this.closing.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : a ?? null;
    const callback = typeof a === 'function' ? a : b;
    const done = Promise.all(this.clients.map((c) => c.destroy(err))).then(() => undefined);
    this.closing ??= done;
    if (!callback) return done;
    void done.then(callback, callback);
  }
}

function clientOptions(opts: { timeouts: Timeouts; tls: TlsOptions; keepAliveTimeoutMs?: number }): Client.Options {
  return {
    pipelining: 1,
    headersTimeout: opts.timeouts.headersMs,
    bodyTimeout: opts.timeouts.bodyMs,
    ...(opts.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeout: opts.keepAliveTimeoutMs }),
    connect: {
      timeout: opts.timeouts.connectMs,
      ...(opts.tls.ca === undefined ? {} : { ca: opts.tls.ca }),
      rejectUnauthorized: opts.tls.insecureSkipTlsVerify !== true,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One exchange

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE' | 'HEAD';
  url: URL;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** How many times the request was sent. */
  attempts: number;
}

/** Who is being talked to: used in every message. */
export interface Peer {
  service: IntegrationService;
  /** e.g. `BMC x1000c0s0b0`, `BSS`, `CFS`. */
  label: string;
  bmc?: string;
  /** Strings that must never appear in a message (passwords, tokens). */
  secrets(): Iterable<string | undefined | null>;
}

export interface ExchangeOptions {
  dispatcher: Dispatcher;
  timeouts: Timeouts;
  retry: RetryPolicy;
  /** Checked before each retry: a closing client stops retrying. */
  isClosed?: () => boolean;
  /**
   * How many 307/308 redirects to follow on the same origin (method, headers and body kept);
   * 0 (the default) returns them to the caller. A redirect to another origin is an error, so
   * credentials in the headers never leave the origin they were meant for.
   */
  maxRedirects?: number;
}

/** Redirects that keep the method and the body (RFC 9110 15.4.8, 15.4.9). */
const SAME_METHOD_REDIRECTS: ReadonlySet<number> = new Set([307, 308]);

const USER_AGENT = `bosctl/${VERSION}`;

export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Sends a request and reads the whole answer. Idempotent methods are retried on connection
 * errors, timeouts and 429/502/503/504 (honouring Retry-After); any other status is returned
 * for the caller to judge. Network failures throw IntegrationError.
 */
export async function exchange(peer: Peer, req: HttpRequest, opts: ExchangeOptions): Promise<HttpResponse> {
  const max = opts.maxRedirects ?? 0;
  let current = req;
  for (let hops = 0; ; hops++) {
    const res = await exchangeRetrying(peer, current, opts);
    if (max === 0 || !SAME_METHOD_REDIRECTS.has(res.status)) return res;
    const next = redirectTarget(peer, current, res);
    if (hops >= max) throw redirectError(peer, current, res, next.href, `more than ${max} redirects in a row; not followed`);
    current = { ...current, url: next };
  }
}

/** Where a 307/308 points, if it stays on the request's origin (scheme, host and port). */
function redirectTarget(peer: Peer, req: HttpRequest, res: HttpResponse): URL {
  const location = header(res.headers, 'location');
  if (!location) throw protocolError(peer, req, res, 'without a Location header to redirect to');
  let next: URL;
  try {
    next = new URL(location, req.url);
  } catch {
    throw redirectError(peer, req, res, location, 'an invalid URL; not followed');
  }
  if (next.origin !== req.url.origin) {
    throw redirectError(peer, req, res, next.href, `another origin than ${req.url.origin}; not followed, so that credentials are not sent there`);
  }
  return next;
}

function redirectError(peer: Peer, req: HttpRequest, res: HttpResponse, location: string, why: string): IntegrationError {
  const statusText = STATUS_CODES[res.status] ?? 'Unknown Status';
  return new IntegrationError(
    redact(`${peer.label}: ${describeEndpoint(req.method, req.url)} answered ${res.status} ${statusText} redirecting to ${describeLocation(location)}: ${why}`, peer.secrets()),
    { ...base(peer, req), status: res.status, kind: 'http', retryable: false, attempts: res.attempts },
  );
}

/** A Location for a message: no user:password, a long one shortened. */
function describeLocation(location: string): string {
  return describeEndpoint('', location).trimStart();
}

async function exchangeRetrying(peer: Peer, req: HttpRequest, opts: ExchangeOptions): Promise<HttpResponse> {
  const policy = RETRYABLE_METHODS.has(req.method) ? opts.retry : { ...opts.retry, attempts: 1 };
  try {
    const { answer, attempts } = await withRetry(policy, async (n) => {
      try {
        return await once(peer, req, opts);
      } catch (e) {
        throw e instanceof IntegrationError ? e : failure(peer, req, e, n);
      }
    }, {
      retryError: (e) => (e as IntegrationError).retryable,
      retryAnswer: (res) => RETRYABLE_STATUSES.has(res.status),
      retryAfter: (res) => header(res.headers, 'retry-after'),
      stopped: () => opts.isClosed?.() === true,
    });
    answer.attempts = attempts;
    return answer;
  } catch (e) {
    if (!(e instanceof RetriesExhausted)) throw e;
    const err = e.error as IntegrationError;
    throw e.attempts > 1 ? withAttempts(peer, err, e.attempts) : err;
  }
}

async function once(peer: Peer, req: HttpRequest, opts: ExchangeOptions): Promise<HttpResponse> {
  const { timeouts } = opts;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT, ...(req.headers ?? {}) };
  let body: string | undefined;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] = 'application/json';
  }
  // Our own deadline as well as undici's timeouts: a dispatcher handed to us (a MockAgent, an
  // Agent without timeouts) may not enforce them.
  const ac = new AbortController();
  let timedOut: { phase: string; ms: number } | undefined;
  const arm = (phase: string, ms: number): NodeJS.Timeout =>
    setTimeout(() => {
      timedOut = { phase, ms };
      ac.abort();
    }, ms);
  let timer = arm('waiting for the response', timeouts.connectMs + timeouts.headersMs);
  try {
    const res = await opts.dispatcher.request({
      origin: req.url.origin,
      path: req.url.pathname + req.url.search,
      method: req.method,
      headers,
      body: body ?? null,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
      signal: ac.signal,
    });
    clearTimeout(timer);
    timer = arm('reading the response body', timeouts.bodyMs);
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, attempts: 1 };
  } catch (e) {
    if (timedOut) {
      throw new IntegrationError(
        redact(`${peer.label}: ${describeEndpoint(req.method, req.url)} timed out after ${timedOut.ms} ms ${timedOut.phase}`, peer.secrets()),
        { ...base(peer, req), kind: 'timeout', retryable: true, cause: e },
      );
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function base(peer: Peer, req: HttpRequest): { service: IntegrationService; endpoint: string; bmc?: string } {
  return { service: peer.service, endpoint: describeEndpoint(req.method, req.url), ...(peer.bmc === undefined ? {} : { bmc: peer.bmc }) };
}

function withAttempts(peer: Peer, err: IntegrationError, attempts: number): IntegrationError {
  return new IntegrationError(`${err.message} (after ${attempts} attempts)`, {
    service: err.service,
    endpoint: err.endpoint,
    kind: err.kind,
    retryable: err.retryable,
    ...(err.status === undefined ? {} : { status: err.status }),
    ...(peer.bmc === undefined ? {} : { bmc: peer.bmc }),
    attempts,
    cause: err.cause,
  });
}

// ---------------------------------------------------------------------------------------------
// Errors

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TRANSIENT_NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const c = (e as { code?: unknown }).code;
  if (typeof c === 'string') return c;
  if (e instanceof AggregateError && e.errors.length > 0) return codeOf(e.errors[0]);
  return undefined;
}

function reasonOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0 && !e.message) return reasonOf(e.errors[0]);
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** The settings that decide whom a client trusts, as the admin writes them. */
export function tlsHint(service: IntegrationService): string {
  return service === 's3'
    ? 'give the CA that signed its certificate as ca_bundle in the S3 configuration or, knowingly, set insecure_skip_tls_verify: true there'
    : 'give the CA that signed its certificate with ca_bundle in bosd.yaml (--ca-bundle) or, knowingly, set insecure_skip_tls_verify: true (--insecure-skip-tls-verify)';
}

/** An undici/Node failure as an IntegrationError (branching on `code`, as undici advises). */
export function failure(peer: Peer, req: HttpRequest, e: unknown, attempts = 1): IntegrationError {
  const code = codeOf(e);
  const reason = reasonOf(e);
  let kind: IntegrationErrorKind = 'connect';
  let retryable = false;
  let what: string;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      kind = 'timeout';
      retryable = true;
      what = 'timed out connecting';
      break;
    case 'UND_ERR_HEADERS_TIMEOUT':
      kind = 'timeout';
      retryable = true;
      what = 'timed out waiting for the response headers';
      break;
    case 'UND_ERR_BODY_TIMEOUT':
      kind = 'timeout';
      retryable = true;
      what = 'timed out reading the response body';
      break;
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_HEADERS_OVERFLOW':
      kind = 'protocol';
      what = `answered malformed HTTP (${reason})`;
      break;
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      what = 'failed: the client is closed';
      break;
    case 'ENOTFOUND':
      what = `failed: host name not found (${reason})`;
      break;
    case 'UND_ERR_SOCKET':
      retryable = true;
      what = `failed: the connection broke (${reason})`;
      break;
    default:
      if (code?.startsWith('HPE_')) {
        kind = 'protocol';
        what = `answered malformed HTTP (${reason})`;
      } else if (code !== undefined && TLS_CODES.has(code)) {
        what = `failed TLS verification (${code}: ${reason}); ${tlsHint(peer.service)}`;
      } else if (code !== undefined && TRANSIENT_NET_CODES.has(code)) {
        retryable = true;
        what = `failed: cannot connect (${reason.includes(code) ? reason : `${code}: ${reason}`})`;
      } else {
        what = `failed: ${code && !reason.includes(code) ? `${code}: ` : ''}${reason}`;
      }
  }
  return new IntegrationError(redact(`${peer.label}: ${describeEndpoint(req.method, req.url)} ${what}`, peer.secrets()), {
    ...base(peer, req),
    kind,
    retryable,
    attempts,
    cause: e,
  });
}

/** An answer with a status the caller did not expect. */
export function httpError(peer: Peer, req: HttpRequest, res: HttpResponse, detail?: string): IntegrationError {
  // A redirect's page is no use in a one-line message; where it points is.
  const location = res.status >= 300 && res.status < 400 ? header(res.headers, 'location') : undefined;
  const said = detail ?? (location ? `redirecting to ${describeLocation(resolveLocation(location, req.url))}` : summarizeErrorBody(res.text));
  const statusText = STATUS_CODES[res.status] ?? 'Unknown Status';
  const tries = res.attempts > 1 ? ` (after ${res.attempts} attempts)` : '';
  return new IntegrationError(
    redact(`${peer.label}: ${describeEndpoint(req.method, req.url)} answered ${res.status} ${statusText}${said ? `: ${said}` : ''}${tries}`, peer.secrets()),
    { ...base(peer, req), status: res.status, kind: 'http', retryable: RETRYABLE_STATUSES.has(res.status), attempts: res.attempts },
  );
}

function resolveLocation(location: string, against: URL): string {
  try {
    return new URL(location, against).href;
  } catch {
    return location;
  }
}

/** An answer that does not have the promised shape. */
export function protocolError(peer: Peer, req: HttpRequest, res: HttpResponse, problem: string): IntegrationError {
  return new IntegrationError(
    redact(`${peer.label}: ${describeEndpoint(req.method, req.url)} answered ${res.status} ${problem}`, peer.secrets()),
    { ...base(peer, req), status: res.status, kind: 'protocol', retryable: false, attempts: res.attempts },
  );
}

/** The body as JSON, or a protocol error naming the first characters of what came instead. */
export function parseJson(peer: Peer, req: HttpRequest, res: HttpResponse): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    const start = res.text.trim().slice(0, 200);
    throw protocolError(peer, req, res, start === '' ? 'with an empty body where JSON was expected' : `with a body that is not JSON: ${start}`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `url` without a trailing slash; rejects anything but http(s). */
export function serviceBase(url: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`${what} URL is not a valid URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`${what} URL must use http or https, got ${u.protocol}`);
  u.hash = '';
  u.search = '';
  u.pathname = u.pathname.replace(/\/+$/, '');
  return u;
}

/** `base` + `path` (path starts with '/'), keeping base's path prefix. */
export function join(base: URL, path: string, query?: Record<string, string | number | boolean | undefined>): URL {
  const u = new URL(base.toString());
  u.pathname = base.pathname.replace(/\/+$/, '') + path;
  if (query) {
    // Commas stay literal (`ids=a,b`), as the services' docs write them.
    const parts = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v)).replace(/%2C/gi, ',')}`);
    u.search = parts.length > 0 ? `?${parts.join('&')}` : '';
  }
  return u;
}

/** Splits ids/names into batches whose comma-joined text stays within maxChars and maxItems (at least one each). */
export function chunkByChars(items: readonly string[], maxChars: number, maxItems = Infinity): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let chars = 0;
  for (const item of items) {
    const add = item.length + (cur.length > 0 ? 1 : 0);
    if (cur.length > 0 && (chars + add > maxChars || cur.length >= maxItems)) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    chars += item.length + (cur.length > 0 ? 1 : 0);
    cur.push(item);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
