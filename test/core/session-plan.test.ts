import { describe, expect, it } from 'vitest';
import { parseOperation, planSession } from '../../src/core/session-plan.js';
import type { SessionTemplate } from '../../src/core/types.js';
import { indexOf, smallCluster, templateV2 } from './fixtures.js';

const idx = indexOf(smallCluster());
const opts = { reject_nids: false, session_limit_required: false };
/** Each boot set's artifacts as resolution would give them (here: the boot set's own). */
const resolvedOf = (t: SessionTemplate) => new Map(Object.entries(t.boot_sets).map(([k, b]) => [k, { kernel: b.kernel ?? '', initrd: b.initrd ?? '', kernel_parameters: b.kernel_parameters ?? '' }]));
const plan = (t: SessionTemplate, limit = '', operation: 'boot' | 'reboot' | 'shutdown' = 'reboot', includeDisabled = false) =>
  planSession({ template: t, operation, limit, includeDisabled, options: opts, artifacts: resolvedOf(t) }, idx);

describe('session planning', () => {
  it('gives each node of the boot set its artifacts and configuration', () => {
    const p = plan(templateV2);
    expect(p.targets).toHaveLength(8);
    expect(p.targets[0]).toEqual({
      xname: 'x1000c0s0b0n0', bootSet: 'compute', configuration: 'cfg-v2',
      boot_artifacts: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet' },
    });
  });

  it('narrows by the limit', () => {
    expect(plan(templateV2, 'gpu').targets.map((t) => t.xname)).toEqual(['x1000c0s3b0n0', 'x1000c0s3b0n1']);
  });

  it('leaves out disabled nodes unless include_disabled, and says so', () => {
    const t: SessionTemplate = { ...templateV2, boot_sets: { uan: { ...templateV2.boot_sets.compute, node_roles_groups: ['Application'] } } };
    const p = plan(t);
    expect(p.targets.map((x) => x.xname)).toEqual(['x3000c0s1b0n0']);
    expect(p.warnings.join()).toMatch(/1 disabled node/);
    expect(plan(t, '', 'reboot', true).targets).toHaveLength(2);
  });

  it('a shutdown gets empty artifacts and no configuration', () => {
    const p = plan(templateV2, 'nid000001', 'shutdown');
    expect(p.targets[0].boot_artifacts).toEqual({ kernel: '', initrd: '', kernel_parameters: '' });
    expect(p.targets[0].configuration).toBe('');
  });

  it('enable_cfs false means no configuration; a boot set cfs overrides the template', () => {
    expect(plan({ ...templateV2, enable_cfs: false }).targets[0].configuration).toBe('');
    const t = { ...templateV2, boot_sets: { compute: { ...templateV2.boot_sets.compute, cfs: { configuration: 'own' } } } };
    expect(plan(t).targets[0].configuration).toBe('own');
  });

  it('the later boot set wins for a node in two, with a warning', () => {
    const t: SessionTemplate = { ...templateV2, boot_sets: {
      a: { ...templateV2.boot_sets.compute, node_list: ['x1000c0s0b0n0'], node_roles_groups: undefined },
      b: { ...templateV2.boot_sets.compute, kernel: 'k2', node_list: ['x1000c0s0b0n0'], node_roles_groups: undefined },
    } };
    const p = plan(t);
    expect(p.targets).toHaveLength(1);
    expect(p.targets[0].bootSet).toBe('b');
    expect(p.warnings.join()).toMatch(/"a" and "b"/);
  });

  it('warns about unknown groups in the template but fails when nothing matches', () => {
    const t: SessionTemplate = { ...templateV2, boot_sets: { c: { ...templateV2.boot_sets.compute, node_roles_groups: undefined, node_groups: ['nope'] } } };
    expect(() => plan(t)).toThrow(/no nodes/);
    expect(() => plan(templateV2, 'login')).toThrow(expect.objectContaining({ code: 'BOS_LIMIT_INVALID' }));
  });

  it('honours session_limit_required and reject_nids', () => {
    const run = (o: typeof opts, limit: string) => planSession({ template: templateV2, operation: 'reboot', limit, includeDisabled: false, options: o }, idx);
    expect(() => run({ ...opts, session_limit_required: true }, '')).toThrow(expect.objectContaining({ code: 'BOS_SESSION_LIMIT_REQUIRED' }));
    expect(() => run({ ...opts, reject_nids: true }, 'nid000001')).toThrow(expect.objectContaining({ code: 'BOS_NIDS_REJECTED' }));
  });

  it('without resolved artifacts it only says which boot sets get nodes', () => {
    const t: SessionTemplate = { ...templateV2, boot_sets: { c: { path: 's3://boot-images/x/manifest.json', type: 's3', node_roles_groups: ['Compute'] }, unused: { path: 's3://b/m.json', type: 's3', node_groups: ['nope'] } } };
    const p = planSession({ template: t, operation: 'reboot', limit: '', includeDisabled: false, options: opts }, idx);
    expect(p.targets).toHaveLength(8);
    expect(p.bootSetsUsed).toEqual(['c']);
    expect(p.targets[0].boot_artifacts.kernel).toBe('');
  });

  it('parses operations and rejects unknown ones', () => {
    expect(parseOperation('Reboot')).toBe('reboot');
    expect(() => parseOperation('explode')).toThrow(/unknown operation "explode": expected boot, reboot or shutdown/);
  });
});
