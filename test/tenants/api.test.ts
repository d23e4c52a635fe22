/**
 * Tenants through bosd's API, as BOS has them (Cray-HPE/bos src/bos/common/tenant_utils.py;
 * server/controllers/v2/components.py, sessions.py, sessiontemplates.py): unknown tenant 400,
 * a tenant confined to its own nodes, templates and sessions, the same name in two tenants and
 * with none. Beyond BOS: a token bound to a tenant acts only as it (403 for another).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/services/tenants.js';
import { createToken } from '../../src/services/tokens.js';
import { dump, problemShape, startApi, templateBody, XNAMES, type Harness } from '../api/helpers.js';

const BLUE = XNAMES.slice(0, 4); // x1000c0s[0-1]b0n[0-1]
const RED = XNAMES.slice(4); // x1000c0s[2-3]b0n[0-1] (slot 3 is "gpu")

let h: Harness;
const as = (tenant: string | undefined, extra: Record<string, string> = {}) => ({ headers: { ...(tenant ? { 'Cray-Tenant-Name': tenant } : {}), ...extra } });

beforeEach(async () => {
  h = await startApi();
  createTenant(h.ctx(), { name: 'blue', nodes: 'x1000c0s[0-1]b0n[0-1]' });
  createTenant(h.ctx(), { name: 'red', nodes: 'x1000c0s2b0n0,x1000c0s2b0n1,gpu' });
  // The same template name in both tenants; the seed already made it with no tenant.
  for (const t of ['blue', 'red']) {
    const r = await h.call('PUT', '/v2/sessiontemplates/compute-v2', { body: templateBody({ description: `${t} nodes` }), ...as(t) });
    expect(r.status).toBe(200);
  }
});
afterEach(async () => { await h.close(); });

describe('templates are namespaced per tenant', () => {
  it('each header sees only its own template of that name; no header sees the one with no tenant', async () => {
    const blue = await h.call('GET', '/v2/sessiontemplates/compute-v2', as('blue'));
    const red = await h.call('GET', '/apis/bos/v2/sessiontemplates/compute-v2', as('red'));
    const none = await h.call('GET', '/v2/sessiontemplates/compute-v2');
    expect([blue.status, red.status, none.status]).toEqual([200, 200, 200]);
    expect(blue.json).toMatchObject({ name: 'compute-v2', tenant: 'blue', description: 'blue nodes' });
    expect(red.json).toMatchObject({ name: 'compute-v2', tenant: 'red', description: 'red nodes' });
    expect((none.json as { tenant?: string }).tenant ?? null).toBeNull();
    expect((none.json as { description: string }).description).toBe('compute nodes on v2');
  });

  it('a tenant lists its own templates; no tenant lists all (as BOS)', async () => {
    const blue = (await h.call('GET', '/v2/sessiontemplates', as('blue'))).json as Array<{ tenant?: string }>;
    expect(blue.map((t) => t.tenant)).toEqual(['blue']);
    const all = (await h.call('GET', '/v2/sessiontemplates')).json as Array<{ tenant?: string | null }>;
    expect(all.map((t) => t.tenant ?? null).sort()).toEqual([null, 'blue', 'red'].sort());
  });

  it('deleting one tenant\'s template leaves the others', async () => {
    expect((await h.call('DELETE', '/v2/sessiontemplates/compute-v2', as('red'))).status).toBe(204);
    expect((await h.call('GET', '/v2/sessiontemplates/compute-v2', as('red'))).status).toBe(404);
    expect((await h.call('GET', '/v2/sessiontemplates/compute-v2', as('blue'))).status).toBe(200);
    expect((await h.call('GET', '/v2/sessiontemplates/compute-v2')).status).toBe(200);
  });
});

describe('an unknown tenant is 400 on every route, and changes nothing', () => {
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/v2/components'],
    ['GET', '/v2/components/x1000c0s0b0n0'],
    ['PATCH', '/v2/components/x1000c0s0b0n0', { enabled: true }],
    ['GET', '/v2/sessiontemplates'],
    ['GET', '/v2/sessiontemplates/compute-v2'],
    ['PUT', '/v2/sessiontemplates/other', templateBody()],
    ['GET', '/v2/sessions'],
    ['POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'reboot', stage: true }],
    ['POST', '/v2/applystaged', { xnames: ['x1000c0s0b0n0'] }],
    ['GET', '/v2/options'],
  ];
  for (const [method, path, body] of routes) {
    it(`${method} ${path}`, async () => {
      const before = dump(h.store);
      const r = await h.call(method, path, { body, ...as('green') });
      expect(r.status).toBe(400);
      expect(problemShape(r)).toEqual([]);
      expect(r.json).toMatchObject({ title: 'Invalid tenant' });
      expect((r.json as { detail: string }).detail).toContain('"green"');
      expect(dump(h.store)).toBe(before);
    });
  }
});

describe('a tenant sees and acts only on its own nodes', () => {
  it('lists only its components, also when asking for others by id', async () => {
    const mine = (await h.call('GET', '/v2/components', as('blue'))).json as Array<{ id: string }>;
    expect(mine.map((c) => c.id)).toEqual(BLUE);
    const asked = (await h.call('GET', `/v2/components?ids=${BLUE[0]},${RED[0]}`, as('blue'))).json as Array<{ id: string }>;
    expect(asked.map((c) => c.id)).toEqual([BLUE[0]]);
    expect(((await h.call('GET', '/v2/components')).json as unknown[]).length).toBe(XNAMES.length);
  });

  it('another tenant\'s node is not found, and a patch of it changes nothing', async () => {
    expect((await h.call('GET', `/v2/components/${RED[0]}`, as('blue'))).status).toBe(404);
    const before = dump(h.store);
    expect((await h.call('PATCH', `/v2/components/${RED[0]}`, { body: { enabled: true }, ...as('blue') })).status).toBe(404);
    const many = await h.call('PATCH', '/v2/components', { body: { filters: { ids: `${BLUE[0]},${RED[0]}` }, patch: { enabled: true } }, ...as('blue') });
    expect(many.status).toBe(404);
    expect(dump(h.store)).toBe(before);
  });

  it('apply-staged ignores another tenant\'s nodes (BOS _apply_tenant_limit)', async () => {
    // The seed staged the gpu nodes (red's) with no tenant.
    const r = await h.call('POST', '/v2/applystaged', { body: { xnames: ['x1000c0s3b0n0', 'x1000c0s3b0n1'] }, ...as('blue') });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ succeeded: [], failed: [], ignored: ['x1000c0s3b0n0', 'x1000c0s3b0n1'] });
    const c = (await h.call('GET', '/v2/components/x1000c0s3b0n0')).json as { enabled: boolean };
    expect(c.enabled).toBe(false);
  });
});

describe('sessions are namespaced per tenant and act only on its nodes', () => {
  it('a tenant\'s session uses its own template and stages only its nodes', async () => {
    const r = await h.call('POST', '/v2/sessions', { body: { name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true }, ...as('blue') });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'up', tenant: 'blue' });
    const staged = (await h.call('GET', '/v2/components?staged_session=up')).json as Array<{ id: string }>;
    expect(staged.map((c) => c.id)).toEqual(BLUE);
    // The same session name in another tenant and with none.
    expect((await h.call('POST', '/v2/sessions', { body: { name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true }, ...as('red') })).status).toBe(201);
    expect((await h.call('POST', '/v2/sessions', { body: { name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true }, ...as('blue') })).status).toBe(409);
    expect(((await h.call('GET', '/v2/sessions/up', as('red'))).json as { tenant: string }).tenant).toBe('red');
    expect((await h.call('GET', '/v2/sessions', as('blue'))).json).toEqual([expect.objectContaining({ name: 'up', tenant: 'blue' })]);
    expect((await h.call('GET', '/v2/sessions/up')).status).toBe(404);
    expect((await h.call('GET', '/v2/sessions/stage-v2', as('blue'))).status).toBe(404);
  });

  it('a limit outside the tenant acts on no node (BOS session_setup.py: the tenant limit narrows the nodes)', async () => {
    const before = JSON.stringify((await h.call('GET', '/v2/components')).json);
    const r = await h.call('POST', '/v2/sessions', { body: { name: 'reach', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: RED.join(',') }, ...as('blue') });
    // BOS stores it and the session ends with "No nodes were found to act upon."; never a red node staged.
    expect([201, 400]).toContain(r.status);
    // (bosd's session setup then ends it with that error; this harness runs no reconciler.)
    if (r.status === 201) {
      const s = (await h.call('GET', '/v2/sessions/reach', as('blue'))).json as { components: string; status: { error: string | null } };
      expect(s.components).toBe('');
      expect(s.status.error ?? 'No nodes were found to act upon.').toMatch(/No nodes were found to act upon/);
    }
    expect(JSON.stringify((await h.call('GET', '/v2/components')).json)).toBe(before);
  });

  it('a template whose node_list names another tenant\'s nodes is refused with BOS\'s words', async () => {
    await h.call('PUT', '/v2/sessiontemplates/listed', { body: templateBody({ boot_sets: { compute: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: [BLUE[0], RED[0]] } } }), ...as('blue') });
    const before = dump(h.store);
    const r = await h.call('POST', '/v2/sessions', { body: { template_name: 'listed', operation: 'reboot', stage: true }, ...as('blue') });
    expect(r.status).toBe(400);
    expect((r.json as { detail: string }).detail).toContain(`not available to this tenant: ${RED[0]}`);
    expect(dump(h.store)).toBe(before);
  });
});

describe('a token bound to a tenant (bosctl\'s extension)', () => {
  let blueToken: string;
  beforeEach(() => {
    blueToken = createToken({ ...h.ctx(), tenant: 'blue' }, { role: 'admin' }).secret;
  });

  it('acts as its tenant without a header, and with its own tenant\'s header', async () => {
    const none = (await h.call('GET', '/v2/sessiontemplates', { token: blueToken })).json as Array<{ tenant: string }>;
    expect(none.map((t) => t.tenant)).toEqual(['blue']);
    const own = await h.call('GET', '/v2/components', { token: blueToken, ...as('blue') });
    expect((own.json as Array<{ id: string }>).map((c) => c.id)).toEqual(BLUE);
  });

  it('is refused (403) with another tenant\'s header, and nothing changes', async () => {
    const before = dump(h.store);
    for (const [method, path, body] of [['GET', '/v2/components'], ['PATCH', `/v2/components/${RED[0]}`, { enabled: true }],
      ['PUT', '/v2/sessiontemplates/compute-v2', templateBody({ description: 'hijack' })], ['POST', '/v2/applystaged', { xnames: RED }]] as Array<[string, string, unknown?]>) {
      const r = await h.call(method, path, { token: blueToken, body, ...as('red') });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(problemShape(r)).toEqual([]);
      expect((r.json as { detail: string }).detail).toContain('bound to tenant "blue"');
    }
    expect(dump(h.store)).toBe(before);
  });

  it('may neither manage tenants nor see other tenants\' tokens', async () => {
    expect((await h.call('GET', '/v2/tenants', { token: blueToken })).status).toBe(403);
    expect((await h.call('POST', '/v2/tenants', { token: blueToken, body: { name: 'mine', nodes: RED.join(',') } })).status).toBe(403);
    const tokens = (await h.call('GET', '/v2/tokens', { token: blueToken })).json as Array<{ tenant: string | null }>;
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.tenant === 'blue')).toBe(true);
  });
});
