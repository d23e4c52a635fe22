/**
 * AWS Signature Version 4 for requests with an Authorization header, written from AWS's
 * description of the algorithm ("Create a signed AWS API request"): a canonical request,
 * the string to sign over its hash, a signing key derived from the secret by four
 * HMAC-SHA256 steps (date, region, service, "aws4_request"), and the signature over the
 * string to sign. Everything here is pure (the time is an argument) so that AWS's published
 * examples can be reproduced byte for byte.
 *
 * Only what bosctl needs: header signing (not presigned URLs, not chunked uploads).
 */
import { createHash, createHmac } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** The hash of an empty payload (what a GET sends). */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials' token: sent and signed as x-amz-security-token. */
  sessionToken?: string;
}

export interface SigV4Request {
  method: string;
  /** Absolute URL; its path must already be percent-encoded as it will be sent. */
  url: URL | string;
  /** Headers to sign (and send). `host` is taken from the URL unless given. */
  headers?: Record<string, string>;
  /** The payload, hashed when payloadHash is not given (default: empty). */
  body?: string | Uint8Array;
  /** The payload's hex SHA-256, or UNSIGNED-PAYLOAD. */
  payloadHash?: string;
}

export interface SigV4Options {
  region: string;
  service: string;
  /** The signing time (x-amz-date). */
  now: Date;
  /**
   * Send and sign x-amz-content-sha256 (S3 requires it; AWS's generic examples do not have
   * it). Default: true for the s3 service only.
   */
  contentSha256Header?: boolean;
}

export interface SignedRequest {
  /** The request's headers plus host, x-amz-date, (x-amz-content-sha256,) authorization. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  /** The value of the Authorization header. */
  authorization: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** `YYYYMMDD'T'HHMMSS'Z'`, in UTC. */
export function amzDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('amzDate: invalid date');
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The key derived from the secret for one day, region and service. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * AWS's URI encoding: every byte except the unreserved characters A-Z a-z 0-9 - . _ ~ as
 * %XY with upper-case hex; "/" kept when `keepSlash`.
 */
export function uriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const ch of text) {
    if (UNRESERVED.test(ch) || (keepSlash && ch === '/')) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The canonical URI. S3: each path segment encoded once, as given (no normalization, so
 * keys with "//" or "." keep them). Other services: the path normalized and each segment
 * encoded twice, as AWS's generic rules say.
 */
export function canonicalUri(pathname: string, service: string): string {
  const path = pathname === '' ? '/' : pathname;
  const segments = path.split('/').map(safeDecode);
  if (service === 's3') return segments.map((s) => uriEncode(s)).join('/');
  const normalized: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') { normalized.pop(); continue; }
    normalized.push(s);
  }
  const trailing = normalized.length > 0 && path.endsWith('/') ? '/' : '';
  return '/' + normalized.map((s) => uriEncode(uriEncode(s))).join('/') + trailing;
}

/** The canonical query string: each name and value AWS-encoded, sorted by name then value. */
export function canonicalQuery(search: string): string {
  const q = search.startsWith('?') ? search.slice(1) : search;
  if (q === '') return '';
  const pairs = q.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    return [uriEncode(safeDecode(name)), uriEncode(safeDecode(value))] as const;
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Header values trimmed, inner runs of spaces collapsed to one (outside quotes, as AWS does). */
function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/**
 * Signs a request. Returns the headers to send (every header given, plus host, x-amz-date,
 * x-amz-content-sha256 when wanted, x-amz-security-token with a session token, and
 * authorization) and the intermediate strings, for tests and debugging. All headers given are
 * signed.
 */
export function signRequest(req: SigV4Request, creds: SigV4Credentials, opts: SigV4Options): SignedRequest {
  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const stamp = amzDate(opts.now);
  const day = stamp.slice(0, 8);
  const payloadHash = req.payloadHash ?? sha256Hex(req.body ?? '');
  const withContentHash = opts.contentSha256Header ?? opts.service === 's3';

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  if (headers.host === undefined) headers.host = url.host;
  headers['x-amz-date'] = stamp;
  if (withContentHash) headers['x-amz-content-sha256'] = payloadHash;
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
  delete headers.authorization;

  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${canonicalHeaderValue(headers[n])}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(url.pathname, opts.service),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');

  const scope = `${day}/${opts.region}/${opts.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(creds.secretAccessKey, day, opts.region, opts.service))
    .update(stringToSign, 'utf8')
    .digest('hex');
  const authorization = `${SIGV4_ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: { ...headers, authorization }, canonicalRequest, stringToSign, signature, authorization };
}
