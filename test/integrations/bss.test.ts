import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { caught, mockRegistry } from './helpers.js';
import { BssClient } from '../../src/integrations/bss.js';

const TOKEN = 'eyJhbGciOi.secret-bearer-token';
const ORIGIN = 'https://api-gw-service-nmn.local';
const JSONH = { headers: { 'content-type': 'application/json' } };
const PROBLEM = { headers: { 'content-type': 'application/problem+json' } };

const mocks = mockRegistry();

function setup(over: { token?: string; url?: string; retry?: { attempts: number }; timeoutMs?: number } = {}) {
  const agent = mocks.agent();
  const client = new BssClient({
    url: over.url ?? `${ORIGIN}/apis/bss`,
    dispatcher: agent,
    retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 10, factor: 2, ...(over.retry ?? {}) },
    ...('token' in over ? (over.token === undefined ? {} : { token: over.token }) : { token: TOKEN }),
    ...(over.timeoutMs ? { timeoutMs: over.timeoutMs } : {}),
  });
  mocks.track(client);
  return { pool: agent.get(ORIGIN), client, calls: () => agent.getCallHistory()?.calls() ?? [] };
}



const params = { hosts: ['x1000c0s0b0n0', 'x1000c0s0b0n1'], kernel: 's3://boot-images/abc/kernel', initrd: 's3://boot-images/abc/initrd', params: 'console=ttyS0 root=craycps-s3' };

describe('BssClient against a MockAgent', () => {
  it('PUTs boot parameters with a bearer token and returns the bss-referral-token', async () => {
    const { pool, client, calls } = setup();
    pool
      .intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT', body: JSON.stringify(params), headers: { authorization: `Bearer ${TOKEN}` } })
      .reply(200, '', { headers: { 'bss-referral-token': '0d7bd0b4-2fc3-4b3c-9a2b-7f4a8c1e2d3f' } });
    expect(await client.putBootParameters(params)).toEqual({ token: '0d7bd0b4-2fc3-4b3c-9a2b-7f4a8c1e2d3f' });
    const c = calls()[0]!;
    expect(c.headers?.['content-type']).toBe('application/json');
    expect(c.headers?.accept).toBe('application/json');
  });

  it('no bss-referral-token header → protocol error', async () => {
    const { pool, client } = setup();
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT' }).reply(200, '');
    const err = await caught(client.putBootParameters(params));
    expect(err).toMatchObject({ service: 'bss', kind: 'protocol', status: 200, retryable: false });
    expect(err.message).toBe(`BSS: PUT ${ORIGIN}/apis/bss/boot/v1/bootparameters answered 200 without a bss-referral-token header`);
  });

  it('sends no Authorization header without a token', async () => {
    const { pool, client, calls } = setup({ token: undefined, url: `${ORIGIN}/apis/bss/` });
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT' }).reply(200, '', { headers: { 'bss-referral-token': 't1' } });
    await client.putBootParameters(params);
    expect(calls()[0]!.headers?.authorization).toBeUndefined();
  });

  it('a 400 names BSS, the endpoint and the problem detail, never the token', async () => {
    const { pool, client } = setup();
    pool
      .intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT' })
      .reply(400, { type: 'about:blank', title: 'Bad Request', status: 400, detail: `kernel must be a string (token ${TOKEN})` }, PROBLEM);
    const err = await caught(client.putBootParameters(params));
    expect(err.message).toBe(`BSS: PUT ${ORIGIN}/apis/bss/boot/v1/bootparameters answered 400 Bad Request: kernel must be a string (token ***)`);
    for (const text of [err.message, String(err), JSON.stringify(err)]) expect(text).not.toContain(TOKEN);
  });

  it('retries a PUT on 503 (it is idempotent)', async () => {
    const { pool, client, calls } = setup();
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT' }).reply(503, 'upstream busy');
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT' }).reply(200, '', { headers: { 'bss-referral-token': 't2' } });
    expect(await client.putBootParameters(params)).toEqual({ token: 't2' });
    expect(calls()).toHaveLength(2);
  });

  it('refuses to PUT without hosts', async () => {
    const { client } = setup();
    await expect(client.putBootParameters({ ...params, hosts: [] })).rejects.toThrow(TypeError);
  });

  it('GETs boot parameters by name; names BSS does not know (404) give an empty list', async () => {
    const { pool, client, calls } = setup();
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters?name=x1000c0s0b0n0,x1000c0s0b0n1', method: 'GET' }).reply(
      200,
      [{ hosts: ['x1000c0s0b0n0'], kernel: 'k', initrd: 'i', params: 'p' }, { hosts: ['x1000c0s0b0n1'], kernel: 'k' }],
      JSONH,
    );
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters?name=x9', method: 'GET' }).reply(404, { detail: 'Cannot find host' }, PROBLEM);
    expect(await client.getBootParameters(['x1000c0s0b0n0', 'x1000c0s0b0n1'])).toEqual([
      { hosts: ['x1000c0s0b0n0'], kernel: 'k', initrd: 'i', params: 'p' },
      { hosts: ['x1000c0s0b0n1'], kernel: 'k' },
    ]);
    expect(calls()[0]!.fullUrl).toBe(`${ORIGIN}/apis/bss/boot/v1/bootparameters?name=x1000c0s0b0n0,x1000c0s0b0n1`);
    expect(await client.getBootParameters(['x9'])).toEqual([]);
    expect(await client.getBootParameters([])).toEqual([]);
    expect(calls()).toHaveLength(2);
  });

  it('splits a long name list over several GETs', async () => {
    const { pool, client, calls } = setup();
    const names = Array.from({ length: 1000 }, (_, i) => `x1000c0s${i}b0n0`);
    pool.intercept({ path: (p) => p.startsWith('/apis/bss/boot/v1/bootparameters?name='), method: 'GET' }).reply(200, [], JSONH).persist();
    expect(await client.getBootParameters(names)).toEqual([]);
    const sent = calls().map((c) => c.searchParams.name!.split(','));
    expect(sent.flat()).toEqual(names);
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) expect(s.join(',').length).toBeLessThanOrEqual(6000);
  });

  it('ping: GET /boot/v1/service/status; falls back to /service/version where status is missing', async () => {
    const { pool, client, calls } = setup();
    pool.intercept({ path: '/apis/bss/boot/v1/service/status', method: 'GET' }).reply(200, { 'bss-status': 'running' }, JSONH);
    await client.ping();
    pool.intercept({ path: '/apis/bss/boot/v1/service/status', method: 'GET' }).reply(404, '');
    pool.intercept({ path: '/apis/bss/boot/v1/service/version', method: 'GET' }).reply(200, { 'bss-version': '1.21.0' }, JSONH);
    await client.ping();
    pool.intercept({ path: '/apis/bss/boot/v1/service/status', method: 'GET' }).reply(500, { detail: 'etcd unreachable' }, PROBLEM);
    const err = await caught(client.ping());
    expect(err.message).toBe(`BSS: GET ${ORIGIN}/apis/bss/boot/v1/service/status answered 500 Internal Server Error: etcd unreachable`);
    expect(calls().every((c) => c.headers?.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('a token function is asked before each request', async () => {
    const agent = mocks.agent({});
    let n = 0;
    const client = new BssClient({ url: ORIGIN, dispatcher: agent, token: () => `tok-${++n}` });
    mocks.track(client);
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/boot/v1/service/status', method: 'GET', headers: { authorization: 'Bearer tok-1' } }).reply(200, '{}');
    pool.intercept({ path: '/boot/v1/service/status', method: 'GET', headers: { authorization: 'Bearer tok-2' } }).reply(200, '{}');
    await client.ping();
    await client.ping();
  });

  it('times out (kind timeout) on a slow answer', async () => {
    const { pool, client } = setup({ timeoutMs: 25, retry: { attempts: 1 } });
    pool.intercept({ path: '/apis/bss/boot/v1/bootparameters', method: 'PUT' }).reply(200, '', { headers: { 'bss-referral-token': 't' } }).delay(300);
    const err = await caught(client.putBootParameters(params));
    expect(err).toMatchObject({ kind: 'timeout', service: 'bss', retryable: true });
    await new Promise((r) => setTimeout(r, 320));
  });
});

describe('BssClient against a real socket', () => {
  it('PUT then GET', async () => {
    const stored = new Map<string, { kernel: string; initrd: string; params: string }>();
    const seenAuth: string[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seenAuth.push(String(req.headers.authorization));
        const url = new URL(req.url ?? '/', 'http://bss');
        if (url.pathname === '/boot/v1/bootparameters' && req.method === 'PUT') {
          const b = JSON.parse(body) as { hosts: string[]; kernel: string; initrd: string; params: string };
          for (const h of b.hosts) stored.set(h, { kernel: b.kernel, initrd: b.initrd, params: b.params });
          res.writeHead(200, { 'BSS-Referral-Token': 'real-token-1' });
          return res.end();
        }
        if (url.pathname === '/boot/v1/bootparameters' && req.method === 'GET') {
          const names = (url.searchParams.get('name') ?? '').split(',');
          const out = names.filter((n) => stored.has(n)).map((n) => ({ hosts: [n], ...stored.get(n)! }));
          res.writeHead(out.length ? 200 : 404, { 'content-type': 'application/json' });
          return res.end(JSON.stringify(out.length ? out : { detail: 'not found' }));
        }
        res.writeHead(404);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    const client = new BssClient({ url: `http://127.0.0.1:${port}`, token: 'tkn-abcdef', timeoutMs: 5_000 });
    try {
      expect(await client.putBootParameters(params)).toEqual({ token: 'real-token-1' });
      expect(await client.getBootParameters(['x1000c0s0b0n1', 'x1'])).toEqual([{ hosts: ['x1000c0s0b0n1'], kernel: params.kernel, initrd: params.initrd, params: params.params }]);
      expect(seenAuth).toEqual(['Bearer tkn-abcdef', 'Bearer tkn-abcdef']);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
