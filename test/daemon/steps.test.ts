/**
 * The reconciler's steps with fake drivers on a fake clock: every wait is fake time advanced by
 * the test, so a deadline is met exactly and a "nothing happened" check runs past the moment
 * its positive twin sees something.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import type { PowerState } from '../../src/core/reconcile.js';
import type { BootArtifacts, Component } from '../../src/core/types.js';
import type { Options } from '../../src/core/options.js';
import { ERRORS } from '../../src/core/errors.js';
import { Store } from '../../src/store/store.js';
import { Reconciler } from '../../src/daemon/reconciler.js';
import { createLogger } from '../../src/daemon/log.js';
import type { PowerTarget } from '../../src/daemon/drivers.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { FakeTime } from './fake-time.js';
import { suiteDatabase } from '../store/engines.js';

const V1: BootArtifacts = { kernel: 's3://img/v1/kernel', initrd: 's3://img/v1/initrd', kernel_parameters: 'v1' };
const V2: BootArtifacts = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2' };
const TEST: { user: string; via: string } = { user: 'test', via: 'vitest' };
const N0 = 'x1000c0s0b0n0';
const N1 = 'x1000c0s1b0n0';

/** BMCs that obey at once unless told to ignore graceful power-offs or to stay in a transition. */
class FakeBmcs {
  readonly state = new Map<string, PowerState>();
  readonly calls: string[] = [];
  ignoreGraceful = false;
  /** Nodes whose power-off leaves them PoweringOff until the test sets them Off. */
  readonly slowOff = new Set<string>();
  powerState = async (t: PowerTarget): Promise<PowerState> => this.state.get(t.nodeXname) ?? 'Off';
  powerOff = async (t: PowerTarget, mode: 'graceful' | 'forceful'): Promise<{ resetType: string }> => {
    this.calls.push(`${t.nodeXname} off ${mode}`);
    if (!(mode === 'graceful' && this.ignoreGraceful)) this.state.set(t.nodeXname, this.slowOff.has(t.nodeXname) ? 'PoweringOff' : 'Off');
    return { resetType: mode === 'graceful' ? 'GracefulShutdown' : 'ForceOff' };
  };
  powerOn = async (t: PowerTarget): Promise<{ resetType: string }> => {
    this.calls.push(`${t.nodeXname} on`);
    this.state.set(t.nodeXname, 'On');
    return { resetType: 'On' };
  };
  count(what: string): number {
    return this.calls.filter((c) => c === what).length;
  }
}

class FakeBss {
  down: IntegrationError | undefined;
  puts = 0;
  putBootParameters = async (): Promise<{ token: string }> => {
    if (this.down) throw this.down;
    return { token: `tok-${++this.puts}` };
  };
}

const dirs: string[] = [];
const running: Array<{ r: Reconciler; s: Store }> = [];
afterEach(async () => {
  for (const { r, s } of running.splice(0)) { await r.stop(1000); s.close(); }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bed(options: Partial<Options>, nodes: Array<{ id: string; power: PowerState; component: Partial<Component> }>) {
  const d = mkdtempSync(join(tmpdir(), 'bosctl-steps-'));
  dirs.push(d);
  const store = Store.open(suiteDatabase(d));
  const time = new FakeTime();
  const bmcs = new FakeBmcs();
  const bss = new FakeBss();
  store.write(() => {
    store.options.set(options);
    for (const n of nodes) {
      bmcs.state.set(n.id, n.power);
      store.components.put({ ...newComponent(n.id), enabled: true, ...n.component });
    }
  });
  const r = new Reconciler(store, { power: bmcs, bss, cfs: null }, createLogger({ level: 'error', json: true, write: () => {} }), {
    powerPollMs: 1000, cfsPollMs: 1000, retryBackoffMs: 1000, maxInFlight: 8, watchMs: 1000, sweepMs: 1000, batchWindowMs: 20,
  }, time.wall, time.mono, time);
  running.push({ r, s: store });
  const comp = (id: string) => store.components.get(id)!;
  const history = (id: string) => store.events.history('component', id).map((e) => ({ action: e.action, detail: e.detail }));
  /** The node reports booting what it wants, as its boot script would. */
  const reportBoot = (id: string) => store.write(() => {
    const c = comp(id);
    store.components.put({ ...c, actual_state: { boot_artifacts: c.desired_state.boot_artifacts, bss_token: c.desired_state.bss_token, last_updated: new Date(time.wall()).toISOString() } });
    store.events.record(new Date(time.wall()).toISOString(), 'component', id, 'boot_reported', {}, TEST);
  });
  return { store, time, bmcs, bss, r, comp, history, reportBoot };
}

const shutdown = { desired_state: {}, actual_state: { boot_artifacts: V1 } };
const reboot = { desired_state: { boot_artifacts: V2 }, actual_state: { boot_artifacts: V1 } };

describe('power off: graceful, then forced after max_power_off_wait_time', () => {
  it('a BMC that ignores the graceful request gets a forced one when the wait runs out, not before', async () => {
    const b = bed({ max_power_off_wait_time: 60, default_retry_policy: 1 }, [{ id: N0, power: 'On', component: shutdown }]);
    b.bmcs.ignoreGraceful = true;
    b.r.start();
    await b.time.advance(100);
    expect(b.bmcs.calls).toEqual([`${N0} off graceful`]);
    await b.time.advance(59_800);
    expect(b.bmcs.count(`${N0} off forceful`)).toBe(0);
    await b.time.until('forced power-off', () => b.bmcs.count(`${N0} off forceful`) === 1, 2_000);
    expect(b.comp(N0).last_action.action).toBe('powering_off_forcefully');
    await b.time.until('node off', () => !b.comp(N0).enabled, 5_000);
    expect(b.comp(N0).status.status_override).toBe('');
  });

  it('a BMC that honours the graceful request never gets a forced one (checked past the wait)', async () => {
    const b = bed({ max_power_off_wait_time: 60, default_retry_policy: 1 }, [{ id: N0, power: 'On', component: shutdown }]);
    b.r.start();
    await b.time.advance(2 * 60_000);
    expect(b.bmcs.calls).toEqual([`${N0} off graceful`]);
    expect(b.comp(N0).enabled).toBe(false);
  });

  it('a node that never powers off fails with BOS_NODE_POWER_OFF_FAILED recorded', async () => {
    const b = bed({ max_power_off_wait_time: 30, default_retry_policy: 1 }, [{ id: N0, power: 'On', component: shutdown }]);
    b.bmcs.ignoreGraceful = true;
    b.bmcs.powerOff = async (t, mode) => { b.bmcs.calls.push(`${t.nodeXname} off ${mode}`); return { resetType: mode }; };
    b.r.start();
    await b.time.until('node failed', () => b.comp(N0).status.status_override === 'failed', 120_000, 1000);
    expect(b.comp(N0).error).toMatch(/^did not power off after 1 forced power-off attempt/);
    const failed = b.history(N0).find((e) => e.action === 'failed');
    expect(failed?.detail.code).toBe('BOS_NODE_POWER_OFF_FAILED');
    expect(ERRORS).toHaveProperty('BOS_NODE_POWER_OFF_FAILED');
  });
});

describe('boot wait', () => {
  it('a node that never reports its boot fails when max_boot_wait_time runs out, not before', async () => {
    const b = bed({ max_boot_wait_time: 120, default_retry_policy: 1 }, [{ id: N0, power: 'On', component: reboot }]);
    b.r.start();
    await b.time.until('powered on', () => b.bmcs.count(`${N0} on`) === 1, 10_000);
    await b.time.advance(119_000);
    expect(b.comp(N0).status.status_override).toBe('');
    expect(b.comp(N0).enabled).toBe(true);
    await b.time.until('node failed', () => b.comp(N0).status.status_override === 'failed', 5_000);
    expect(b.comp(N0).error).toBe(`booted kernel ${V1.kernel} instead of ${V2.kernel} within 120 s after power-on, 1 attempt(s)`);
    expect(b.history(N0).find((e) => e.action === 'failed')?.detail.code).toBe('BOS_NODE_BOOT_FAILED');
  });

  it('a node that reports its boot is stable and never failed (checked past the boot wait)', async () => {
    const b = bed({ max_boot_wait_time: 120, default_retry_policy: 1 }, [{ id: N0, power: 'On', component: reboot }]);
    b.r.start();
    await b.time.until('powered on', () => b.bmcs.count(`${N0} on`) === 1, 10_000);
    await b.time.advance(30_000);
    b.reportBoot(N0);
    await b.time.advance(3 * 120_000);
    expect(b.comp(N0).enabled).toBe(false);
    expect(b.comp(N0).status.status_override).toBe('');
    expect(b.comp(N0).error).toBe('');
    expect(b.bmcs.calls).toEqual([`${N0} off graceful`, `${N0} on`]);
  });
});

describe('BSS unreachable', () => {
  it('the node waits on hold, spends no attempt and makes no power-on call until BSS answers', async () => {
    const b = bed({ default_retry_policy: 1 }, [{ id: N0, power: 'Off', component: reboot }]);
    b.bss.down = new IntegrationError('connect ECONNREFUSED 127.0.0.1:1', { service: 'bss', endpoint: 'PUT http://127.0.0.1:1/boot/v1/bootparameters', kind: 'connect', retryable: true });
    b.r.start();
    await b.time.advance(1000);
    expect(b.comp(N0).status.status_override).toBe('on_hold');
    expect(b.comp(N0).error).toMatch(/^waiting for BSS: connect ECONNREFUSED/);
    expect(b.history(N0).find((e) => e.action === 'waiting')?.detail.code).toBe('BOS_NODE_SERVICE_WAIT');
    // Far past the moment the node would have been powered on with BSS up (and past the policy's one attempt).
    await b.time.advance(10 * 60_000);
    expect(b.bmcs.count(`${N0} on`)).toBe(0);
    expect(b.comp(N0).event_stats.power_on_attempts).toBe(0);
    expect(b.comp(N0).status.status_override).toBe('on_hold');
    b.bss.down = undefined;
    // The back-off is capped at 60 s: the next try comes within it.
    await b.time.until('powered on', () => b.bmcs.count(`${N0} on`) === 1, 61_000, 1000);
    expect(b.comp(N0).error).toBe('');
    expect(b.comp(N0).desired_state.bss_token).toMatch(/^tok-/);
  });
});

describe('power caps', () => {
  it('with max_concurrent_power_operations 1, a second node is queued on hold until the first is off', async () => {
    const b = bed({ max_concurrent_power_operations: 1 }, [
      { id: N0, power: 'On', component: shutdown },
      { id: N1, power: 'On', component: shutdown },
    ]);
    b.bmcs.slowOff.add(N0).add(N1);
    b.r.start();
    await b.time.until('one request', () => b.bmcs.calls.length === 1, 5_000);
    const [first] = b.bmcs.calls;
    const firstId = first.split(' ')[0];
    const second = firstId === N0 ? N1 : N0;
    await b.time.advance(1000);
    expect(b.comp(second).status.status_override).toBe('on_hold');
    const queued = b.history(second).find((e) => e.action === 'queued');
    expect(String(queued?.detail.reason)).toMatch(/max_concurrent_power_operations is 1/);
    // Long past the first's poll: the second still has no request while the first powers off.
    await b.time.advance(30_000);
    expect(b.bmcs.calls).toEqual([first]);
    b.bmcs.state.set(firstId, 'Off');
    await b.time.until('second request', () => b.bmcs.count(`${second} off graceful`) === 1, 5_000);
    expect(b.bmcs.calls).toHaveLength(2);
  });
});
