/** The reconciler's loop on a fake clock: due times, room for steps, wake-ups, periodic work. */
import { describe, expect, it } from 'vitest';
import { DueQueue } from '../../src/daemon/due-queue.js';
import { Loop, type LoopHooks } from '../../src/daemon/loop.js';
import { FakeTime } from './fake-time.js';

function harness(opts: { room?: () => number; onDue?: () => void; everyMs?: number } = {}) {
  const time = new FakeTime();
  const queue = new DueQueue();
  const ran: Array<{ id: string; at: number }> = [];
  let changes = 0;
  let periodic = 0;
  let dataVersion = 1;
  const hooks: LoopHooks = {
    changed: () => { changes++; },
    everyTick: () => {},
    periodic: [{ everyMs: opts.everyMs ?? 1000, run: () => { periodic++; } }],
    room: opts.room ?? (() => Number.POSITIVE_INFINITY),
    due: (id) => { ran.push({ id, at: time.t }); opts.onDue?.(); },
    failed: (e) => { throw e; },
  };
  const loop = new Loop(queue, hooks, () => dataVersion, time.mono, { watchMs: 50, retryBackoffMs: 500 }, time);
  return {
    time, queue, loop, ran,
    get changes() { return changes; },
    get periodic() { return periodic; },
    bumpDataVersion: () => { dataVersion++; },
  };
}

describe('Loop', () => {
  it('runs a node when it is due, not before', async () => {
    const h = harness();
    h.queue.set('a', h.time.t + 5000);
    h.loop.schedule(0);
    await h.time.advance(4999);
    expect(h.ran).toEqual([]);
    await h.time.advance(1);
    expect(h.ran.map((r) => r.id)).toEqual(['a']);
    // Past the moment it would run again had it been left in the queue: it ran once.
    await h.time.advance(10_000);
    expect(h.ran).toHaveLength(1);
    h.loop.stop();
  });

  it('starts no more steps than there is room for; the rest wait for room', async () => {
    // One slot: a step holds it from when it starts until the test ends it.
    let busy = 0;
    const h = harness({ room: () => 1 - busy, onDue: () => { busy++; } });
    h.queue.set('a', 0);
    h.queue.set('b', 0);
    h.loop.schedule(0);
    await h.time.advance(0);
    expect(h.ran).toHaveLength(1);
    // Well past the moment b would have run had there been room.
    await h.time.advance(5000);
    expect(h.ran).toHaveLength(1);
    busy = 0;
    await h.time.advance(50);
    expect(h.ran.map((r) => r.id).sort()).toEqual(['a', 'b']);
    h.loop.stop();
  });

  it('looks for changes when data_version moves or on a wake-up, and only then', async () => {
    const h = harness();
    h.loop.schedule(0);
    await h.time.advance(0);
    expect(h.changes).toBe(1);
    // Many ticks with nothing changed: no reload.
    await h.time.advance(5000);
    expect(h.changes).toBe(1);
    h.bumpDataVersion();
    await h.time.advance(50);
    expect(h.changes).toBe(2);
    h.loop.wake();
    await h.time.advance(0);
    expect(h.changes).toBe(3);
    h.loop.stop();
  });

  it('runs periodic work once per period', async () => {
    const h = harness({ everyMs: 1000 });
    h.loop.schedule(0);
    await h.time.advance(0);
    expect(h.periodic).toBe(1);
    await h.time.advance(999);
    expect(h.periodic).toBe(1);
    await h.time.advance(1);
    expect(h.periodic).toBe(2);
    h.loop.stop();
  });

  it('after stop no timer fires and nothing runs', async () => {
    const h = harness();
    h.queue.set('a', h.time.t + 100);
    h.loop.schedule(0);
    await h.time.advance(0);
    h.loop.stop();
    await h.time.advance(10_000);
    expect(h.ran).toEqual([]);
  });
});
