import { describe, expect, it } from 'vitest';
import { defaultOptions, durationSeconds, parseOptionValue, parseOptionsPatch } from '../../src/core/options.js';

describe('options', () => {
  it('defaults are BOS\'s', () => {
    expect(defaultOptions()).toMatchObject({
      polling_frequency: 15, discovery_frequency: 300, max_power_on_wait_time: 120, max_power_off_wait_time: 300,
      max_boot_wait_time: 1200, default_retry_policy: 3, max_component_batch_size: 2800,
      cleanup_completed_session_ttl: '7d', component_actual_state_ttl: '4h', clear_stage: false,
      session_limit_required: false, reject_nids: false,
    });
  });

  it('converts and range-checks text values', () => {
    expect(parseOptionValue('max_boot_wait_time', '1800')).toBe(1800);
    expect(parseOptionValue('clear_stage', 'True')).toBe(true);
    expect(parseOptionValue('component_actual_state_ttl', '6h')).toBe('6h');
    expect(() => parseOptionValue('max_component_batch_size', '999999')).toThrow(/expected an integer from 0 to 131071/);
    expect(() => parseOptionValue('bss_read_timeout', 5)).toThrow(/from 10 to 86400/);
    expect(() => parseOptionValue('max_boot_wait_time', '12.5')).toThrow(expect.objectContaining({ code: 'BOS_OPTION_INVALID' }));
    expect(() => parseOptionValue('clear_stage', 'maybe')).toThrow(/true or false/);
    expect(() => parseOptionValue('component_actual_state_ttl', '30m')).toThrow(/like "4h"/);
    expect(() => parseOptionValue('no_such_option', 1)).toThrow(/unknown option "no_such_option"/);
  });

  it('a patch with one bad key fails as a whole', () => {
    expect(() => parseOptionsPatch({ max_boot_wait_time: '10', clear_stage: 'x' })).toThrow();
  });

  it('reads durations', () => {
    expect(durationSeconds('7d')).toBe(604800);
    expect(durationSeconds('4h')).toBe(14400);
    expect(durationSeconds('0')).toBe(0);
  });
});
