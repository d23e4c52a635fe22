/**
 * Issue 18: what the API, bosctl doctor and bosctl's --server list make of several bosd on one
 * database. Two bosd in this process share the testbed's database (instance ids admin1, admin2).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteBackend } from '../../src/client/remote-backend.js';
import { realDrivers, startBosd, type RunningBosd } from '../../src/daemon/bosd.js';
import { loadCredentials } from '../../src/daemon/config.js';
import { createLogger } from '../../src/daemon/log.js';
import { checkDaemon } from '../../src/doctor/daemon.js';
import { startTestbed, type Testbed } from '../../src/testbed/index.js';
import { bosctl, cleanEnv } from '../remote/helpers.js';

let tb: Testbed;
let second: RunningBosd;
let admin: string;
let deadUrl: string;
let answers503: Server;
let url503: string;
let hits503 = 0;

async function freePortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  tb = await startTestbed({ sim: { nodes: 2, timeScale: 0.01 }, noCfs: true, bosd: { instanceId: 'admin1' } });
  const config = { ...tb.config, instanceId: 'admin2' };
  second = await startBosd(config, await realDrivers(config, await loadCredentials(tb.credentialsFile)), createLogger({ level: 'error', json: true, write: () => {} }), { monitor: false });
  admin = (await tb.backend.createToken({ role: 'admin', description: 'ha test' })).secret;
  deadUrl = await freePortUrl();
  answers503 = createServer((_req, res) => { hits503++; res.writeHead(503, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Service Unavailable', status: 503, detail: 'maintenance' })); });
  await new Promise<void>((r) => answers503.listen(0, '127.0.0.1', r));
  url503 = `http://127.0.0.1:${(answers503.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await second?.stop();
  await tb?.close();
  await new Promise<void>((r) => answers503?.close(() => r()));
});

const deps = async (url: string, token?: string) => (await fetch(`${url}/v2/healthz/dependencies`, token ? { headers: { authorization: `Bearer ${token}` } } : {})).json();

describe('which instance leads', () => {
  it('exactly one leads; healthz keeps BOS\'s body; the dependencies extension names the leader (ids for an authenticated caller only)', async () => {
    expect(tb.bosd!.leadership.role).toBe('leader');
    expect(second.leadership.role).toBe('standby');
    const health = await (await fetch(`${second.url}/v2/healthz`)).json();
    expect(Object.keys(health).sort()).toEqual(['apiStatus', 'dbStatus']);
    const a = await deps(tb.bosd!.url, admin);
    const b = await deps(second.url, admin);
    expect(a.leadership).toMatchObject({ this_instance: 'admin1', role: 'leader', leader: 'admin1', epoch: 1 });
    expect(b.leadership).toMatchObject({ this_instance: 'admin2', role: 'standby', leader: 'admin1', epoch: 1 });
    expect(Date.parse(b.leadership.since)).not.toBeNaN();
    const anon = await deps(second.url);
    expect(anon.leadership).toEqual({ role: 'standby', epoch: 1, since: b.leadership.since });
  });

  it('bosctl doctor\'s daemon check over a server list says which one leads, and warns when one does not answer', async () => {
    const both = await checkDaemon({ server: `${tb.bosd!.url},${second.url}`, token: admin, source: '--server' }, 5000);
    expect(both.status).toBe('pass');
    expect(both.detail).toMatch(/at http:\/\/127\.0\.0\.1:\d+, leads the reconciler as admin1 \(epoch 1, since /);
    expect(both.detail).toMatch(/, standby \(leader admin1, epoch 1, since /);
    const oneDown = await checkDaemon({ server: `${deadUrl},${second.url}`, token: admin, source: '--server' }, 5000);
    expect(oneDown.status).toBe('warn');
    expect(oneDown.detail).toMatch(/is not reachable: connection refused/);
  });
});

describe('bosctl --server URL1,URL2', () => {
  it('goes on to the next server when one refuses the connection, and stays with the one that answered', async () => {
    const client = new RemoteBackend({ server: `${deadUrl},${second.url}`, token: admin });
    try {
      expect(client.server).toBe(`${deadUrl},${second.url}`);
      expect((await client.getOptions()).max_component_batch_size).toBeDefined();
      // A write (not safe to repeat after a send) also goes on: a refused connection sent nothing.
      await client.updateOptions({ max_boot_wait_time: 1201 });
      expect((await tb.backend.getOptions()).max_boot_wait_time).toBe(1201);
    } finally {
      client.close();
    }
  });

  it('an answer, even 503, is final: the next server is not asked', async () => {
    const client = new RemoteBackend({ server: `${url503},${second.url}`, token: admin });
    try {
      const before = hits503;
      await expect(client.updateOptions({ max_boot_wait_time: 1202 })).rejects.toThrow(/503|maintenance/);
      expect(hits503).toBeGreaterThan(before);
      expect((await tb.backend.getOptions()).max_boot_wait_time).not.toBe(1202);
    } finally {
      client.close();
    }
  });

  it('none reachable: one error naming each, BOS_SERVER_UNREACHABLE; an empty entry is bad input', async () => {
    const other = await freePortUrl();
    const client = new RemoteBackend({ server: `${deadUrl},${other}`, token: admin, transport: { attempts: 1 } });
    try {
      await expect(client.getOptions()).rejects.toMatchObject({ code: 'BOS_SERVER_UNREACHABLE', message: expect.stringMatching(/^no bosd of 2 reachable: .*connection refused; .*connection refused/) });
    } finally {
      client.close();
    }
    expect(() => new RemoteBackend({ server: `${second.url},,${deadUrl}` })).toThrow(/an entry is empty/);
  });

  it('the CLI takes the list from --server and from BOSCTL_SERVER', async () => {
    const tokenFile = join(tb.dir, 'admin.token');
    writeFileSync(tokenFile, admin, { mode: 0o600 });
    const viaFlag = await bosctl(['--server', `${deadUrl},${second.url}`, '--token-file', tokenFile, 'options', 'list', '--output', 'json'], { env: cleanEnv() });
    expect(viaFlag.stderr).toBe('');
    expect(viaFlag.code).toBe(0);
    expect(JSON.parse(viaFlag.stdout).max_boot_wait_time).toBeDefined();
    const viaEnv = await bosctl(['options', 'list', '--output', 'json'], { env: cleanEnv({ BOSCTL_SERVER: `${deadUrl},${second.url}`, BOSCTL_TOKEN_FILE: tokenFile }) });
    expect(viaEnv.code).toBe(0);
    const bad = await bosctl(['--server', `${second.url},`, 'options', 'list'], { env: cleanEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/an entry is empty/);
  });
});
