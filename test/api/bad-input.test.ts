/**
 * Bad bodies and bad queries on every route: each is a 4xx problem+json (never a 5xx) and
 * leaves the database as it was (every table, SELECT * ORDER BY rowid, except the events the
 * API writes for refused requests). Then a fast-check property: random JSON and random
 * mutations of valid bodies on the writing routes never make a 5xx, and a 4xx writes nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/api/routes/index.js';
import { createToken } from '../../src/services/tokens.js';
import { dump, problemShape, startApi, templateBody, XNAMES, type CallOptions, type Harness, type Reply } from './helpers.js';

const X = XNAMES[0]!;
const GPU = [XNAMES[6]!, XNAMES[7]!];
const MIB = 1024 * 1024;

/** A concrete URL for a route path: existing resources, so that only the body can be wrong. */
function concrete(path: string, tokenId: string): string {
  return '/v2' + path
    .replace('/sessiontemplates/:id', '/sessiontemplates/compute-v2')
    .replace('/sessiontemplatesvalid/:id', '/sessiontemplatesvalid/compute-v2')
    .replace('/sessions/:id', '/sessions/stage-v2')
    .replace('/components/:id', `/components/${X}`)
    .replace('/inventory/:name', `/inventory/${X}`)
    .replace('/tokens/:id', `/tokens/${tokenId}`);
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Routes that take no body at all: what is sent is ignored (a malformed one is still refused). */
const BODYLESS = new Set(['POST /sessions/:id/resume', 'POST /sessions/:id/abort', 'POST /sessions/:id/status']);
/** Routes whose body is (or may be, by the spec) a JSON list. */
const LIST_BODY = new Set(['PUT /components', 'PATCH /components', 'POST /inventory']);

const bodyRoutes = routes.filter((r) => BODY_METHODS.has(r.method));
const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

let h: Harness;
let tokenId: string;

beforeAll(async () => {
  h = await startApi();
  tokenId = createToken(h.ctx(), { role: 'wlm' }).token.id;
});
afterAll(async () => { await h.close(); });

/** Sends, then checks: the status (or any 4xx), problem+json, and the database unchanged. */
async function refused(method: string, url: string, opts: CallOptions, status?: number, raw = false): Promise<Reply> {
  const before = dump(h.store);
  const r = raw ? await h.rawCall(method, url, opts) : await h.call(method, url, opts);
  const where = `${method} ${url} → ${r.status} ${r.text.slice(0, 300)}`;
  expect(r.status, where).toBeLessThan(500);
  if (status !== undefined) expect(r.status, where).toBe(status);
  else expect(r.status, where).toBeGreaterThanOrEqual(400);
  expect(problemShape(r), where).toEqual([]);
  expect(dump(h.store), `${where}: the database changed`).toBe(before);
  return r;
}

describe('bad bodies on every route that takes one', () => {
  it.each(bodyRoutes.map((r) => [key(r), r] as const))('%s: malformed JSON → 400', async (_k, r) => {
    for (const raw of ['{"a":', '{bad json}', "{'single': 'quotes'}", '[1,2,', 'nul', '{"a": 1}}', '\u00ff\u00fe']) {
      await refused(r.method, concrete(r.path, tokenId), { raw }, 400);
    }
  });

  it.each(bodyRoutes.map((r) => [key(r), r] as const))('%s: a body over 1 MiB → 413', async (_k, r) => {
    const raw = JSON.stringify({ description: 'x'.repeat(MIB + 10) });
    const res = await refused(r.method, concrete(r.path, tokenId), { raw }, 413, true);
    expect((res.json as { title: string }).title).toBe('Payload Too Large');
  });

  const objectRoutes = bodyRoutes.filter((r) => !BODYLESS.has(key(r)));
  it.each(objectRoutes.map((r) => [key(r), r] as const))('%s: a number, a string, true or null as the body → 400', async (_k, r) => {
    for (const body of [42, 'text', true, null]) {
      await refused(r.method, concrete(r.path, tokenId), { raw: JSON.stringify(body) }, 400);
    }
  });

  it.each(objectRoutes.filter((r) => !LIST_BODY.has(key(r))).map((r) => [key(r), r] as const))('%s: a list as the body → 400', async (_k, r) => {
    for (const body of [[], [{}], [1, 2]]) await refused(r.method, concrete(r.path, tokenId), { body }, 400);
  });

  /** Where {} is a valid body: the spec's patch schemas have no minProperties; the validation route reports. */
  const EMPTY_OK = new Set(['PATCH /sessiontemplates/:id', 'PATCH /sessions/:id', 'POST /sessiontemplatesvalid']);
  it.each(objectRoutes.filter((r) => !LIST_BODY.has(key(r)) && !EMPTY_OK.has(key(r))).map((r) => [key(r), r] as const))('%s: an empty object → 4xx', async (_k, r) => {
    await refused(r.method, concrete(r.path, tokenId), { body: {} });
  });
});

describe('unknown fields (the spec\'s additionalProperties: false) → 400', () => {
  const cases: Array<[string, string, string, unknown]> = [
    ['POST /v2/sessions', 'POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'reboot', stage: true, limit: X, bogus: 1 }],
    ['PUT /v2/sessiontemplates/T', 'PUT', '/v2/sessiontemplates/unknown-field', { ...templateBody(), bogus: 1 }],
    ['PUT /v2/sessiontemplates/T (in a boot set)', 'PUT', '/v2/sessiontemplates/unknown-field', { ...templateBody(), boot_sets: { b: { kernel: 'k', initrd: 'i', node_list: [X], bogus: 1 } } }],
    ['PUT /v2/sessiontemplates/T (in cfs)', 'PUT', '/v2/sessiontemplates/unknown-field', { ...templateBody(), cfs: { configuration: 'c', branch: 'main' } }],
    ['PATCH /v2/sessiontemplates/T', 'PATCH', '/v2/sessiontemplates/compute-v2', { description: 'x', bogus: 1 }],
    ['PATCH /v2/sessions/S', 'PATCH', '/v2/sessions/stage-v2', { components: '', bogus: 1 }],
    ['PATCH /v2/sessions/S (in status)', 'PATCH', '/v2/sessions/stage-v2', { status: { status: 'running', bogus: 1 } }],
    ['PUT /v2/components', 'PUT', '/v2/components', [{ id: 'x9000c0s0b0n0', bogus: 1 }]],
    ['PATCH /v2/components', 'PATCH', '/v2/components', { patch: { enabled: true }, filters: { ids: X }, bogus: 1 }],
    ['PATCH /v2/components (in filters)', 'PATCH', '/v2/components', { patch: { enabled: true }, filters: { ids: X, bogus: 1 } }],
    ['PATCH /v2/components (in patch)', 'PATCH', '/v2/components', { patch: { enabled: true, bogus: 1 }, filters: { ids: X } }],
    ['PUT /v2/components/X', 'PUT', `/v2/components/${X}`, { enabled: true, bogus: 1 }],
    ['PATCH /v2/components/X', 'PATCH', `/v2/components/${X}`, { enabled: true, bogus: 1 }],
    ['PATCH /v2/components/X (in desired_state)', 'PATCH', `/v2/components/${X}`, { desired_state: { image: 'x' } }],
    ['PATCH /v2/components/X (boot report with an unknown field in actual_state)', 'PATCH', `/v2/components/${X}`, { actual_state: { bss_token: 't', bogus: 1 } }],
    ['POST /v2/applystaged', 'POST', '/v2/applystaged', { xnames: GPU, bogus: 1 }],
    ['PATCH /v2/options (an unknown option key)', 'PATCH', '/v2/options', { bogus_option: 1 }],
    // bosctl's own route: a misspelt "expires" must not make a token that never expires.
    ['POST /v2/tokens (a misspelt "expires")', 'POST', '/v2/tokens', { role: 'admin', expire: '1h' }],
  ];
  it.each(cases)('%s', async (_n, method, url, body) => { await refused(method, url, { body }, 400); });
});

describe('wrong values in bodies', () => {
  const cases: Array<[string, string, string, unknown, number?]> = [
    // names
    ['a template name with a space', 'PUT', '/v2/sessiontemplates/bad%20name', templateBody()],
    ['a template name beginning with "-"', 'PUT', '/v2/sessiontemplates/-lead', templateBody()],
    ['a template name of 128 characters', 'PUT', `/v2/sessiontemplates/${'t'.repeat(128)}`, templateBody()],
    ['a template name with a slash (encoded)', 'PUT', '/v2/sessiontemplates/a%2Fb', templateBody()],
    ['a body name that differs from the path', 'PUT', '/v2/sessiontemplates/one-name', { ...templateBody(), name: 'other-name' }],
    ['a session name with a space', 'POST', '/v2/sessions', { name: 'bad name', template_name: 'compute-v2', operation: 'reboot' }],
    ['a session name of 128 characters', 'POST', '/v2/sessions', { name: 's'.repeat(128), template_name: 'compute-v2', operation: 'reboot' }],
    ['an empty session name', 'POST', '/v2/sessions', { name: '', template_name: 'compute-v2', operation: 'reboot' }],
    // operations, templates, limits
    ['an unknown operation', 'POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'explode' }],
    ['an operation in capitals', 'POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'REBOOT' }],
    ['no operation', 'POST', '/v2/sessions', { template_name: 'compute-v2' }],
    ['no template', 'POST', '/v2/sessions', { operation: 'reboot' }],
    // The spec documents 201, 400 and 409 for POST /v2/sessions, and BOS answers 400 "Session Template Name invalid".
    ['an unknown template (400: the spec documents no 404 here)', 'POST', '/v2/sessions', { template_name: 'no-such-template', operation: 'reboot' }],
    // A limit naming unknown nodes or groups, or excluding every node, is not refused: BOS stores
    // it and the session ends with "No nodes were found to act upon." (test/bos/daemon.test.ts);
    // bosctl refuses it with ?strict=true, as its client sends (test/remote/contract.ts).
    ['a limit of empty items', 'POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'reboot', limit: ',,' }],
    ['a limit of a bare "&"', 'POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'reboot', limit: '&' }],
    ['stage as a string', 'POST', '/v2/sessions', { template_name: 'compute-v2', operation: 'reboot', stage: 'true' }],
    ['an existing session name', 'POST', '/v2/sessions', { name: 'stage-v2', template_name: 'compute-v2', operation: 'reboot' }, 409],
    // templates
    ['no boot sets', 'PUT', '/v2/sessiontemplates/no-boot-sets', { description: 'x' }],
    ['boot_sets empty', 'PUT', '/v2/sessiontemplates/no-boot-sets', { boot_sets: {} }],
    ['a boot set with neither path/type nor kernel/initrd', 'PUT', '/v2/sessiontemplates/bad-set', { boot_sets: { b: { node_list: [X] } } }],
    ['a boot set with a kernel and no initrd', 'PUT', '/v2/sessiontemplates/bad-set', { boot_sets: { b: { kernel: 'k', node_list: [X] } } }],
    ['an empty node_list', 'PUT', '/v2/sessiontemplates/bad-set', { boot_sets: { b: { kernel: 'k', initrd: 'i', node_list: [] } } }],
    ['an unknown arch', 'PUT', '/v2/sessiontemplates/bad-set', { boot_sets: { b: { kernel: 'k', initrd: 'i', node_list: [X], arch: 'RISCV' } } }],
    ['enable_cfs as a string', 'PUT', '/v2/sessiontemplates/bad-set', { ...templateBody(), enable_cfs: 'yes' }],
    ['an empty description', 'PATCH', '/v2/sessiontemplates/compute-v2', { description: '' }],
    ['a patch of an unknown template', 'PATCH', '/v2/sessiontemplates/no-such-template', { description: 'x' }, 404],
    // sessions
    ['an unknown session status', 'PATCH', '/v2/sessions/stage-v2', { status: { status: 'finished' } }],
    ['components as a list', 'PATCH', '/v2/sessions/stage-v2', { components: [X] }],
    // components
    ['enabled as a string', 'PATCH', `/v2/components/${X}`, { enabled: 'yes' }],
    ['retry_policy negative', 'PATCH', `/v2/components/${X}`, { retry_policy: -1 }],
    ['retry_policy too large', 'PATCH', `/v2/components/${X}`, { retry_policy: 1048577 }],
    ['an unknown phase', 'PATCH', `/v2/components/${X}`, { status: { phase: 'rebooting' } }],
    ['an unknown last action', 'PATCH', `/v2/components/${X}`, { last_action: { action: 'reboot' } }],
    ['a body id that differs from the path', 'PATCH', `/v2/components/${X}`, { id: XNAMES[1], enabled: true }],
    ['an empty patch (minProperties 1)', 'PATCH', `/v2/components/${X}`, {}],
    ['an empty boot report token', 'PATCH', `/v2/components/${X}`, { actual_state: { bss_token: 5 } }],
    ['a boot report of an unknown component', 'PATCH', '/v2/components/x9999c0s0b0n0', { actual_state: { bss_token: 't' } }, 404],
    ['a put whose id differs from the path', 'PUT', `/v2/components/${X}`, { id: XNAMES[1], enabled: true }],
    ['a list with one bad component', 'PUT', '/v2/components', [{ id: 'x9000c0s0b0n0', enabled: true }, { id: 'x9000c0s0b0n1', enabled: 'no' }]],
    ['a list with an id of 128 characters', 'PUT', '/v2/components', [{ id: 'x'.repeat(128) }]],
    ['filters with both ids and session', 'PATCH', '/v2/components', { patch: { enabled: true }, filters: { ids: X, session: 'stage-v2' } }],
    ['filters with an empty ids', 'PATCH', '/v2/components', { patch: { enabled: true }, filters: { ids: '' } }],
    ['filters.ids as a list', 'PATCH', '/v2/components', { patch: { enabled: true }, filters: { ids: [X] } }],
    ['filters naming an unknown id', 'PATCH', '/v2/components', { patch: { enabled: true }, filters: { ids: `${X},x9999c0s0b0n0` } }, 404],
    ['no patch', 'PATCH', '/v2/components', { filters: { ids: X } }],
    // applystaged
    ['empty xnames', 'POST', '/v2/applystaged', { xnames: [] }],
    ['no xnames', 'POST', '/v2/applystaged', {}],
    ['an empty xname', 'POST', '/v2/applystaged', { xnames: [''] }],
    ['a blank xname', 'POST', '/v2/applystaged', { xnames: ['   '] }],
    ['xnames as a string', 'POST', '/v2/applystaged', { xnames: GPU.join(',') }],
    ['an xname of 128 characters', 'POST', '/v2/applystaged', { xnames: ['x'.repeat(128)] }],
    ['a malformed hostlist', 'POST', '/v2/applystaged', { xnames: ['nid[1-'] }],
    ['a hostlist of more than the 1 000 000 names allowed', 'POST', '/v2/applystaged', { xnames: ['nid[1-1000001]'] }],
    ['a hostlist of 200 000 names (within the limit; unknown names)', 'POST', '/v2/applystaged', { xnames: ['nid[1000001-1065536,1065537-1131072,1131073-1196608,1196609-1200000]'] }, 200],
    // options
    ['an unknown option key', 'PATCH', '/v2/options', { no_such_option: true }],
    ['an out-of-range option', 'PATCH', '/v2/options', { bss_read_timeout: 5 }],
    ['a negative option', 'PATCH', '/v2/options', { default_retry_policy: -1 }],
    ['a too large batch size', 'PATCH', '/v2/options', { max_component_batch_size: 131072 }],
    ['a fractional option', 'PATCH', '/v2/options', { polling_frequency: 1.5 }],
    ['a bad logging level', 'PATCH', '/v2/options', { logging_level: 'LOUD' }],
    ['a bad ttl', 'PATCH', '/v2/options', { component_actual_state_ttl: '0h' }],
    ['a boolean option as a word', 'PATCH', '/v2/options', { clear_stage: 'maybe' }],
    ['one good and one bad option (nothing is stored)', 'PATCH', '/v2/options', { default_retry_policy: 7, bss_read_timeout: 1 }],
    ['an empty options patch', 'PATCH', '/v2/options', {}],
    // tokens and inventory (bosctl's own routes)
    ['a token with an unknown role', 'POST', '/v2/tokens', { role: 'root' }],
    ['a token with a node for a non-node role', 'POST', '/v2/tokens', { role: 'admin', node: X }],
    ['a token with a malformed node', 'POST', '/v2/tokens', { role: 'node', node: 'garbage' }],
    ['a token with a malformed expiry', 'POST', '/v2/tokens', { role: 'wlm', expires: 'soon' }],
    ['a token with an expiry beyond what a date can hold', 'POST', '/v2/tokens', { role: 'wlm', expires: '999999999w' }],
    ['revoking an unknown token', 'DELETE', '/v2/tokens/nosuchid', undefined, 404],
    ['an inventory record without an xname', 'POST', '/v2/inventory', [{ nid: 5 }]],
    ['an inventory with one bad record', 'POST', '/v2/inventory', [{ xname: 'x9200c0s0b0n0', nid: 920 }, { xname: 'x9200c0s0b0n1', nid: -1 }]],
    ['an inventory record taking another node\'s nid', 'POST', '/v2/inventory', [{ xname: 'x9200c0s0b0n0', nid: 1 }]],
    // issue 13: input limits (each accepted before)
    ['an inventory record with an unknown field', 'POST', '/v2/inventory', [{ xname: X, hostnme: 'nid000001' }]],
    ['an inventory hostname of 300 characters', 'POST', '/v2/inventory', [{ xname: X, hostname: 'a'.repeat(300) }]],
    ['an inventory group "bad!"', 'POST', '/v2/inventory', [{ xname: X, groups: ['bad!'] }]],
    ['kernel parameters with a newline', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: [X], kernel_parameters: 'quiet\ninit=/bin/sh' } } }],
    ['kernel parameters with a NUL', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: [X], kernel_parameters: 'quiet\u0000' } } }],
    ['kernel parameters of 4097 characters', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: [X], kernel_parameters: 'q'.repeat(4097) } } }],
    ['rootfs_provider "nope"', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: [X], rootfs_provider: 'nope' } } }],
    ['a node_list entry "bad!"', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: ['bad!'] } } }],
    ['a node group with a newline', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_groups: ['compute\n'] } } }],
    ['a kernel path ../../etc/passwd', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: '../../etc/passwd', initrd: 's3://b/i', node_list: [X] } } }],
    ['a kernel path /boot/../etc/passwd', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: '/boot/../etc/passwd', initrd: 's3://b/i', node_list: [X] } } }],
    ['an initrd URL with a space', 'PUT', '/v2/sessiontemplates/limits', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i rd', node_list: [X] } } }],
    ['component_actual_state_ttl=99999999999999w', 'PATCH', '/v2/options', { component_actual_state_ttl: '99999999999999w' }],
    ['component_actual_state_ttl=53w (over 365d)', 'PATCH', '/v2/options', { component_actual_state_ttl: '53w' }],
    ['cleanup_completed_session_ttl=366d', 'PATCH', '/v2/options', { cleanup_completed_session_ttl: '366d' }],
    ['max_boot_wait_time=0', 'PATCH', '/v2/options', { max_boot_wait_time: 0 }],
    ['max_boot_wait_time over 7 days', 'PATCH', '/v2/options', { max_boot_wait_time: 604801 }],
    ['default_retry_policy=0', 'PATCH', '/v2/options', { default_retry_policy: 0 }],
    ['default_retry_policy=101', 'PATCH', '/v2/options', { default_retry_policy: 101 }],
    ['max_power_off_wait_time=0', 'PATCH', '/v2/options', { max_power_off_wait_time: 0 }],
  ];
  it.each(cases)('%s', async (_n, method, url, body, status) => {
    if (status === 200) {
      // Within the limit: must be answered, never a 5xx.
      const r = await h.call(method, url, { body });
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      return;
    }
    await refused(method, url, { body }, status ?? 400);
  });
});

describe('bad queries', () => {
  const cases: Array<[string, string, unknown?, number?]> = [
    ['GET', '/v2/components?enabled=maybe'],
    ['GET', '/v2/components?enabled='],
    ['GET', '/v2/components?enabled=TRUE1'],
    ['GET', '/v2/components?page_size=-1'],
    ['GET', '/v2/components?page_size=abc'],
    ['GET', '/v2/components?page_size=1.5'],
    ['GET', '/v2/components?page_size=1048577'],
    ['GET', '/v2/components?page_size=99999999999999999999999'],
    ['GET', '/v2/components?phase=rebooting'],
    ['GET', '/v2/components?status=dancing'],
    ['GET', `/v2/components?session=${'s'.repeat(200)}`],
    ['GET', '/v2/sessions?status=finished'],
    ['GET', '/v2/sessions?min_age=3x'],
    ['GET', '/v2/sessions?max_age=-1d'],
    ['GET', '/v2/sessions?min_age=1d2h'],
    ['GET', '/v2/sessions?min_age=99999999w'],
    ['GET', '/v2/sessions?max_age=999999999999999w'],
    ['DELETE', '/v2/sessions?status=finished'],
    ['DELETE', '/v2/sessions?min_age=forever'],
    ['DELETE', '/v2/sessions?min_age=999999999999999w'],
    ['GET', `/v2/components/${X}/history?limit=0`],
    ['GET', `/v2/components/${X}/history?limit=abc`],
    ['GET', '/v2/sessions/stage-v2/history?limit=-5'],
    ['PATCH', '/v2/components?skip_bad_ids=maybe', { patch: { enabled: true }, filters: { ids: X } }],
    ['POST', '/v2/applystaged?include_reasons=maybe', { xnames: [X] }],
    ['POST', '/v2/applystaged?force=perhaps', { xnames: [X] }],
    ['POST', '/v2/sessions?dry_run=perhaps', { template_name: 'compute-v2', operation: 'reboot', stage: true, limit: X }],
    ['POST', '/v2/sessions?max_failures=lots', { template_name: 'compute-v2', operation: 'reboot', stage: true, limit: X }],
    ['POST', '/v2/sessions/stage-v2/resume?max_failures=200%'],
  ];
  it.each(cases)('%s %s → 400', async (method, url, body, status) => { await refused(method, url, { body }, status ?? 400); });

  it('a bad query after a valid body writes nothing: POST /v2/applystaged?include_reasons=maybe with staged nodes', async () => {
    await refused('POST', '/v2/applystaged?include_reasons=maybe', { body: { xnames: GPU } }, 400);
    const c = await h.call('GET', `/v2/components/${GPU[0]}`);
    expect(c.json, 'the staged state was not applied').toMatchObject({ enabled: false, staged_state: { session: 'stage-v2' } });
  });
});

describe('paths and methods', () => {
  it.each([
    '/v2/nothing', '/v2/components/x/y/z', '/v3/components', '/apis/bos/v3/components', '/apis/bos/v2x', '/v2x/components',
    '/v2/sessiontemplates/a/b', '/v2//components', '/favicon.ico', '/v2/sessions/stage-v2/status/extra',
  ])('GET %s → 404', async (url) => {
    const r = await refused('GET', url, {}, 404);
    expect((r.json as { title: string }).title).toBe('The resource was not found');
  });

  it.each(['/v2/sessions/%ZZ', '/v2/components/%E0%A4%A', '/v2/sessiontemplates/%', '/v2/sessions/%ZZ/status'])('a malformed percent-encoding in a path parameter: GET %s → 4xx, not 500', async (url) => {
    await refused('GET', url, {});
  });

  it.each(['/v2/sessions/%ZZ', '/v2/sessiontemplates/%E0%A4%A'])('a malformed percent-encoding: DELETE %s → 4xx, not 500', async (url) => {
    await refused('DELETE', url, {});
  });

  const byPath = new Map<string, string[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.method]);
  const wrong: Array<[string, string, string[]]> = [];
  for (const [path, methods] of byPath) {
    for (const m of ['GET', 'PUT', 'POST', 'PATCH', 'DELETE']) if (!methods.includes(m)) wrong.push([m, path, methods]);
  }
  it.each(wrong.map(([m, p, allow]) => [`${m} ${p}`, m, p, allow] as const))('%s → 405 with Allow', async (_n, method, path, allow) => {
    const r = await refused(method, concrete(path, tokenId), method === 'GET' || method === 'DELETE' ? {} : { body: {} }, 405);
    expect((r.headers.get('allow') ?? '').split(/,\s*/).sort()).toEqual([...allow].sort());
  });

  it('OPTIONS → 405 with Allow; HEAD → no 5xx', async () => {
    const r = await refused('OPTIONS', '/v2/components', {}, 405);
    expect(r.headers.get('allow')).toContain('GET');
    const head = await h.call('HEAD', '/v2/components');
    expect(head.status).toBeLessThan(500);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random and mutated bodies
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Step = string | number;

const INTERESTING: Json[] = [
  '', ' ', '%ZZ', X, X.toUpperCase(), 'x9999c0s0b0n0', 'nid000001', '1', 'nid[1-4]', 'nid[', 'x1000c0s[0-3]b0n[0-1]', 'all', '*', '!gpu', '&gpu', 'gpu,!x1000c0s3b0n0',
  'Compute', 'compute-v2', 'stage-v2', 'reboot', 'boot', 'shutdown', 'complete', 'pending', 'powering_on', 'on_hold', 'stable', '0', '0d', '1h', '999999999w', 'DEBUG',
  'x'.repeat(128), 'a\u0000b', '\u{1F600}', '__proto__', 's3://boot-images/k', -1, 0, 1, 10, 86400, 131072, 1048577, 1.5, -0.5, 1e308, 2 ** 53, true, false, null, [], {}, [X], { configuration: 'c' },
];
const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
);
const keyArb = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'id', 'name', 'tenant', 'enabled', 'session', 'ids', 'xnames', 'limit', 'bss_token', 'kernel'));

function allPaths(v: Json, at: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) allPaths(v[k]!, [...at, k], out);
  return out;
}

function setOwn(o: Record<string, Json>, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

interface Mutation { at: number; kind: 'set' | 'delete' | 'add' | 'wrap' | 'retype' | 'replace'; key: string; value: Json }

function mutate(valid: Json, m: Mutation): Json {
  const root = structuredClone(valid);
  if (m.kind === 'replace') return m.value;
  const paths = allPaths(root);
  const inner = paths.filter((p) => p.length > 0);
  const containers = paths.filter((p) => { const v = get(root, p); return v !== null && typeof v === 'object'; });
  const pick = (list: Step[][]) => list[m.at % list.length]!;
  function get(v: Json, p: Step[]): Json { return p.reduce<Json>((acc, s) => (acc as Record<string, Json>)[s as string]!, v); }
  if (m.kind === 'add') {
    if (containers.length === 0) return [root, m.value];
    const c = get(root, pick(containers)) as Json[] | Record<string, Json>;
    if (Array.isArray(c)) c.push(m.value);
    else setOwn(c, m.key, m.value);
    return root;
  }
  if (inner.length === 0) return m.value;
  const p = pick(inner);
  const parent = get(root, p.slice(0, -1)) as Json[] | Record<string, Json>;
  const last = p[p.length - 1]!;
  const old = (parent as Record<string, Json>)[last as string]!;
  let next: Json;
  switch (m.kind) {
    case 'set': next = m.value; break;
    case 'wrap': next = Math.random() < 0.5 ? [old] : { v: old }; break;
    case 'retype': next = typeof old === 'string' ? (Number.isNaN(Number(old)) ? old.length : Number(old)) : typeof old === 'number' ? String(old) : typeof old === 'boolean' ? String(old) : JSON.stringify(old); break;
    default: next = old;
  }
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last as string];
  } else if (Array.isArray(parent)) parent[last as number] = next;
  else setOwn(parent, last as string, next);
  return root;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(1000),
  kind: fc.constantFrom<Mutation['kind']>('set', 'set', 'delete', 'add', 'wrap', 'retype', 'replace'),
  key: keyArb,
  value: jsonValue,
});

const PROPERTY_ROUTES: Array<{ method: string; url: string; valid: Json }> = [
  { method: 'POST', url: '/v2/sessions', valid: { template_name: 'compute-v2', operation: 'reboot', limit: 'gpu', stage: true, include_disabled: false } },
  { method: 'PUT', url: '/v2/sessiontemplates/prop-template', valid: templateBody() as unknown as Json },
  { method: 'PATCH', url: `/v2/components/${X}`, valid: { enabled: false, retry_policy: 2, status: { status_override: '' }, desired_state: { configuration: 'c' } } },
  { method: 'PATCH', url: '/v2/components', valid: { patch: { enabled: false, retry_policy: 3 }, filters: { ids: `${XNAMES[2]},${XNAMES[3]}` } } },
  { method: 'POST', url: '/v2/applystaged', valid: { xnames: [...GPU, XNAMES[4]!] } },
  { method: 'PATCH', url: '/v2/options', valid: { default_retry_policy: 3, clear_stage: false, logging_level: 'INFO' } },
];

describe('property: random and mutated bodies never make a 5xx, and a 4xx writes nothing', () => {
  let p: Harness;
  beforeAll(async () => { p = await startApi(); });
  afterAll(async () => { await p.close(); });

  it.each(PROPERTY_ROUTES.map((r) => [`${r.method} ${r.url}`, r] as const))('%s', async (_n, route) => {
    const bodies: fc.Arbitrary<Json> = fc.oneof(
      { weight: 1, arbitrary: jsonValue },
      { weight: 2, arbitrary: mutationArb.map((m) => mutate(route.valid, m)) },
      { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 2, maxLength: 4 }).map((ms) => ms.reduce<Json>((b, m) => mutate(b, m), route.valid)) },
    );
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(bodies, async (body) => {
      const before = dump(p.store);
      const r = await p.call(route.method, route.url, { raw: JSON.stringify(body) });
      seen[r.status < 400 ? 'accepted' : 'refused']++;
      if (r.status >= 500) throw new Error(`${route.method} ${route.url} ${JSON.stringify(body).slice(0, 500)} → ${r.status} ${r.text.slice(0, 300)}; log: ${JSON.stringify(p.logs.filter((l) => l.level === 'error').slice(-1))}`);
      if (r.status >= 400) {
        const shape = problemShape(r);
        if (shape.length) throw new Error(`not problem+json: ${shape.join('; ')}`);
        if (dump(p.store) !== before) throw new Error(`${r.status} but the database changed: ${JSON.stringify(body).slice(0, 500)}`);
      }
    }), { numRuns: 150 });
    // Both sides were exercised: some mutations stay valid, most do not.
    expect(seen.accepted, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThan(0);
  });
});
