/**
 * Tenants from CSM's TAPMS (bosd.yaml tapms_url), against a tiny TAPMS stand-in on 127.0.0.1:
 * GET /v1alpha3/tenants/{name} → status.tenantresources[].xnames, 404 for no such tenant, as
 * BOS's src/bos/common/tenant_utils.py reads it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/server.js';
import { TapmsTenants } from '../../src/integrations/tapms.js';
import { startApi, XNAMES, type Harness } from '../api/helpers.js';

let tapms: Server;
let tapmsUrl: string;
const asked: string[] = [];

beforeAll(async () => {
  tapms = createServer((req, res) => {
    asked.push(req.url ?? '');
    const m = /^\/v1alpha3\/tenants\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && m && m[1] === 'vcluster-blue') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        metadata: { name: 'vcluster-blue' },
        spec: { tenantname: 'vcluster-blue', tenantresources: [{ type: 'compute', xnames: [XNAMES[0]] }] },
        status: { tenantresources: [{ type: 'compute', hsmgrouplabel: 'blue', xnames: [XNAMES[0], XNAMES[1]] }] },
      }));
      return;
    }
    if (m && m[1] === 'broken') { res.writeHead(500); res.end('oops'); return; }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"message":"not found"}');
  });
  await new Promise<void>((r) => tapms.listen(0, '127.0.0.1', () => r()));
  tapmsUrl = `http://127.0.0.1:${(tapms.address() as AddressInfo).port}`;
});
afterAll(async () => { await new Promise<void>((r) => tapms.close(() => r())); });

describe('TapmsTenants', () => {
  it('reads a tenant\'s xnames from status.tenantresources and keeps the answer for its TTL', async () => {
    let now = 0;
    const t = new TapmsTenants({ url: tapmsUrl + '/', ttlMs: 10_000, clock: () => now });
    expect([...(await t.nodes('vcluster-blue'))!]).toEqual([XNAMES[0], XNAMES[1]]);
    now = 9_999;
    await t.nodes('vcluster-blue');
    expect(t.calls).toBe(1);
    now = 10_000;
    await t.nodes('vcluster-blue');
    expect(t.calls).toBe(2);
  });

  it('answers undefined for a tenant TAPMS does not know (404), and an error for a failing TAPMS', async () => {
    const t = new TapmsTenants({ url: tapmsUrl });
    expect(await t.nodes('nobody')).toBeUndefined();
    await expect(t.nodes('broken')).rejects.toMatchObject({ code: 'BOS_TAPMS_UNAVAILABLE' });
  });
});

describe('bosd with tapms_url', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    h = await startApi();
    const t = new TapmsTenants({ url: tapmsUrl });
    server = createServer(createApi({
      store: h.store, now: () => new Date(h.clock.ms), version: '0.1.0', onChange() {}, log() {}, isTrustedSocket: () => false,
      externalTenants: (name) => t.nodes(name),
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await h.close();
  });
  const get = (path: string, tenant: string) => fetch(url + path, { headers: { authorization: `Bearer ${h.admin}`, 'Cray-Tenant-Name': tenant } });

  it('confines a TAPMS tenant to its xnames', async () => {
    const r = await get('/v2/components', 'vcluster-blue');
    expect(r.status).toBe(200);
    expect(((await r.json()) as Array<{ id: string }>).map((c) => c.id)).toEqual([XNAMES[0], XNAMES[1]]);
    expect(asked).toContain('/v1alpha3/tenants/vcluster-blue');
  });

  it('answers 400 for a tenant neither the registry nor TAPMS knows, 503 when TAPMS fails', async () => {
    const unknown = await get('/v2/components', 'nobody');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { title: string }).title).toBe('Invalid tenant');
    expect((await get('/v2/components', 'broken')).status).toBe(503);
  });
});

describe('tapms_url in bosd.yaml', () => {
  it('is read, and refused when not an http(s) URL or when it carries credentials', async () => {
    const { loadConfig } = await import('../../src/daemon/config.js');
    const base = { bssUrl: 'http://127.0.0.1:1' };
    expect((await loadConfig(undefined, { ...base, tapmsUrl: 'http://cray-tapms' }, '/tmp/x.db')).tapmsUrl).toBe('http://cray-tapms');
    expect((await loadConfig(undefined, base, '/tmp/x.db')).tapmsUrl).toBeNull();
    await expect(loadConfig(undefined, { ...base, tapmsUrl: 'cray-tapms' }, '/tmp/x.db')).rejects.toThrow(/invalid tapms_url "cray-tapms": expected an http\(s\) URL/);
    await expect(loadConfig(undefined, { ...base, tapmsUrl: 'http://u:p@cray-tapms' }, '/tmp/x.db')).rejects.toThrow(/tapms_url must not carry credentials/);
  });
});
