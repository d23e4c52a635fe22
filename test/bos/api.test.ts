/**
 * bosd's API as BOS answers it, without the daemon: each test names the BOS source it mirrors
 * (Cray-HPE/bos, src/bos/...). And `bosctl -o json` prints the documents the API serves.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/server.js';
import { createS3Client } from '../../src/integrations/s3.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { importInventory } from '../../src/services/inventory.js';
import { createTemplate } from '../../src/services/templates.js';

import { dump, startApi, type Harness } from '../api/helpers.js';
import { json as bosctlJson } from '../cli/helpers.js';

describe('version (server/controllers/v2/base.py, controllers/base.py)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startApi({ seed: false }); });
  afterAll(async () => { await h.close(); });

  it('/v2 and /v2/version give the BOS API version bosd implements, bosd\'s own in a header; / lists it', async () => {
    for (const path of ['/v2', '/v2/version', '/apis/bos/v2/version']) {
      const r = await h.call('GET', path, { token: null });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ major: '2', minor: '50', patch: '0', links: [{ rel: 'self', href: '/' }, { rel: 'versions', href: '/v2' }] });
      expect(r.headers.get('bosd-version')).toBe('0.1.0');
    }
    expect((await h.call('GET', '/', { token: null })).json).toEqual([{ major: '2', minor: '50', patch: '0', links: [{ rel: 'self', href: '/' }] }]);
  });
});

describe('S3 unreachable while a session is created (server/controllers/v2/sessions.py: the template fails its check)', () => {
  let h: Harness;
  let server: Server;
  let dir: string;
  beforeAll(async () => {
    h = await startApi({ seed: false });
    dir = h.dir;
    // A port nothing listens on: open one, note it, close it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const s3 = () => createS3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', access_key: 'k', secret_key: 's' }, { retry: { attempts: 1 }, timeoutMs: 2000 });
    const ctx = h.ctx();
    importInventory(ctx, [normalizeInventoryRecord({ xname: 'x1000c0s0b0n0', nid: 1, role: 'Compute' }, 'n1')]);
    createTemplate(ctx, 'img', { boot_sets: { compute: { path: 's3://boot-images/abc/manifest.json', type: 's3', node_list: ['x1000c0s0b0n0'] } } } as never);
    server = createServer(createApi({ store: h.store, now: () => new Date(), version: '0.1.0', onChange() {}, log() {}, isTrustedSocket: () => false, s3 }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await h.close();
    void dir;
  });

  it('answers 400 with the reason, and stores nothing', async () => {
    const before = dump(h.store);
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/v2/sessions`, {
      method: 'POST', headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ template_name: 'img', operation: 'reboot' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/S3 is unreachable/);
    expect(dump(h.store)).toBe(before);
  });
});

describe('newly discovered components (operators/discovery.py, common/values.py)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startApi({ seed: false }); });
  afterAll(async () => { await h.close(); });

  it('an inventory import adds each new node as BOS discovers it: empty states, disabled, newly_discovered', async () => {
    const r = await h.call('POST', '/v2/inventory', { body: [{ xname: 'x3000c0s1b0n0', nid: 9, role: 'Compute' }] });
    expect(r.status, r.text).toBeLessThan(300);
    const c = await h.call('GET', '/apis/bos/v2/components/x3000c0s1b0n0');
    const empty = { kernel: '', kernel_parameters: '', initrd: '' };
    expect(c.json).toMatchObject({
      id: 'x3000c0s1b0n0', enabled: false, error: '', session: '',
      actual_state: { boot_artifacts: empty, bss_token: '' },
      desired_state: { boot_artifacts: empty, configuration: '', bss_token: '' },
      last_action: { action: 'newly_discovered', failed: false },
    });
  });
});

describe('a boot set\'s name is writeOnly (server/controllers/v2/sessiontemplates.py, boot_set/sanitize.py)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startApi({ seed: false }); });
  afterAll(async () => { await h.close(); });

  it('is accepted when equal to its key, neither stored nor echoed; a different name is 400 and nothing is stored', async () => {
    const bs = { kernel: 's3://b/k', initrd: 's3://b/i', node_list: ['x1000c0s0b0n0'] };
    const put = await h.call('PUT', '/v2/sessiontemplates/named', { body: { boot_sets: { compute: { ...bs, name: 'compute' } } } });
    expect(put.status, put.text).toBe(200);
    expect((put.json as { boot_sets: Record<string, object> }).boot_sets.compute).not.toHaveProperty('name');
    const got = await h.call('GET', '/v2/sessiontemplates/named');
    expect((got.json as { boot_sets: Record<string, object> }).boot_sets.compute).not.toHaveProperty('name');
    const patched = await h.call('PATCH', '/v2/sessiontemplates/named', { body: { boot_sets: { compute: { ...bs, name: 'compute' } } } });
    expect((patched.json as { boot_sets: Record<string, object> }).boot_sets.compute).not.toHaveProperty('name');
    const before = dump(h.store);
    const bad = await h.call('PUT', '/v2/sessiontemplates/other', { body: { boot_sets: { compute: { ...bs, name: 'gpu' } } } });
    expect(bad.status).toBe(400);
    expect(dump(h.store)).toBe(before);
  });
});

describe('bosctl -o json prints the documents the API serves', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
    // A complete session with a saved status, beside the seed's pending staged session.
    await h.call('POST', '/v2/sessions', { body: { name: 'done', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: 'x1000c0s0b0n0' } });
    await h.call('PATCH', '/v2/sessions/done', { body: { status: { status: 'complete', end_time: new Date(h.clock.ms).toISOString() } } });
    await h.call('POST', '/v2/sessions/done/status');
  });
  afterAll(async () => { await h.close(); });

  it.each([
    ['component describe', ['component', 'describe', 'x1000c0s0b0n0'], '/v2/components/x1000c0s0b0n0'],
    ['component list', ['component', 'list'], '/v2/components'],
    ['session describe', ['session', 'describe', 'stage-v2'], '/v2/sessions/stage-v2'],
    ['session list', ['session', 'list'], '/v2/sessions'],
    ['session status (live)', ['session', 'status', 'stage-v2'], '/v2/sessions/stage-v2/status'],
    ['session status (saved at completion)', ['session', 'status', 'done'], '/v2/sessions/done/status'],
    ['sessiontemplate describe', ['sessiontemplate', 'describe', 'compute-v2'], '/v2/sessiontemplates/compute-v2'],
    ['sessiontemplate list', ['sessiontemplate', 'list'], '/v2/sessiontemplates'],
  ])('%s', async (_name, args, path) => {
    const api = await h.call('GET', path);
    expect(api.status).toBe(200);
    const cli = await bosctlJson(args, { db: h.dbPath });
    // The live status's duration runs on; everything else is equal.
    const mask = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/"duration":"[^"]*"/g, '"duration":"-"'));
    expect(mask(cli)).toEqual(mask(api.json));
  });
});


