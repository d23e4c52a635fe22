/** BOS's clean-up operators as bosd runs them: expired actual states, old complete sessions. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import type { Component, Session } from '../../src/core/types.js';
import { Store } from '../../src/store/store.js';
import { cleanupCompletedSessions, expireActualStates } from '../../src/services/housekeeping.js';
import { Reconciler } from '../../src/daemon/reconciler.js';
import { createLogger } from '../../src/daemon/log.js';
import { suiteDatabase } from '../store/engines.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
function store(): Store {
  const d = mkdtempSync(join(tmpdir(), 'bosctl-housekeeping-'));
  dirs.push(d);
  return Store.open(suiteDatabase(d));
}
const NOW = new Date('2026-11-25T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000).toISOString();
const actor = { user: 'test', via: 'vitest' };
const booted = (id: string, at: string, enabled = false): Component => ({
  ...newComponent(id), enabled,
  actual_state: { boot_artifacts: { kernel: 's3://b/k', initrd: 's3://b/i', kernel_parameters: 'quiet' }, bss_token: 'tok', last_updated: at },
  last_action: { action: 'powering_on', failed: false, last_updated: at },
});
const session = (name: string, status: 'complete' | 'running', start: string): Session => ({
  name, operation: 'reboot', template_name: 't', limit: '', stage: false, components: '', include_disabled: false,
  status: { status, start_time: start, end_time: status === 'complete' ? start : null, error: null },
});

describe('expireActualStates (component_actual_state_ttl, default 4h)', () => {
  it('forgets reported boots older than the TTL, and only those', () => {
    const s = store();
    s.write(() => {
      s.components.put(booted('x1000c0s0b0n0', hoursAgo(5)));
      s.components.put(booted('x1000c0s0b0n1', hoursAgo(3)));
      s.components.put(booted('x1000c0s0b1n0', hoursAgo(9), true));
      s.components.put({ ...newComponent('x1000c0s0b1n1'), actual_state: { last_updated: hoursAgo(9) } });
    });
    const ctx = { store: s, actor, now: () => NOW };
    expect(expireActualStates(ctx).sort()).toEqual(['x1000c0s0b0n0', 'x1000c0s0b1n0']);
    const idle = s.components.get('x1000c0s0b0n0')!;
    expect(idle.actual_state).toEqual({ boot_artifacts: { kernel: '', kernel_parameters: '', initrd: '' }, bss_token: '', last_updated: NOW.toISOString() });
    expect(idle.last_action.action).toBe('actual_state_cleanup');
    // A node being worked on keeps its last action: the reconciler's timing depends on it.
    expect(s.components.get('x1000c0s0b1n0')!.last_action.action).toBe('powering_on');
    expect(s.components.get('x1000c0s0b0n1')!.actual_state.boot_artifacts?.kernel).toBe('s3://b/k');
    expect(s.events.history('component', 'x1000c0s0b0n0').map((e) => e.action)).toContain('actual_state_cleanup');
    // Nothing is expired twice.
    expect(expireActualStates(ctx)).toEqual([]);
    s.write(() => s.options.set({ component_actual_state_ttl: '2h' }));
    expect(expireActualStates(ctx)).toEqual(['x1000c0s0b0n1']);
    s.close();
  });
});

describe('cleanupCompletedSessions (cleanup_completed_session_ttl, default 7d)', () => {
  it('deletes complete sessions older than the TTL; "0" keeps every one', () => {
    const s = store();
    s.write(() => {
      s.sessions.put(session('old-done', 'complete', hoursAgo(8 * 24)));
      s.sessions.put(session('new-done', 'complete', hoursAgo(24)));
      s.sessions.put(session('old-running', 'running', hoursAgo(8 * 24)));
    });
    const ctx = { store: s, actor, now: () => NOW };
    s.write(() => s.options.set({ cleanup_completed_session_ttl: '0' }));
    expect(cleanupCompletedSessions(ctx)).toEqual([]);
    s.write(() => s.options.set({ cleanup_completed_session_ttl: '7d' }));
    expect(cleanupCompletedSessions(ctx)).toEqual(['old-done']);
    expect(s.sessions.list().map((x) => x.name).sort()).toEqual(['new-done', 'old-running']);
    s.close();
  });
});

describe('bosd runs the clean-up', () => {
  it('at start and then every housekeepingMs', async () => {
    const s = store();
    s.write(() => s.components.put(booted('x1000c0s0b0n0', hoursAgo(5))));
    const unused = () => { throw new Error('no call out expected'); };
    const drivers = {
      power: { powerState: unused, powerOff: unused, powerOn: unused },
      bss: { putBootParameters: unused },
      cfs: null,
    } as unknown as ConstructorParameters<typeof Reconciler>[1];
    const started = Date.now();
    const r = new Reconciler(s, drivers, createLogger({ level: 'error', json: true, write: () => {} }), {
      powerPollMs: 1000, cfsPollMs: 1000, retryBackoffMs: 100, maxInFlight: 4, watchMs: 5, sweepMs: 1000, batchWindowMs: 5, housekeepingMs: 50,
    }, () => NOW.getTime() + (Date.now() - started));
    r.start();
    try {
      for (let i = 0; i < 400 && s.components.get('x1000c0s0b0n0')!.actual_state.bss_token !== ''; i++) await new Promise((res) => setTimeout(res, 10));
      expect(s.components.get('x1000c0s0b0n0')!.actual_state.bss_token).toBe('');
      // A boot reported later and then gone stale is cleared on a later round.
      s.write(() => s.components.put(booted('x1000c0s0b0n1', hoursAgo(6))));
      for (let i = 0; i < 400 && s.components.get('x1000c0s0b0n1')!.actual_state.bss_token !== ''; i++) await new Promise((res) => setTimeout(res, 10));
      expect(s.components.get('x1000c0s0b0n1')!.actual_state.bss_token).toBe('');
    } finally {
      await r.stop(1000);
      s.close();
    }
  });
});
