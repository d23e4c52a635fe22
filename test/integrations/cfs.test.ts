import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { caught, mockRegistry } from './helpers.js';
import { CfsClient } from '../../src/integrations/cfs.js';

const TOKEN = 'cfs-bearer-secret-token';
const ORIGIN = 'http://127.0.0.1:7001';
const JSONH = { headers: { 'content-type': 'application/json' } };

const mocks = mockRegistry();

function setup(url = ORIGIN) {
  const agent = mocks.agent();
  const client = new CfsClient({ url, dispatcher: agent, token: TOKEN, retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 10, factor: 2 } });
  mocks.track(client);
  return { pool: agent.get(new URL(url).origin), client, calls: () => agent.getCallHistory()?.calls() ?? [] };
}



const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `x${3000 + Math.floor((i + from) / 64)}c0s${(i + from) % 64}b0n0`);

describe('CfsClient against a MockAgent', () => {
  it('patches 2,500 components in 3 PATCHes of at most 1000 ids', async () => {
    const { pool, client, calls } = setup();
    pool.intercept({ path: '/cfs/v3/components', method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}` } }).reply(200, { component_ids: [] }, JSONH).times(3);
    const all = ids(2500);
    const patch = { desired_config: 'compute-25.3', enabled: false, state: [], tags: { bos_session: 'S1' } };
    await client.patchComponents(all, patch);
    const bodies = calls().map((c) => JSON.parse(String(c.body)) as { patch: unknown; filters: { ids: string } });
    expect(bodies.map((b) => b.filters.ids.split(',').length)).toEqual([1000, 1000, 500]);
    expect(bodies.flatMap((b) => b.filters.ids.split(','))).toEqual(all);
    for (const b of bodies) expect(b.patch).toEqual(patch);
    expect(calls()[0]!.headers?.['content-type']).toBe('application/json');
  });

  it('keeps each PATCH under 60,000 characters of ids', async () => {
    const { pool, client, calls } = setup();
    const long = Array.from({ length: 900 }, (_, i) => `node-with-a-rather-long-name-${String(i).padStart(60, '0')}`); // ~90 chars each
    pool.intercept({ path: '/cfs/v3/components', method: 'PATCH' }).reply(200, { component_ids: [] }, JSONH).persist();
    await client.patchComponents(long, { enabled: true });
    const lists = calls().map((c) => (JSON.parse(String(c.body)) as { filters: { ids: string } }).filters.ids);
    expect(lists.length).toBe(2);
    for (const l of lists) expect(l.length).toBeLessThanOrEqual(60_000);
    expect(lists.join(',').split(',')).toEqual(long);
  });

  it('no ids → no request', async () => {
    const { client, calls } = setup();
    await client.patchComponents([], { enabled: true });
    expect(await client.getComponents([])).toEqual(new Map());
    expect(calls()).toHaveLength(0);
  });

  it('a failing PATCH names CFS, the endpoint and the problem detail', async () => {
    const { pool, client } = setup();
    pool
      .intercept({ path: '/cfs/v3/components', method: 'PATCH' })
      .reply(400, { type: 'about:blank', title: 'Bad Request', status: 400, detail: "'compute-25.3-this-name-is-far-too-long' is too long" }, { headers: { 'content-type': 'application/problem+json' } });
    const err = await caught(client.patchComponents(['x1'], { desired_config: 'x' }));
    expect(err.message).toBe(`CFS: PATCH ${ORIGIN}/cfs/v3/components answered 400 Bad Request: 'compute-25.3-this-name-is-far-too-long' is too long`);
    expect(err).toMatchObject({ service: 'cfs', kind: 'http', status: 400, retryable: false });
    expect(JSON.stringify(err) + String(err)).not.toContain(TOKEN);
  });

  it('retries a PATCH on 502', async () => {
    const { pool, client, calls } = setup();
    pool.intercept({ path: '/cfs/v3/components', method: 'PATCH' }).reply(502, 'bad gateway');
    pool.intercept({ path: '/cfs/v3/components', method: 'PATCH' }).reply(200, { component_ids: ['x1'] }, JSONH);
    await client.patchComponents(['x1'], { enabled: true });
    expect(calls()).toHaveLength(2);
  });

  it('reads components by id and follows `next` pages', async () => {
    const { pool, client, calls } = setup();
    const comp = (id: string, status: string) => ({ id, desired_config: 'cfg', enabled: true, configuration_status: status, error_count: 0, tags: { bos_session: 'S1' }, state: [] });
    pool
      .intercept({ path: '/cfs/v3/components?ids=a,b,c', method: 'GET' })
      .reply(200, { components: [comp('a', 'configured'), comp('b', 'pending')], next: { limit: 2, after_id: 'b', ids: 'a,b,c' } }, JSONH);
    pool.intercept({ path: '/cfs/v3/components?ids=a,b,c&limit=2&after_id=b', method: 'GET' }).reply(200, { components: [comp('c', 'failed')], next: null }, JSONH);
    const got = await client.getComponents(['a', 'b', 'c']);
    expect([...got.keys()]).toEqual(['a', 'b', 'c']);
    expect(got.get('a')).toEqual({ id: 'a', desired_config: 'cfg', enabled: true, configuration_status: 'configured', error_count: 0, tags: { bos_session: 'S1' } });
    expect(got.get('c')!.configuration_status).toBe('failed');
    expect(calls().map((c) => c.fullUrl)).toEqual([`${ORIGIN}/cfs/v3/components?ids=a,b,c`, `${ORIGIN}/cfs/v3/components?ids=a,b,c&limit=2&after_id=b`]);
  });

  it('a `next` that does not advance is a protocol error, not a loop', async () => {
    const { pool, client } = setup();
    pool.intercept({ path: '/cfs/v3/components?ids=a', method: 'GET' }).reply(200, { components: [{ id: 'a' }], next: { after_id: 'a', limit: 1 } }, JSONH);
    pool.intercept({ path: '/cfs/v3/components?ids=a&after_id=a&limit=1', method: 'GET' }).reply(200, { components: [], next: { after_id: 'a', limit: 1 } }, JSONH);
    const err = await caught(client.getComponents(['a']));
    expect(err.kind).toBe('protocol');
    expect(err.message).toContain('a next page that does not advance');
  });

  it('splits many ids over several GETs (short URLs)', async () => {
    const { pool, client, calls } = setup();
    const all = ids(1000);
    pool.intercept({ path: (p) => p.startsWith('/cfs/v3/components?ids='), method: 'GET' }).reply(200, (opts) => {
      const q = new URL(String(opts.path), ORIGIN).searchParams.get('ids')!.split(',');
      return { components: q.map((id) => ({ id, desired_config: '', enabled: false, configuration_status: 'unconfigured' })), next: null };
    }).persist();
    const got = await client.getComponents(all);
    expect(got.size).toBe(1000);
    expect(calls().length).toBeGreaterThan(1);
    for (const c of calls()) expect(c.fullUrl.length).toBeLessThan(6_100);
  });

  it('a url ending in /cfs is CFS\'s own base (the spec\'s server URL)', async () => {
    const { pool, client } = setup('https://api-gw-service-nmn.local/apis/cfs/');
    pool.intercept({ path: '/apis/cfs/v3/components', method: 'PATCH' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/apis/cfs/healthz', method: 'GET' }).reply(200, { db_status: 'ok', kafka_status: 'ok' }, JSONH);
    await client.patchComponents(['x1'], { enabled: true });
    await client.ping();
  });

  it('ping: /cfs/healthz, or one component where healthz is missing; 503 is an error after retries', async () => {
    const { pool, client } = setup();
    pool.intercept({ path: '/cfs/healthz', method: 'GET' }).reply(404, '');
    pool.intercept({ path: '/cfs/v3/components?limit=1', method: 'GET' }).reply(200, { components: [], next: null }, JSONH);
    await client.ping();
    pool.intercept({ path: '/cfs/healthz', method: 'GET' }).reply(503, { db_status: 'error', kafka_status: 'ok' }, JSONH).times(3);
    const err = await caught(client.ping());
    expect(err.message).toBe(`CFS: GET ${ORIGIN}/cfs/healthz answered 503 Service Unavailable: {"db_status":"error","kafka_status":"ok"} (after 3 attempts)`);
    expect(err).toMatchObject({ retryable: true, attempts: 3, status: 503 });
  });

  it('rejects ids with commas', async () => {
    const { client } = setup();
    await expect(client.patchComponents(['a,b'], {})).rejects.toThrow(TypeError);
  });
});

describe('CfsClient against a real socket', () => {
  it('PATCH then GET, in batches', async () => {
    const components = new Map<string, { id: string; desired_config: string; enabled: boolean; configuration_status: string }>();
    const all = ids(1500);
    for (const id of all) components.set(id, { id, desired_config: 'old', enabled: true, configuration_status: 'configured' });
    let patches = 0;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://cfs');
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { title: 'Unauthorized', detail: 'no token' });
        if (url.pathname === '/cfs/v3/components' && req.method === 'PATCH') {
          patches++;
          const b = JSON.parse(body) as { patch: Record<string, unknown>; filters: { ids: string } };
          const touched = b.filters.ids.split(',');
          for (const id of touched) Object.assign(components.get(id)!, b.patch, { configuration_status: 'pending' });
          return send(200, { component_ids: touched });
        }
        if (url.pathname === '/cfs/v3/components' && req.method === 'GET') {
          // pages of 100, as a real CFS with a page size would
          const wanted = (url.searchParams.get('ids') ?? '').split(',').sort();
          const after = url.searchParams.get('after_id');
          const rest = wanted.filter((id) => !after || id > after);
          const page = rest.slice(0, 100).map((id) => components.get(id)!).filter(Boolean);
          const next = rest.length > 100 ? { limit: 100, after_id: rest[99], ids: url.searchParams.get('ids') } : null;
          return send(200, { components: page, next });
        }
        send(404, { title: 'Not Found' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    const client = new CfsClient({ url: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 5_000 });
    try {
      await client.patchComponents(all, { desired_config: 'new', enabled: false });
      expect(patches).toBe(2);
      const got = await client.getComponents(all);
      expect(got.size).toBe(1500);
      expect([...got.values()].every((c) => c.desired_config === 'new' && !c.enabled && c.configuration_status === 'pending')).toBe(true);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
