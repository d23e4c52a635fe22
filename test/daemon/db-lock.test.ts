import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';

/**
 * Issue 13 item 10: another process holding the database's write lock must not freeze bosd.
 * SQLite's own busy wait blocks the thread; bosd waits briefly and retries asynchronously, so
 * health and other requests are answered while a write waits for the lock.
 */
let tb: Testbed | undefined;
afterEach(async () => { await tb?.close(); tb = undefined; });

/** A second process that takes the write lock and keeps it until told (a line on stdin). */
async function holdWriteLock(dbPath: string) {
  const code = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    process.stdin.once('data', () => { db.exec('COMMIT'); console.log('released'); db.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', code, dbPath], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  expect(await next()).toBe('locked');
  return {
    async release() {
      const done = next();
      child.stdin!.write('go\n');
      expect(await done).toBe('released');
      await new Promise((r) => child.once('exit', r));
    },
    kill() { child.kill('SIGKILL'); },
  };
}

describe('another process holds the write lock', () => {
  it('bosd answers health while an API write waits for the lock, then completes the write', async () => {
    tb = await startTestbed({ sim: { nodes: 2, timeScale: 0.01 }, noCfs: true });
    const t = tb;
    const admin = (await t.backend.createToken({ role: 'admin', description: 'lock test' })).secret;
    const lock = await holdWriteLock(t.dbPath);
    try {
      let settled = false;
      const write = fetch(`${t.bosd!.url}/v2/options`, {
        method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ max_boot_wait_time: 1234 }),
      }).finally(() => { settled = true; });
      await waitFor('the write to wait for the lock', () => t.bosd!.store.busyRetries > 0, 60_000, 5);
      const health = await fetch(`${t.bosd!.url}/v2/healthz`);
      expect(health.status).toBe(200);
      expect(settled, 'the write finished before health answered: the event loop was blocked').toBe(false);
      await lock.release();
      const res = await write;
      expect(res.status).toBe(200);
      expect((await res.json()).max_boot_wait_time).toBe(1234);
    } finally {
      lock.kill();
    }
  });
});
