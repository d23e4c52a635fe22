/**
 * Failures talking to BMCs (Redfish), BSS and CFS. These are not BosErrors: they describe
 * something outside bosctl that did not answer as hoped. The daemon records the message (one
 * line, safe to log: it never holds a password, a token or an Authorization header) and uses
 * `kind`/`retryable` to decide what to do next.
 */

export type IntegrationService = 'redfish' | 'bss' | 'cfs' | 's3';

/**
 * timeout:  no answer in time (connecting, waiting for headers, or reading the body).
 * connect:  no HTTP exchange happened or it broke off (refused, reset, DNS, TLS, closed client).
 * http:     the service answered with an unexpected status.
 * protocol: the service answered, but not in the shape the spec promises (bad JSON, a
 *           missing header or field).
 */
export type IntegrationErrorKind = 'timeout' | 'connect' | 'http' | 'protocol';

export interface IntegrationErrorInit {
  service: IntegrationService;
  /** `METHOD URL`, without credentials; '' when no request could be made. */
  endpoint: string;
  kind: IntegrationErrorKind;
  retryable: boolean;
  status?: number;
  /** The BMC's xname, for Redfish failures. */
  bmc?: string;
  /** How many times the request was sent (retries included). */
  attempts?: number;
  cause?: unknown;
}

export class IntegrationError extends Error {
  readonly service: IntegrationService;
  readonly endpoint: string;
  readonly status?: number;
  readonly kind: IntegrationErrorKind;
  /**
   * The failure is transient (timeout, connection trouble, 429/502/503/504): trying again
   * later may work. Idempotent requests have already been retried by the client; a POST
   * (a Redfish reset, a session login) never is.
   */
  readonly retryable: boolean;
  readonly bmc?: string;
  readonly attempts: number;

  constructor(message: string, init: IntegrationErrorInit) {
    super(oneLine(message), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'IntegrationError';
    this.service = init.service;
    this.endpoint = init.endpoint;
    if (init.status !== undefined) this.status = init.status;
    this.kind = init.kind;
    this.retryable = init.retryable;
    if (init.bmc !== undefined) this.bmc = init.bmc;
    this.attempts = init.attempts ?? 1;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      service: this.service,
      endpoint: this.endpoint,
      ...(this.status === undefined ? {} : { status: this.status }),
      kind: this.kind,
      retryable: this.retryable,
      ...(this.bmc === undefined ? {} : { bmc: this.bmc }),
      attempts: this.attempts,
    };
  }
}

export function isIntegrationError(e: unknown): e is IntegrationError {
  return e instanceof IntegrationError;
}

/**
 * Only a change of the inventory or the configuration can fix these (redfish.ts's
 * SystemResolutionError and InsecureBmcError): asking again is pointless.
 */
export function needsConfigurationChange(e: unknown): boolean {
  return isIntegrationError(e) && (e.name === 'SystemResolutionError' || e.name === 'InsecureBmcError');
}

/** One line, no newlines. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Replaces every occurrence of each secret (4+ characters) with `***`. */
export function redact(text: string, secrets: Iterable<string | undefined | null>): string {
  let out = text;
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < 4) continue;
    out = out.split(s).join('***');
  }
  return out;
}

const MAX_URL_CHARS = 200;

/** `METHOD URL` for messages and `endpoint`: no user:password, a long query shortened. */
export function describeEndpoint(method: string, url: URL | string): string {
  let text: string;
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    u.hash = '';
    text = u.toString();
  } catch {
    text = String(url).replace(/\/\/[^/@]*@/, '//');
  }
  if (text.length > MAX_URL_CHARS) text = `${text.slice(0, MAX_URL_CHARS)}…(${text.length} chars)`;
  return `${method.toUpperCase()} ${text}`;
}

const BODY_EXCERPT_CHARS = 200;

/**
 * What an error answer says, in one line: a Redfish `error.message` (or its first
 * `@Message.ExtendedInfo` message), a problem+json `detail` (or `title`), a JSON `message`,
 * else the first 200 characters of the body.
 */
export function summarizeErrorBody(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  try {
    const j: unknown = JSON.parse(text);
    const fromJson = messageFromJson(j);
    if (fromJson) return excerpt(fromJson);
  } catch {
    // not JSON: fall through to the excerpt
  }
  return excerpt(text);
}

function excerpt(text: string): string {
  const one = oneLine(text);
  return one.length > BODY_EXCERPT_CHARS ? `${one.slice(0, BODY_EXCERPT_CHARS)}…` : one;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageFromJson(j: unknown): string | undefined {
  if (!isObj(j)) return undefined;
  // Redfish: {"error": {"code", "message", "@Message.ExtendedInfo": [{"Message"}]}}
  if (isObj(j.error)) {
    const general = str(j.error.message);
    const info = j.error['@Message.ExtendedInfo'];
    const first = Array.isArray(info) && isObj(info[0]) ? str(info[0].Message) : undefined;
    if (general && first && general !== first) {
      // DMTF's generic "A general error has occurred. See ExtendedInfo ..." says nothing.
      return /general error|extendedinfo|see resolution/i.test(general) ? first : `${general} (${first})`;
    }
    return general ?? first ?? str(j.error.code);
  }
  if (typeof j.error === 'string' && str(j.error)) return str(j.error);
  // RFC 7807 problem details (BSS, CFS)
  const detail = str(j.detail);
  const title = str(j.title);
  if (detail) return detail;
  if (title) return title;
  return str(j.message) ?? str(j.Message);
}
