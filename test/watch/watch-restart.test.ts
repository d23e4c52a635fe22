/**
 * `session status --watch` over bosd's API survives a bosd restart: it says once on stderr
 * that bosd is unreachable, keeps trying, and follows the session again when bosd is back;
 * if bosd stays away longer than --retry-for, it exits 1 saying so. bosd is a real child
 * process on a unix socket, killed and started again on the same database and socket.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/services/local-backend.js';
import { waitFor } from '../../src/testbed/index.js';
import { NODES, TEMPLATE } from '../remote/contract.js';
import { ACTOR, BOSCTL, cleanEnv, removeTmpDirs, startBssStub, startBosd, tmpDir, type BosdProcess } from '../remote/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  removeTmpDirs();
});

/** A database with a staged session "up" (nothing applied: a watch of it goes on), and bosd serving it. */
async function setUp(): Promise<{ dir: string; db: string; bss: string; bosd: BosdProcess }> {
  const dir = tmpDir('bosctl-watch-');
  const db = join(dir, 'bosd.db');
  const local = new LocalBackend(db, ACTOR);
  await local.importInventory(NODES);
  await local.createTemplate('compute-v2', TEMPLATE);
  await local.createSession({ name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true });
  local.close();
  const bss = await startBssStub();
  cleanups.push(() => bss.close());
  const bosd = await startBosd({ db, bssUrl: bss.url, dir });
  cleanups.push(() => bosd.stop());
  return { dir, db, bss: bss.url, bosd };
}

/** bosctl --watch as a child whose output is read as it comes. */
function watch(socket: string, extra: string[]) {
  const child = spawn(process.execPath, [BOSCTL, '--server', `unix://${socket}`, 'session', 'status', 'up', '--watch', '--interval', '100', ...extra], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out.stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out.stderr += d; });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return { out, exited };
}

describe('session status --watch while bosd restarts', () => {
  it('keeps watching: "bosd unreachable, retrying" once, then follows the session to its end', async () => {
    const { dir, db, bss, bosd } = await setUp();
    const w = watch(bosd.socket, ['--retry-for', '5m']);
    await waitFor('the first status line', () => /staged 3/.test(w.out.stdout), 30_000);
    await bosd.stop();
    await waitFor('the watch to notice', () => w.out.stderr.includes('bosd unreachable'), 30_000);
    // While bosd is down the session's nodes are unstaged (nothing left to watch); bosd comes back on the same socket.
    const local = new LocalBackend(db, ACTOR);
    for (const c of await local.listComponents({ staged_session: 'up' })) await local.updateComponent(c.id, { clearStaged: true });
    local.close();
    const again = await startBosd({ db, bssUrl: bss, dir });
    cleanups.push(() => again.stop());
    expect(await w.exited, w.out.stderr).toBe(0);
    expect(w.out.stderr.match(/bosd unreachable, retrying/g)).toHaveLength(1);
    expect(w.out.stderr).toMatch(/^bosctl: bosd unreachable, retrying for up to 300 s… \(bosd at .* is not reachable: /m);
    expect(w.out.stderr).toMatch(/^bosctl: bosd reachable again after \d+ s; following session up$/m);
    expect(w.out.stdout.trim().split('\n').at(-1)).toMatch(/staged 0, .*stable 0, failed 0/);
  });

  it('gives up after --retry-for: exit 1, one line saying why and what to do', async () => {
    const { bosd } = await setUp();
    const w = watch(bosd.socket, ['--retry-for', '1']);
    await waitFor('the first status line', () => /staged 3/.test(w.out.stdout), 30_000);
    await bosd.stop();
    expect(await w.exited).toBe(1);
    const lines = w.out.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^bosctl: bosd unreachable, retrying for up to 1 s…/);
    expect(lines.at(-1)).toMatch(/^bosctl: bosd at .* is not reachable: .*; still unreachable after 1 s \(--retry-for\): stopped following session up \(hint: check that bosd is running, then follow again with "bosctl session status up --watch"\)$/);
  });
});
