/**
 * The BOS v2 contract: every operation of the reference spec, under /v2 and /apis/bos/v2,
 * called with an admin token; the status and body of each answer are validated against the
 * schema the spec names for that status (see spec.ts for where the schemas come from).
 * Then what existing BOS clients (the cray CLI, bos-reporter, Slurm glue) send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putComponents } from '../../src/services/component-api.js';
import { createSession, patchSession } from '../../src/services/sessions.js';
import { createTemplate, type TemplateBody } from '../../src/services/templates.js';
import { INITRD_V2, KERNEL_V2, PREFIXES, XNAMES, problemShape, startApi, templateBody, type Harness, type Reply } from './helpers.js';
import { SPEC_OPERATIONS, errorsOf, loadContract, type SpecOperation } from './spec.js';
import { ENGINES, freshDatabase } from '../store/engines.js';

const contract = loadContract();

/** A spec-pure boot set: an image manifest path and type, as BOS's own templates have. */
const S3_TEMPLATE: TemplateBody = {
  description: 'an image manifest boot set',
  enable_cfs: false,
  boot_sets: {
    compute: {
      path: 's3://boot-images/e06530f1-fde2-4ca5-9148-7e84f4857d17/manifest.json', type: 's3', etag: '1cc4eef4f407bd8a62d7d66ee4b9e9c8',
      kernel_parameters: 'console=ttyS0,115200', node_list: ['x1000c0s0b0n0'], arch: 'X86', rootfs_provider: 'sbps', rootfs_provider_passthrough: 'sbps:v1:iqn',
    },
  },
};

interface Case {
  op: SpecOperation;
  status: number;
  what: string;
  /** Prepares what the request needs, through the services. */
  setup?(h: Harness): void | Promise<void>;
  /** The path below the prefix (p is /v2 or /apis/bos/v2). */
  path(p: string): string;
  /** A request body; for a 2xx case it must itself be valid by the spec's request schema. */
  body?: unknown;
  headers?: Record<string, string>;
  check?(r: Reply, h: Harness): void;
  /** BOS's code answers with the body this other operation documents (a known spec error). */
  answersAs?: SpecOperation;
}

const X0 = XNAMES[0]!;
const GPU = [XNAMES[6]!, XNAMES[7]!];

const tpl = (name: string) => (h: Harness) => { createTemplate(h.ctx(), name, templateBody(), true); };
const session = (name: string, stage = true) => async (h: Harness) => {
  await createSession(h.ctx(), { name, template_name: 'compute-v2', operation: 'reboot', stage, limit: XNAMES[2]! });
};
const component = (id: string, extra: Record<string, unknown> = {}) => (h: Harness) => { putComponents(h.ctx(), [{ id, enabled: false, ...extra }]); };

const CASES: Case[] = [
  { op: 'GET /', status: 200, what: 'the API versions', path: (p) => (p === '/v2' ? '/' : '/apis/bos/'), check: (r) => expect((r.json as unknown[]).length).toBeGreaterThan(0) },
  { op: 'GET /v2', status: 200, what: 'the v2 version', path: (p) => p },
  { op: 'GET /v2/version', status: 200, what: 'the v2 version', path: (p) => `${p}/version`, check: (r) => {
    // The BOS API version bosd implements (BOS: server/controllers/v2/base.py), not bosd's own (a header).
    expect(r.json).toMatchObject({ major: '2', minor: '50', patch: '0' });
    expect(r.headers.get('bosd-version')).toMatch(/^\d+\.\d+\.\d+/);
  } },
  { op: 'GET /v2/healthz', status: 200, what: 'health', path: (p) => `${p}/healthz` },

  // Session templates
  {
    op: 'GET /v2/sessiontemplates', status: 200, what: 'both boot set styles', setup: (h) => { createTemplate(h.ctx(), 'c-s3', S3_TEMPLATE, true); },
    path: (p) => `${p}/sessiontemplates`,
    check: (r) => expect((r.json as Array<{ name: string }>).map((t) => t.name)).toEqual(expect.arrayContaining(['compute-v2', 'c-s3'])),
  },
  { op: 'GET /v2/sessiontemplatesvalid/{session_template_id}', status: 200, what: 'a valid template', path: (p) => `${p}/sessiontemplatesvalid/compute-v2`, check: (r) => expect(r.json).toBe('Valid') },
  {
    op: 'GET /v2/sessiontemplatesvalid/{session_template_id}', status: 200, what: 'a template naming an unknown node',
    setup: (h) => { createTemplate(h.ctx(), 'c-unknown-node', { boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: ['x9999c0s0b0n0'] } } }, true); },
    path: (p) => `${p}/sessiontemplatesvalid/c-unknown-node`,
  },
  { op: 'GET /v2/sessiontemplatesvalid/{session_template_id}', status: 404, what: 'an unknown template', path: (p) => `${p}/sessiontemplatesvalid/no-such-template` },
  { op: 'GET /v2/sessiontemplates/{session_template_id}', status: 200, what: 'a kernel/initrd template', path: (p) => `${p}/sessiontemplates/compute-v2`, check: (r) => expect(r.json).toMatchObject({ name: 'compute-v2' }) },
  { op: 'GET /v2/sessiontemplates/{session_template_id}', status: 200, what: 'an image manifest template', setup: (h) => { createTemplate(h.ctx(), 'c-s3-get', S3_TEMPLATE, true); }, path: (p) => `${p}/sessiontemplates/c-s3-get` },
  { op: 'GET /v2/sessiontemplates/{session_template_id}', status: 404, what: 'an unknown template', path: (p) => `${p}/sessiontemplates/no-such-template` },
  { op: 'PUT /v2/sessiontemplates/{session_template_id}', status: 200, what: 'a kernel/initrd template', path: (p) => `${p}/sessiontemplates/c-put`, body: templateBody(), check: (r) => expect(r.json).toMatchObject({ name: 'c-put' }) },
  { op: 'PUT /v2/sessiontemplates/{session_template_id}', status: 200, what: 'an image manifest template', path: (p) => `${p}/sessiontemplates/c-put-s3`, body: S3_TEMPLATE },
  { op: 'PUT /v2/sessiontemplates/{session_template_id}', status: 200, what: 'a replacement', setup: tpl('c-put-again'), path: (p) => `${p}/sessiontemplates/c-put-again`, body: { ...templateBody(), description: 'replaced' }, check: (r) => expect(r.json).toMatchObject({ description: 'replaced' }) },
  { op: 'PUT /v2/sessiontemplates/{session_template_id}', status: 400, what: 'no boot sets', path: (p) => `${p}/sessiontemplates/c-put-bad`, body: { boot_sets: {} } },
  { op: 'PATCH /v2/sessiontemplates/{session_template_id}', status: 200, what: 'a new description', setup: tpl('c-patch'), path: (p) => `${p}/sessiontemplates/c-patch`, body: { description: 'patched' }, check: (r) => expect(r.json).toMatchObject({ name: 'c-patch', description: 'patched' }) },
  { op: 'PATCH /v2/sessiontemplates/{session_template_id}', status: 400, what: 'a name in the patch', setup: tpl('c-patch-bad'), path: (p) => `${p}/sessiontemplates/c-patch-bad`, body: { name: 'other' } },
  { op: 'PATCH /v2/sessiontemplates/{session_template_id}', status: 404, what: 'an unknown template', path: (p) => `${p}/sessiontemplates/no-such-template`, body: { description: 'x' } },
  { op: 'DELETE /v2/sessiontemplates/{session_template_id}', status: 204, what: 'a template', setup: tpl('c-delete'), path: (p) => `${p}/sessiontemplates/c-delete` },
  { op: 'DELETE /v2/sessiontemplates/{session_template_id}', status: 404, what: 'an unknown template', path: (p) => `${p}/sessiontemplates/no-such-template` },
  { op: 'GET /v2/sessiontemplatetemplate', status: 200, what: 'the example', path: (p) => `${p}/sessiontemplatetemplate` },

  // Sessions
  {
    op: 'POST /v2/sessions', status: 201, what: 'a staged session', path: (p) => `${p}/sessions`,
    body: { name: 'c-post', template_name: 'compute-v2', operation: 'reboot', limit: XNAMES[1], stage: true, include_disabled: false },
    // components: "" until setup runs, as BOS answers (server/controllers/v2/sessions.py _create_session).
    check: (r) => expect(r.json).toMatchObject({ name: 'c-post', operation: 'reboot', template_name: 'compute-v2', stage: true, components: '', status: { status: 'pending' } }),
  },
  {
    op: 'POST /v2/sessions', status: 201, what: 'a session with only the required fields (a generated name)', path: (p) => `${p}/sessions`,
    body: { template_name: 'compute-v2', operation: 'boot' },
    check: (r) => expect((r.json as { name: string }).name).toMatch(/^[0-9a-f-]{36}$/),
  },
  { op: 'POST /v2/sessions', status: 201, what: 'a null limit (the spec\'s "no limit")', path: (p) => `${p}/sessions`, body: { template_name: 'compute-v2', operation: 'shutdown', limit: null, stage: true } },
  { op: 'POST /v2/sessions', status: 400, what: 'an unknown operation', path: (p) => `${p}/sessions`, body: { template_name: 'compute-v2', operation: 'explode' } },
  { op: 'POST /v2/sessions', status: 409, what: 'an existing name', path: (p) => `${p}/sessions`, body: { name: 'stage-v2', template_name: 'compute-v2', operation: 'reboot' } },
  { op: 'GET /v2/sessions', status: 200, what: 'every session', path: (p) => `${p}/sessions`, check: (r) => expect((r.json as Array<{ name: string }>).map((s) => s.name)).toContain('stage-v2') },
  { op: 'GET /v2/sessions', status: 200, what: 'filtered by status and age', path: (p) => `${p}/sessions?status=pending&min_age=0&max_age=1d` },
  { op: 'GET /v2/sessions', status: 200, what: 'max_age=0d (the spec\'s AgeString allows 0 with a unit)', path: (p) => `${p}/sessions?max_age=0d` },
  {
    op: 'DELETE /v2/sessions', status: 204, what: 'the complete sessions',
    setup: async (h) => { await session('c-old-complete')(h); patchSession(h.ctx(), 'c-old-complete', { status: { status: 'complete', end_time: new Date(h.clock.ms).toISOString() } }); },
    path: (p) => `${p}/sessions?status=complete&min_age=0`,
  },
  { op: 'DELETE /v2/sessions', status: 204, what: 'min_age=0h (the spec\'s AgeString allows 0 with a unit)', path: (p) => `${p}/sessions?status=complete&min_age=0h` },
  { op: 'DELETE /v2/sessions', status: 400, what: 'an unknown status filter', path: (p) => `${p}/sessions?status=finished` },
  { op: 'GET /v2/sessions/{session_id}', status: 200, what: 'a session', path: (p) => `${p}/sessions/stage-v2` },
  { op: 'GET /v2/sessions/{session_id}', status: 404, what: 'an unknown session', path: (p) => `${p}/sessions/no-such-session` },
  {
    op: 'PATCH /v2/sessions/{session_id}', status: 200, what: 'a status update', setup: session('c-patch-session'), path: (p) => `${p}/sessions/c-patch-session`,
    body: { status: { status: 'running', error: null } }, check: (r) => expect(r.json).toMatchObject({ status: { status: 'running' } }),
  },
  { op: 'PATCH /v2/sessions/{session_id}', status: 400, what: 'an unknown field', setup: session('c-patch-session-bad'), path: (p) => `${p}/sessions/c-patch-session-bad`, body: { stage: false } },
  { op: 'PATCH /v2/sessions/{session_id}', status: 404, what: 'an unknown session', path: (p) => `${p}/sessions/no-such-session`, body: { components: '' } },
  { op: 'DELETE /v2/sessions/{session_id}', status: 204, what: 'a session', setup: session('c-delete-session'), path: (p) => `${p}/sessions/c-delete-session` },
  { op: 'DELETE /v2/sessions/{session_id}', status: 404, what: 'an unknown session', path: (p) => `${p}/sessions/no-such-session` },
  { op: 'GET /v2/sessions/{session_id}/status', status: 200, what: 'a staged session\'s status', path: (p) => `${p}/sessions/stage-v2/status` },
  { op: 'GET /v2/sessions/{session_id}/status', status: 200, what: 'a running session\'s status', setup: session('c-status-running', false), path: (p) => `${p}/sessions/c-status-running/status` },
  { op: 'GET /v2/sessions/{session_id}/status', status: 404, what: 'an unknown session', path: (p) => `${p}/sessions/no-such-session/status` },
  {
    // BOS's code (server/controllers/v2/sessions.py save_v2_session_status) computes, saves and
    // returns the extended status; its spec names the session (docs/bos-compatibility.md).
    op: 'POST /v2/sessions/{session_id}/status', status: 200, what: 'the extended status, saved', answersAs: 'GET /v2/sessions/{session_id}/status',
    path: (p) => `${p}/sessions/stage-v2/status`, check: (r) => expect(Object.keys(r.json as object).sort()).toEqual(['error_summary', 'managed_components_count', 'percent_failed', 'percent_staged', 'percent_successful', 'phases', 'status', 'timing']),
  },
  { op: 'POST /v2/sessions/{session_id}/status', status: 404, what: 'an unknown session', path: (p) => `${p}/sessions/no-such-session/status` },

  // Components
  { op: 'GET /v2/components', status: 200, what: 'every component', path: (p) => `${p}/components`, check: (r) => expect((r.json as unknown[]).length).toBeGreaterThanOrEqual(8) },
  { op: 'GET /v2/components', status: 200, what: 'staged components', path: (p) => `${p}/components?staged_session=stage-v2` },
  { op: 'GET /v2/components', status: 400, what: 'a bad boolean', path: (p) => `${p}/components?enabled=perhaps` },
  {
    op: 'PUT /v2/components', status: 200, what: 'two new components', path: (p) => `${p}/components`,
    body: [{ id: 'x8000c0s0b0n0', enabled: false, retry_policy: 2 }, { id: 'x8000c0s0b0n1', enabled: true, desired_state: { boot_artifacts: { kernel: KERNEL_V2, initrd: INITRD_V2, kernel_parameters: '' }, configuration: 'cfg' } }],
    check: (r) => expect((r.json as Array<{ id: string }>).map((c) => c.id)).toEqual(['x8000c0s0b0n0', 'x8000c0s0b0n1']),
  },
  { op: 'PUT /v2/components', status: 400, what: 'a component without an id', path: (p) => `${p}/components`, body: [{ enabled: false }] },
  {
    op: 'PATCH /v2/components', status: 200, what: 'a patch by ids', setup: (h) => { component('x8001c0s0b0n0')(h); component('x8001c0s0b0n1')(h); },
    path: (p) => `${p}/components`, body: { patch: { enabled: true, retry_policy: 5 }, filters: { ids: 'x8001c0s0b0n0,x8001c0s0b0n1' } },
    check: (r) => expect(r.json).toMatchObject([{ id: 'x8001c0s0b0n0', enabled: true, retry_policy: 5 }, { id: 'x8001c0s0b0n1', enabled: true, retry_policy: 5 }]),
  },
  {
    op: 'PATCH /v2/components', status: 200, what: 'a patch by session', setup: session('c-patch-by-session', false),
    path: (p) => `${p}/components`, body: { patch: { retry_policy: 1 }, filters: { session: 'c-patch-by-session', ids: '' } },
    check: (r) => expect(r.json).toMatchObject([{ id: XNAMES[2], retry_policy: 1 }]),
  },
  {
    // The spec's request body is oneOf V2ComponentsUpdate or V2ComponentArrayWithIds.
    op: 'PATCH /v2/components', status: 200, what: 'a list of components with ids (the spec\'s second request form)', setup: component('x8002c0s0b0n0'),
    path: (p) => `${p}/components`, body: [{ id: 'x8002c0s0b0n0', enabled: true }],
    check: (r) => expect(r.json).toMatchObject([{ id: 'x8002c0s0b0n0', enabled: true }]),
  },
  { op: 'PATCH /v2/components', status: 400, what: 'no filters', path: (p) => `${p}/components`, body: { patch: { enabled: true } } },
  { op: 'PATCH /v2/components', status: 404, what: 'an unknown id', path: (p) => `${p}/components`, body: { patch: { enabled: true }, filters: { ids: `${X0},x9999c0s0b0n0` } } },
  { op: 'GET /v2/components/{component_id}', status: 200, what: 'a component', path: (p) => `${p}/components/${X0}`, check: (r) => expect(r.json).toMatchObject({ id: X0 }) },
  {
    op: 'GET /v2/components/{component_id}', status: 200, what: 'a staged component',
    setup: async (h) => { await createSession(h.ctx(), { name: 'c-staged-get', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: XNAMES[4] }); },
    path: (p) => `${p}/components/${XNAMES[4]}`, check: (r) => expect(r.json).toMatchObject({ staged_state: { session: 'c-staged-get', boot_artifacts: { kernel: KERNEL_V2 } } }),
  },
  { op: 'GET /v2/components/{component_id}', status: 404, what: 'an unknown component', path: (p) => `${p}/components/x9999c0s0b0n0` },
  {
    op: 'PUT /v2/components/{component_id}', status: 200, what: 'a new component', path: (p) => `${p}/components/x8003c0s0b0n0`,
    body: { enabled: false, error: '', session: '', staged_state: { session: '' }, event_stats: { power_on_attempts: 0 } },
    check: (r) => expect(r.json).toMatchObject({ id: 'x8003c0s0b0n0', enabled: false }),
  },
  { op: 'PUT /v2/components/{component_id}', status: 400, what: 'a wrong type', path: (p) => `${p}/components/x8003c0s0b0n1`, body: { enabled: 'yes' } },
  { op: 'PATCH /v2/components/{component_id}', status: 200, what: 'an admin patch', setup: component('x8004c0s0b0n0'), path: (p) => `${p}/components/x8004c0s0b0n0`, body: { enabled: true, error: 'none' }, check: (r) => expect(r.json).toMatchObject({ enabled: true, error: 'none' }) },
  { op: 'PATCH /v2/components/{component_id}', status: 200, what: 'a boot report', setup: component('x8004c0s0b0n1'), path: (p) => `${p}/components/x8004c0s0b0n1`, body: { actual_state: { bss_token: 'token-from-bss' } }, check: (r) => expect(r.json).toMatchObject({ actual_state: { bss_token: 'token-from-bss' } }) },
  { op: 'PATCH /v2/components/{component_id}', status: 400, what: 'an unknown field', setup: component('x8004c0s1b0n0'), path: (p) => `${p}/components/x8004c0s1b0n0`, body: { enabled: true, power: 'on' } },
  { op: 'PATCH /v2/components/{component_id}', status: 404, what: 'an unknown component', path: (p) => `${p}/components/x9999c0s0b0n0`, body: { enabled: true } },
  {
    op: 'PATCH /v2/components/{component_id}', status: 409, what: 'a boot report while bosd powers the node off',
    setup: component('x8004c0s1b0n1', { enabled: true, status: { phase: 'powering_off' }, last_action: { action: 'powering_off_gracefully' } }),
    path: (p) => `${p}/components/x8004c0s1b0n1`, body: { actual_state: { bss_token: 'early' } },
  },
  { op: 'DELETE /v2/components/{component_id}', status: 204, what: 'a component', setup: component('x8005c0s0b0n0'), path: (p) => `${p}/components/x8005c0s0b0n0` },
  { op: 'DELETE /v2/components/{component_id}', status: 404, what: 'an unknown component', path: (p) => `${p}/components/x9999c0s0b0n0` },

  // Apply staged, options
  {
    op: 'POST /v2/applystaged', status: 200, what: 'a staged and an unstaged node',
    setup: async (h) => { await createSession(h.ctx(), { name: 'c-apply', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: XNAMES[5] }); component('x8006c0s0b0n0')(h); },
    path: (p) => `${p}/applystaged`, body: { xnames: [XNAMES[5], 'x8006c0s0b0n0'] },
    check: (r) => expect(r.json).toEqual({ succeeded: [XNAMES[5]], failed: [], ignored: ['x8006c0s0b0n0'] }),
  },
  { op: 'POST /v2/applystaged', status: 400, what: 'xnames not a list', path: (p) => `${p}/applystaged`, body: { xnames: X0 } },
  { op: 'GET /v2/options', status: 200, what: 'the options', path: (p) => `${p}/options`, check: (r) => expect(r.json).toMatchObject({ default_retry_policy: expect.any(Number), clear_stage: false }) },
  { op: 'PATCH /v2/options', status: 200, what: 'two options', path: (p) => `${p}/options`, body: { default_retry_policy: 4, logging_level: 'debug' }, check: (r) => expect(r.json).toMatchObject({ default_retry_policy: 4, logging_level: 'debug' }) },
  { op: 'PATCH /v2/options', status: 400, what: 'an out-of-range value', path: (p) => `${p}/options`, body: { bss_read_timeout: 5 } },
];

/** Documented answers no request can bring about, each with the reason. */
const NOT_PRODUCED: Record<string, string> = {
  'GET / 500': 'an internal failure',
  'GET /v2 500': 'an internal failure',
  'GET /v2/version 500': 'an internal failure',
  'GET /v2/healthz 500': 'an internal failure',
  'GET /v2/healthz 503': 'the database unreachable',
  'GET /v2/components/{component_id} 400': 'bosd checks no shape of a component id: an unknown one is a 404',
};

function method(op: SpecOperation): string {
  return op.split(' ')[0]!;
}

function checkAgainstContract(c: Case, r: Reply): void {
  expect(r.status, `${c.op} (${c.what}): ${r.text.slice(0, 600)}`).toBe(c.status);
  const e = contract.response(c.answersAs ?? c.op, c.status);
  if (e.mediaType === null) {
    expect(r.text, `${c.op} ${c.status} has no body`).toBe('');
    return;
  }
  expect(r.contentType.split(';')[0]).toBe(e.mediaType);
  const valid = e.validate!(r.json);
  expect(valid, `${e.source}: ${valid ? '' : errorsOf(e.validate!)}\nbody: ${r.text.slice(0, 800)}`).toBe(true);
  if (r.status >= 400) expect(problemShape(r)).toEqual([]);
}

describe('the contract', () => {
  it('says what the bodies are validated against', () => {
    console.log(contract.banner);
    expect(contract.banner).toMatch(contract.fromReference ? /^validated against the reference spec/ : /^reference spec not found: validated against bosctl's own schemas$/);
  });

  it('lists every operation of the reference spec (when it is there)', () => {
    if (!contract.fromReference) {
      console.log('reference spec not found: the list of operations is bosctl\'s own copy');
      return;
    }
    expect([...contract.documentOperations()].sort()).toEqual([...SPEC_OPERATIONS].sort());
  });

  it('has a case for every documented status of every operation, or a reason why none can be made', () => {
    const missing: string[] = [];
    for (const op of SPEC_OPERATIONS) {
      for (const status of contract.statuses(op)) {
        const key = `${op} ${status}`;
        if (!CASES.some((c) => c.op === op && c.status === status) && !NOT_PRODUCED[key]) missing.push(key);
      }
    }
    expect(missing).toEqual([]);
    for (const c of CASES) expect(contract.statuses(c.op), `${c.op} documents ${c.status}`).toContain(c.status);
  });

  it('sends only requests the spec itself accepts in the success cases', () => {
    const invalid: string[] = [];
    for (const c of CASES) {
      if (c.status >= 300 || c.body === undefined) continue;
      const v = contract.request(c.op);
      if (!v) { invalid.push(`${c.op}: the spec documents no request body`); continue; }
      if (!v(c.body)) invalid.push(`${c.op} (${c.what}): ${errorsOf(v)}`);
    }
    expect(invalid).toEqual([]);
  });
});

describe.each(ENGINES.flatMap((engine) => PREFIXES.map((prefix) => [prefix, engine] as const)))('every operation under %s on %s', (prefix, engine) => {
  let h: Harness;
  beforeAll(async () => { h = await startApi({ db: await freshDatabase(engine) }); });
  afterAll(async () => { await h.close(); });

  it.each(CASES.map((c) => [`${c.op} → ${c.status}: ${c.what}`, c] as const))('%s', async (_name, c) => {
    await c.setup?.(h);
    const r = await h.call(method(c.op), c.path(prefix), { body: c.body, headers: c.headers });
    checkAgainstContract(c, r);
    c.check?.(r, h);
  });
});

describe.each(ENGINES)('what existing clients send (%s)', (engine) => {
  let h: Harness;
  beforeAll(async () => { h = await startApi({ db: await freshDatabase(engine) }); });
  afterAll(async () => { await h.close(); });
  const ids = (r: Reply) => (r.json as Array<{ id: string }>).map((c) => c.id);

  it('PATCH /v2/components with filters.ids as a comma-separated string (and spaces)', async () => {
    const r = await h.call('PATCH', '/v2/components', { body: { patch: { enabled: true }, filters: { ids: `${XNAMES[0]}, ${XNAMES[1]}` } } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject([{ id: XNAMES[0], enabled: true }, { id: XNAMES[1], enabled: true }]);
  });

  it('PATCH /v2/components?skip_bad_ids=True patches the known ids and skips the others', async () => {
    const r = await h.call('PATCH', '/v2/components?skip_bad_ids=True', { body: { patch: { retry_policy: 7 }, filters: { ids: `${XNAMES[5]},x9999c0s0b0n0` } } });
    expect(r.status, r.text).toBe(200);
    expect(ids(r)).toEqual([XNAMES[5]]);
  });

  it.each([['true', true], ['True', true], ['false', false], ['False', false]] as const)('GET /v2/components?enabled=%s', async (word, value) => {
    const r = await h.call('GET', `/v2/components?enabled=${word}`);
    expect(r.status, r.text).toBe(200);
    const all = (r.json as Array<{ id: string; enabled: boolean }>);
    expect(all.every((c) => c.enabled === value)).toBe(true);
    expect(ids(r)).toEqual(value ? [XNAMES[0], XNAMES[1]] : XNAMES.slice(2));
  });

  it('PUT /v2/sessiontemplates/T as the cray CLI sends it: enable_cfs, no name', async () => {
    const body = {
      enable_cfs: true, cfs: { configuration: 'compute-23.4.0' },
      boot_sets: { compute: { kernel: KERNEL_V2, initrd: INITRD_V2, kernel_parameters: 'console=ttyS0', node_list: [XNAMES[0], XNAMES[1]], arch: 'X86' } },
    };
    const r = await h.call('PUT', '/v2/sessiontemplates/cli-template', { body });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ name: 'cli-template', enable_cfs: true });
    const g = await h.call('GET', '/apis/bos/v2/sessiontemplates/cli-template');
    expect(g.json).toEqual(r.json);
    // The same with the name in the body, equal to the path's.
    const named = await h.call('PUT', '/v2/sessiontemplates/cli-template', { body: { ...body, name: 'cli-template' } });
    expect(named.status, named.text).toBe(200);
  });

  it('Cray-Tenant-Name is recorded on the session (and template) it creates', async () => {
    // The tenant must exist (issue 14: BOS answers 400 "Invalid tenant" otherwise; test/tenants/).
    (await import('../../src/services/tenants.js')).createTenant(h.ctx(), { name: 'vcluster-blue', nodes: XNAMES[4] });
    const t = await h.call('PUT', '/v2/sessiontemplates/tenant-template', { body: templateBody(), headers: { 'Cray-Tenant-Name': 'vcluster-blue' } });
    expect(t.status, t.text).toBe(200);
    expect(t.json).toMatchObject({ tenant: 'vcluster-blue' });
    const r = await h.call('POST', '/v2/sessions', {
      body: { name: 'tenant-session', template_name: 'tenant-template', operation: 'reboot', stage: true, limit: XNAMES[4] },
      headers: { 'Cray-Tenant-Name': 'vcluster-blue' },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ name: 'tenant-session', tenant: 'vcluster-blue' });
    // Sessions and templates are keyed by (tenant, name), as BOS keys them.
    expect((await h.call('GET', '/v2/sessions/tenant-session', { headers: { 'Cray-Tenant-Name': 'vcluster-blue' } })).json).toMatchObject({ tenant: 'vcluster-blue' });
    const without = await h.call('POST', '/v2/sessions', { body: { name: 'no-tenant', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: XNAMES[4] } });
    expect(without.json).not.toHaveProperty('tenant', 'vcluster-blue');
  });

  it('GET /v2/components filters: ids, session, staged_session, enabled, phase, status', async () => {
    expect(ids(await h.call('GET', `/v2/components?ids=${XNAMES[3]},${XNAMES[1]}`))).toEqual([XNAMES[1], XNAMES[3]]);
    expect(ids(await h.call('GET', '/v2/components?staged_session=stage-v2'))).toEqual(GPU);
    expect(ids(await h.call('GET', '/v2/components?staged_session=stage-v2&ids=' + GPU[1]))).toEqual([GPU[1]]);
    const s = await h.call('POST', '/v2/sessions', { body: { name: 'filter-session', template_name: 'compute-v2', operation: 'reboot', limit: XNAMES[2] } });
    expect(s.status, s.text).toBe(201);
    expect(ids(await h.call('GET', '/v2/components?session=filter-session'))).toEqual([XNAMES[2]]);
    expect(ids(await h.call('GET', '/v2/components?session=filter-session&enabled=False'))).toEqual([]);
    expect(ids(await h.call('GET', '/v2/components?session=filter-session&enabled=True'))).toEqual([XNAMES[2]]);
    // Disabled: enabling it would put it on hold (BOS's _set_on_hold_when_enabled), status on_hold.
    const put = await h.call('PUT', '/v2/components/x7000c0s0b0n0', { body: { enabled: false, status: { phase: 'powering_off' } } });
    expect(put.status, put.text).toBe(200);
    expect(ids(await h.call('GET', '/v2/components?phase=powering_off'))).toEqual(['x7000c0s0b0n0']);
    expect(ids(await h.call('GET', '/v2/components?status=power_off_pending'))).toEqual(['x7000c0s0b0n0']);
    const stable = await h.call('GET', '/v2/components?status=stable');
    expect(ids(stable)).not.toContain('x7000c0s0b0n0');
    expect((stable.json as Array<{ status: { status: string } }>).every((c) => c.status.status === 'stable')).toBe(true);
  });

  it('pages with start_after_id and page_size', async () => {
    const all = ids(await h.call('GET', '/v2/components'));
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all).toEqual([...all].sort());
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 20; i++) {
      const r = await h.call('GET', `/v2/components?page_size=3${after ? `&start_after_id=${after}` : ''}`);
      expect(r.status, r.text).toBe(200);
      const page = ids(r);
      expect(page.length).toBeLessThanOrEqual(3);
      if (page.length === 0) break;
      seen.push(...page);
      after = page[page.length - 1];
    }
    expect(seen).toEqual(all);
    expect(ids(await h.call('GET', '/v2/components?page_size=0'))).toEqual(all);
    expect(ids(await h.call(`GET`, `/v2/components?start_after_id=${all[all.length - 2]}`))).toEqual([all[all.length - 1]]);
    expect(ids(await h.call('GET', '/v2/components?enabled=true&page_size=1'))).toHaveLength(1);
  });

  it('POST /v2/applystaged {"xnames": [...]} answers exactly {succeeded, failed, ignored}', async () => {
    const r = await h.call('POST', '/apis/bos/v2/applystaged', { body: { xnames: [GPU[0], XNAMES[5], 'x9999c0s0b0n0'] } });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json as object).sort()).toEqual(['failed', 'ignored', 'succeeded']);
    expect(r.json).toEqual({ succeeded: [GPU[0]], failed: [], ignored: [XNAMES[5], 'x9999c0s0b0n0'] });
    const c = await h.call('GET', `/v2/components/${GPU[0]}`);
    expect(c.json).toMatchObject({ enabled: true, desired_state: { boot_artifacts: { kernel: KERNEL_V2 } } });
  });

  it('DELETE /v2/sessions without filters deletes only complete sessions (the spec: "By default only completed Sessions will be deleted")', async () => {
    const ctx = h.ctx();
    await createSession(ctx, { name: 'keep-pending', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: XNAMES[6] });
    await createSession(ctx, { name: 'drop-complete', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: XNAMES[6] });
    patchSession(ctx, 'drop-complete', { status: { status: 'complete', end_time: new Date(h.clock.ms).toISOString() } });
    const r = await h.call('DELETE', '/v2/sessions');
    expect(r.status, r.text).toBe(204);
    expect((await h.call('GET', '/v2/sessions/drop-complete')).status).toBe(404);
    expect((await h.call('GET', '/v2/sessions/keep-pending')).status, 'a pending session survives an unfiltered bulk delete').toBe(200);
  });
});
