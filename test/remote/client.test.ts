/**
 * RemoteBackend beyond the contract: roles and tokens, the transport (retries, time-outs,
 * no keep-alive, unix socket, https with a CA bundle), error answers, and server URLs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/server.js';
import { parseServerUrl } from '../../src/client/endpoint.js';
import { RemoteBackend } from '../../src/client/remote-backend.js';
import { isBosError, type BosError } from '../../src/core/errors.js';
import { createToken } from '../../src/services/tokens.js';
import { Store } from '../../src/store/store.js';
import { VERSION } from '../../src/version.js';
import { NODES, TEMPLATE } from './contract.js';
import { ACTOR, removeTmpDirs, startApi, tmpDir, type InProcessApi } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });
afterAll(() => removeTmpDirs());

const FAST = { backoffMs: 20, connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

async function api(): Promise<InProcessApi> {
  const a = await startApi();
  cleanups.push(() => a.close());
  return a;
}

async function caught(p: Promise<unknown>): Promise<BosError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isBosError(e)) throw new Error(`expected a BosError, got ${String((e as Error)?.stack ?? e)}`);
  expect(e.message).not.toMatch(/\n/);
  return e;
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => { (server as Server).closeAllConnections?.(); server.close(() => r()); }));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A TCP proxy to `port` that resets the first `resets` connections once the request arrives. */
async function resettingProxy(port: number, resets: number): Promise<{ url: string; connections: () => number }> {
  let n = 0;
  const server = createNetServer((client: Socket) => {
    n++;
    client.on('error', () => {});
    if (n <= resets) {
      client.once('data', () => client.resetAndDestroy());
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const p = await listen(server);
  return { url: `http://127.0.0.1:${p}`, connections: () => n };
}

async function seeded(a: InProcessApi): Promise<RemoteBackend> {
  const admin = new RemoteBackend({ server: a.url, token: a.adminSecret, transport: FAST });
  await admin.importInventory(NODES);
  await admin.createTemplate('compute-v2', TEMPLATE);
  await admin.createSession({ name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true });
  return admin;
}

function tokenFor(a: InProcessApi, role: 'wlm' | 'node'): string {
  return createToken({ store: a.store, actor: ACTOR, now: () => new Date() }, { role }).secret;
}

describe('roles and tokens', () => {
  it('a wlm token may apply staged state and read components, and gets BOS_FORBIDDEN (exit 1) for the rest', async () => {
    const a = await api();
    await seeded(a);
    const wlm = new RemoteBackend({ server: a.url, token: tokenFor(a, 'wlm'), transport: FAST });
    const r = await wlm.applyStaged(['nid[000001-000002]']);
    expect(r.succeeded).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    expect((await wlm.listComponents({ enabled: true })).map((c) => c.id)).toEqual(['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    expect((await wlm.getComponent('cn01')).id).toBe('x1000c0s0b0n0');
    const e = await caught(wlm.createSession({ template_name: 'compute-v2', operation: 'reboot', stage: true }));
    expect(e.code).toBe('BOS_FORBIDDEN');
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/role wlm\) may not POST \/v2\/sessions/);
    expect((await caught(wlm.listTokens())).code).toBe('BOS_FORBIDDEN');
  });

  it('a wrong token is BOS_UNAUTHORIZED (exit 1), and no message holds a secret', async () => {
    const a = await api();
    const secret = 'bos_abcdefgh_' + 'A'.repeat(43);
    const e = await caught(new RemoteBackend({ server: a.url, token: secret, transport: FAST }).listComponents({}));
    expect(e.code).toBe('BOS_UNAUTHORIZED');
    expect(e.exitCode).toBe(1);
    expect(`${e.message} ${e.hint}`).not.toContain(secret);
    const none = await caught(new RemoteBackend({ server: a.url, transport: FAST }).listComponents({}));
    expect(none.code).toBe('BOS_UNAUTHORIZED');
    expect(none.hint).toMatch(/no token was given: pass --token-file FILE/);
  });

  it('reads the token from a file, and says which file is wrong without quoting it', async () => {
    const a = await api();
    const d = tmpDir();
    const f = join(d, 'token');
    writeFileSync(f, `${a.adminSecret}\n`, { mode: 0o600 });
    expect(await new RemoteBackend({ server: a.url, tokenFile: f, transport: FAST }).listComponents({})).toEqual([]);
    const missing = await caught(new RemoteBackend({ server: a.url, tokenFile: join(d, 'nope'), transport: FAST }).listComponents({}));
    expect(missing.code).toBe('BOS_FILE_UNREADABLE');
    expect(missing.message).toBe(`cannot read token file ${join(d, 'nope')}: no such file`);
    writeFileSync(f, `${a.adminSecret}\nsecond line with secret-ish text\n`);
    const two = await caught(new RemoteBackend({ server: a.url, tokenFile: f, transport: FAST }).listComponents({}));
    expect(two.code).toBe('BOS_VALUE_INVALID');
    expect(two.message).not.toContain(a.adminSecret);
    writeFileSync(f, '  \n');
    expect((await caught(new RemoteBackend({ server: a.url, tokenFile: f, transport: FAST }).listComponents({}))).message).toMatch(/is empty$/);
  });

  it('removes the secret from any message, even one a server echoes', async () => {
    const secret = 'bos_abcdefgh_' + 'B'.repeat(43);
    const server = createServer((req, res) => {
      const body = JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: `you sent ${req.headers.authorization}` });
      res.writeHead(400, { 'Content-Type': 'application/problem+json' }).end(body);
    });
    const port = await listen(server);
    const e = await caught(new RemoteBackend({ server: `http://127.0.0.1:${port}`, token: secret, transport: FAST }).listComponents({}));
    expect(e.message).toBe('you sent Bearer ***');
  });
});

describe('transport', () => {
  it('sends one request per connection, closed after the answer, with its User-Agent and bearer token', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const server = createServer((req, res) => { seen.push(req.headers); res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]'); });
    const port = await listen(server);
    const b = new RemoteBackend({ server: `http://127.0.0.1:${port}`, token: 'bos_abcdefgh_x', userAgent: `bosctl/${VERSION} (alice@login1)`, transport: FAST });
    await b.listComponents({});
    await b.listInventory();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ connection: 'close', 'user-agent': `bosctl/${VERSION} (alice@login1)`, authorization: 'Bearer bos_abcdefgh_x', host: `127.0.0.1:${port}` });
  });

  it('bosd not running: BOS_SERVER_UNREACHABLE naming the server, after 3 attempts', async () => {
    const port = await deadPort();
    const t0 = Date.now();
    const e = await caught(new RemoteBackend({ server: `http://127.0.0.1:${port}`, token: 'x', transport: { backoffMs: 100 } }).applyStaged(['nid000001']));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`bosd at http://127.0.0.1:${port} is not reachable: connection refused (3 attempts)`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('an unknown host is not retried', async () => {
    const e = await caught(new RemoteBackend({ server: 'http://no-such-host.invalid:8180', transport: FAST }).listComponents({}));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e.message).toMatch(/^bosd at http:\/\/no-such-host\.invalid:8180 is not reachable: (no such host|cannot resolve)/);
  });

  it('retries POST /applystaged after a reset, but not POST /sessions', async () => {
    const a = await api();
    await seeded(a);
    const apply = await resettingProxy(Number(new URL(a.url).port), 2);
    const b = new RemoteBackend({ server: apply.url, token: a.adminSecret, transport: FAST });
    expect((await b.applyStaged(['cn01'])).succeeded).toEqual(['x1000c0s0b0n0']);
    expect(apply.connections()).toBe(3);

    const create = await resettingProxy(Number(new URL(a.url).port), 1);
    const c = new RemoteBackend({ server: create.url, token: a.adminSecret, transport: FAST });
    const e = await caught(c.createSession({ name: 'once', template_name: 'compute-v2', operation: 'reboot', stage: true }));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(create.connections()).toBe(1);
    // GETs are retried.
    const list = await resettingProxy(Number(new URL(a.url).port), 1);
    expect(await new RemoteBackend({ server: list.url, token: a.adminSecret, transport: FAST }).listSessions({})).toHaveLength(1);
    expect(list.connections()).toBe(2);
  });

  it('retries a refused connection for any request (nothing was sent), at most 3 times', async () => {
    const port = await deadPort();
    const a = await api();
    const server = createServer(createApi({ store: a.store, now: () => new Date(), version: VERSION, onChange: () => {}, log: () => {} }));
    setTimeout(() => server.listen(port, '127.0.0.1'), 50);
    cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const b = new RemoteBackend({ server: `http://127.0.0.1:${port}`, token: a.adminSecret, transport: { backoffMs: 250 } });
    expect((await b.importInventory(NODES)).added).toHaveLength(4);
  });

  it('gives up on an answer after the whole-request time-out, without retrying', async () => {
    let n = 0;
    const sockets: Socket[] = [];
    const server = createNetServer((s) => { n++; sockets.push(s); s.on('error', () => {}); });
    const port = await listen(server);
    cleanups.push(() => { for (const s of sockets) s.destroy(); });
    const t0 = Date.now();
    const e = await caught(new RemoteBackend({ server: `http://127.0.0.1:${port}`, transport: { requestTimeoutMs: 300, backoffMs: 10 } }).listComponents({}));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e.message).toBe(`bosd at http://127.0.0.1:${port} is not reachable: no answer within 0.3 s`);
    expect(n).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('works over bosd\'s unix socket without a token (its peers are admins), and never sends one there', async () => {
    const d = tmpDir();
    const store = Store.open(join(d, 'bosd.db'));
    let auth: string | undefined = 'unset';
    const handler = createApi({ store, now: () => new Date(), version: VERSION, onChange: () => {}, log: () => {}, isTrustedSocket: () => true });
    const server = createServer((req, res) => { auth = req.headers.authorization; handler(req, res); });
    const sock = join(d, 'bosd.sock');
    await new Promise<void>((r) => server.listen(sock, () => r()));
    cleanups.push(() => new Promise<void>((r) => { server.close(() => { store.close(); r(); }); }));
    const b = new RemoteBackend({ server: `unix://${sock}`, token: 'bos_abcdefgh_never', transport: FAST });
    expect((await b.importInventory(NODES)).added).toHaveLength(4);
    expect(auth).toBeUndefined();
    const gone = await caught(new RemoteBackend({ server: `unix://${join(d, 'nope.sock')}`, transport: FAST }).listComponents({}));
    expect(gone.message).toBe(`bosd at unix://${join(d, 'nope.sock')} is not reachable: no such socket (3 attempts)`);
  });
});

let hasOpenssl = true;
try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); } catch { hasOpenssl = false; }

describe.skipIf(!hasOpenssl)('https with a private CA', () => {
  it('refuses the certificate without --ca-bundle (with a hint), and works with it', async () => {
    const d = tmpDir();
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'ignore' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bosctl test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'bosd.key', '-out', 'bosd.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'bosd.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'bosd.pem', '-days', '2', '-extfile', 'ext.cnf');
    const store = Store.open(join(d, 'bosd.db'));
    const secret = createToken({ store, actor: ACTOR, now: () => new Date() }, { role: 'admin' }).secret;
    const server = createHttpsServer({ key: readFileSync(join(d, 'bosd.key')), cert: readFileSync(join(d, 'bosd.pem')) },
      createApi({ store, now: () => new Date(), version: VERSION, onChange: () => {}, log: () => {} }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => { store.close(); r(); }); }));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const e = await caught(new RemoteBackend({ server: url, token: secret, transport: FAST }).listComponents({}));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e.message).toMatch(/is not reachable: TLS: /);
    expect(e.hint).toMatch(/--ca-bundle/);
    expect(await new RemoteBackend({ server: url, token: secret, caBundle: join(d, 'ca.pem'), transport: FAST }).listComponents({})).toEqual([]);
  });
});

describe('error answers', () => {
  async function answering(status: number, body: string, type = 'application/problem+json'): Promise<RemoteBackend> {
    const server = createServer((_req, res) => { res.writeHead(status, { 'Content-Type': type }).end(body); });
    const port = await listen(server);
    return new RemoteBackend({ server: `http://127.0.0.1:${port}`, transport: { ...FAST, attempts: 1 } });
  }

  it('a proxy\'s 502 page is BOS_SERVER_UNREACHABLE; a bare 500 is BOS_INTERNAL; both one line', async () => {
    const e502 = await caught((await answering(502, '<html>\n<h1>Bad Gateway</h1>\n</html>', 'text/html')).listComponents({}));
    expect(e502.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e502.message).toMatch(/answered 502 \(HTTP 502\)$/);
    const e500 = await caught((await answering(500, JSON.stringify({ title: 'x', status: 500, detail: 'internal error; see bosd\'s log' }))).listComponents({}));
    expect(e500.code).toBe('BOS_INTERNAL');
    expect(e500.message).toBe('internal error; see bosd\'s log');
  });

  it('takes the problem\'s code and hint when bosd sends them', async () => {
    const e = await caught((await answering(409, JSON.stringify({ status: 409, detail: 'it is busy', code: 'BOS_CONFLICT', hint: 'wait' }))).listComponents({}));
    expect([e.code, e.exitCode, e.message, e.hint]).toEqual(['BOS_CONFLICT', 4, 'it is busy', 'wait']);
  });

  it('reads the code from the problem\'s type (urn:bosctl:problem:CODE)', async () => {
    const e = await caught((await answering(400, JSON.stringify({ type: 'urn:bosctl:problem:BOS_NO_NODES', status: 400, detail: 'no nodes given' }))).listComponents({}));
    expect([e.code, e.exitCode, e.message]).toEqual(['BOS_NO_NODES', 2, 'no nodes given']);
    expect(e.hint).toMatch(/^name nodes as xnames/);
  });

  it('without a code, understands the services\' words, with the hints they give', async () => {
    const problem = (status: number, detail: string) => JSON.stringify({ type: 'about:blank', status, detail });
    const cases: Array<[number, string, string, number]> = [
      [409, 'session template "t" already exists', 'BOS_TEMPLATE_EXISTS', 4],
      [409, 'session "s" already exists', 'BOS_SESSION_EXISTS', 4],
      [404, 'session "s" does not exist', 'BOS_SESSION_NOT_FOUND', 3],
      [404, 'component "c" does not exist', 'BOS_COMPONENT_NOT_FOUND', 3],
      [400, 'unknown operation "x": expected boot, reboot or shutdown', 'BOS_OPERATION_INVALID', 2],
      [400, 'limit names an unknown node, group or role: x', 'BOS_LIMIT_UNKNOWN_NAME', 2],
      [400, 'invalid value "x" for option clear_stage: expected true or false', 'BOS_OPTION_INVALID', 2],
      [400, 'something new', 'BOS_VALUE_INVALID', 2],
      [413, 'request body is larger than 1 bytes', 'BOS_BODY_TOO_LARGE', 2],
      [503, 'database /x stayed locked for 5 s', 'BOS_DB_BUSY', 1],
    ];
    for (const [status, detail, code, exit] of cases) {
      const e = await caught((await answering(status, problem(status, detail))).listComponents({}));
      expect([detail, e.code, e.exitCode, e.message]).toEqual([detail, code, exit, detail]);
    }
    const bmc = await caught((await answering(400, problem(400, 'invalid node xname "x1000c0s0b0": expected x<cabinet>c<chassis>s<slot>b<bmc>n<node>, e.g. x3000c0s19b1n0'))).listComponents({}));
    expect(bmc.code).toBe('BOS_XNAME_INVALID');
    expect(bmc.hint).toMatch(/is a BMC xname; add n<node>/);
    const none = await caught((await answering(400, problem(400, 'session would act on no nodes: template "t" matches no enabled node of the inventory'))).listComponents({}));
    expect([none.code, none.hint]).toEqual(['BOS_LIMIT_INVALID', 'check the template\'s node_list, node_groups and node_roles_groups and the limit against "bosctl inventory list"']);
  });

  it('a success that is not JSON says so', async () => {
    const e = await caught((await answering(200, '<html></html>', 'text/html')).listComponents({}));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e.message).toMatch(/with a body that is not JSON$/);
  });
});

describe('server URLs', () => {
  it('parses http, https with a path prefix, and unix sockets', () => {
    expect(parseServerUrl('http://127.0.0.1:8180')).toMatchObject({ scheme: 'http', host: '127.0.0.1', port: 8180, basePath: '', display: 'http://127.0.0.1:8180' });
    expect(parseServerUrl('https://api-gw-service-nmn.local/apis/bos/')).toMatchObject({ scheme: 'https', port: 443, basePath: '/apis/bos' });
    expect(parseServerUrl('https://bosd:8443/v2')).toMatchObject({ basePath: '', port: 8443 });
    expect(parseServerUrl('http://[::1]:8180')).toMatchObject({ host: '::1', display: 'http://[::1]:8180' });
    expect(parseServerUrl('unix:///run/bosd/bosd.sock')).toMatchObject({ scheme: 'unix', socketPath: '/run/bosd/bosd.sock', display: 'unix:///run/bosd/bosd.sock' });
    expect(parseServerUrl('unix:/run/bosd/bosd.sock')).toMatchObject({ socketPath: '/run/bosd/bosd.sock' });
  });

  it('refuses other schemes, relative sockets and credentials, without echoing them', () => {
    const err = (s: string) => { try { parseServerUrl(s); } catch (e) { return e as BosError; } throw new Error('parsed'); };
    expect(err('ftp://x').code).toBe('BOS_VALUE_INVALID');
    expect(err('unix://relative.sock').message).toMatch(/absolute path/);
    const creds = err('https://admin:hunter2@bosd:8443');
    expect(creds.message).toBe('invalid server URL "https://***@bosd:8443": it holds credentials; bosd takes a bearer token: use --token-file FILE (or BOSCTL_TOKEN_FILE)');
    expect(err('bosd:8180').message).toMatch(/unsupported scheme "bosd"/);
    expect(err('').exitCode).toBe(2);
  });
});
