import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import type { Component } from '../../src/core/types.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { Store } from '../../src/store/store.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { waitFor } from '../../src/testbed/index.js';

const BOSD = new URL('../../bin/bosd.js', import.meta.url).pathname;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bosd-proc-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function runBosd(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BOSD, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('bosd configuration errors: one line, exit 2', () => {
  const oneLine = (s: string) => s.trim().split('\n');

  it('refuses a missing credentials file', () => {
    const d = tmp();
    const r = runBosd(['--db', join(d, 'x.db'), '--bss-url', 'http://127.0.0.1:9', '--credentials-file', join(d, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^bosd: cannot read credentials file .*nope\.yaml: no such file/);
  });

  it('refuses a credentials file others can read, and never prints the password', () => {
    const d = tmp();
    const f = join(d, 'cred.yaml');
    writeFileSync(f, 'default: {username: root, password: s3cretPW}\n');
    chmodSync(f, 0o644);
    const r = runBosd(['--db', join(d, 'x.db'), '--bss-url', 'http://127.0.0.1:9', '--credentials-file', f]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/readable by others \(mode 644\): run chmod 600/);
    expect(r.stderr).not.toContain('s3cretPW');
  });

  it('refuses a corrupt database and one from a newer bosctl with exit 2 (systemd does not restart), file untouched', () => {
    const d = tmp();
    const f = credentials(d);
    const corrupt = join(d, 'corrupt.db');
    writeFileSync(corrupt, Buffer.alloc(8192, 0x41));
    let r = runBosd(['--db', corrupt, '--bss-url', 'http://127.0.0.1:9', '--credentials-file', f]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/is not a bosctl database or is damaged/);
    expect(readFileSync(corrupt).equals(Buffer.alloc(8192, 0x41))).toBe(true);
    const newer = join(d, 'newer.db');
    const db = new Database(newer);
    db.pragma('user_version = 9999');
    db.close();
    const before = readFileSync(newer);
    r = runBosd(['--db', newer, '--bss-url', 'http://127.0.0.1:9', '--credentials-file', f]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/schema version 9999, newer than/);
    expect(readFileSync(newer).equals(before)).toBe(true);
  });

  it('refuses a YAML alias bomb in the config file as bad input (exit 2), not as a bug', () => {
    const d = tmp();
    const cfg = join(d, 'bosd.yaml');
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    writeFileSync(cfg, `bss_url: http://127.0.0.1:9\n${lines.join('\n')}\n`);
    const r = runBosd(['--config', cfg]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/too many aliases/);
    expect(r.stderr).not.toMatch(/bug|internal/);
  });

  it('--socket naming the database (a regular file): exit 2 naming it, the database intact', () => {
    const d = tmp();
    const f = credentials(d);
    const dbPath = join(d, 'bosd.db');
    Store.open(dbPath).close();
    const before = readFileSync(dbPath);
    for (const [path, kind] of [[dbPath, 'a regular file'], [d, 'a directory']] as const) {
      const r = runBosd(['--db', dbPath, '--bss-url', 'http://127.0.0.1:9', '--credentials-file', f, '--socket', path, '--listen', '']);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(`socket path ${path} is ${kind}, not a socket`);
    }
    expect(readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('refuses a missing BSS URL, a bad flag and an unknown config key', () => {
    const d = tmp();
    expect(runBosd(['--db', join(d, 'x.db')]).stderr).toMatch(/^bosd: no BSS URL/);
    const bad = runBosd(['--no-such-flag']);
    expect(bad.code).toBe(2);
    const cfg = join(d, 'bosd.yaml');
    writeFileSync(cfg, 'bss_url: http://127.0.0.1:9\nbogus: 1\n');
    const r = runBosd(['--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown setting "bogus"/);
  });
});

function credentials(d: string): string {
  const f = join(d, 'cred.yaml');
  writeFileSync(f, 'default: {username: root, password: s3cretPW}\n', { mode: 0o600 });
  return f;
}

/** Starts bosd; resolves once it logs "listening", with its URL and everything it logged. */
function start(args: string[]): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, [BOSD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (process.env.BOSD_TEST_LOG) appendFileSync(process.env.BOSD_TEST_LOG, d);
      const m = /"msg":"listening","url":"([^"]+)"/.exec(buf);
      if (m) resolve({ child, url: m[1], log: () => buf });
    });
    child.on('exit', (code) => reject(new Error(`bosd exited ${code}: ${buf}`)));
  });
}

async function stopped(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  child.kill('SIGTERM');
  return code;
}

describe('bosd starts without its dependencies', () => {
  it('BSS down and cfs_url: none: bosd serves the API, apply-staged works, healthz reports BSS down', async () => {
    const d = tmp();
    const cfg = join(d, 'bosd.yaml');
    const port = await deadPort();
    writeFileSync(cfg, `bss_url: http://127.0.0.1:${port}\ncfs_url: none\ncredentials_file: ${credentials(d)}\ndb: ${join(d, 'bosd.db')}\nlisten: 127.0.0.1:0\nrequest_timeout_ms: 500\n`);
    const backend = new LocalBackend(join(d, 'bosd.db'), { user: 'test', via: 'test' });
    cleanups.push(() => backend.close());
    await backend.importInventory([normalizeInventoryRecord({ xname: 'x1000c0s0b0n0', nid: 1, role: 'Compute' }, 'n1')]);
    await backend.createTemplate('v2', { boot_sets: { c: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2', node_roles_groups: ['Compute'] } } });
    const s = await backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    const admin = (await backend.createToken({ role: 'admin' })).secret;
    const bosd = await start(['--config', cfg]);
    const applied = await fetch(`${bosd.url}/v2/applystaged`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ xnames: s.nodes }) });
    expect(applied.status).toBe(200);
    expect(await applied.json()).toMatchObject({ succeeded: ['x1000c0s0b0n0'] });
    const health = await fetch(`${bosd.url}/v2/healthz`);
    expect(await health.json()).toEqual({ dbStatus: 'ok', apiStatus: 'ok' });
    await waitFor('BSS reported down', async () => {
      const r = await fetch(`${bosd.url}/v2/healthz/dependencies`, { headers: { authorization: `Bearer ${admin}` } });
      const deps = (await r.json()) as { dependencies: Record<string, { status: string; detail: string }> };
      return deps.dependencies.bss.status === 'down' && deps.dependencies.cfs.status === 'not_configured';
    }, 20_000, 50);
    expect(bosd.log()).toMatch(/"msg":"bss is down"/);
    expect(bosd.log()).not.toContain('s3cretPW');
    expect(await stopped(bosd.child)).toBe(0);
  });
});

describe('bosd and its unix socket', () => {
  it('replaces a stale socket, refuses a live one (exit 1), and at stop removes only its own', async () => {
    const d = tmp();
    const f = credentials(d);
    const sock = join(d, 'bosd.sock');
    // A stale socket: bound by a server that is gone without removing it.
    const { spawnSync: sp } = await import('node:child_process');
    sp(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.exit(0))`]);
    expect(lstatSync(sock).isSocket()).toBe(true);
    const args = (db: string) => ['--db', join(d, db), '--bss-url', 'http://127.0.0.1:9', '--credentials-file', f, '--socket', sock, '--listen', ''];
    const first = await start(args('a.db'));
    expect(first.url).toBe(`unix://${sock}`);
    const second = runBosd(args('b.db'));
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toMatch(/socket .* is in use/);
    expect(existsSync(join(d, 'b.db'))).toBe(false);
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(await stopped(first.child)).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});

describe('bosd survives SIGKILL', () => {
  it('killed mid-rollout and restarted, every node converges with no extra power requests', async () => {
    const d = tmp();
    const sim: Simulator = await startSimulator({ nodes: 24, timeScale: 0.004, reportRetry: { initialMs: 50, maxMs: 200, giveUpMs: 60_000 } });
    cleanups.push(() => sim.close());
    const cred = join(d, 'cred.json');
    writeFileSync(cred, JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
    const db = join(d, 'bosd.db');
    const backend = new LocalBackend(db, { user: 'test', via: 'test' });
    cleanups.push(() => backend.close());
    await backend.importInventory(sim.inventory().map((r, i) => normalizeInventoryRecord(r as unknown as Record<string, unknown>, `n${i}`)));
    // A kill between storing an intent and sending its request leaves the node waiting out these
    // (bosd never re-sends blindly), so they are short here.
    await backend.updateOptions({ max_boot_wait_time: 20, max_power_off_wait_time: 2, max_power_on_wait_time: 2 });
    await backend.createTemplate('v2', { boot_sets: { c: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'v2', node_roles_groups: ['Compute'] } }, cfs: { configuration: 'cfg' } });
    const args = ['--db', db, '--bss-url', sim.bssUrl, '--cfs-url', sim.cfsUrl, '--credentials-file', cred, '--listen', '127.0.0.1:0',
      '--power-poll-ms', '50', '--cfs-poll-ms', '50', '--retry-backoff-ms', '100', ...(process.env.BOSD_TEST_LOG ? ['--log-level', 'debug'] : [])];
    const nodeToken = (await backend.createToken({ role: 'node' })).secret;
    let bosd = await start(args);
    sim.setBosUrl(bosd.url, nodeToken);
    const s = await backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    await backend.applyStaged(s.nodes);
    const settled = async () => (await backend.listComponents({ ids: s.nodes })).every((c) => !c.enabled || c.status.status === 'failed');
    // Kill at three moments of the rollout: once some node was sent a power-off, once some
    // node was sent a power-on, once some node is being configured (or already done).
    const moments: Array<[string, (c: Component) => boolean]> = [
      ['a power-off sent', (c) => c.event_stats.power_off_graceful_attempts > 0],
      ['a power-on sent', (c) => c.event_stats.power_on_attempts > 0],
      ['a node configuring', (c) => c.status.phase === 'configuring' || (!c.enabled && c.event_stats.power_on_attempts > 0)],
    ];
    for (const [what, seen] of moments) {
      await waitFor(what, async () => (await backend.listComponents({ ids: s.nodes })).some(seen), 30_000, 5);
      bosd.child.kill('SIGKILL');
      await new Promise((r) => bosd.child.once('exit', r));
      bosd = await start(args);
      sim.setBosUrl(bosd.url, nodeToken);
    }
    await waitFor('every node to settle', settled, 60_000);
    const comps = await backend.listComponents({ ids: s.nodes });
    for (const c of comps) {
      expect(c.status.status, `${c.id}: ${c.error}`).toBe('stable');
      expect(c.actual_state.boot_artifacts?.kernel).toBe('s3://img/v2/kernel');
      const r = sim.node(c.id).resets;
      const report = JSON.stringify(sim.node(c.id).report);
      // One power-off (graceful) and one power-on per node: what a reboot needs.
      expect(r.Off + r.ForceOff, `${c.id} power-off requests (boot report ${report})`).toBe(1);
      expect(r.On, `${c.id} power-on requests`).toBe(1);
    }
    bosd.child.kill('SIGTERM');
    const code = await new Promise((r) => bosd.child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});
