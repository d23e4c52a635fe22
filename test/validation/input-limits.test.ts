/**
 * Input limits (issue 13, item 6): the messages say what was wrong and what would be right,
 * and the option ranges live in one table that the API schema follows.
 */
import { describe, expect, it } from 'vitest';
import { OPTION_KEYS, OPTION_SPECS, describeOptionRange, parseOptionValue } from '../../src/core/options.js';
import { SCHEMAS } from '../../src/core/schemas.js';
import { validateBody } from '../../src/core/validate-body.js';

const X = 'x1000c0s0b0n0';
const template = (bs: Record<string, unknown>) => ({ boot_sets: { b: { kernel: 's3://b/k', initrd: 's3://b/i', node_list: [X], ...bs } } });

describe('session templates', () => {
  it('rootfs_provider: the allowed values are named', () => {
    expect(validateBody('V2SessionTemplate', template({ rootfs_provider: 'nope' }))).toEqual(['boot_sets.b.rootfs_provider: must be one of "sbps", "cpss3"']);
    expect(validateBody('V2SessionTemplate', template({ rootfs_provider: 'sbps' }))).toEqual([]);
  });

  it('kernel parameters: no control characters', () => {
    expect(validateBody('V2SessionTemplate', template({ kernel_parameters: 'a\nb' }))).toEqual([
      'boot_sets.b.kernel_parameters: must not hold control characters (newline, carriage return, tab, NUL...)',
    ]);
    expect(validateBody('V2SessionTemplate', template({ rootfs_provider: 'sbps', rootfs_provider_passthrough: 'x\r' }))).toHaveLength(1);
    expect(validateBody('V2SessionTemplate', template({ kernel_parameters: 'console=ttyS0,115200 spire_join_token=${SPIRE_JOIN_TOKEN}' }))).toEqual([]);
  });

  it('kernel and initrd: a URL or an absolute path without ".."', () => {
    for (const ok of ['s3://boot-images/v2/kernel', 'https://images.example/v2/kernel', '/srv/images/v2/..kernel', 'S3://b/k']) {
      expect(validateBody('V2SessionTemplate', template({ kernel: ok })), ok).toEqual([]);
    }
    for (const bad of ['../../etc/passwd', '/boot/../etc/passwd', 's3://b/..', 'kernel', 'ftp://x/k', 's3://b/k\n', '']) {
      expect(validateBody('V2SessionTemplate', template({ kernel: bad })).join(' '), JSON.stringify(bad)).toMatch(/kernel/);
    }
  });

  it('node_list entries: xnames or node names, no punctuation', () => {
    expect(validateBody('V2SessionTemplate', template({ node_list: ['bad!'] }))).toEqual([
      'boot_sets.b.node_list[0]: must be an xname or a node name: letters, digits, ".", "-" or "_", beginning and ending with a letter or digit',
    ]);
    expect(validateBody('V2SessionTemplate', template({ node_list: [X, 'nid000001', 'uan01.example'] }))).toEqual([]);
  });

  it('group and role names: no punctuation or control characters', () => {
    expect(validateBody('V2SessionTemplate', template({ node_list: undefined, node_groups: ['a b'] }))).toHaveLength(1);
    expect(validateBody('V2SessionTemplate', template({ node_list: undefined, node_roles_groups: ['Compute', 'Application_UAN'] }))).toEqual([]);
  });
});

describe('options: one table of ranges', () => {
  it('refuses what the issue found accepted, naming the range', () => {
    expect(() => parseOptionValue('component_actual_state_ttl', '99999999999999w')).toThrow('invalid value "99999999999999w" for option component_actual_state_ttl: expected a value like "4h", at most 365d');
    expect(() => parseOptionValue('cleanup_completed_session_ttl', '53w')).toThrow(/at most 365d/);
    expect(parseOptionValue('cleanup_completed_session_ttl', '52w')).toBe('52w');
    expect(() => parseOptionValue('max_boot_wait_time', '0')).toThrow('invalid value "0" for option max_boot_wait_time: expected an integer from 1 to 604800');
    expect(() => parseOptionValue('default_retry_policy', 0)).toThrow('invalid value 0 for option default_retry_policy: expected an integer from 1 to 100');
    expect(() => parseOptionValue('max_power_on_wait_time', 0)).toThrow(/from 1 to 86400/);
  });

  it('a huge value is cut short in the message', () => {
    const e = (() => { try { parseOptionValue('logging_level', 'x'.repeat(100_000)); } catch (err) { return err as Error; } return undefined; })();
    expect(e?.message.length).toBeLessThan(300);
  });

  it('the API schema (V2Options) has the same integer ranges as the table', () => {
    const props = (SCHEMAS.V2Options as { properties: Record<string, { minimum?: number; maximum?: number }> }).properties;
    for (const key of OPTION_KEYS) {
      const spec = OPTION_SPECS[key];
      if (spec.type !== 'integer' || !props[key]) continue;
      expect([props[key]!.minimum, props[key]!.maximum], key).toEqual([spec.min, spec.max]);
    }
    expect(describeOptionRange('default_retry_policy')).toBe('an integer from 1 to 100');
  });
});
