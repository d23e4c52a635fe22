/**
 * A small S3 client: GET an object from any S3-compatible endpoint (Ceph RGW as CSM runs it,
 * MinIO, AWS), path-style (`ENDPOINT/BUCKET/KEY`), signed with AWS Signature V4 (./sigv4.ts)
 * and sent over undici. Reading image manifests and boot-parameter objects is all bosctl
 * needs, so this is all there is: no listing, no uploads, no SDK.
 *
 * Failures are S3Errors (IntegrationErrors) naming the bucket, the key and S3's error Code
 * and Message. The secret key is never part of a message, a log line or JSON.
 *
 * The credentials come from a file (loadS3Config): BOSCTL_S3_CONFIG, else
 * $XDG_CONFIG_HOME/bosctl/s3.yaml, else /etc/bosd/s3.yaml; YAML or JSON
 * `{endpoint, region, access_key, secret_key}`, readable by its owner only.
 */
import { stat } from 'node:fs/promises';
import { MAX_CONFIG_FILE_BYTES, readBounded } from '../core/bounded-read.js';
import { homedir } from 'node:os';
import { join as joinPath } from 'node:path';
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import { bosError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { IntegrationError, type IntegrationErrorInit, type IntegrationService, describeEndpoint, redact } from './errors.js';
import {
  type HttpRequest,
  type Peer,
  type RetryPolicy,
  type TimeoutOption,
  type Timeouts,
  type TlsOptions,
  RETRYABLE_STATUSES,
  createPool,
  failure,
  header,
  resolveRetry,
  resolveTimeouts,
  serviceBase,
} from './http.js';
import { RetriesExhausted, withRetry } from '../core/retry.js';
import { EMPTY_PAYLOAD_SHA256, signRequest, uriEncode } from './sigv4.js';

const S3_SERVICE: IntegrationService = 's3';

export const DEFAULT_S3_REGION = 'us-east-1';

// ---------------------------------------------------------------------------------------------
// s3:// URLs

export interface S3Location {
  bucket: string;
  key: string;
}

/**
 * `s3://BUCKET/KEY` → bucket and key, as BOS's S3Url reads them: the bucket is the host part,
 * the key the path without its leading slashes, with `?query` kept as part of the key.
 * Throws a TypeError for anything else (the caller says which boot set).
 */
export function parseS3Url(url: string): S3Location {
  // Like BOS's urlparse(url, allow_fragments=False): "#" is part of the key.
  const m = /^s3:\/\/([^/?]*)([/?].*)?$/is.exec(url.trim());
  if (!m) throw new TypeError(`"${url}" is not an s3:// URL: expected s3://BUCKET/KEY`);
  const bucket = m[1];
  const key = (m[2] ?? '').replace(/^\/+/, '');
  if (bucket === '') throw new TypeError(`"${url}" names no bucket: expected s3://BUCKET/KEY`);
  if (key === '') throw new TypeError(`"${url}" names no object key: expected s3://BUCKET/KEY`);
  return { bucket, key };
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface S3ErrorInit extends IntegrationErrorInit {
  bucket: string;
  key: string;
  /** S3's error Code (NoSuchKey, SignatureDoesNotMatch, ...), when it answered one. */
  s3Code?: string;
  s3Message?: string;
}

/** S3 error codes that mean the access key or its signature was refused. */
const CREDENTIAL_CODES: ReadonlySet<string> = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'InvalidToken', 'ExpiredToken', 'InvalidSecurity']);

export class S3Error extends IntegrationError {
  readonly bucket: string;
  readonly key: string;
  readonly s3Code?: string;
  readonly s3Message?: string;

  constructor(message: string, init: S3ErrorInit) {
    super(message, init);
    this.name = 'S3Error';
    this.bucket = init.bucket;
    this.key = init.key;
    if (init.s3Code !== undefined) this.s3Code = init.s3Code;
    if (init.s3Message !== undefined) this.s3Message = init.s3Message;
  }

  /** The object does not exist (or its bucket does not). */
  get notFound(): boolean {
    return this.status === 404 || this.s3Code === 'NoSuchKey' || this.s3Code === 'NoSuchBucket';
  }

  /** S3 refused the credentials or the signature. */
  get badCredentials(): boolean {
    if (this.s3Code !== undefined) return CREDENTIAL_CODES.has(this.s3Code);
    return this.status === 403;
  }

  /** No answer: connection refused, DNS, TLS, timeouts. */
  get unreachable(): boolean {
    return this.kind === 'connect' || this.kind === 'timeout';
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      bucket: this.bucket,
      key: this.key,
      ...(this.s3Code === undefined ? {} : { s3Code: this.s3Code }),
      ...(this.s3Message === undefined ? {} : { s3Message: this.s3Message }),
    };
  }
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}

function xmlText(v: string): string {
  return v
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\'')
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

/** `<Error><Code>..</Code><Message>..</Message></Error>` → its Code and Message. */
export function parseS3ErrorXml(body: string): { code?: string; message?: string } {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return {
    ...(code === undefined ? {} : { code: xmlText(code).trim() }),
    ...(message === undefined ? {} : { message: xmlText(message).replace(/\s+/g, ' ').trim() }),
  };
}

// ---------------------------------------------------------------------------------------------
// The client

export interface S3ClientOptions extends TlsOptions {
  /** `http(s)://host[:port][/prefix]`: objects are at ENDPOINT/BUCKET/KEY. */
  endpoint: string;
  /** The signing region (default us-east-1; Ceph RGW and MinIO accept it). */
  region?: string;
  accessKey: string;
  secretKey: string;
  /** A dispatcher to use (a MockAgent, a shared Agent); never closed by this client. */
  dispatcher?: Dispatcher;
  /** A number sets connect, headers and body timeouts alike (default 10 s each). */
  timeoutMs?: TimeoutOption;
  retry?: Partial<RetryPolicy>;
  /** Sockets to the endpoint when this client builds its own pool (default 4). */
  connections?: number;
  /** The clock used for signing (tests). */
  now?: () => Date;
  onWarning?(message: string): void;
}

export interface S3Object {
  bucket: string;
  key: string;
  /** The object's bytes; empty when tooLarge. */
  body: Buffer;
  /** The ETag header, quotes kept as S3 sends them. */
  etag?: string;
  contentType?: string;
  /** The object's size (Content-Length), when S3 said it. */
  size?: number;
  /** The object is bigger than maxBytes: it was not read. */
  tooLarge?: true;
}

export interface GetObjectOptions {
  /** Read at most this many bytes; a bigger object comes back with tooLarge and no body. */
  maxBytes?: number;
}

const ERROR_BODY_MAX = 64 * 1024;

export class S3Client {
  readonly endpoint: URL;
  readonly region: string;
  readonly accessKey: string;
  readonly #secretKey: string;
  private readonly peer: Peer;
  private readonly dispatcher: Dispatcher;
  private readonly owned: boolean;
  private readonly timeouts: Timeouts;
  private readonly retry: RetryPolicy;
  private readonly now: () => Date;
  private closed = false;

  constructor(opts: S3ClientOptions) {
    this.endpoint = serviceBase(opts.endpoint, 'S3 endpoint');
    this.region = opts.region || DEFAULT_S3_REGION;
    if (!opts.accessKey) throw new TypeError('S3 client: the access key is empty');
    if (!opts.secretKey) throw new TypeError('S3 client: the secret key is empty');
    this.accessKey = opts.accessKey;
    this.#secretKey = opts.secretKey;
    this.timeouts = resolveTimeouts(opts.timeoutMs);
    this.retry = resolveRetry(opts.retry);
    this.now = opts.now ?? (() => new Date());
    const secret = this.#secretKey;
    this.peer = { service: S3_SERVICE, label: `S3 ${this.endpoint.origin}`, secrets: () => [secret] };
    this.owned = opts.dispatcher === undefined;
    this.dispatcher = opts.dispatcher
      ?? createPool(this.endpoint.origin, { connections: opts.connections ?? 4, timeouts: this.timeouts, tls: opts });
    if (opts.insecureSkipTlsVerify === true && this.endpoint.protocol === 'https:') {
      const msg = `${this.peer.label}: TLS certificate verification is disabled (insecure_skip_tls_verify)`;
      if (opts.onWarning) opts.onWarning(msg);
      else process.emitWarning(msg);
    }
  }

  /** The object's path-style URL: ENDPOINT/BUCKET/KEY, AWS-encoded ("/" in keys kept). */
  objectUrl(bucket: string, key: string): URL {
    const u = new URL(this.endpoint.toString());
    u.pathname = `${this.endpoint.pathname.replace(/\/+$/, '')}/${uriEncode(bucket)}/${uriEncode(key, true)}`;
    return u;
  }

  /**
   * GET one object. Retried on connection errors, timeouts and 429/500/502/503/504 (per the
   * retry policy); any other non-2xx answer is an S3Error with S3's Code and Message.
   */
  async getObject(bucket: string, key: string, opts: GetObjectOptions = {}): Promise<S3Object> {
    const url = this.objectUrl(bucket, key);
    const req: HttpRequest = { method: 'GET', url };
    const where = `bucket "${bucket}", key "${key}"`;
    if (this.closed) {
      throw new S3Error(`${this.peer.label}: ${where}: the client is closed`, { service: S3_SERVICE, endpoint: '', kind: 'connect', retryable: false, bucket, key });
    }
    const retryableStatus = (status: number) => RETRYABLE_STATUSES.has(status) || status === 500;
    let res: RawAnswer;
    let attempt: number;
    try {
      ({ answer: res, attempts: attempt } = await withRetry(this.retry, async (n) => {
        try {
          return await this.once(url, opts.maxBytes);
        } catch (e) {
          throw e instanceof IntegrationError ? e : failure(this.peer, req, e, n);
        }
      }, {
        retryError: (e) => (e as IntegrationError).retryable,
        retryAnswer: (r) => retryableStatus(r.status),
        retryAfter: (r) => header(r.headers, 'retry-after'),
        stopped: () => this.closed,
      }));
    } catch (e) {
      if (!(e instanceof RetriesExhausted)) throw e;
      const err = e.error as IntegrationError;
      const tries = e.attempts > 1 && !err.message.includes('attempts)') ? ` (after ${e.attempts} attempts)` : '';
      throw new S3Error(`${this.naming(err.message, where)}${tries}`, {
        service: S3_SERVICE, endpoint: err.endpoint, kind: err.kind, retryable: err.retryable, attempts: e.attempts,
        ...(err.status === undefined ? {} : { status: err.status }), cause: err.cause ?? err, bucket, key,
      });
    }
    if (res.status >= 200 && res.status <= 299) {
      const out: S3Object = { bucket, key, body: res.body };
      const etag = header(res.headers, 'etag');
      if (etag !== undefined) out.etag = etag;
      const type = header(res.headers, 'content-type');
      if (type !== undefined) out.contentType = type;
      if (res.size !== undefined) out.size = res.size;
      if (res.tooLarge) out.tooLarge = true;
      return out;
    }
    const said = parseS3ErrorXml(res.body.toString('utf8'));
    const statusText = STATUS_CODES[res.status] ?? 'Unknown Status';
    const detail = [said.code, said.message].filter(Boolean).join(': ');
    const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
    throw new S3Error(
      redact(`${this.peer.label}: ${where}: answered ${res.status} ${statusText}${detail ? `: ${detail}` : ''}${tries}`, this.peer.secrets()),
      {
        service: S3_SERVICE, endpoint: describeEndpoint('GET', url), kind: 'http', status: res.status,
        retryable: retryableStatus(res.status), attempts: attempt, bucket, key,
        ...(said.code === undefined ? {} : { s3Code: said.code }),
        ...(said.message === undefined ? {} : { s3Message: said.message }),
      },
    );
  }

  /** `S3 ORIGIN: rest` → `S3 ORIGIN: bucket "b", key "k": rest`. */
  private naming(message: string, where: string): string {
    const label = `${this.peer.label}: `;
    const text = message.startsWith(label) ? `${label}${where}: ${message.slice(label.length)}` : `${label}${where}: ${message}`;
    return redact(text, this.peer.secrets());
  }

  private async once(url: URL, maxBytes: number | undefined): Promise<RawAnswer> {
    const signed = signRequest(
      { method: 'GET', url, payloadHash: EMPTY_PAYLOAD_SHA256 },
      { accessKeyId: this.accessKey, secretAccessKey: this.#secretKey },
      { region: this.region, service: 's3', now: this.now() },
    );
    const ac = new AbortController();
    let timedOut: { phase: string; ms: number } | undefined;
    const arm = (phase: string, ms: number): NodeJS.Timeout => setTimeout(() => { timedOut = { phase, ms }; ac.abort(); }, ms);
    let timer = arm('waiting for the response', this.timeouts.connectMs + this.timeouts.headersMs);
    try {
      const res = await this.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { ...signed.headers, 'user-agent': `bosctl/${VERSION}` },
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
        signal: ac.signal,
      });
      clearTimeout(timer);
      timer = arm('reading the response body', this.timeouts.bodyMs);
      const ok = res.statusCode >= 200 && res.statusCode <= 299;
      const lengthHeader = header(res.headers, 'content-length');
      const size = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      const cap = ok ? maxBytes : ERROR_BODY_MAX;
      if (ok && cap !== undefined && size !== undefined && size > cap) {
        discard(res.body);
        return { status: res.statusCode, headers: res.headers, body: Buffer.alloc(0), size, tooLarge: true };
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        total += b.length;
        if (cap !== undefined && total > cap) {
          discard(res.body);
          if (ok) return { status: res.statusCode, headers: res.headers, body: Buffer.alloc(0), size: size ?? total, tooLarge: true };
          break;
        }
        chunks.push(b);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), ...(size === undefined ? {} : { size }) };
    } catch (e) {
      if (timedOut) {
        throw new IntegrationError(
          `${this.peer.label}: ${describeEndpoint('GET', url)} timed out after ${timedOut.ms} ms ${timedOut.phase}`,
          { service: S3_SERVICE, endpoint: describeEndpoint('GET', url), kind: 'timeout', retryable: true, cause: e },
        );
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.dispatcher.close().catch(() => undefined);
  }

  /** What may be shown: never the secret key. */
  toJSON(): Record<string, unknown> {
    return { endpoint: this.endpoint.toString(), region: this.region, accessKey: this.accessKey };
  }
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  size?: number;
  tooLarge?: true;
}

/** Drops a body not to be read: undici reports the abort as an error, which nobody needs. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

// ---------------------------------------------------------------------------------------------
// The configuration file

/** The S3 configuration file's fields (snake case, as written in the file). */
export interface S3Config {
  endpoint: string;
  region: string;
  access_key: string;
  secret_key: string;
  /** PEM file of the CAs to trust for an https endpoint. */
  ca_bundle?: string;
  insecure_skip_tls_verify?: boolean;
}

export interface LoadedS3Config extends S3Config {
  /** The file it was read from. */
  path: string;
}

const CONFIG_KEYS = ['endpoint', 'region', 'access_key', 'secret_key', 'ca_bundle', 'insecure_skip_tls_verify'];
export const SYSTEM_S3_CONFIG = '/etc/bosd/s3.yaml';

/** The files loadS3Config tries, in order (BOSCTL_S3_CONFIG alone when it is set). */
export function s3ConfigCandidates(env: NodeJS.ProcessEnv): string[] {
  if (env.BOSCTL_S3_CONFIG !== undefined && env.BOSCTL_S3_CONFIG.trim() !== '') return [env.BOSCTL_S3_CONFIG];
  const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : joinPath(env.HOME || homedir(), '.config');
  return [joinPath(xdg, 'bosctl', 's3.yaml'), SYSTEM_S3_CONFIG];
}

export const S3_CONFIG_HINT = 'write endpoint, region, access_key and secret_key (YAML or JSON) to $XDG_CONFIG_HOME/bosctl/s3.yaml or /etc/bosd/s3.yaml (or the file BOSCTL_S3_CONFIG names), readable by its owner only (chmod 600)';

/**
 * Reads the S3 configuration: the file BOSCTL_S3_CONFIG names, else
 * $XDG_CONFIG_HOME/bosctl/s3.yaml (~/.config/...), else /etc/bosd/s3.yaml. The file must be
 * readable by its owner only: it holds the secret key. Errors are one-line BosErrors that
 * never quote the secret.
 */
export async function loadS3Config(env: NodeJS.ProcessEnv = process.env): Promise<LoadedS3Config> {
  const candidates = s3ConfigCandidates(env);
  const explicit = env.BOSCTL_S3_CONFIG !== undefined && env.BOSCTL_S3_CONFIG.trim() !== '';
  for (const path of candidates) {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!explicit && code === 'ENOENT') continue;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      throw bosError('BOS_FILE_UNREADABLE', `the S3 configuration file ${path}${explicit ? ' (BOSCTL_S3_CONFIG)' : ''} cannot be read: ${why}`, S3_CONFIG_HINT);
    }
    if (!st.isFile()) throw bosError('BOS_FILE_UNREADABLE', `the S3 configuration file ${path} is not a regular file`, S3_CONFIG_HINT);
    if ((st.mode & 0o077) !== 0) {
      throw bosError('BOS_FILE_UNREADABLE',
        `the S3 configuration file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): it holds the secret key; run chmod 600 ${path}`);
    }
    let text: string;
    try {
      text = (await readBounded(path, { maxBytes: MAX_CONFIG_FILE_BYTES })).toString('utf8');
    } catch (e) {
      throw bosError('BOS_FILE_UNREADABLE', `the S3 configuration file ${path} cannot be read: ${(e as Error).message}`);
    }
    return { ...(await parseS3Config(text, path)), path };
  }
  throw bosError('BOS_FILE_UNREADABLE', `there is no S3 configuration: none of ${candidates.join(', ')} exists`, S3_CONFIG_HINT);
}

/** Checks a configuration file's text (YAML or JSON). */
export async function parseS3Config(text: string, path: string): Promise<S3Config> {
  const bad = (problem: string) => bosError('BOS_FILE_INVALID', `the S3 configuration file ${path} is invalid: ${problem}`, S3_CONFIG_HINT);
  // JSON is YAML. The parser's messages quote the text around a problem, which may hold the
  // secret: say only what and where.
  const doc = await parseYamlDocument(text);
  if (doc.error) throw bad(`not valid YAML or JSON (${doc.error})`);
  const raw = doc.value;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('expected a mapping with endpoint, region, access_key and secret_key');
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length > 0) throw bad(`unknown key "${unknown[0]}": expected ${CONFIG_KEYS.join(', ')}`);
  const str = (k: string, required: boolean): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) {
      if (required) throw bad(`"${k}" is missing`);
      return undefined;
    }
    if (typeof v !== 'string' || v.trim() === '') throw bad(`"${k}" must be a non-empty string`);
    return v.trim();
  };
  const endpoint = str('endpoint', true)!;
  try {
    serviceBase(endpoint, 'S3 endpoint');
  } catch (e) {
    throw bad(`"endpoint" ${(e as Error).message.replace(/^S3 endpoint URL /, '')}: expected e.g. http://rgw-vip.nmn or https://s3.example.com:9000`);
  }
  const cfg: S3Config = {
    endpoint,
    region: str('region', false) ?? DEFAULT_S3_REGION,
    access_key: str('access_key', true)!,
    secret_key: str('secret_key', true)!,
  };
  const ca = str('ca_bundle', false);
  if (ca !== undefined) cfg.ca_bundle = ca;
  if (o.insecure_skip_tls_verify !== undefined) {
    if (typeof o.insecure_skip_tls_verify !== 'boolean') throw bad('"insecure_skip_tls_verify" must be true or false');
    cfg.insecure_skip_tls_verify = o.insecure_skip_tls_verify;
  }
  return cfg;
}

async function parseYamlDocument(text: string): Promise<{ value?: unknown; error?: string }> {
  // Only the error's code and line: this file holds secrets, and a message may quote it.
  const { tryParseYaml } = await import('../core/yaml.js');
  const r = tryParseYaml(text);
  if (!r.ok) return { error: `${r.code}${r.line === undefined ? '' : ` at line ${r.line}`}` };
  return { value: r.value };
}

/** An S3Client for a loaded configuration (reads the CA bundle when one is named). */
export async function createS3Client(cfg: S3Config & { path?: string }, extra: Partial<S3ClientOptions> = {}): Promise<S3Client> {
  let ca: Buffer | undefined;
  if (cfg.ca_bundle) {
    try {
      ca = await readBounded(cfg.ca_bundle, { maxBytes: MAX_CONFIG_FILE_BYTES });
    } catch (e) {
      throw bosError('BOS_FILE_UNREADABLE', `the CA bundle ${cfg.ca_bundle}${cfg.path ? ` named by ${cfg.path}` : ''} cannot be read: ${(e as Error).message}`);
    }
  }
  return new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    accessKey: cfg.access_key,
    secretKey: cfg.secret_key,
    ...(ca === undefined ? {} : { ca }),
    ...(cfg.insecure_skip_tls_verify ? { insecureSkipTlsVerify: true } : {}),
    ...extra,
  });
}

/** loadS3Config, then createS3Client: what the CLI and bosd call. */
export async function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env, extra: Partial<S3ClientOptions> = {}): Promise<S3Client> {
  return createS3Client(await loadS3Config(env), extra);
}
