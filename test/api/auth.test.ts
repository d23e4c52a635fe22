/**
 * Who may do what: every route of bosd against no token, bad tokens, and each role (admin,
 * wlm, a node token bound to one node, a node token for any node). Refusals are 401/403
 * problem+json, counted and rate-limited in the log (never one database row per request),
 * and change nothing else; token secrets never show in an answer, the log, or the database file.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefusalLog } from '../../src/api/refusal-log.js';
import { routes } from '../../src/api/routes/index.js';
import { createApi, persistRefusals } from '../../src/api/server.js';
import { createToken, revokeToken, TokenCache, verifyToken } from '../../src/services/tokens.js';
import { Store } from '../../src/store/store.js';
import { databaseBytes, dump, problemShape, startApi, templateBody, XNAMES, type Harness, type LogLine, type Reply } from './helpers.js';

/** X: the node a node token is bound to; Y: another node. */
const X = XNAMES[0]!;
const Y = XNAMES[1]!;
const GPU = XNAMES[6]!;

type Who = 'admin' | 'wlm' | 'nodeX' | 'nodeAny';
type Outcome = number | 'deny';

interface Entry {
  /** The route as src/api/routes declares it. */
  route: string;
  what: string;
  method: string;
  url: string;
  body?: unknown;
  /** The status for each caller (admin is allowed everything). Callers not named are denied. */
  expect: Partial<Record<Who, Outcome>> & { admin: number };
  public?: boolean;
}

/** In order: later entries rely on what earlier ones created (for the admin run). */
const ENTRIES: Entry[] = [
  { route: 'GET /', what: 'version', method: 'GET', url: '/v2', public: true, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'GET /', what: 'version (other prefix)', method: 'GET', url: '/apis/bos/v2/', public: true, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'GET /version', what: 'version', method: 'GET', url: '/v2/version', public: true, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'GET /healthz', what: 'health', method: 'GET', url: '/v2/healthz', public: true, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'GET /healthz/dependencies', what: 'dependency health', method: 'GET', url: '/v2/healthz/dependencies', public: true, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'GET /sessiontemplatetemplate', what: 'example template', method: 'GET', url: '/v2/sessiontemplatetemplate', public: true, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },

  { route: 'GET /sessiontemplates', what: 'list templates', method: 'GET', url: '/v2/sessiontemplates', expect: { admin: 200 } },
  { route: 'PUT /sessiontemplates/:id', what: 'create a template', method: 'PUT', url: '/v2/sessiontemplates/auth-t', body: templateBody(), expect: { admin: 200 } },
  { route: 'GET /sessiontemplates/:id', what: 'get a template', method: 'GET', url: '/v2/sessiontemplates/compute-v2', expect: { admin: 200 } },
  { route: 'PATCH /sessiontemplates/:id', what: 'patch a template', method: 'PATCH', url: '/v2/sessiontemplates/compute-v2', body: { description: 'patched' }, expect: { admin: 200 } },
  { route: 'GET /sessiontemplatesvalid/:id', what: 'validate a template', method: 'GET', url: '/v2/sessiontemplatesvalid/compute-v2', expect: { admin: 200 } },
  { route: 'POST /sessiontemplatesvalid', what: 'validate a template body', method: 'POST', url: '/v2/sessiontemplatesvalid', body: { name: 'x', ...templateBody() }, expect: { admin: 200 } },

  { route: 'POST /sessions', what: 'create a session', method: 'POST', url: '/v2/sessions', body: { name: 'auth-s', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: XNAMES[2] }, expect: { admin: 201 } },
  { route: 'GET /sessions', what: 'list sessions', method: 'GET', url: '/v2/sessions', expect: { admin: 200 } },
  { route: 'GET /sessions/:id', what: 'get a session', method: 'GET', url: '/v2/sessions/stage-v2', expect: { admin: 200 } },
  { route: 'PATCH /sessions/:id', what: 'patch a session', method: 'PATCH', url: '/v2/sessions/stage-v2', body: { status: { status: 'running' } }, expect: { admin: 200 } },
  { route: 'GET /sessions/:id/status', what: 'session status', method: 'GET', url: '/v2/sessions/stage-v2/status', expect: { admin: 200 } },
  { route: 'POST /sessions/:id/status', what: 'save session status', method: 'POST', url: '/v2/sessions/stage-v2/status', expect: { admin: 200 } },
  { route: 'GET /sessions/:id/history', what: 'session history', method: 'GET', url: '/v2/sessions/stage-v2/history', expect: { admin: 200 } },
  { route: 'GET /sessions/:id/control', what: 'session control', method: 'GET', url: '/v2/sessions/stage-v2/control', expect: { admin: 200 } },
  { route: 'GET /sessions/:id/report', what: 'session report', method: 'GET', url: '/v2/sessions/stage-v2/report', expect: { admin: 200 } },
  { route: 'POST /sessions/:id/resume', what: 'resume a session', method: 'POST', url: '/v2/sessions/stage-v2/resume', expect: { admin: 200 } },
  { route: 'POST /sessions/:id/abort', what: 'abort a session', method: 'POST', url: '/v2/sessions/auth-s/abort', expect: { admin: 200 } },
  // Allowed for admin, but nothing has an earlier stable state to roll back to: a 400, not a 401/403.
  { route: 'POST /rollback', what: 'roll back a session', method: 'POST', url: '/v2/rollback', body: { session: 'stage-v2' }, expect: { admin: 400 } },

  { route: 'GET /components', what: 'list components', method: 'GET', url: '/v2/components', expect: { admin: 200, wlm: 200 } },
  { route: 'PUT /components', what: 'put components', method: 'PUT', url: '/v2/components', body: [{ id: 'x9000c0s0b0n0', enabled: false }], expect: { admin: 200 } },
  { route: 'PATCH /components', what: 'patch components', method: 'PATCH', url: '/v2/components', body: { patch: { retry_policy: 2 }, filters: { ids: XNAMES[3] } }, expect: { admin: 200 } },
  { route: 'GET /components/:id', what: 'get X', method: 'GET', url: `/v2/components/${X}`, expect: { admin: 200, wlm: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'GET /components/:id', what: 'get another node', method: 'GET', url: `/v2/components/${Y}`, expect: { admin: 200, wlm: 200, nodeAny: 200 } },
  { route: 'PUT /components/:id', what: 'put a component', method: 'PUT', url: '/v2/components/x9000c0s0b0n1', body: { enabled: false }, expect: { admin: 200 } },
  { route: 'PATCH /components/:id', what: 'boot report of X', method: 'PATCH', url: `/v2/components/${X}`, body: { actual_state: { bss_token: 't' } }, expect: { admin: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'PATCH /components/:id', what: 'boot report of another node', method: 'PATCH', url: `/v2/components/${Y}`, body: { actual_state: { bss_token: 't' } }, expect: { admin: 200, nodeAny: 200 } },
  { route: 'PATCH /components/:id', what: 'boot report with the id in the body', method: 'PATCH', url: `/v2/components/${X}`, body: { id: X, actual_state: { bss_token: 't2' } }, expect: { admin: 200, nodeX: 200, nodeAny: 200 } },
  { route: 'PATCH /components/:id', what: 'general patch of X', method: 'PATCH', url: `/v2/components/${X}`, body: { enabled: false }, expect: { admin: 200 } },
  { route: 'PATCH /components/:id', what: 'boot report that also sets boot artifacts', method: 'PATCH', url: `/v2/components/${X}`, body: { actual_state: { bss_token: 't', boot_artifacts: { kernel: 'k', initrd: 'i', kernel_parameters: '' } } }, expect: { admin: 200 } },
  { route: 'PATCH /components/:id', what: 'boot report that also enables', method: 'PATCH', url: `/v2/components/${X}`, body: { actual_state: { bss_token: 't' }, enabled: true }, expect: { admin: 200 } },
  { route: 'GET /components/:id/history', what: 'history of X', method: 'GET', url: `/v2/components/${X}/history`, expect: { admin: 200 } },
  { route: 'DELETE /components/:id', what: 'delete a component', method: 'DELETE', url: '/v2/components/x9000c0s0b0n1', expect: { admin: 204 } },

  { route: 'POST /applystaged', what: 'apply staged', method: 'POST', url: '/v2/applystaged', body: { xnames: [GPU] }, expect: { admin: 200, wlm: 200 } },
  { route: 'GET /options', what: 'get options', method: 'GET', url: '/v2/options', expect: { admin: 200, wlm: 200 } },
  { route: 'PATCH /options', what: 'patch options', method: 'PATCH', url: '/v2/options', body: { default_retry_policy: 5 }, expect: { admin: 200 } },

  { route: 'GET /inventory', what: 'list inventory', method: 'GET', url: '/v2/inventory', expect: { admin: 200, wlm: 200 } },
  { route: 'POST /inventory', what: 'import inventory', method: 'POST', url: '/v2/inventory', body: [{ xname: 'x9100c0s0b0n0', nid: 900, role: 'Compute' }], expect: { admin: 200 } },
  { route: 'GET /inventory/:name', what: 'describe a node', method: 'GET', url: `/v2/inventory/${X}`, expect: { admin: 200, wlm: 200 } },

  { route: 'GET /tokens', what: 'list tokens', method: 'GET', url: '/v2/tokens', expect: { admin: 200 } },
  { route: 'POST /tokens', what: 'create a token', method: 'POST', url: '/v2/tokens', body: { role: 'wlm', description: 'slurm' }, expect: { admin: 201 } },
  { route: 'DELETE /tokens/:id', what: 'revoke a token', method: 'DELETE', url: '/v2/tokens/{victim}', expect: { admin: 200 } },

  // bosctl's tenant registry (issue 14): admins only.
  { route: 'POST /tenants', what: 'create a tenant', method: 'POST', url: '/v2/tenants', body: { name: 'lab', nodes: 'x1000c0s0b0n0' }, expect: { admin: 201 } },
  { route: 'GET /tenants', what: 'list tenants', method: 'GET', url: '/v2/tenants', expect: { admin: 200 } },
  { route: 'GET /tenants/:id', what: 'describe a tenant', method: 'GET', url: '/v2/tenants/lab', expect: { admin: 200 } },
  { route: 'PATCH /tenants/:id', what: 'change a tenant', method: 'PATCH', url: '/v2/tenants/lab', body: { description: 'the lab' }, expect: { admin: 200 } },
  { route: 'DELETE /tenants/:id', what: 'delete a tenant', method: 'DELETE', url: '/v2/tenants/lab', expect: { admin: 200 } },

  { route: 'DELETE /sessions/:id', what: 'delete a session', method: 'DELETE', url: '/v2/sessions/stage-v2', expect: { admin: 204 } },
  { route: 'DELETE /sessions', what: 'delete sessions', method: 'DELETE', url: '/v2/sessions?status=complete', expect: { admin: 204 } },
  { route: 'DELETE /sessiontemplates/:id', what: 'delete a template', method: 'DELETE', url: '/v2/sessiontemplates/compute-v2', expect: { admin: 204 } },
];

function apiEvents(h: Harness): Array<{ action: string; subject: string; detail: string }> {
  return h.store.read(() => h.store.events.ofKind('api')).map(({ action, subject, detail }) => ({ action, subject, detail: JSON.stringify(detail) }));
}

/** Every secret any test made; none may leak. */
const secrets: string[] = [];
/** Answers that carry a secret by design (POST /v2/tokens returns it once). */
const creationReplies = new Set<string>();

/** Where any known secret shows: the answers (but its own creation), and optionally the database file and the log. */
function leaksIn(h: Harness, files: boolean): string[] {
  const out: string[] = [];
  const id = (secret: string) => secret.slice(0, 12);
  for (const text of h.replies) {
    if (creationReplies.has(text)) continue;
    for (const s of secrets) if (text.includes(s)) out.push(`secret ${id(s)}… in an answer: ${text.slice(0, 120)}`);
  }
  if (files) {
    h.store.checkpoint('PASSIVE');
    const bytes = databaseBytes(h.dir);
    const log = JSON.stringify(h.logs);
    for (const s of secrets) {
      if (bytes.includes(s)) out.push(`secret ${id(s)}… in the database file`);
      if (log.includes(s)) out.push(`secret ${id(s)}… in the log`);
    }
  }
  return out;
}

async function send(h: Harness, e: Entry, token: string | null, victim: string): Promise<Reply> {
  const r = await h.call(e.method, e.url.replace('{victim}', victim), { token, body: e.body });
  if (e.route === 'POST /tokens' && r.status === 201) {
    const s = (r.json as { secret: string }).secret;
    secrets.push(s);
    creationReplies.add(r.text);
  }
  return r;
}

/** A refused request: the status, problem+json, nothing stored (no event row either). */
async function expectRefused(h: Harness, e: Entry, token: string | null, status: 401 | 403, victim: string): Promise<Reply> {
  const before = dump(h.store);
  const events = apiEvents(h).length;
  const r = await send(h, e, token, victim);
  expect(r.status, `${e.method} ${e.url} (${e.what}): ${r.text}`).toBe(status);
  expect(problemShape(r)).toEqual([]);
  expect((r.json as { title: string }).title).toBe(status === 401 ? 'Unauthorized' : 'Forbidden');
  if (status === 401) expect(r.headers.get('www-authenticate') ?? '').toMatch(/^Bearer\b/);
  else expect(r.headers.get('www-authenticate')).toBeNull();
  expect(dump(h.store), 'a refused request changes nothing').toBe(before);
  expect(apiEvents(h).length, 'no event row per refusal').toBe(events);
  return r;
}

describe('the route table', () => {
  it('names every route bosd serves', () => {
    const served = routes.map((r) => `${r.method} ${r.path}`).sort();
    expect([...new Set(ENTRIES.map((e) => e.route))].sort()).toEqual(served);
  });
});

describe.each<Who>(['admin', 'wlm', 'nodeX', 'nodeAny'])('role %s against every route', (who) => {
  let h: Harness;
  let token: string;
  let victim: string;
  beforeAll(async () => {
    h = await startApi();
    const ctx = h.ctx();
    token = who === 'admin' ? h.admin : createToken(ctx, who === 'wlm' ? { role: 'wlm' } : who === 'nodeX' ? { role: 'node', node: X } : { role: 'node' }).secret;
    const v = createToken(ctx, { role: 'wlm', description: 'to be revoked' });
    victim = v.token.id;
    secrets.push(token, h.admin, v.secret);
  });
  afterAll(async () => {
    let leaks: string[];
    try { leaks = leaksIn(h, true); } finally { await h.close(); }
    expect(leaks).toEqual([]);
  });

  it.each(ENTRIES.map((e) => [`${e.method} ${e.url} (${e.what})`, e] as const))('%s', async (_n, e) => {
    const outcome: Outcome = e.expect[who] ?? 'deny';
    if (outcome === 'deny') {
      await expectRefused(h, e, token, 403, victim);
    } else {
      const r = await send(h, e, token, victim);
      expect(r.status, `${e.method} ${e.url} (${e.what}) as ${who}: ${r.text}`).toBe(outcome);
    }
  });
});

describe('without a valid token', () => {
  let h: Harness;
  beforeAll(async () => { h = await startApi(); secrets.push(h.admin); });
  afterAll(async () => {
    let leaks: string[];
    try { leaks = leaksIn(h, false); } finally { await h.close(); }
    expect(leaks).toEqual([]);
  });

  const privateEntries = ENTRIES.filter((e) => !e.public);

  it.each(privateEntries.map((e) => [`${e.method} ${e.url} (${e.what})`, e] as const))('no token: %s → 401', async (_n, e) => {
    await expectRefused(h, e, null, 401, 'nosuchid');
  });

  it.each(ENTRIES.filter((e) => e.public).map((e) => [e.url, e] as const))('public without a token: GET %s → 200', async (_n, e) => {
    const r = await h.call('GET', e.url, { token: null });
    expect(r.status, r.text).toBe(200);
  });

  it('public GET / (the API root, both prefixes) → 200 without a token', async () => {
    for (const url of ['/', '/apis/bos/']) {
      const r = await h.call('GET', url, { token: null });
      expect(r.status, `${url}: ${r.text}`).toBe(200);
    }
  });

  it('public routes with a bad token still answer', async () => {
    const r = await h.call('GET', '/v2/healthz', { token: 'garbage' });
    expect(r.status).toBe(200);
  });

  const sample = privateEntries.find((e) => e.route === 'GET /components')!;
  const writing = privateEntries.find((e) => e.route === 'PATCH /options')!;

  it.each([
    ['malformed', 'not-a-token'],
    ['malformed (wrong prefix)', 'xyz_abcdefgh_0123456789012345678901234567890123456789012'],
    ['unknown (well-formed)', 'bos_zzzzzzzz_0123456789012345678901234567890123456789012'],
  ])('%s token → 401', async (_n, t) => {
    await expectRefused(h, sample, t, 401, '');
    await expectRefused(h, writing, t, 401, '');
  });

  it('a known token id with a wrong secret → 401', async () => {
    const real = h.admin;
    const forged = real.slice(0, real.length - 4) + (real.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expectRefused(h, writing, forged, 401, '');
  });

  it('other schemes and shapes of the Authorization header → 401', async () => {
    for (const header of [`Basic ${Buffer.from('admin:admin').toString('base64')}`, `Bearer`, `Bearer ${h.admin} extra`, `Token ${h.admin}`]) {
      const before = apiEvents(h).length;
      const r = await h.call('GET', '/v2/components', { token: null, headers: { authorization: header } });
      expect(r.status, header).toBe(401);
      expect(r.headers.get('www-authenticate') ?? '').toMatch(/^Bearer\b/);
      expect(apiEvents(h).length).toBe(before);
    }
  });

  it('a revoked token → 401 (through the API and the service)', async () => {
    const t = createToken(h.ctx(), { role: 'admin' });
    secrets.push(t.secret);
    expect((await h.call('GET', '/v2/components', { token: t.secret })).status).toBe(200);
    const rv = await h.call('DELETE', `/v2/tokens/${t.token.id}`);
    expect(rv.status, rv.text).toBe(200);
    expect(rv.json).toMatchObject({ id: t.token.id, revoked_at: expect.any(String) });
    await expectRefused(h, sample, t.secret, 401, '');
    const t2 = createToken(h.ctx(), { role: 'wlm' });
    secrets.push(t2.secret);
    revokeToken(h.ctx(), t2.token.id);
    await expectRefused(h, sample, t2.secret, 401, '');
  });

  it('an expired token → 401 once the server\'s clock passes its expiry', async () => {
    const t = createToken(h.ctx(), { role: 'wlm', expires: '1h' });
    secrets.push(t.secret);
    expect((await h.call('GET', '/v2/components', { token: t.secret })).status).toBe(200);
    h.clock.advance(59 * 60 * 1000);
    expect((await h.call('GET', '/v2/components', { token: t.secret })).status).toBe(200);
    h.clock.advance(60 * 1000);
    await expectRefused(h, sample, t.secret, 401, '');
    h.clock.advance(-2 * 60 * 60 * 1000);
  });

  it('a token created with a clock in the past has already expired', async () => {
    const past = { ...h.ctx(), now: () => new Date(h.clock.ms - 2 * 24 * 3600 * 1000) };
    const t = createToken(past, { role: 'admin', expires: '1d' });
    secrets.push(t.secret);
    await expectRefused(h, writing, t.secret, 401, '');
  });

  it('API-created tokens work, are listed without their secret, and can be revoked', async () => {
    const r = await h.call('POST', '/v2/tokens', { body: { role: 'node', node: XNAMES[5], expires: '2h', description: 'reporter' } });
    expect(r.status, r.text).toBe(201);
    const { token, secret } = r.json as { token: { id: string }; secret: string };
    secrets.push(secret);
    creationReplies.add(r.text);
    expect(secret).toMatch(/^bos_[a-z0-9]{8}_/);
    const boot = await h.call('PATCH', `/v2/components/${XNAMES[5]}`, { token: secret, body: { actual_state: { bss_token: 'b' } } });
    expect(boot.status, boot.text).toBe(200);
    const list = await h.call('GET', '/v2/tokens');
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain('hash');
    expect((list.json as Array<{ id: string }>).map((t) => t.id)).toContain(token.id);
  });

  it('never stores or logs a secret: the database file, its WAL, the log, the events table', () => {
    h.store.checkpoint('PASSIVE');
    const bytes = databaseBytes(h.dir);
    const events = JSON.stringify(h.store.tables().events);
    const log = JSON.stringify(h.logs);
    expect(secrets.length).toBeGreaterThan(5);
    // The grep reads what is stored: each token's id (the secret's first part) is there.
    expect(bytes.includes(h.admin.slice(4, 12))).toBe(true);
    for (const s of secrets) {
      expect(bytes.includes(s), 'secret in the database file').toBe(false);
      expect(events.includes(s), 'secret in the events').toBe(false);
      expect(log.includes(s), 'secret in the log').toBe(false);
    }
  });
});

describe('node tokens, one by one', () => {
  let h: Harness;
  beforeAll(async () => { h = await startApi(); });
  afterAll(async () => { await h.close(); });

  it('bound to X: reports and reads X only; a general patch of X is refused', async () => {
    const t = h.token('node', X);
    expect((await h.call('PATCH', `/v2/components/${X}`, { token: t, body: { actual_state: { bss_token: 't' } } })).status).toBe(200);
    expect((await h.call('PATCH', `/v2/components/${Y}`, { token: t, body: { actual_state: { bss_token: 't' } } })).status).toBe(403);
    expect((await h.call('GET', `/v2/components/${X}`, { token: t })).status).toBe(200);
    expect((await h.call('GET', `/v2/components/${Y}`, { token: t })).status).toBe(403);
    const before = dump(h.store);
    const general = await h.call('PATCH', `/v2/components/${X}`, { token: t, body: { enabled: false } });
    expect(general.status, general.text).toBe(403);
    expect(problemShape(general)).toEqual([]);
    expect(dump(h.store)).toBe(before);
    expect(apiEvents(h)).toEqual([]);
  });

  it('bound to X: may not read X through another of its names (nid, hostname) or the list', async () => {
    const t = h.token('node', X);
    expect((await h.call('GET', '/v2/components/nid000002', { token: t })).status).toBe(403);
    expect((await h.call('GET', `/v2/components?ids=${X}`, { token: t })).status).toBe(403);
  });

  it('without a node: may report for any node', async () => {
    const t = h.token('node');
    for (const x of [X, Y, XNAMES[7]!]) {
      const r = await h.call('PATCH', `/v2/components/${x}`, { token: t, body: { actual_state: { bss_token: `tok-${x}` } } });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ id: x, actual_state: { bss_token: `tok-${x}` } });
    }
    expect((await h.call('PATCH', `/v2/components/${Y}`, { token: t, body: { enabled: true } })).status).toBe(403);
  });
});

describe('refused requests are counted and rate-limited, not stored one by one', () => {
  let dir: string;
  let store: Store;
  let server: Server;
  let url: string;
  const logs: LogLine[] = [];
  let mono = 0;
  const wall = () => new Date(Date.parse('2026-01-01T00:00:00Z') + mono);
  let refusals: RefusalLog;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosctl-refusals-'));
    store = Store.open(join(dir, 'bosd.db'));
    const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => { logs.push({ level, msg, fields }); };
    refusals = new RefusalLog({ log, nowMs: () => mono, wallNow: wall, persist: persistRefusals({ store, now: wall }) });
    server = createServer(createApi({ store, now: wall, version: '0.1.0', onChange() {}, log, isTrustedSocket: () => false, refusals }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = () => store.read(() => store.events.ofKind('api', 1_000_000)).map(({ subject, action, detail }) => ({ subject, action, detail: JSON.stringify(detail) }));
  const size = () => { store.checkpoint('TRUNCATE'); return statSync(join(dir, 'bosd.db')).size; };

  it('500 requests with a 15 KB path: no row each, the database does not grow, one log line, the path cut to 200 characters', async () => {
    const before = size();
    const path = `/v2/components/${'x'.repeat(15_000)}`;
    for (let i = 0; i < 500; i++) {
      const r = await fetch(url + path, { headers: { authorization: 'Bearer bos_abcdefgh_nope' } });
      expect(r.status).toBe(401);
      await r.text();
    }
    expect(events()).toEqual([]);
    expect(size()).toBe(before);
    const refused = logs.filter((l) => /refused|unauthorized/.test(l.msg));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.fields).toMatchObject({ method: 'GET', remote: '127.0.0.1', reason: 'malformed', token_id: 'abcdefgh' });
    expect(String(refused[0]!.fields!.path).length).toBeLessThan(260);
    expect(String(refused[0]!.fields!.path)).toMatch(/… \(15015 characters\)$/);
    // The minute ends: one summary line, and one aggregated event row.
    mono += 60_000;
    refusals.flush();
    const summary = logs.filter((l) => /more refused requests from 127\.0\.0\.1 in the last 60 s/.test(l.msg));
    expect(summary).toHaveLength(1);
    expect(summary[0]!.msg).toMatch(/^499 more/);
    const rows = events();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subject: 'refused', action: 'refused' });
    expect(JSON.parse(rows[0]!.detail)).toMatchObject({ count: 500, by_reason: { malformed: 500 }, remotes: { '127.0.0.1': 500 } });
    expect(rows[0]!.detail.length).toBeLessThan(1000);
  });

  it('a refused token is logged with its id and why (unknown, revoked, expired), never its secret', async () => {
    const ctx = { store, actor: { user: 'test', via: 'test' }, now: wall };
    const revoked = createToken(ctx, { role: 'admin' });
    revokeToken(ctx, revoked.token.id);
    const expiring = createToken(ctx, { role: 'admin', expires: '1h' });
    const forged = `bos_${revoked.token.id}_${'A'.repeat(43)}`;
    const wlm = createToken(ctx, { role: 'wlm' });
    const cases: Array<[string, string, string, number]> = [
      [revoked.secret, 'revoked', revoked.token.id, 401],
      [forged, 'unknown', revoked.token.id, 401],
      [expiring.secret, 'expired', expiring.token.id, 401],
      [wlm.secret, 'forbidden', wlm.token.id, 403],
    ];
    for (const [secret, reason, id, status] of cases) {
      mono += 60_000; // a new interval: the first refusal of it is logged at once
      if (reason === 'expired') mono += 2 * 3600_000;
      logs.length = 0;
      const r = await fetch(`${url}/v2/options`, { method: 'PATCH', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{}' });
      expect(r.status, reason).toBe(status);
      const line = logs.find((l) => /unauthorized request|forbidden request/.test(l.msg));
      expect(line?.fields, reason).toMatchObject({ reason, token_id: id });
      expect(JSON.stringify(logs)).not.toContain(secret);
    }
  });

  it('verifyToken says why, with the token id when its id part parses', () => {
    const ctx = { store, actor: { user: 'test', via: 'test' }, now: wall };
    expect(verifyToken(ctx, 'garbage')).toEqual({ denied: 'malformed token', reason: 'malformed' });
    expect(verifyToken(ctx, 'bos_zzzzzzzz_short')).toEqual({ denied: 'malformed token', reason: 'malformed', tokenId: 'zzzzzzzz' });
    expect(verifyToken(ctx, `bos_zzzzzzzz_${'A'.repeat(43)}`)).toMatchObject({ reason: 'unknown', tokenId: 'zzzzzzzz' });
  });

  it('the API\'s token cache: a token revoked behind its back is refused after its time, an expired one at once, a cleared one at once', () => {
    let cacheMs = 0;
    let wallMs = Date.parse('2026-01-01T00:00:00Z') + mono;
    const ctx = { store, actor: { user: 'test', via: 'test' }, now: () => new Date(wallMs) };
    const cache = new TokenCache(2000, () => cacheMs);
    const t = createToken(ctx, { role: 'wlm' });
    secrets.push(t.secret);
    expect(cache.verify(ctx, t.secret)).toMatchObject({ role: 'wlm', name: `token:${t.token.id}` });
    // Revoked by another process (bosctl on the admin node): remembered until the time is up.
    revokeToken(ctx, t.token.id);
    cacheMs += 1999;
    expect(cache.verify(ctx, t.secret)).toMatchObject({ role: 'wlm' });
    cacheMs += 1;
    expect(cache.verify(ctx, t.secret)).toMatchObject({ reason: 'revoked' });
    // Expiry is the wall clock's, checked on every use.
    const e = createToken(ctx, { role: 'wlm', expires: '1h' });
    secrets.push(e.secret);
    expect(cache.verify(ctx, e.secret)).toMatchObject({ role: 'wlm' });
    wallMs += 3600_000;
    expect(cache.verify(ctx, e.secret)).toMatchObject({ reason: 'expired' });
    wallMs -= 3600_000;
    // clear(): a revocation through this API takes effect at once.
    const c = createToken(ctx, { role: 'wlm' });
    secrets.push(c.secret);
    expect(cache.verify(ctx, c.secret)).toMatchObject({ role: 'wlm' });
    revokeToken(ctx, c.token.id);
    cache.clear();
    expect(cache.verify(ctx, c.secret)).toMatchObject({ reason: 'revoked' });
  });
});
