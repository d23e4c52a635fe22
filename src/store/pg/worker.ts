/**
 * The worker thread that owns the PostgreSQL connections: one for the store's statements, one
 * that LISTENs for other connections' commits. The store's thread posts a statement list and
 * blocks (Atomics.wait) until this thread answers on the same port and sets REPLY.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import { withLiterals } from './literals.js';
import { NOTIFIED, REPLY, type Reply, type Request, type Stmt, type WireError, type WorkerInit } from './protocol.js';

// BIGINT columns hold SQLite's INTEGER values: numbers, as better-sqlite3 returns them.
pg.types.setTypeParser(20, (v: string) => Number(v));

const { config, shared, channel, lockTimeoutMs, port } = workerData as WorkerInit & { port: MessagePort };
const flags = new Int32Array(shared);

function clientConfig(): pg.ClientConfig {
  const ssl = config.ssl
    ? {
      ca: config.ssl.ca, cert: config.ssl.cert, key: config.ssl.key, rejectUnauthorized: config.ssl.rejectUnauthorized,
      // node-postgres gives TLS no host name for an IP address: check the certificate against the host we asked for.
      checkServerIdentity: config.ssl.verifyHost ? (_: string, cert: PeerCertificate) => checkServerIdentity(config.host, cert) : () => undefined,
    }
    : false;
  return {
    host: config.host, port: config.port, user: config.user, database: config.database,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ssl, application_name: config.applicationName, connectionTimeoutMillis: config.connectTimeoutMs, keepAlive: true,
  };
}

let main: pg.Client | undefined;
let mainPid = 0;
let listener: pg.Client | undefined;
let listenRetry: NodeJS.Timeout | undefined;
const names = new Map<string, string>();

async function connectMain(): Promise<pg.Client> {
  const c = new pg.Client(clientConfig());
  let dead = false;
  const lose = () => { dead = true; if (main === c) main = undefined; };
  c.on('error', lose);
  c.on('end', lose);
  // LISTEN is on before the first statement (no commit after open goes uncounted); both connect at once.
  const listening = listener ? undefined : listen();
  await c.connect();
  if (dead) throw Object.assign(new Error('the connection closed as it opened'), { lost: true });
  await c.query(`SET lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}; SET TIME ZONE 'UTC'`);
  main = c;
  mainPid = (c as unknown as { processID: number }).processID;
  names.clear();
  await listening;
  return c;
}

/** Counts other connections' commits; after losing its connection it counts one (it may have missed some). */
async function listen(): Promise<void> {
  if (listenRetry) return;
  const c = new pg.Client(clientConfig());
  const again = () => {
    if (listener === c) listener = undefined;
    c.removeAllListeners('notification');
    Atomics.add(flags, NOTIFIED, 1);
    if (!closing && !listenRetry) listenRetry = setTimeout(() => { listenRetry = undefined; void listen(); }, 500);
  };
  c.on('error', again);
  c.on('notification', (n) => { if (n.processId !== mainPid) Atomics.add(flags, NOTIFIED, 1); });
  try {
    await c.connect();
    await c.query(`LISTEN "${channel}"`);
    listener = c;
    c.on('end', again);
  } catch {
    again();
    c.end().catch(() => undefined);
  }
}

function wire(e: unknown, lost: boolean): WireError {
  const err = e as { code?: string; message?: string; detail?: string; errors?: Array<{ code?: string; message?: string }> };
  const first = err.errors?.[0];
  const code = err.code ?? first?.code;
  const message = err.message || first?.message || String(e);
  return { code, message, detail: err.detail, lost: lost || /Connection terminated|connection.*(closed|ended)|ECONNRESET/i.test(message) };
}

let closing = false;

async function handle(req: Request): Promise<Reply> {
  if (req.t === 'close') {
    closing = true;
    if (listenRetry) clearTimeout(listenRetry);
    await Promise.allSettled([main?.end(), listener?.end()]);
    main = undefined;
    listener = undefined;
    return { ok: true, results: [] };
  }
  let c = main;
  if (!c) {
    if (req.inTx) return { ok: false, index: 0, error: { message: 'the connection to PostgreSQL was lost during the transaction', lost: true } };
    try {
      c = await connectMain();
    } catch (e) {
      return { ok: false, index: 0, error: wire(e, true) };
    }
  }
  const results: Array<{ rows: Array<Record<string, unknown>>; rowCount: number }> = [];
  for (let i = 0; i < req.stmts.length;) {
    const n = batchLength(req.stmts, i);
    try {
      if (n > 1) {
        results.push(...await runBatch(c, req.stmts.slice(i, i + n)));
      } else {
        const r = await runOne(c, req.stmts[i]!);
        results.push({ rows: r.rows ?? [], rowCount: r.rowCount ?? 0 });
      }
    } catch (e) {
      return { ok: false, index: i, error: wire(e, main !== c) };
    }
    i += n;
  }
  return { ok: true, results };
}

const MULTI = /;\s*\S/;

async function runOne(c: pg.Client, s: Stmt): Promise<pg.QueryResult> {
  if (s.values.length === 0 && !names.has(s.text) && MULTI.test(s.text)) {
    // Several statements (DDL): the simple protocol, no parameters.
    const all = await c.query(s.text) as unknown as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(all) ? all[all.length - 1]! : all;
  }
  let name = names.get(s.text);
  // Statements are prepared once per connection by name; a bound keeps the server's share small.
  if (!name && names.size < 2000) { name = `b${names.size + 1}`; names.set(s.text, name); }
  return c.query(name ? { name, text: s.text, values: s.values } : { text: s.text, values: s.values });
}

/**
 * How many statements from `i` on go to the server as one message: node-postgres waits for
 * each answer before it sends the next statement, so a transaction's queued writes would cost
 * a round trip each. A run of single statements (the last may be several, as "NOTIFY; COMMIT")
 * goes as one simple-protocol message, its values written in as literals.
 */
function batchLength(stmts: Stmt[], i: number): number {
  let n = 0;
  while (i + n < stmts.length && n < 5000) {
    const s = stmts[i + n]!;
    // A statement with a large value (a group's rows as JSON) goes alone, as parameters: it
    // is one round trip, and its value is not copied into the text.
    if (valueSize(s) > BIG_VALUE) return Math.max(n, 1);
    const multi = MULTI.test(s.text);
    n++;
    if (multi) break;
  }
  return n;
}

const BIG_VALUE = 64 * 1024;

function valueSize(s: Stmt): number {
  let n = 0;
  for (const v of s.values) if (typeof v === 'string') n += v.length;
  return n;
}

async function runBatch(c: pg.Client, stmts: Stmt[]): Promise<Array<{ rows: Array<Record<string, unknown>>; rowCount: number }>> {
  const text = stmts.map((s) => withLiterals(s)).join(';\n');
  const got = await c.query(text) as unknown as pg.QueryResult | pg.QueryResult[];
  const all = Array.isArray(got) ? got : [got];
  // One result per statement; a last text of several statements answers with its last one's.
  return stmts.map((_, k) => {
    const r = k < stmts.length - 1 ? all[k]! : all[all.length - 1]!;
    return { rows: r.rows ?? [], rowCount: r.rowCount ?? 0 };
  });
}

port.on('message', (req: Request) => {
  // Whatever happens, the store's thread gets an answer: it is blocked until it does.
  void handle(req).catch((e): Reply => ({ ok: false, index: 0, error: wire(e, false) })).then((reply) => {
    port.postMessage(reply);
    Atomics.store(flags, REPLY, 1);
    Atomics.notify(flags, REPLY);
    if (req.t === 'close') port.close();
  });
});
