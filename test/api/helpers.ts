/**
 * Helpers for the in-process API tests: a real Store on a temporary SQLite file, the API of
 * src/api/server.ts served by node:http on 127.0.0.1, and requests made with fetch.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi } from '../../src/api/server.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import type { ServiceContext } from '../../src/services/context.js';
import { importInventory } from '../../src/services/inventory.js';
import { createSession } from '../../src/services/sessions.js';
import { createTemplate, type TemplateBody } from '../../src/services/templates.js';
import { createToken } from '../../src/services/tokens.js';
import { Store } from '../../src/store/store.js';

/** The 8 nodes every API test starts with: x1000c0s[0-3]b0n[0-1], nid 1-8, role Compute; slot 3 is also "gpu". */
export const XNAMES: string[] = (() => {
  const out: string[] = [];
  for (let s = 0; s < 4; s++) for (let n = 0; n < 2; n++) out.push(`x1000c0s${s}b0n${n}`);
  return out;
})();

export const KERNEL_V2 = 's3://boot-images/compute-v2/kernel';
export const INITRD_V2 = 's3://boot-images/compute-v2/initrd';

/** A template with one kernel/initrd boot set for every Compute node. */
export function templateBody(extra: Partial<TemplateBody> = {}): TemplateBody {
  return {
    description: 'compute nodes on v2',
    enable_cfs: true,
    cfs: { configuration: 'compute-config-v2' },
    boot_sets: {
      compute: { kernel: KERNEL_V2, initrd: INITRD_V2, kernel_parameters: 'console=ttyS0 quiet', node_roles_groups: ['Compute'] },
    },
    ...extra,
  };
}

export interface LogLine { level: string; msg: string; fields?: Record<string, unknown> }

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body; undefined when empty or not JSON. */
  json: unknown;
  contentType: string;
}

export interface CallOptions {
  token?: string | null;
  /** A JSON value, sent as application/json. */
  body?: unknown;
  /** Sent as is (for malformed or oversized bodies). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  dir: string;
  dbPath: string;
  store: Store;
  url: string;
  /** The server's clock: a test may move it. */
  clock: { ms: number; advance(ms: number): void };
  logs: LogLine[];
  /** Every response text received so far (for secret leak checks). */
  replies: string[];
  admin: string;
  ctx(user?: string): ServiceContext;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** node:http request, for methods or bodies fetch will not send (a body on GET, huge bodies). */
  rawCall(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  token(role: string, node?: string, expires?: string): string;
  close(): Promise<void>;
}

/** opts.db: the database (a file path or a postgres:// URL, test/store/engines.ts); default a file in a temporary directory. */
export async function startApi(opts: { seed?: boolean; db?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-api-'));
  const dbPath = opts.db ?? join(dir, 'bosd.db');
  const store = Store.open(dbPath);
  const clock = { ms: Date.parse('2025-03-01T12:00:00.000Z'), advance(ms: number) { clock.ms += ms; } };
  const now = () => new Date(clock.ms);
  const logs: LogLine[] = [];
  const replies: string[] = [];
  const handler = createApi({
    store, now, version: '0.1.0', onChange() {}, log(level, msg, fields) { logs.push({ level, msg, fields }); }, isTrustedSocket: () => false,
  });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const ctx = (user = 'test'): ServiceContext => ({ store, actor: { user, via: 'test' }, now });

  const token = (role: string, node?: string, expires?: string): string =>
    createToken(ctx('test'), { role, ...(node ? { node } : {}), ...(expires ? { expires } : {}) }).secret;

  const admin = token('admin');

  if (opts.seed !== false) await seed(ctx());

  async function toReply(status: number, headers: Headers, text: string): Promise<Reply> {
    replies.push(text);
    for (const [, v] of headers) replies.push(v);
    let json: unknown;
    try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
    return { status, headers, text, json, contentType: headers.get('content-type') ?? '' };
  }

  function headersFor(o: CallOptions): Record<string, string> {
    const h: Record<string, string> = { ...(o.headers ?? {}) };
    const t = o.token === undefined ? admin : o.token;
    if (t !== null) h.authorization = `Bearer ${t}`;
    if (o.body !== undefined || o.raw !== undefined) h['content-type'] ??= 'application/json';
    return h;
  }

  async function call(method: string, path: string, o: CallOptions = {}): Promise<Reply> {
    const body = o.raw !== undefined ? o.raw : o.body !== undefined ? JSON.stringify(o.body) : undefined;
    const res = await fetch(url + path, { method, headers: headersFor(o), body });
    return toReply(res.status, res.headers, await res.text());
  }

  function rawCall(method: string, path: string, o: CallOptions = {}): Promise<Reply> {
    const body = o.raw !== undefined ? o.raw : o.body !== undefined ? JSON.stringify(o.body) : undefined;
    return new Promise((resolve, reject) => {
      const req = httpRequest(url + path, { method, headers: { ...headersFor(o), ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve(toReply(res.statusCode ?? 0, h, Buffer.concat(chunks).toString('utf8')));
        });
        res.on('error', reject);
      });
      // The server may answer (e.g. 413) before it has read the whole body, and the rest of the
      // upload then fails (EPIPE, ECONNRESET): give the answer a moment to arrive before failing.
      req.on('error', (e) => { setTimeout(() => reject(e), 500).unref(); });
      if (body !== undefined) req.end(body); else req.end();
    });
  }

  async function close(): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }

  return { dir, dbPath, store, url, clock, logs, replies, admin, ctx, call, rawCall, token, close };
}

/** 8 Compute nodes (their components, disabled), a template "compute-v2", and a staged session "stage-v2". */
export async function seed(ctx: ServiceContext): Promise<void> {
  const records = XNAMES.map((x, i) => normalizeInventoryRecord({
    xname: x, nid: i + 1, hostname: `nid${String(i + 1).padStart(6, '0')}`, role: 'Compute', groups: x.includes('s3') ? 'compute,gpu' : 'compute',
  }, `node ${i + 1}`));
  importInventory(ctx, records);
  createTemplate(ctx, 'compute-v2', templateBody(), true);
  await createSession(ctx, { name: 'stage-v2', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: 'gpu' });
}

/**
 * Every table's rows (SELECT * ORDER BY rowid), except the events the API writes for refused
 * requests (kind 'api') and sqlite_sequence (which those events advance).
 */
export function dump(store: Store): string {
  const out = store.tables();
  out.events = out.events!.filter((e) => (e as { kind: string }).kind !== 'api');
  return JSON.stringify(out);
}

/** The bytes of the database and its WAL/SHM files, as latin1 text (for a secret grep). */
export function databaseBytes(dir: string): string {
  return readdirSync(dir).filter((f) => f.startsWith('bosd.db')).map((f) => {
    const p = join(dir, f);
    return existsSync(p) ? readFileSync(p).toString('latin1') : '';
  }).join('\n');
}

/** Is this a problem+json reply with the RFC 7807 fields bosd always sends? */
export function problemShape(r: Reply): string[] {
  const errs: string[] = [];
  if (!r.contentType.startsWith('application/problem+json')) errs.push(`content-type is "${r.contentType}"`);
  const b = r.json as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object') return [...errs, `body is not JSON: ${r.text.slice(0, 200)}`];
  if (typeof b.type !== 'string') errs.push('no type');
  if (typeof b.title !== 'string' || b.title === '') errs.push('no title');
  if (b.status !== r.status) errs.push(`status field ${String(b.status)} differs from ${r.status}`);
  if (typeof b.detail !== 'string' || b.detail === '') errs.push('no detail');
  return errs;
}

export const PREFIXES = ['/v2', '/apis/bos/v2'] as const;
