/**
 * bosd's dependency board and monitor: each dependency up, down or not configured with the
 * time its status last changed; checks repeat with back-off while down (1 s doubling to 60 s)
 * and steadily while up. The scheduler is faked: no test waits on a clock.
 */
import { describe, expect, it } from 'vitest';
import { HealthBoard, nextCheckDelay, startMonitor, type Scheduler } from '../../src/daemon/health.js';
import { bosdExitCode, EXIT_STATUS } from '../../src/daemon/exit-code.js';
import { bosError } from '../../src/core/errors.js';
import { suiteDatabase } from '../store/engines.js';

function fakeScheduler() {
  const pending: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  const scheduler: Scheduler = {
    schedule(fn, ms) {
      const t = { fn, ms, cancelled: false };
      pending.push(t);
      return { cancel: () => { t.cancelled = true; } };
    },
  };
  /** Runs the next live timer; returns its delay. */
  const fire = () => {
    const t = pending.find((p) => !p.cancelled);
    if (!t) throw new Error('no timer pending');
    pending.splice(pending.indexOf(t), 1);
    t.fn();
    return t.ms;
  };
  return { scheduler, fire, pending };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('HealthBoard', () => {
  it('starts unknown; set() records up/down, since changes only with the status', () => {
    let ms = Date.parse('2026-01-01T00:00:00Z');
    const board = new HealthBoard(() => new Date(ms));
    expect(board.get('bss')).toMatchObject({ status: 'unknown', checked_at: null });
    ms += 1000;
    board.set('bss', false, 'cannot connect');
    expect(board.get('bss')).toMatchObject({ status: 'down', detail: 'cannot connect', since: '2026-01-01T00:00:01.000Z' });
    ms += 1000;
    board.set('bss', false, 'cannot connect again');
    expect(board.get('bss')).toMatchObject({ status: 'down', since: '2026-01-01T00:00:01.000Z', checked_at: '2026-01-01T00:00:02.000Z' });
    ms += 1000;
    board.set('bss', true, 'answers');
    expect(board.get('bss')).toMatchObject({ status: 'up', since: '2026-01-01T00:00:03.000Z' });
    board.notConfigured('cfs', 'cfs_url: none');
    expect(board.usable('cfs')).toBe(true);
    expect(board.usable('s3')).toBe(false);
    expect(Object.keys(board.snapshot())).toEqual(['database', 'bss', 'cfs', 's3']);
  });

  it('tells listeners of changes only', () => {
    const board = new HealthBoard();
    const seen: string[] = [];
    board.onChange((name, h, before) => seen.push(`${name} ${before}->${h.status}`));
    board.set('database', false, 'disk full');
    board.set('database', false, 'disk full');
    board.set('database', true);
    expect(seen).toEqual(['database unknown->down', 'database down->up']);
  });
});

describe('the dependency monitor', () => {
  it('backs off 1 s doubling to 60 s while down, 30 s while up', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((f) => nextCheckDelay(f))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(nextCheckDelay(0)).toBe(30_000);
  });

  it('checks at once, retries with back-off while BSS is down, and reports it up when it answers', async () => {
    const { scheduler, fire } = fakeScheduler();
    const board = new HealthBoard();
    let bssUp = false;
    const monitor = startMonitor(board, [
      { name: 'bss', check: async () => { if (!bssUp) throw new Error('BSS: cannot connect\n(refused)'); return 'answers at http://bss'; } },
      { name: 's3', check: async () => ({ notConfigured: 'no S3 configuration' }) },
    ], { scheduler });
    await settle();
    expect(board.get('bss')).toMatchObject({ status: 'down', detail: 'BSS: cannot connect (refused)' });
    expect(board.get('s3').status).toBe('not_configured');
    // s3 answered: next check in 30 s. bss did not: 1 s, then 2 s, then 4 s.
    expect(fire()).toBe(1000); await settle();
    expect(fire()).toBe(30_000); await settle();
    expect(fire()).toBe(2000); await settle();
    bssUp = true;
    expect(fire()).toBe(30_000); await settle();
    expect(fire()).toBe(4000); await settle();
    expect(board.get('bss')).toMatchObject({ status: 'up', detail: 'answers at http://bss' });
    monitor.stop();
  });

  it('a check that fails at once (not asynchronously) is retried too', async () => {
    const { scheduler, pending } = fakeScheduler();
    const board = new HealthBoard();
    const monitor = startMonitor(board, [{ name: 'cfs', check: () => { throw new Error('sync failure'); } }], { scheduler });
    await settle();
    expect(board.get('cfs').status).toBe('down');
    expect(pending.filter((p) => !p.cancelled).map((p) => p.ms)).toEqual([1000]);
    monitor.stop();
    expect(pending.every((p) => p.cancelled)).toBe(true);
  });
});

describe('bosd exit codes', () => {
  it('2 for what a restart cannot fix, 1 for what may pass', () => {
    expect(bosdExitCode(bosError('BOS_VALUE_INVALID', 'bad setting'))).toBe(2);
    expect(bosdExitCode(bosError('BOS_FILE_INVALID', 'too many aliases'))).toBe(2);
    expect(bosdExitCode(bosError('BOS_DB_CORRUPT', 'corrupt'))).toBe(2);
    expect(bosdExitCode(bosError('BOS_DB_TOO_NEW', 'newer'))).toBe(2);
    expect(bosdExitCode(bosError('BOS_DB_BUSY', 'locked'))).toBe(1);
    expect(bosdExitCode(bosError('BOS_DB_FULL', 'full'))).toBe(1);
    expect(bosdExitCode(Object.assign(new Error('in use'), { code: 'EADDRINUSE' }))).toBe(1);
    expect(bosdExitCode(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(2);
    expect(bosdExitCode(new Error('something else'))).toBe(1);
    expect(EXIT_STATUS.map((s) => s.code)).toEqual([0, 1, 2]);
  });
});

describe('GET /v2/healthz and /v2/healthz/dependencies', () => {
  it('keep BOS\'s healthz body; a database that cannot write is not_available; reasons only for a caller with a token', async () => {
    const { createServer } = await import('node:http');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createApi } = await import('../../src/api/server.js');
    const { Store } = await import('../../src/store/store.js');
    const { createToken } = await import('../../src/services/tokens.js');
    const dir = mkdtempSync(join(tmpdir(), 'bosctl-healthz-'));
    const store = Store.open(suiteDatabase(dir));
    const health = new HealthBoard();
    const server = createServer(createApi({ store, now: () => new Date(), version: '0.1.0', onChange() {}, log() {}, health }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const admin = createToken({ store, actor: { user: 't', via: 't' }, now: () => new Date() }, { role: 'admin' }).secret;
    const get = async (path: string, token?: string) => (await fetch(url + path, token ? { headers: { authorization: `Bearer ${token}` } } : {})).json();
    try {
      health.set('bss', false, 'BSS: cannot connect to http://bss.internal');
      expect(await get('/v2/healthz')).toEqual({ dbStatus: 'ok', apiStatus: 'ok' });
      const anon = (await get('/v2/healthz/dependencies')) as { dependencies: Record<string, Record<string, unknown>> };
      expect(anon.dependencies.bss).toEqual({ status: 'down', since: expect.any(String) });
      const full = (await get('/v2/healthz/dependencies', admin)) as { dependencies: Record<string, Record<string, unknown>> };
      expect(full.dependencies.bss).toMatchObject({ status: 'down', detail: 'BSS: cannot connect to http://bss.internal' });
      expect(full.dependencies.database).toMatchObject({ status: 'up' });
      health.set('database', false, 'cannot write: disk full');
      expect(await get('/v2/healthz')).toEqual({ dbStatus: 'not_available', apiStatus: 'ok' });
      expect(((await get('/v2/healthz/dependencies', admin)) as { dependencies: Record<string, Record<string, unknown>> }).dependencies.database)
        .toMatchObject({ status: 'down', detail: 'cannot write: disk full' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
