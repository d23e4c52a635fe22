/**
 * Issue 18: the leadership lease on fake clocks. Each instance has its own FakeTime (its own
 * monotonic clock and timers), so "the leader is frozen" is "its time does not advance".
 * Nothing here waits in real time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/daemon/log.js';
import { BEAT_MS, fencedStore, guardedPower, isNotLeading, Leadership, LEASE_MS, LEASE_NAME } from '../../src/daemon/leadership.js';
import type { PowerDriver } from '../../src/daemon/drivers.js';
import { newComponent } from '../../src/core/component.js';
import { Store } from '../../src/store/store.js';
import { FakeTime } from './fake-time.js';

const log = createLogger({ level: 'error', json: true, write: () => {} });
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'bosctl-lease-'));
  dirs.push(d);
  return join(d, 'bosd.db');
}

/** One bosd's leadership: its own connection to the database and its own clock. */
function instance(path: string, id: string) {
  const store = Store.open(path);
  stores.push(store);
  const time = new FakeTime();
  const events: string[] = [];
  const lead = new Leadership({
    store, id, log, mono: time.mono, wall: time.wall, scheduler: time,
    onLead: (t) => events.push(`lead ${t.epoch}`),
    onStepDown: (why) => events.push(`down: ${why}`),
  });
  return { store, time, lead, events };
}

function countingPower() {
  const calls: string[] = [];
  const power: PowerDriver = {
    powerState: async () => 'On',
    powerOff: async (t) => { calls.push(`off ${t.nodeXname}`); return { resetType: 'GracefulShutdown' }; },
    powerOn: async (t) => { calls.push(`on ${t.nodeXname}`); return { resetType: 'On' }; },
  };
  return { calls, power };
}
const target = { nodeXname: 'x1000c0s0b0n0', bmcXname: 'x1000c0s0b0', address: '127.0.0.1' };

describe('leadership lease', () => {
  it('the first instance leads at once; a standby never takes over while the leader beats', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    const b = instance(path, 'b');
    a.lead.start();
    b.lead.start();
    expect(a.lead.role).toBe('leader');
    expect(b.lead.role).toBe('standby');
    // Both clocks move together for ten leases: beats keep coming, no takeover.
    for (let i = 0; i < 10 * LEASE_MS / BEAT_MS; i++) {
      await a.time.advance(BEAT_MS);
      await b.time.advance(BEAT_MS);
    }
    expect(b.lead.role).toBe('standby');
    expect(a.lead.role).toBe('leader');
    expect(a.events).toEqual(['lead 1']);
    expect(b.events).toEqual([]);
    expect(a.store.leases.get(LEASE_NAME)).toMatchObject({ holder: 'a', epoch: 1 });
    expect(a.store.leases.get(LEASE_NAME)!.beat).toBeGreaterThanOrEqual(50);
  });

  it('a standby takes over after LEASE_MS of its own clock without a beat, not before', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    const b = instance(path, 'b');
    a.lead.start();
    b.lead.start();
    // The leader is frozen: its clock stands still. The standby's moves.
    await b.time.advance(LEASE_MS - BEAT_MS);
    expect(b.lead.role).toBe('standby');
    await b.time.advance(BEAT_MS);
    expect(b.lead.role).toBe('leader');
    expect(b.events).toEqual(['lead 2']);
    expect(b.store.leases.get(LEASE_NAME)).toMatchObject({ holder: 'b', epoch: 2 });
  });

  it('a stopped leader releases the lease: a standby takes it on its next look', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    const b = instance(path, 'b');
    a.lead.start();
    b.lead.start();
    a.lead.stop();
    await b.time.advance(BEAT_MS);
    expect(b.lead.role).toBe('leader');
  });

  it('two standbys racing for an expired lease: exactly one wins the compare-and-set', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    const b = instance(path, 'b');
    const c = instance(path, 'c');
    a.lead.start();
    b.lead.start();
    c.lead.start();
    await b.time.advance(LEASE_MS);
    await c.time.advance(LEASE_MS);
    expect([b.lead.role, c.lead.role].sort()).toEqual(['leader', 'standby']);
    // The loser saw the lease change (a new epoch) and waits a whole LEASE_MS again.
    const loser = b.lead.role === 'standby' ? b : c;
    const winner = loser === b ? c : b;
    for (let i = 0; i < 10; i++) { await winner.time.advance(BEAT_MS); await loser.time.advance(BEAT_MS); }
    expect(loser.lead.role).toBe('standby');
    expect(loser.store.leases.get(LEASE_NAME)).toMatchObject({ epoch: 2 });

    // The same race on the table itself: both saw the same row.
    const seen = a.store.leases.get(LEASE_NAME)!;
    const r1 = b.store.write(() => b.store.leases.takeOver(seen, 'b', ''));
    const r2 = c.store.write(() => c.store.leases.takeOver(seen, 'c', ''));
    expect([r1?.epoch, r2?.epoch]).toEqual([3, undefined]);
  });

  it('fencing refuses a write of an old epoch whole, and the deposed leader steps down', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    const b = instance(path, 'b');
    a.lead.start();
    b.lead.start();
    const fenced = fencedStore(a.store, () => a.lead.fence());
    // Allowed while it leads.
    fenced.write(() => fenced.components.put(newComponent('x1000c0s0b0n0')));
    await b.time.advance(LEASE_MS);
    expect(b.lead.role).toBe('leader');
    // A (frozen until now) writes with its old epoch: refused, nothing of it stored.
    let err: unknown;
    try {
      await fenced.writeAsync(() => fenced.components.put(newComponent('x1000c0s0b0n1')));
    } catch (e) {
      err = e;
    }
    expect(isNotLeading(err), String(err)).toBe(true);
    expect(a.store.read(() => a.store.components.getVersioned('x1000c0s0b0n1'))).toBeUndefined();
    expect(a.store.read(() => a.store.components.getVersioned('x1000c0s0b0n0'))).toBeDefined();
    await a.time.advance(0);
    expect(a.lead.role).toBe('standby');
    expect(a.events.at(-1)).toMatch(/^down: another instance holds the lease/);
  });

  it('no power call once the last stored beat is LEASE_MS/2 old: the leader stops itself', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    a.lead.start();
    const { calls, power } = countingPower();
    const guarded = guardedPower(power, () => a.lead.mayAct());
    await guarded.powerOff(target, 'graceful');
    expect(calls).toEqual(['off x1000c0s0b0n0']);
    // Its beats stop being stored (the database does not take them) for half a lease.
    const realWrite = a.store.writeAsync.bind(a.store);
    a.store.writeAsync = () => Promise.reject(new Error('database unreachable'));
    await a.time.advance(LEASE_MS / 2 - BEAT_MS);
    expect(a.lead.role).toBe('leader');
    await guarded.powerOn(target);
    await a.time.advance(BEAT_MS);
    expect(a.lead.role).toBe('standby');
    await expect(guarded.powerOn(target)).rejects.toThrow(/not the leader/);
    expect(calls).toEqual(['off x1000c0s0b0n0', 'on x1000c0s0b0n0']);
    expect(a.events).toEqual(['lead 1', expect.stringMatching(/^down: no heartbeat stored for \d+ ms/)]);
    a.store.writeAsync = realWrite;
  });

  it('a frozen leader that wakes after a takeover makes no power call, then steps down', async () => {
    const path = dbPath();
    const a = instance(path, 'a');
    const b = instance(path, 'b');
    a.lead.start();
    b.lead.start();
    const { calls, power } = countingPower();
    const guarded = guardedPower(power, () => a.lead.mayAct());
    await b.time.advance(LEASE_MS);
    expect(b.lead.role).toBe('leader');
    // A wakes (SIGCONT): its clock jumped; a step resumed right away asks for power first.
    a.time.t += LEASE_MS + 1000;
    await expect(guarded.powerOff(target, 'forceful')).rejects.toThrow(/not the leader/);
    expect(calls).toEqual([]);
    expect(a.lead.role).toBe('standby');
    // Its timers then fire: it stays a standby behind the new leader's beats.
    for (let i = 0; i < 10; i++) { await a.time.advance(BEAT_MS); await b.time.advance(BEAT_MS); }
    expect(a.lead.role).toBe('standby');
    expect(b.lead.role).toBe('leader');
  });

  it('after stepping down and leading again, writes and calls for the earlier term stay refused', async () => {
    const path = dbPath();
    const terms: import('../../src/store/leases.js').Term[] = [];
    const store = Store.open(path);
    stores.push(store);
    const time = new FakeTime();
    const lead = new Leadership({ store, id: 'a', log, mono: time.mono, wall: time.wall, scheduler: time, onLead: (t) => terms.push(t), onStepDown: () => {} });
    lead.start();
    const realWrite = store.writeAsync.bind(store);
    store.writeAsync = () => Promise.reject(new Error('database unreachable'));
    await time.advance(LEASE_MS / 2);
    expect(lead.role).toBe('standby');
    store.writeAsync = realWrite;
    // Its own lease (no one else took it): taken back on the next look, as the next epoch.
    await time.advance(BEAT_MS);
    expect(lead.role).toBe('leader');
    expect(terms.map((t) => t.epoch)).toEqual([1, 2]);
    const old = fencedStore(store, () => lead.fence(terms[0]));
    const current = fencedStore(store, () => lead.fence(terms[1]));
    expect(() => old.write(() => old.components.put(newComponent('x1000c0s0b0n0')))).toThrow(/not the leader/);
    current.write(() => current.components.put(newComponent('x1000c0s0b0n1')));
    // The stale write did not depose the current term.
    await time.advance(0);
    expect(lead.role).toBe('leader');
    expect(lead.mayAct(terms[0])).toBe(false);
    expect(lead.mayAct(terms[1])).toBe(true);
  });

  it('an instance restarted with the same instance_id takes its own lease back at once', async () => {
    const path = dbPath();
    const a = instance(path, 'admin1');
    a.lead.start();
    // Crashed: no release. The same id starts again.
    const again = instance(path, 'admin1');
    again.lead.start();
    expect(again.lead.role).toBe('leader');
    expect(again.store.leases.get(LEASE_NAME)).toMatchObject({ holder: 'admin1', epoch: 2 });
  });
});

describe('the last-moment check of a power request', () => {
  it('a request waiting for a connection when its instance stops leading is never written', async () => {
    const { createServer } = await import('node:http');
    const { Client } = await import('undici');
    const { GuardedDispatcher } = await import('../../src/integrations/guarded-dispatcher.js');
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    const server = createServer((req, res) => {
      seen.push(req.url!);
      if (req.url === '/first') void held.then(() => res.end('ok'));
      else res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const client = new Client(`http://127.0.0.1:${port}`, { pipelining: 1 });
    let leading = true;
    const guarded = new GuardedDispatcher(client, () => leading);
    try {
      const first = guarded.request({ path: '/first', method: 'POST', body: '{}' });
      // One connection, busy: the second waits in the client's queue, past any earlier check.
      const second = guarded.request({ path: '/second', method: 'POST', body: '{}' });
      const outcome = second.then(() => 'sent', (e) => e);
      await new Promise((r) => setTimeout(r, 50));
      leading = false;
      release();
      await (await first).body.text();
      const e = await outcome;
      expect(isNotLeading(e), String(e)).toBe(true);
      expect(seen).toEqual(['/first']);
      // While leading, requests go out as usual.
      leading = true;
      await (await guarded.request({ path: '/third', method: 'POST', body: '{}' })).body.text();
      expect(seen).toEqual(['/first', '/third']);
    } finally {
      await client.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
