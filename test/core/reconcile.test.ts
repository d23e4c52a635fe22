import { describe, expect, it } from 'vitest';
import { makeDesired, newComponent } from '../../src/core/component.js';
import { decide, type Facts, type ReconcileOptions } from '../../src/core/reconcile.js';
import type { Component } from '../../src/core/types.js';

const o: ReconcileOptions = { max_power_off_wait_time: 300, max_power_on_wait_time: 120, max_boot_wait_time: 1200, default_retry_policy: 3, retryBackoffMs: 1000 };
const T0 = Date.parse('2026-11-25T10:00:00Z');
const v2 = { kernel: 'k2', initrd: 'i2', kernel_parameters: 'p2' };
const v1 = { kernel: 'k1', initrd: 'i1', kernel_parameters: 'p1' };
const iso = (ms: number) => new Date(ms).toISOString();

function rebooting(config = 'cfg'): Component {
  const c = { ...newComponent('x1c0s0b0n0'), actual_state: { boot_artifacts: v1 } };
  return makeDesired(c, { boot_artifacts: v2, configuration: config }, 'S', 'reboot', 'apply_staged', iso(T0));
}
const step = (c: Component, f: Facts, now = T0) => decide(c, f, o, now);
/** Applies a decision as the daemon would after the call succeeded. */
const after = (c: Component, f: Facts, now = T0) => step(c, f, now).component;

describe('decide: a reboot, step by step', () => {
  it('needs the power state first', () => {
    expect(step(rebooting(), {}).step).toEqual({ kind: 'observe', power: true, cfs: false });
  });

  it('powers a running node off gracefully, counting the attempt', () => {
    const d = step(rebooting(), { power: 'On' });
    expect(d.step).toEqual({ kind: 'power_off', mode: 'graceful' });
    expect(d.component.status.phase).toBe('powering_off');
    expect(d.component.status.status_override).toBe('');
    expect(d.component.last_action.action).toBe('powering_off_gracefully');
    expect(d.component.event_stats.power_off_graceful_attempts).toBe(1);
  });

  it('waits for the graceful power-off, then forces it after max_power_off_wait_time', () => {
    const c = after(rebooting(), { power: 'On' });
    const waiting = step(c, { power: 'On' }, T0 + 299_000);
    expect(waiting.step).toEqual({ kind: 'wait', until: T0 + 300_000 });
    const forced = step(c, { power: 'On' }, T0 + 300_000);
    expect(forced.step).toEqual({ kind: 'power_off', mode: 'forceful' });
    expect(forced.component.event_stats.power_off_forceful_attempts).toBe(1);
  });

  it('once off, writes boot parameters, then powers on', () => {
    const off = after(rebooting(), { power: 'On' });
    const d = step(off, { power: 'Off' }, T0 + 10_000);
    expect(d.step.kind).toBe('set_boot_params');
    const withToken = { ...d.component, desired_state: { ...d.component.desired_state, bss_token: 'T' } };
    const on = step(withToken, { power: 'Off' }, T0 + 11_000);
    expect(on.step.kind).toBe('power_on');
    expect(on.component.last_action.action).toBe('powering_on');
    expect(on.component.event_stats.power_on_attempts).toBe(1);
    expect(on.component.status.phase).toBe('powering_on');
  });

  it('waits for the boot report, then configures, then is done', () => {
    const off = after(rebooting(), { power: 'On' });
    const tok = { ...after(off, { power: 'Off' }), desired_state: { ...off.desired_state, bss_token: 'T' } };
    const on = after(tok, { power: 'Off' }, T0 + 1000);
    expect(step(on, { power: 'On' }, T0 + 60_000).step).toEqual({ kind: 'wait', until: T0 + 1000 + 1_200_000 });
    const booted = { ...on, actual_state: { boot_artifacts: v2, bss_token: 'T' } };
    expect(step(booted, { power: 'On' }, T0 + 70_000).step).toEqual({ kind: 'observe', power: false, cfs: true });
    const cfsOld = { desired_config: 'cfg', enabled: false, configuration_status: 'pending' };
    expect(step(booted, { power: 'On', cfs: cfsOld }).step.kind).toBe('configure');
    const pending = step(booted, { power: 'On', cfs: { ...cfsOld, enabled: true } });
    expect(pending.step.kind).toBe('wait');
    expect(pending.component.status.phase).toBe('configuring');
    expect(step(booted, { power: 'On', cfs: { ...cfsOld, enabled: true, configuration_status: 'configured' } }).step.kind).toBe('done');
    expect(step(booted, { power: 'On', cfs: { ...cfsOld, enabled: true, configuration_status: 'failed' } }).step)
      .toEqual({ kind: 'fail', reason: 'CFS failed to apply configuration cfg' });
  });

  it('retries a failed CFS call with growing back-off, and fails the node after the retry policy', () => {
    const at = T0 + 100_000;
    const booted: Component = {
      ...rebooting(),
      actual_state: { boot_artifacts: v2, bss_token: 'T' },
      status: { phase: 'configuring', status: 'configuring', status_override: '' },
      last_action: { action: 'powering_on', failed: true, last_updated: iso(at) },
      error: 'CFS PATCH /v3/components answered 503',
    };
    const cfsOld = { desired_config: 'old', enabled: false, configuration_status: 'pending' };
    expect(step(booted, { power: 'On', cfs: cfsOld, configureFailures: 1 }, at + 500).step).toEqual({ kind: 'wait', until: at + 1000 });
    expect(step(booted, { power: 'On', cfs: cfsOld, configureFailures: 1 }, at + 1000).step.kind).toBe('configure');
    expect(step(booted, { power: 'On', cfs: cfsOld, configureFailures: 2 }, at + 1000).step).toEqual({ kind: 'wait', until: at + 2000 });
    expect(step(booted, { power: 'On', cfs: cfsOld, configureFailures: 3 }, at + 10_000).step)
      .toEqual({ kind: 'fail', reason: 'could not set configuration cfg in CFS after 3 attempt(s): CFS PATCH /v3/components answered 503' });
  });

  it('without CFS or configuration, a booted node is done', () => {
    const booted = { ...rebooting(''), actual_state: { boot_artifacts: v2 } };
    expect(step(booted, { power: 'On' }).step.kind).toBe('done');
    const withCfg = { ...rebooting('cfg'), actual_state: { boot_artifacts: v2 } };
    expect(step(withCfg, { power: 'On', cfs: null }).step.kind).toBe('done');
  });
});

describe('decide: failures and retries', () => {
  // BOS: operators/status.py (a failed node is disabled), power_off_graceful.py / power_off_forceful.py
  // (a node that did not report is recovered through power_off_pending → graceful → forced after the wait).
  it('a node that never reports is power-cycled gracefully, then failed with a reason and disabled', () => {
    let c: Component = { ...rebooting(), desired_state: { ...rebooting().desired_state, bss_token: 'T' }, event_stats: { power_on_attempts: 3, power_off_graceful_attempts: 1, power_off_forceful_attempts: 0 } };
    c = { ...c, last_action: { action: 'powering_on', failed: false, last_updated: iso(T0) } };
    const d = step(c, { power: 'On' }, T0 + 1_200_000);
    expect(d.step.kind).toBe('fail');
    expect((d.step as { reason: string }).reason).toMatch(/did not report booting k2 within 1200 s after power-on, 3 attempt/);
    expect(d.component.status.status_override).toBe('failed');
    expect(d.component.enabled).toBe(false);
    expect(d.component.error).toMatch(/did not report booting k2/);
    const retry = step({ ...c, event_stats: { ...c.event_stats, power_on_attempts: 1 } }, { power: 'On' }, T0 + 1_200_000);
    expect(retry.step).toEqual({ kind: 'power_off', mode: 'graceful' });
    expect(retry.component.event_stats.power_off_graceful_attempts).toBe(2);
    expect(retry.component.event_stats.power_off_forceful_attempts).toBe(0);
    expect(retry.component.error).toMatch(/did not report booting k2/);
    // Forced only once the graceful wait (max_power_off_wait_time) has run out.
    const waiting = step(retry.component, { power: 'On' }, T0 + 1_200_000 + 299_000);
    expect(waiting.step.kind).toBe('wait');
    const forced = step(retry.component, { power: 'On' }, T0 + 1_200_000 + 300_000);
    expect(forced.step).toEqual({ kind: 'power_off', mode: 'forceful' });
  });

  it('a node that booted other artifacts says which', () => {
    const c: Component = { ...rebooting(), actual_state: { boot_artifacts: v1 }, event_stats: { power_on_attempts: 3, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 }, last_action: { action: 'powering_on', last_updated: iso(T0) } };
    expect((step(c, { power: 'On' }, T0 + 1_200_000).step as { reason: string }).reason).toMatch(/booted kernel k1 instead of k2/);
  });

  it('a failed call is retried after a back-off, and failed after retry_policy attempts', () => {
    const c: Component = { ...rebooting(), last_action: { action: 'powering_off_forcefully', failed: true, last_updated: iso(T0) }, error: 'BMC x: 500', event_stats: { power_on_attempts: 0, power_off_graceful_attempts: 3, power_off_forceful_attempts: 1 } };
    expect(step(c, { power: 'On' }, T0 + 500).step).toEqual({ kind: 'wait', until: T0 + 1000 });
    expect(step(c, { power: 'On' }, T0 + 1000).step).toEqual({ kind: 'power_off', mode: 'forceful' });
    const spent = { ...c, event_stats: { ...c.event_stats, power_off_forceful_attempts: 3 } };
    const d = step(spent, { power: 'On' }, T0 + 10_000);
    expect(d.step.kind).toBe('fail');
    expect((d.step as { reason: string }).reason).toBe('could not power off: 3 forced power-off request(s) failed; last error: BMC x: 500');
    // Requests that were accepted but did not take effect: the waits are what was spent.
    const ignored = { ...spent, last_action: { ...spent.last_action, failed: false }, error: '' };
    expect((step(ignored, { power: 'On' }, T0 + 300_000).step as { reason: string }).reason).toBe('did not power off after 3 forced power-off attempt(s) (waited 300 s each)');
  });

  it('retry_policy on the component overrides the default', () => {
    const c: Component = { ...rebooting(), retry_policy: 1, desired_state: { ...rebooting().desired_state, bss_token: 'T' }, last_action: { action: 'powering_on', failed: true, last_updated: iso(T0) }, event_stats: { power_on_attempts: 1, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 } };
    expect(step(c, { power: 'Off' }, T0 + 60_000).step.kind).toBe('fail');
  });

  it('an unreadable BMC is retried, then the node fails naming the error', () => {
    const c = rebooting();
    expect(step(c, { powerError: 'timeout', powerFailures: 1 }).step).toEqual({ kind: 'wait', until: T0 + 1000 });
    const d = step(c, { powerError: 'BMC x1c0s0b0: GET ... timed out', powerFailures: 3 });
    expect(d.step).toEqual({ kind: 'fail', reason: 'could not read the power state: BMC x1c0s0b0: GET ... timed out' });
  });

  it('a power-on that did not take is re-sent after max_power_on_wait_time', () => {
    const c: Component = { ...rebooting(), desired_state: { ...rebooting().desired_state, bss_token: 'T' }, last_action: { action: 'powering_on', last_updated: iso(T0) }, event_stats: { power_on_attempts: 1, power_off_graceful_attempts: 0, power_off_forceful_attempts: 0 } };
    expect(step(c, { power: 'Off' }, T0 + 100_000).step).toEqual({ kind: 'wait', until: T0 + 120_000 });
    expect(step(c, { power: 'Off' }, T0 + 120_000).step.kind).toBe('power_on');
  });
});

describe('decide: boot, shutdown, disabled', () => {
  it('a boot of a node already running the artifacts does not power it', () => {
    const c = makeDesired({ ...newComponent('x1'), actual_state: { boot_artifacts: v2 } }, { boot_artifacts: v2, configuration: '' }, 'S', 'boot', 'session_setup', iso(T0));
    expect(step(c, { power: 'On' }).step.kind).toBe('done');
  });

  it('a boot of an off node sets boot parameters and powers on without powering off', () => {
    const c = makeDesired(newComponent('x1'), { boot_artifacts: v2, configuration: '' }, 'S', 'boot', 'session_setup', iso(T0));
    expect(step(c, { power: 'Off' }).step.kind).toBe('set_boot_params');
  });

  it('a shutdown powers off and is done when off', () => {
    const c = makeDesired(newComponent('x1'), { boot_artifacts: { kernel: '', initrd: '', kernel_parameters: '' }, configuration: '' }, 'S', 'shutdown', 'session_setup', iso(T0));
    expect(step(c, { power: 'On' }).step).toEqual({ kind: 'power_off', mode: 'graceful' });
    expect(step(c, { power: 'Off' }).step.kind).toBe('done');
  });

  it('leaves disabled and failed nodes alone', () => {
    expect(step({ ...rebooting(), enabled: false }, { power: 'On' }).step).toEqual({ kind: 'wait' });
    const failed = rebooting();
    expect(step({ ...failed, status: { ...failed.status, status_override: 'failed' } }, { power: 'On' }).step).toEqual({ kind: 'wait' });
  });
});
