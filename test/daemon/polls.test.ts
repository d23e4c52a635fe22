/**
 * When bosd reads what it waits for (issue 17 item 2), on a fake clock: no reads for a node that
 * waits for a power-cap slot, a power read planned for when the change is expected (learned from
 * the changes seen so far), CFS read right after enabling, and a boot report taken as proof of On.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import type { PowerState } from '../../src/core/reconcile.js';
import type { BootArtifacts, Component } from '../../src/core/types.js';
import type { Options } from '../../src/core/options.js';
import { Store } from '../../src/store/store.js';
import { Reconciler } from '../../src/daemon/reconciler.js';
import { createLogger } from '../../src/daemon/log.js';
import type { CfsState, ConfigDriver, PowerTarget } from '../../src/daemon/drivers.js';
import { FakeTime } from './fake-time.js';
import { suiteDatabase } from '../store/engines.js';

const V1: BootArtifacts = { kernel: 's3://img/v1/kernel', initrd: 's3://img/v1/initrd', kernel_parameters: 'v1' };
const V2: BootArtifacts = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2' };
const N0 = 'x1000c0s0b0n0';
const N1 = 'x1000c0s1b0n0';
const POLL = 1000;

/** BMCs whose changes take `offMs` / `onMs` of fake time; every read is logged with its time. */
class SlowBmcs {
  readonly state = new Map<string, PowerState>();
  private readonly pending = new Map<string, { state: PowerState; at: number }>();
  readonly reads: Array<{ id: string; at: number }> = [];
  readonly requests: Array<{ id: string; what: string; at: number }> = [];
  offMs = new Map<string, number>();
  onMs = 0;
  /** Never changes by itself: the test sets these Off. */
  readonly stuck = new Set<string>();

  constructor(private readonly time: FakeTime) {}

  private now(id: string): PowerState {
    const p = this.pending.get(id);
    if (p && this.time.t >= p.at) { this.state.set(id, p.state); this.pending.delete(id); }
    return this.state.get(id) ?? 'Off';
  }

  powerState = async (t: PowerTarget): Promise<PowerState> => {
    this.reads.push({ id: t.nodeXname, at: this.time.t });
    return this.now(t.nodeXname);
  };
  powerOff = async (t: PowerTarget, mode: 'graceful' | 'forceful'): Promise<{ resetType: string }> => {
    this.requests.push({ id: t.nodeXname, what: 'off', at: this.time.t });
    this.state.set(t.nodeXname, 'PoweringOff');
    if (!this.stuck.has(t.nodeXname)) this.pending.set(t.nodeXname, { state: 'Off', at: this.time.t + (this.offMs.get(t.nodeXname) ?? 10_000) });
    return { resetType: mode === 'graceful' ? 'GracefulShutdown' : 'ForceOff' };
  };
  powerOn = async (t: PowerTarget): Promise<{ resetType: string }> => {
    this.requests.push({ id: t.nodeXname, what: 'on', at: this.time.t });
    this.state.set(t.nodeXname, 'PoweringOn');
    this.pending.set(t.nodeXname, { state: 'On', at: this.time.t + this.onMs });
    return { resetType: 'On' };
  };
  readsOf(id: string, from = 0): number[] {
    return this.reads.filter((r) => r.id === id && r.at > from).map((r) => r.at - from);
  }
  requestAt(id: string, what: 'off' | 'on'): number | undefined {
    return this.requests.find((r) => r.id === id && r.what === what)?.at;
  }
}

/** CFS that configures a node `configureMs` after it is enabled; reads are logged with their time. */
class SlowCfs implements ConfigDriver {
  readonly comps = new Map<string, CfsState & { enabledAt?: number }>();
  readonly reads: Array<{ ids: string[]; at: number }> = [];
  configureMs = 60_000;
  constructor(private readonly time: FakeTime) {}
  patchComponents = async (ids: string[], patch: { desired_config?: string; enabled?: boolean }): Promise<void> => {
    for (const id of ids) {
      const c = this.comps.get(id) ?? { desired_config: '', enabled: false, configuration_status: 'unconfigured' };
      this.comps.set(id, { ...c, ...patch, configuration_status: 'pending', enabledAt: patch.enabled ? this.time.t : undefined });
    }
  };
  getComponents = async (ids: string[]): Promise<Map<string, CfsState>> => {
    this.reads.push({ ids, at: this.time.t });
    const m = new Map<string, CfsState>();
    for (const id of ids) {
      const c = this.comps.get(id);
      if (!c) continue;
      const done = c.enabled && c.enabledAt !== undefined && this.time.t >= c.enabledAt + this.configureMs;
      m.set(id, { desired_config: c.desired_config, enabled: c.enabled, configuration_status: done ? 'configured' : 'pending' });
    }
    return m;
  };
}

const dirs: string[] = [];
const running: Array<{ r: Reconciler; s: Store }> = [];
afterEach(async () => {
  for (const { r, s } of running.splice(0)) { await r.stop(1000); s.close(); }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bed(options: Partial<Options>, nodes: Array<{ id: string; power: PowerState; component: Partial<Component> }>, withCfs = false) {
  const d = mkdtempSync(join(tmpdir(), 'bosctl-polls-'));
  dirs.push(d);
  const store = Store.open(suiteDatabase(d));
  const time = new FakeTime();
  const bmcs = new SlowBmcs(time);
  const cfs = withCfs ? new SlowCfs(time) : null;
  let puts = 0;
  const bss = { putBootParameters: async () => ({ token: `tok-${++puts}` }) };
  store.write(() => {
    store.options.set(options);
    for (const n of nodes) {
      bmcs.state.set(n.id, n.power);
      store.components.put({ ...newComponent(n.id), enabled: true, ...n.component });
    }
  });
  const r = new Reconciler(store, { power: bmcs, bss, cfs }, createLogger({ level: 'error', json: true, write: () => {} }), {
    powerPollMs: POLL, cfsPollMs: 5000, retryBackoffMs: 1000, maxInFlight: 8, watchMs: 1000, sweepMs: 1000, batchWindowMs: 20,
  }, time.wall, time.mono, time);
  running.push({ r, s: store });
  const comp = (id: string) => store.components.get(id)!;
  const reportBoot = (id: string) => store.write(() => {
    const c = comp(id);
    store.components.put({ ...c, actual_state: { boot_artifacts: c.desired_state.boot_artifacts, bss_token: c.desired_state.bss_token, last_updated: new Date(time.wall()).toISOString() } });
    store.events.record(new Date(time.wall()).toISOString(), 'component', id, 'boot_reported', {}, { user: 'test', via: 'vitest' });
  });
  const events = (id: string) => store.events.history('component', id).map((e) => e.action);
  return { store, time, bmcs, cfs, r, comp, reportBoot, events };
}

const shutdown = { desired_state: {}, actual_state: { boot_artifacts: V1 } };
const reboot = (configuration = '') => ({ desired_state: { boot_artifacts: V2, configuration }, actual_state: { boot_artifacts: V1 } });

describe('a node waiting for a power-cap slot', () => {
  it('is not read while it waits, and is requested as soon as the slot frees', async () => {
    const b = bed({ max_concurrent_power_operations: 1 }, [
      { id: N0, power: 'On', component: shutdown },
      { id: N1, power: 'On', component: shutdown },
    ]);
    b.bmcs.stuck.add(N0).add(N1);
    b.r.start();
    await b.time.until('one request', () => b.bmcs.requests.length === 1, 5_000, 10);
    const first = b.bmcs.requests[0].id;
    const second = first === N0 ? N1 : N0;
    await b.time.advance(100);
    expect(b.comp(second).status.status_override).toBe('on_hold');
    const readsQueued = b.bmcs.readsOf(second).length;
    // Long past any poll interval: the waiting node's BMC is not read at all.
    await b.time.advance(30_000);
    expect(b.bmcs.readsOf(second)).toHaveLength(readsQueued);
    expect(b.bmcs.requests).toHaveLength(1);
    // The first node is off: the planned read of it sees that, which frees the slot at once.
    b.bmcs.state.set(first, 'Off');
    const freedAt = b.time.t;
    await b.time.until('second request', () => b.bmcs.requestAt(second, 'off') !== undefined, 60_000, 10);
    const firstSeenOff = b.bmcs.reads.filter((r) => r.id === first && r.at >= freedAt)[0].at;
    // Woken by the freed slot (one fresh read of its power, then the request), not by a timer.
    expect(b.bmcs.requestAt(second, 'off')! - firstSeenOff).toBeLessThanOrEqual(20);
    expect(b.bmcs.readsOf(second)).toHaveLength(readsQueued + 1);
  });
});

describe('power reads after a request', () => {
  it('the first nodes read often, the others seldom; once a change is seen the others read when it is due', async () => {
    const ids = ['x1000c0s0b0n0', 'x1000c0s1b0n0', 'x1000c0s2b0n0', 'x1000c0s3b0n0'];
    const b = bed({}, ids.map((id) => ({ id, power: 'On' as PowerState, component: shutdown })));
    for (const id of ids) b.bmcs.offMs.set(id, 10_000);
    b.r.start();
    await b.time.until('all off', () => ids.every((id) => b.comp(id).status.status === 'power_off' || b.events(id).includes('powered_off')), 60_000, 50);
    const perNode = ids.map((id) => b.bmcs.readsOf(id, b.bmcs.requestAt(id, 'off')!));
    const scouts = perNode.filter((r) => r.length > 10);
    const others = perNode.filter((r) => r.length <= 10);
    expect(b.bmcs.reads.length).toBeLessThan(2 * 45 + 2 * 2 + ids.length);
    expect(scouts).toHaveLength(2);
    expect(others).toHaveLength(2);
    for (const r of scouts) {
      // Every 250 ms until seen, and seen within 250 ms of the change.
      expect(r.slice(0, 4)).toEqual([250, 500, 750, 1000]);
      expect(r[r.length - 1]).toBeGreaterThanOrEqual(10_000);
      expect(r[r.length - 1]).toBeLessThan(10_250);
    }
    for (const r of others) {
      // Not while nothing is known (the scouts read), and as soon as a scout saw the change, at
      // once (their change was due): one read.
      expect(r).toHaveLength(1);
      expect(r[0]).toBeGreaterThanOrEqual(10_000);
      expect(r[0]).toBeLessThan(10_300);
    }
  });

  it('a later request is read first when the change is expected, then backs off from 250 ms', async () => {
    const b = bed({}, [
      { id: N0, power: 'On', component: shutdown },
      { id: N1, power: 'On', component: { ...shutdown, enabled: false } },
    ]);
    b.bmcs.offMs.set(N0, 10_000);
    b.r.start();
    await b.time.until('N0 off', () => b.events(N0).includes('powered_off'), 60_000, 50);
    // N1 is shut down later and takes 11 s where N0 took 10 s.
    b.bmcs.offMs.set(N1, 11_000);
    b.store.write(() => b.store.components.put({ ...b.comp(N1), enabled: true, last_action: { action: 'apply_staged', failed: false, last_updated: new Date(b.time.wall()).toISOString() } }));
    b.store.write(() => b.store.events.record(new Date(b.time.wall()).toISOString(), 'component', N1, 'apply_staged', {}, { user: 'test', via: 'vitest' }));
    b.r.wake();
    await b.time.until('N1 off', () => b.events(N1).includes('powered_off'), 60_000, 50);
    const reads = b.bmcs.readsOf(N1, b.bmcs.requestAt(N1, 'off')!);
    const first = reads[0];
    expect(first).toBeGreaterThanOrEqual(10_000);
    expect(first).toBeLessThan(10_250);
    // Not seen at the estimate: 250 ms, 500 ms, 1 s later (the poll interval caps it).
    expect(reads.slice(1).map((t) => t - first)).toEqual([250, 750, 1750]);
  });
});

describe('CFS after enabling a node', () => {
  it('is read right after enabling, then when configuration is expected to end', async () => {
    const ids = ['x1000c0s0b0n0', 'x1000c0s1b0n0', 'x1000c0s2b0n0'];
    const b = bed({}, ids.map((id) => ({ id, power: 'Off' as PowerState, component: reboot('cfg-1') })), true);
    b.r.start();
    await b.time.until('powered on', () => ids.every((id) => b.bmcs.requestAt(id, 'on') !== undefined), 60_000, 10);
    for (const id of ids) b.reportBoot(id);
    b.r.wake();
    await b.time.until('enabled', () => ids.every((id) => b.events(id).includes('configuration_enabled')), 60_000, 10);
    await b.time.advance(50);
    const enabledAt = (id: string) => b.cfs!.comps.get(id)!.enabledAt!;
    for (const id of ids) {
      const firstRead = b.cfs!.reads.find((r) => r.ids.includes(id) && r.at >= enabledAt(id))!;
      // At once (within the batch window), not a poll interval later.
      expect(firstRead.at - enabledAt(id)).toBeLessThanOrEqual(20);
    }
    await b.time.until('stable', () => ids.every((id) => b.comp(id).status.status === 'stable'), 120_000, 50);
    const wallToMono = b.time.wall() - b.time.t;
    for (const id of ids) {
      const stable = b.store.events.history('component', id).find((e) => e.action === 'stable')!;
      // Seen configured within 300 ms of the end of its configuration (scouts, then the estimate).
      const late = Date.parse(stable.at) - wallToMono - (enabledAt(id) + b.cfs!.configureMs);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(300);
    }
  });
});

describe('a boot report', () => {
  it('moves a powering-on node on without a read of its power', async () => {
    const b = bed({}, [{ id: N0, power: 'Off', component: reboot() }]);
    b.r.start();
    await b.time.until('power-on requested', () => b.bmcs.requestAt(N0, 'on') !== undefined, 10_000, 10);
    await b.time.advance(5_000);
    const before = b.bmcs.reads.length;
    // The BMC would still say Off (a read would hold the node back): the report proves it On.
    b.bmcs.state.set(N0, 'Off');
    b.reportBoot(N0);
    b.r.wake();
    await b.time.until('stable', () => b.comp(N0).status.status === 'stable', 1_000, 10);
    expect(b.bmcs.reads.length).toBe(before);
  });
});
