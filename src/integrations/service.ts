/**
 * What the BSS and CFS clients share: one dispatcher for the service's origin (a Pool this
 * client builds, or the one given), an optional bearer token, and request helpers.
 */
import type { Dispatcher } from 'undici';
import { IntegrationError, type IntegrationService } from './errors.js';
import {
  type HttpRequest,
  type HttpResponse,
  type Peer,
  type RetryPolicy,
  type TimeoutOption,
  type Timeouts,
  type TlsOptions,
  createPool,
  exchange,
  httpError,
  resolveRetry,
  resolveTimeouts,
  serviceBase,
} from './http.js';

export interface ServiceClientOptions extends TlsOptions {
  /** The service's base URL (see each client for what it appends). */
  url: string;
  /** A dispatcher to use (e.g. a MockAgent or a shared Agent); never closed by this client. */
  dispatcher?: Dispatcher;
  /** A number sets connect, headers and body timeouts alike (default 10 s each). */
  timeoutMs?: TimeoutOption;
  retry?: Partial<RetryPolicy>;
  /** Sent as `Authorization: Bearer <token>`; a function is asked before every request. */
  token?: string | (() => string | Promise<string>);
  /** Sockets to the service when this client builds its own pool (default 8). */
  connections?: number;
  /** Receives warnings (insecureSkipTlsVerify); default process.emitWarning. */
  onWarning?(message: string): void;
}

export class ServiceConnection {
  readonly base: URL;
  readonly peer: Peer;
  private readonly dispatcher: Dispatcher;
  private readonly owned: boolean;
  private readonly timeouts: Timeouts;
  private readonly retry: RetryPolicy;
  private readonly token: ServiceClientOptions['token'];
  private readonly secrets = new Set<string>();
  private closed = false;

  constructor(service: IntegrationService, label: string, opts: ServiceClientOptions) {
    this.base = serviceBase(opts.url, label);
    this.timeouts = resolveTimeouts(opts.timeoutMs);
    this.retry = resolveRetry(opts.retry);
    this.token = opts.token;
    if (typeof opts.token === 'string') this.secrets.add(opts.token);
    this.peer = { service, label, secrets: () => this.secrets };
    this.owned = opts.dispatcher === undefined;
    this.dispatcher =
      opts.dispatcher ?? createPool(this.base.origin, { connections: opts.connections ?? 8, timeouts: this.timeouts, tls: opts });
    if (opts.insecureSkipTlsVerify === true && this.base.protocol === 'https:') {
      const msg = `${label}: TLS certificate verification is disabled (insecure_skip_tls_verify)`;
      if (opts.onWarning) opts.onWarning(msg);
      else process.emitWarning(msg);
    }
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) {
      throw new IntegrationError(`${this.peer.label}: the client is closed`, { service: this.peer.service, endpoint: '', kind: 'connect', retryable: false });
    }
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    const token = typeof this.token === 'function' ? await this.token() : this.token;
    if (token) {
      this.secrets.add(token);
      headers.authorization = `Bearer ${token}`;
    }
    return exchange(this.peer, { ...req, headers }, { dispatcher: this.dispatcher, timeouts: this.timeouts, retry: this.retry, isClosed: () => this.closed });
  }

  /** Sends and insists on a 2xx answer. */
  async sendOk(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.send(req);
    if (res.status < 200 || res.status > 299) throw httpError(this.peer, req, res);
    return res;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.dispatcher.close().catch(() => undefined);
  }
}
