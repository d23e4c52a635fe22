/** The Redfish slots: at most N calls at once; urgent callers go first, others in order. */
import { describe, expect, it } from 'vitest';
import { SLOT, Semaphore } from '../../src/daemon/coalesce.js';

describe('Semaphore', () => {
  it('lets urgent callers in before those already waiting, each kind in arrival order', async () => {
    const sem = new Semaphore(1);
    const order: string[] = [];
    let release!: () => void;
    const blocker = sem.run(() => new Promise<void>((r) => { release = r; }));
    const runs = [
      sem.run(async () => { order.push('poll-1'); }),
      sem.run(async () => { order.push('poll-2'); }),
      sem.run(async () => { order.push('act-1'); }, true),
      sem.run(async () => { order.push('act-2'); }, true),
    ];
    expect(sem.inFlight).toBe(1);
    release();
    await Promise.all([blocker, ...runs]);
    expect(order).toEqual(['act-1', 'act-2', 'poll-1', 'poll-2']);
    expect(sem.inFlight).toBe(0);
  });

  it('serves a power request, then the first read of a node not started, then polls', async () => {
    const sem = new Semaphore(1);
    const order: string[] = [];
    let release!: () => void;
    const blocker = sem.run(() => new Promise<void>((r) => { release = r; }));
    const runs = [
      sem.run(async () => { order.push('poll'); }, SLOT.poll),
      sem.run(async () => { order.push('start-1'); }, SLOT.start),
      sem.run(async () => { order.push('request'); }, SLOT.request),
      sem.run(async () => { order.push('start-2'); }, SLOT.start),
    ];
    release();
    await Promise.all([blocker, ...runs]);
    expect(order).toEqual(['request', 'start-1', 'start-2', 'poll']);
  });

  it('never runs more than its limit, and runs thousands of waiters in order', async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await Promise.all(Array.from({ length: 5000 }, (_, i) => sem.run(async () => {
      running++;
      most = Math.max(most, running);
      await Promise.resolve();
      running--;
      done.push(i);
    })));
    expect(most).toBe(3);
    expect(done).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
