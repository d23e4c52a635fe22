/**
 * Requests bosd answers late are logged with where their time went (auth, body, wait for the
 * write, the handler, the reply), the first of an interval at once and the rest as one summary.
 */
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/server.js';
import { phasesOf, SlowRequestLog, type SlowRequest } from '../../src/api/slow-requests.js';
import { createToken } from '../../src/services/tokens.js';
import { Store } from '../../src/store/store.js';
import { seed, XNAMES, type LogLine } from './helpers.js';

const phases = { auth: 1, body: 2, wait: 3, work: 4, reply: 5 };
const req = (ms: number, path = '/v2/components/x1000c0s0b0n0'): SlowRequest => ({ method: 'PATCH', path, status: 200, ms, phases });

describe('SlowRequestLog', () => {
  it('logs the first slow request of an interval at once, the rest as one summary with the slowest', () => {
    const logs: LogLine[] = [];
    let now = 0;
    const slow = new SlowRequestLog({ log: (level, msg, fields) => logs.push({ level, msg, fields }), nowMs: () => now });
    slow.observe(req(999));
    slow.observe(req(1000));
    expect(logs).toEqual([]);
    slow.observe(req(1500));
    expect(logs).toEqual([{ level: 'warn', msg: 'slow request', fields: { method: 'PATCH', path: '/v2/components/x1000c0s0b0n0', status: 200, ms: 1500, phases_ms: phases } }]);
    now = 2000;
    slow.observe(req(3000, '/v2/applystaged'));
    slow.observe(req(2000));
    now = 9999;
    slow.flush();
    expect(logs).toHaveLength(1);
    now = 10_000;
    slow.flush();
    expect(logs).toHaveLength(2);
    expect(logs[1]).toMatchObject({ level: 'warn', msg: '2 more slow requests (over 1000 ms) in the last 10 s; the slowest', fields: { count: 2, path: '/v2/applystaged', ms: 3000 } });
    // A new interval starts with a line of its own.
    slow.observe(req(1200));
    expect(logs).toHaveLength(3);
    expect(slow.total).toBe(4);
  });

  it('splits a request into phases by the points it reached', () => {
    expect(phasesOf(100, { authed: 101, read: 111, started: 141, done: 142 }, 150)).toEqual({ auth: 1, body: 10, wait: 30, work: 1, reply: 8 });
    // Refused at auth: all of it is auth.
    expect(phasesOf(100, {}, 107)).toEqual({ auth: 7, body: 0, wait: 0, work: 0, reply: 0 });
    // A bad body: no wait, no work.
    expect(phasesOf(100, { authed: 102 }, 110)).toEqual({ auth: 2, body: 0, wait: 0, work: 0, reply: 8 });
  });
});

describe('bosd\'s API logs slow requests with their phases', () => {
  let dir: string;
  let store: Store;
  let server: Server;
  let port: number;
  const logs: LogLine[] = [];
  let nodeToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosctl-slow-'));
    store = Store.open(join(dir, 'bosd.db'));
    const now = () => new Date(Date.parse('2025-03-01T12:00:00.000Z'));
    const ctx = { store, actor: { user: 'test', via: 'test' }, now };
    await seed(ctx);
    nodeToken = createToken(ctx, { role: 'node' }).secret;
    const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => { logs.push({ level, msg, fields }); };
    // A threshold of 0 ms: every request is slow, so the test needs no slow machine.
    const slowRequests = new SlowRequestLog({ log, thresholdMs: 0, intervalMs: 0 });
    server = createServer(createApi({ store, now, version: '0.1.0', onChange() {}, log, isTrustedSocket: () => false, slowRequests }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a boot report whose body comes late: the time is in "body", the token is not in the line', async () => {
    const body = JSON.stringify({ actual_state: { bss_token: 'some-token' } });
    const status = await new Promise<number>((resolve, reject) => {
      const r = httpRequest({
        host: '127.0.0.1', port, method: 'PATCH', path: `/apis/bos/v2/components/${XNAMES[0]}`,
        headers: { authorization: `Bearer ${nodeToken}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      r.on('error', reject);
      r.flushHeaders();
      setTimeout(() => r.end(body), 60);
    });
    expect(status).toBe(200);
    const line = logs.filter((l) => l.msg === 'slow request').at(-1);
    expect(line?.fields).toMatchObject({ method: 'PATCH', path: `/apis/bos/v2/components/${XNAMES[0]}`, status: 200 });
    const p = line!.fields!.phases_ms as Record<string, number>;
    expect(Object.keys(p)).toEqual(['auth', 'body', 'wait', 'work', 'reply']);
    // The body was sent at least 60 ms after the headers: that time is the body's, not the handler's.
    expect(p.body).toBeGreaterThanOrEqual(50);
    expect(p.body + p.auth + p.wait + p.work + p.reply).toBeLessThanOrEqual((line!.fields!.ms as number) + 5);
    expect(JSON.stringify(logs)).not.toContain(nodeToken);
  });

  it('a refused request is all "auth"', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/v2/components`, { headers: { authorization: 'Bearer bos_abcdefgh_nope' } });
    expect(r.status).toBe(401);
    await r.text();
    const line = logs.filter((l) => l.msg === 'slow request').at(-1);
    expect(line?.fields).toMatchObject({ method: 'GET', path: '/v2/components', status: 401, phases_ms: { body: 0, wait: 0, work: 0, reply: 0 } });
  });
});
