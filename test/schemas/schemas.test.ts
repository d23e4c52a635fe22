/**
 * Valid and invalid bodies for each BOS v2 schema in src/core/schemas.ts, checked through
 * validateBody/assertBody (src/core/validate-body.ts). Runs without ../shared.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBosError } from '../../src/core/errors.js';
import { defaultOptions } from '../../src/core/options.js';
import { EXTENSIONS, SCHEMAS, SCHEMA_NAMES, type SchemaName } from '../../src/core/schemas.js';
import { assertBody, validateBody } from '../../src/core/validate-body.js';

const S3 = 's3://boot-images/9e3c75e1-ac42-42c7-873c-e758048897d6';
const KERNEL_PARAMETERS =
  'console=ttyS0,115200 bad_page=panic crashkernel=360M hugepagelist=2m-2g intel_iommu=off ip=dhcp rd.neednet=1 rd.retry=10 rd.shell spire_join_token=${SPIRE_JOIN_TOKEN}';
const long = (n: number, c = 'a'): string => c.repeat(n);

/** A session template as CSM's documentation shows them: one s3 boot set by role. */
const csmTemplate = {
  name: 'cos-2.5.97-slurm-compute',
  tenant: '',
  description: 'compute nodes, COS with Slurm',
  enable_cfs: true,
  cfs: { configuration: 'cos-config-2.5.97-slurm' },
  boot_sets: {
    compute: {
      name: 'compute',
      path: `${S3}/manifest.json`,
      type: 's3',
      etag: 'b0ace28163302e18b68cf04dd64f2e01',
      kernel_parameters: KERNEL_PARAMETERS,
      node_roles_groups: ['Compute'],
      rootfs_provider: 'sbps',
      rootfs_provider_passthrough: 'sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.my-system.my-site-domain:300',
      arch: 'X86',
    },
  },
  links: [{ href: '/v2/sessiontemplates/cos-2.5.97-slurm-compute', rel: 'self' }],
};

/** Our extension: the kernel and initrd named directly, no manifest. */
const kernelInitrdTemplate = {
  description: 'direct artifacts',
  enable_cfs: false,
  boot_sets: {
    'gpu.a100': {
      kernel: `${S3}/kernel`,
      initrd: `${S3}/initrd`,
      kernel_parameters: 'console=ttyS0,115200 ip=dhcp',
      node_list: ['x3000c0s19b1n0', 'x3000c0s19b2n0'],
      node_groups: ['gpu'],
      cfs: { configuration: 'gpu-config' },
    },
  },
};

const fullComponent = {
  id: 'x3000c0s19b1n0',
  actual_state: {
    boot_artifacts: { kernel: `${S3}/kernel`, kernel_parameters: KERNEL_PARAMETERS, initrd: `${S3}/initrd` },
    bss_token: 'a1b2c3',
    last_updated: '2019-07-28T03:26:00Z',
  },
  desired_state: {
    boot_artifacts: { kernel: `${S3}/kernel`, kernel_parameters: KERNEL_PARAMETERS, initrd: `${S3}/initrd` },
    configuration: 'compute-23.4.0',
    bss_token: 'a1b2c3',
    last_updated: '2024-05-01T12:00:00.123456+00:00',
  },
  staged_state: { boot_artifacts: {}, configuration: '', session: '', last_updated: '2024-05-01T12:00:00' },
  last_action: { last_updated: '2024-05-01T12:00:00Z', action: 'powering_on', failed: false },
  event_stats: { power_on_attempts: 1, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 },
  status: { phase: 'powering_on', status: 'power_on_called', status_override: '' },
  enabled: true,
  error: '',
  session: 'session-20190728032600',
  retry_policy: 3,
};

const session = {
  name: 'session-20190728032600',
  tenant: null,
  operation: 'reboot',
  template_name: 'cos-2.5.97-slurm-compute',
  limit: 'x3000c0s19b1n0,x3000c0s19b2n0',
  stage: false,
  components: 'x3000c0s19b1n0,x3000c0s19b2n0',
  include_disabled: false,
  status: { start_time: '2019-07-28T03:26:00', end_time: null, status: 'running', error: null },
};

type Case = [label: string, body: unknown];
type BadCase = [label: string, body: unknown, expected: string];

/** For each schema: bodies it accepts, and bodies it refuses with (part of) the expected problem. */
const CASES: Record<SchemaName, { valid: Case[]; invalid: BadCase[] }> = {
  V2BootArtifacts: {
    valid: [
      ['all three', { kernel: `${S3}/kernel`, kernel_parameters: KERNEL_PARAMETERS, initrd: `${S3}/initrd` }],
      ['empty', {}],
    ],
    invalid: [
      ['unknown key', { kernel: 'k', rootfs: 'x' }, "unknown property 'rootfs'"],
      ['kernel not a string', { kernel: 7 }, 'kernel: must be string'],
      ['kernel too long', { kernel: long(4096) }, 'kernel: must NOT have more than 4095 characters'],
      ['kernel parameters too long', { kernel_parameters: long(4097) }, 'kernel_parameters: must NOT have more than 4096'],
      ['not an object', 'kernel', 'must be object'],
    ],
  },
  V2ComponentActualState: {
    valid: [
      ['full', fullComponent.actual_state],
      ['Python isoformat stamp', { last_updated: '2024-05-01T12:00:00.123456' }],
    ],
    invalid: [
      ['configuration is desired/staged only', { configuration: 'c' }, "unknown property 'configuration'"],
      ['not a date-time', { last_updated: 'yesterday' }, 'last_updated: must be a date-time'],
      ['bss_token too long', { bss_token: long(65536) }, 'bss_token: must NOT have more than 65535'],
    ],
  },
  V2ComponentDesiredState: {
    valid: [['full', fullComponent.desired_state], ['empty', {}]],
    invalid: [
      ['configuration too long', { configuration: long(128) }, 'configuration: must NOT have more than 127'],
      ['session is staged only', { session: '' }, "unknown property 'session'"],
      ['boot artifacts unknown key', { boot_artifacts: { image: 'x' } }, "boot_artifacts: unknown property 'image'"],
    ],
  },
  V2ComponentStagedState: {
    valid: [
      ['no session', fullComponent.staged_state],
      ['a session', { session: 'session-1', configuration: 'c1' }],
    ],
    invalid: [
      ['bad session name', { session: 'bad name!' }, 'session: must be 1-127 letters'],
      ['bss_token is not staged', { bss_token: 'x' }, "unknown property 'bss_token'"],
      ['session null', { session: null }, 'session: must be string'],
    ],
  },
  V2ComponentLastAction: {
    valid: [['full', fullComponent.last_action], ['every action', { action: 'actual_state_cleanup' }]],
    invalid: [
      ['unknown action', { action: 'rebooting' }, 'action: must be one of "actual_state_cleanup"'],
      ['failed not boolean', { failed: 'no' }, 'failed: must be boolean'],
    ],
  },
  V2ComponentEventStats: {
    valid: [['zeros', { power_on_attempts: 0, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 }], ['max', { power_on_attempts: 1048576 }]],
    invalid: [
      ['negative', { power_on_attempts: -1 }, 'power_on_attempts: must be >= 0'],
      ['too many', { power_off_graceful_attempts: 1048577 }, 'power_off_graceful_attempts: must be <= 1048576'],
      ['fraction', { power_off_forceful_attempts: 1.5 }, 'power_off_forceful_attempts: must be integer'],
    ],
  },
  V2ComponentStatus: {
    valid: [['full', fullComponent.status], ['empty phase', { phase: '' }]],
    invalid: [
      ['unknown phase', { phase: 'booting' }, 'phase: must be one of "configuring", "powering_off", "powering_on", ""'],
      ['unknown key', { state: 'on' }, "unknown property 'state'"],
    ],
  },
  V2Component: {
    valid: [['full', fullComponent], ['a patch', { enabled: false }], ['clear the session', { session: '' }]],
    invalid: [
      ['empty patch', {}, 'must NOT have fewer than 1 properties'],
      ['negative retry policy', { retry_policy: -1 }, 'retry_policy: must be >= 0'],
      ['unknown key', { xname: 'x3000c0s19b1n0' }, "unknown property 'xname'"],
      ['enabled as text', { enabled: 'true' }, 'enabled: must be boolean'],
      ['error too long', { error: long(65537) }, 'error: must NOT have more than 65536'],
    ],
  },
  V2ComponentWithId: {
    valid: [['full', fullComponent], ['id only', { id: 'x3000c0s19b1n0' }]],
    invalid: [
      ['no id', { enabled: true }, "must have required property 'id'"],
      ['empty id', { id: '' }, 'id: must NOT have fewer than 1 characters'],
    ],
  },
  V2ComponentArray: {
    valid: [['two', [{ id: 'x1' }, { enabled: true }]], ['none', []]],
    invalid: [['an empty item', [{ id: 'x1' }, {}], '[1]: must NOT have fewer than 1 properties']],
  },
  V2ComponentArrayWithIds: {
    valid: [['two', [fullComponent, { id: 'x3000c0s19b2n0', enabled: false }]]],
    invalid: [
      ['an item without id', [{ id: 'x1' }, { enabled: true }], "[1]: must have required property 'id'"],
      ['an object', { id: 'x1' }, 'must be array'],
    ],
  },
  V2ComponentsUpdate: {
    valid: [
      ['by ids', { patch: { enabled: false }, filters: { ids: 'x3000c0s19b1n0,x3000c0s19b2n0' } }],
      ['by ids, empty session', { patch: { enabled: false }, filters: { ids: 'x1', session: '' } }],
      ['by session', { patch: { retry_policy: 2 }, filters: { session: 'session-1' } }],
      ['by session, null ids', { patch: { enabled: true }, filters: { ids: null, session: 'session-1' } }],
    ],
    invalid: [
      ['no filter key', { patch: { enabled: true }, filters: {} }, "filters: must have required property 'ids' or 'session'"],
      ['both filters', { patch: { enabled: true }, filters: { ids: 'x1', session: 's1' } }, 'filters.session: must be one of "", null'],
      ['no patch', { filters: { ids: 'x1' } }, "must have required property 'patch'"],
      ['empty patch', { patch: {}, filters: { ids: 'x1' } }, 'patch: must NOT have fewer than 1 properties'],
      ['empty ids', { patch: { enabled: true }, filters: { ids: '' } }, 'filters.ids: must NOT have fewer than 1 characters'],
      ['unknown filter', { patch: { enabled: true }, filters: { ids: 'x1', status: 'on' } }, "filters: unknown property 'status'"],
    ],
  },
  V2ApplyStagedComponents: {
    valid: [['xnames', { xnames: ['x3000c0s19b1n0', 'x3000c0s19b2n0'] }], ['empty', {}], ['no xnames', { xnames: [] }]],
    invalid: [
      ['xnames as text', { xnames: 'x3000c0s19b1n0' }, 'xnames: must be array'],
      ['an empty xname', { xnames: [''] }, 'xnames[0]: must NOT have fewer than 1 characters'],
      ['unknown key', { nodes: [] }, "unknown property 'nodes'"],
    ],
  },
  V2ApplyStagedStatus: {
    valid: [['all three', { succeeded: ['x1'], failed: [], ignored: ['x2'] }]],
    invalid: [['unknown status', { pending: [] }, "unknown property 'pending'"]],
  },
  V2BootSet: {
    valid: [
      ['path and type', csmTemplate.boot_sets.compute],
      ['kernel and initrd (extension)', kernelInitrdTemplate.boot_sets['gpu.a100']],
      ['both ways', { path: `${S3}/manifest.json`, type: 's3', kernel: `${S3}/kernel`, initrd: '/srv/images/initrd' }],
    ],
    invalid: [
      ['neither', { node_list: ['x1'] }, "must have required property 'path'"],
      ['path without type', { path: `${S3}/manifest.json` }, "must have required property 'type'"],
      ['kernel without initrd', { kernel: `${S3}/kernel` }, "must have required property 'initrd'"],
      ['empty node list', { path: 'p', type: 's3', node_list: [] }, 'node_list: must NOT have fewer than 1 items'],
      ['empty xname', { path: 'p', type: 's3', node_list: [''] }, 'node_list[0]: must NOT have fewer than 1 characters'],
      ['arch in lower case', { path: 'p', type: 's3', arch: 'x86' }, 'arch: must be one of "X86", "ARM", "Other", "Unknown"'],
      ['misspelt key', { path: 'p', type: 's3', kernal: 'k' }, "unknown property 'kernal'"],
      ['bad name', { path: 'p', type: 's3', name: '_compute' }, 'name: must be 1-127 letters'],
      ['empty path', { path: '', type: 's3' }, 'path: must NOT have fewer than 1 characters'],
      ['cfs unknown key', { path: 'p', type: 's3', cfs: { clone_url: 'x' } }, "cfs: unknown property 'clone_url'"],
    ],
  },
  V2SessionTemplate: {
    valid: [
      ['CSM-style s3 template', csmTemplate],
      ['kernel/initrd template (extension)', kernelInitrdTemplate],
      ['null tenant', { tenant: null, boot_sets: csmTemplate.boot_sets }],
      ['minimal', { boot_sets: { b: { path: 'p', type: 's3' } } }],
      ['a 127-character name', { name: `a${long(125, '-')}z`, boot_sets: csmTemplate.boot_sets }],
    ],
    invalid: [
      ['no boot sets', { description: 'd' }, "must have required property 'boot_sets'"],
      ['empty boot sets', { boot_sets: {} }, 'boot_sets: must NOT have fewer than 1 properties'],
      ['name with a space', { name: 'bad name', boot_sets: csmTemplate.boot_sets }, 'name: must be 1-127 letters'],
      ['name starting with a dash', { name: '-cos', boot_sets: csmTemplate.boot_sets }, 'name: must be 1-127 letters'],
      ['name ending with a dot', { name: 'cos.', boot_sets: csmTemplate.boot_sets }, 'name: must be 1-127 letters'],
      ['a 128-character name', { name: long(128), boot_sets: csmTemplate.boot_sets }, 'name: must NOT have more than 127 characters'],
      ['empty name', { name: '', boot_sets: csmTemplate.boot_sets }, 'name: must NOT have fewer than 1 characters'],
      ['unknown key', { boot_sets: csmTemplate.boot_sets, boot_set: {} }, "unknown property 'boot_set'"],
      ['empty description', { description: '', boot_sets: csmTemplate.boot_sets }, 'description: must NOT have fewer than 1'],
      ['enable_cfs as text', { enable_cfs: 'yes', boot_sets: csmTemplate.boot_sets }, 'enable_cfs: must be boolean'],
      ['boot set lacks path', { boot_sets: { compute: { type: 's3' } } }, "boot_sets.compute: must have required property 'path'"],
      ['tenant too long', { tenant: long(128), boot_sets: csmTemplate.boot_sets }, 'tenant: must NOT have more than 127'],
    ],
  },
  V2SessionTemplateArray: {
    valid: [['two', [csmTemplate, kernelInitrdTemplate]], ['none', []]],
    invalid: [['one without boot sets', [csmTemplate, {}], "[1]: must have required property 'boot_sets'"]],
  },
  V2SessionTemplatePatch: {
    valid: [
      ['description', { description: 'new' }],
      ['boot sets', { boot_sets: kernelInitrdTemplate.boot_sets, enable_cfs: false }],
      ['nothing', {}],
    ],
    invalid: [
      ['name cannot be patched', { name: 'x' }, "unknown property 'name'"],
      ['links cannot be patched', { links: [] }, "unknown property 'links'"],
      ['a bad boot set', { boot_sets: { c: { path: 'p' } } }, "boot_sets.c: must have required property 'type'"],
    ],
  },
  V2SessionCreate: {
    valid: [
      ['minimal', { operation: 'boot', template_name: 'cos-2.5.97-slurm-compute' }],
      ['everything', { name: 'reboot-compute', operation: 'reboot', template_name: 't1', limit: 'x3000c0s19b1n0,&Compute,!x1', stage: true, include_disabled: false }],
      ['null limit', { operation: 'shutdown', template_name: 't1', limit: null }],
      ['empty limit', { operation: 'shutdown', template_name: 't1', limit: '' }],
    ],
    invalid: [
      ['unknown operation', { operation: 'restart', template_name: 't1' }, 'operation: must be one of "boot", "reboot", "shutdown"'],
      ['no template', { operation: 'boot' }, "must have required property 'template_name'"],
      ['no operation', { template_name: 't1' }, "must have required property 'operation'"],
      ['name with a space', { name: 'my session', operation: 'boot', template_name: 't1' }, 'name: must be 1-127 letters'],
      ['BOS v1 field', { operation: 'boot', template_uuid: 't1' }, "unknown property 'template_uuid'"],
      ['stage as text', { operation: 'boot', template_name: 't1', stage: 'true' }, 'stage: must be boolean'],
      ['limit too long', { operation: 'boot', template_name: 't1', limit: long(524289) }, 'limit: must NOT have more than 524288'],
    ],
  },
  V2Session: {
    valid: [['running', session], ['complete', { ...session, status: { ...session.status, end_time: '2019-07-28T04:00:00', status: 'complete' } }]],
    invalid: [
      ['no name', { operation: 'boot', template_name: 't1' }, "must have required property 'name'"],
      ['unknown status', { ...session, status: { status: 'failed' } }, 'status.status: must be one of "pending", "running", "complete"'],
      ['end time not text', { ...session, status: { end_time: 5 } }, 'status.end_time: must be string or null'],
    ],
  },
  V2SessionArray: {
    valid: [['one', [session]]],
    invalid: [['a bad operation', [{ ...session, operation: 'Boot' }], '[0].operation: must be one of']],
  },
  V2SessionUpdate: {
    valid: [['components and status', { components: 'x1,x2', status: { status: 'complete', end_time: '2024-01-01T00:00:00', error: 'it broke' } }]],
    invalid: [
      ['operation cannot change', { operation: 'boot' }, "unknown property 'operation'"],
      ['status unknown key', { status: { done: true } }, "status: unknown property 'done'"],
    ],
  },
  V2SessionExtendedStatus: {
    valid: [[
      'full',
      {
        status: 'running',
        managed_components_count: 12,
        phases: { percent_complete: 50, percent_powering_on: 25, percent_powering_off: 0, percent_configuring: 25.5 },
        percent_successful: 50,
        percent_failed: 0,
        percent_staged: 0,
        error_summary: { 'power on failed': { count: 2, list: 'x1,x2' } },
        timing: { start_time: '2024-01-01T00:00:00', end_time: null, duration: '0:12:00' },
      },
    ]],
    invalid: [
      ['error summary extra key', { error_summary: { e: { count: 1, nodes: 'x1' } } }, "error_summary.e: unknown property 'nodes'"],
      ['percent as text', { percent_failed: '5%' }, 'percent_failed: must be number'],
      ['count a fraction', { managed_components_count: 1.5 }, 'managed_components_count: must be integer'],
    ],
  },
  V2Options: {
    valid: [
      ['our defaults', defaultOptions()],
      ['power throttles (extension)', { max_concurrent_power_operations: 100, max_power_operations_per_chassis: 0 }],
      ['an unknown key is allowed', { some_future_option: 'x' }],
      ['ages', { cleanup_completed_session_ttl: '0', component_actual_state_ttl: '6H', logging_level: 'debug' }],
    ],
    invalid: [
      ['empty', {}, 'must NOT have fewer than 1 properties'],
      ['timeout too short', { bss_read_timeout: 5 }, 'bss_read_timeout: must be >= 10'],
      ['timeout too long', { pcs_read_timeout: 86401 }, 'pcs_read_timeout: must be <= 86400'],
      ['throttle too big', { max_concurrent_power_operations: 1048577 }, 'max_concurrent_power_operations: must be <= 1048576'],
      ['throttle negative', { max_power_operations_per_chassis: -1 }, 'max_power_operations_per_chassis: must be >= 0'],
      ['throttle as text', { max_power_operations_per_chassis: '4' }, 'max_power_operations_per_chassis: must be integer'],
      ['batch size too big', { max_component_batch_size: 131072 }, 'max_component_batch_size: must be <= 131071'],
      ['discovery too slow', { discovery_frequency: 33554433 }, 'discovery_frequency: must be <= 33554432'],
      ['bad ttl unit', { cleanup_completed_session_ttl: '7x' }, 'cleanup_completed_session_ttl: must be 0 or a whole number'],
      ['zero actual-state ttl', { component_actual_state_ttl: '0h' }, 'component_actual_state_ttl: must be a positive whole number'],
      ['unknown log level', { logging_level: 'verbose' }, 'logging_level: must be one of DEBUG'],
      ['flag as text', { reject_nids: 'true' }, 'reject_nids: must be boolean'],
      ['over 1024 keys', Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, i])), 'must NOT have more than 1024 properties'],
    ],
  },
  ProblemDetails: {
    valid: [
      ['full', { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'invalid session template', instance: '/v2/sessiontemplates/t1' }],
      ['title only', { title: 'Service Unavailable' }],
    ],
    invalid: [
      ['status as text', { status: '400' }, 'status: must be integer'],
      ['unknown key', { title: 't', code: 'BOS_X' }, "unknown property 'code'"],
      ['type with a space', { type: 'not a uri' }, 'type: must be a uri'],
    ],
  },
  Version: {
    valid: [['full', { major: '2', minor: '50', patch: '0', links: [{ href: 'https://bos/v2', rel: 'self' }] }]],
    invalid: [
      ['leading zero', { major: '02' }, 'major: must match pattern'],
      ['number', { minor: 50 }, 'minor: must be string'],
      ['link extra key', { links: [{ href: '/', rel: 'self', title: 't' }] }, "links[0]: unknown property 'title'"],
    ],
  },
};

describe('BOS v2 schemas', () => {
  it('cover every schema', () => {
    expect(Object.keys(CASES).sort()).toEqual([...SCHEMA_NAMES].sort());
    for (const name of SCHEMA_NAMES) {
      expect(CASES[name].valid.length, name).toBeGreaterThan(0);
      expect(CASES[name].invalid.length, name).toBeGreaterThan(0);
    }
  });

  for (const name of SCHEMA_NAMES) {
    describe(name, () => {
      it.each(CASES[name].valid)('accepts %s', (_label, body) => {
        expect(validateBody(name, body)).toEqual([]);
      });
      it.each(CASES[name].invalid)('refuses %s', (_label, body, expected) => {
        const problems = validateBody(name, body);
        expect(problems.length).toBeGreaterThan(0);
        expect(problems.some((p) => p.includes(expected)), `${JSON.stringify(problems)} lacks "${expected}"`).toBe(true);
        for (const p of problems) expect(p).not.toMatch(/[\r\n]/);
      });
    });
  }
});

describe('validateBody messages', () => {
  it('names the boot set and the missing key, and only the closest alternative', () => {
    expect(validateBody('V2SessionTemplate', { boot_sets: { compute: { type: 's3' } } })).toEqual([
      "boot_sets.compute: must have required property 'path'",
    ]);
    expect(validateBody('V2SessionTemplate', { boot_sets: { compute: { kernel: 's3://b/k' } } })).toEqual([
      "boot_sets.compute: must have required property 'initrd'",
    ]);
    expect(validateBody('V2BootSet', {})).toEqual([
      "must have required property 'path'",
      "must have required property 'type'",
    ]);
  });

  it('reports every problem at once, in every boot set', () => {
    const problems = validateBody('V2SessionTemplate', {
      name: 'bad name',
      boot_sets: { compute: { path: 'p', type: 's3', kernal: 'k' }, uan: { type: 's3', node_list: [] } },
    });
    expect(problems).toEqual([
      'name: must be 1-127 letters, digits, ".", "-" or "_", beginning and ending with a letter or digit',
      "boot_sets.compute: unknown property 'kernal'",
      "boot_sets.uan: must have required property 'path'",
      'boot_sets.uan.node_list: must NOT have fewer than 1 items',
    ]);
  });

  it('quotes keys that would read wrongly in a dotted path', () => {
    expect(validateBody('V2SessionTemplate', { boot_sets: { 'gpu.a100': { path: 'p' } } })).toEqual([
      `boot_sets["gpu.a100"]: must have required property 'type'`,
    ]);
  });

  it('keeps a problem on one line even when a key has a newline', () => {
    const problems = validateBody('V2BootArtifacts', { 'a\nb': 1 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toMatch(/\n/);
  });

  it('gives the same answer on every call (the compiled schema is reused)', () => {
    const body = { operation: 'boot' };
    expect(validateBody('V2SessionCreate', body)).toEqual(validateBody('V2SessionCreate', body));
  });
});

describe('assertBody', () => {
  it('passes a valid body', () => {
    expect(() => assertBody('V2SessionTemplate', csmTemplate, 'session template')).not.toThrow();
  });

  it('throws BOS_VALUE_INVALID listing the problems', () => {
    let caught: unknown;
    try {
      assertBody('V2SessionCreate', { operation: 'restart' }, 'session');
    } catch (e) {
      caught = e;
    }
    expect(isBosError(caught)).toBe(true);
    if (!isBosError(caught)) return;
    expect(caught.code).toBe('BOS_VALUE_INVALID');
    expect(caught.httpStatus).toBe(400);
    expect(caught.message).toBe(
      `invalid session: must have required property 'template_name'; operation: must be one of "boot", "reboot", "shutdown"`,
    );
  });

  it('lists at most ten problems and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`bad${i}`, 1]));
    try {
      assertBody('V2BootArtifacts', many, 'boot artifacts');
      expect.unreachable();
    } catch (e) {
      expect(isBosError(e) && e.message).toMatch(/; and 5 more$/);
    }
  });
});

describe('schemas.ts', () => {
  it('imports only the vocabulary and the option ranges, so loading it costs next to nothing', () => {
    const text = readFileSync(new URL('../../src/core/schemas.ts', import.meta.url), 'utf8');
    const imports = [...text.matchAll(/^\s*import\s.*from\s+'([^']+)'/gm)].map((m) => m[1]);
    expect(imports).toEqual(['./options.js', './types.js']);
  });

  it('writes each shared fact once: the same leaf object is reused', () => {
    const template = SCHEMAS.V2SessionTemplate as { properties: { boot_sets: { additionalProperties: unknown } } };
    expect(template.properties.boot_sets.additionalProperties).toBe(SCHEMAS.V2BootSet);
    const component = SCHEMAS.V2Component as { properties: Record<string, unknown> };
    const withId = SCHEMAS.V2ComponentWithId as { properties: Record<string, unknown> };
    expect(component.properties).toBe(withId.properties);
  });

  it('uses draft-07 null types, not OpenAPI nullable', () => {
    expect(JSON.stringify(SCHEMAS)).not.toContain('nullable');
  });

  it('lists its extensions', () => {
    expect(EXTENSIONS).toContain('V2BootSet.properties.kernel');
    expect(EXTENSIONS).toContain('V2Options.properties.max_concurrent_power_operations');
  });
});
