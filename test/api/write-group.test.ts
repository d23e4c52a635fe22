/**
 * Concurrent API writes committed in groups (issue 17 item 3): requests that arrive together
 * share one transaction, each in its own savepoint, and each caller gets its own answer.
 * Requests go straight into the API's listener (no socket), all in one turn, so which
 * requests arrive together is certain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/server.js';
import { createSession } from '../../src/services/sessions.js';
import { WriteGroup } from '../../src/services/write-group.js';
import { Store } from '../../src/store/store.js';
import { seed, XNAMES, type LogLine } from './helpers.js';

interface Answer { status: number; body: unknown }
interface Call { method: string; path: string; body?: unknown }

const open: Array<{ store: Store; dir: string }> = [];
afterEach(() => {
  for (const o of open.splice(0)) { o.store.close(); rmSync(o.dir, { recursive: true, force: true }); }
});

/** A seeded database (every node staged by "stage-all") and the API over it, called without a socket. */
async function api(groupWrites: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-wgroup-'));
  const store = Store.open(join(dir, 'bosd.db'));
  open.push({ store, dir });
  const now = () => new Date(Date.parse('2025-03-01T12:00:00.000Z'));
  const ctx = { store, actor: { user: 'test', via: 'test' }, now };
  await seed(ctx);
  await createSession(ctx, { name: 'stage-all', template_name: 'compute-v2', operation: 'reboot', stage: true });
  const logs: LogLine[] = [];
  const handler = createApi({
    store, now, version: '0.1.0', onChange() {}, log(level, msg, fields) { logs.push({ level, msg, fields }); },
    isTrustedSocket: () => true, groupWrites,
  });
  /** Starts a request now; its answer comes when the API ends the response. */
  const call = (c: Call): Promise<Answer> => new Promise((resolve) => {
    const text = c.body === undefined ? '' : JSON.stringify(c.body);
    const req = Object.assign(Readable.from(text === '' ? [] : [Buffer.from(text)]), {
      method: c.method, url: c.path, headers: { 'content-type': 'application/json', 'user-agent': 'write-group-test' }, socket: { remoteAddress: '127.0.0.1' },
    }) as unknown as IncomingMessage;
    let status = 0;
    const res = {
      headersSent: false,
      once() {},
      setHeader() {},
      writeHead(s: number) { status = s; this.headersSent = true; },
      end(b?: string) { resolve({ status, body: b ? JSON.parse(b) : undefined }); },
      destroy() { resolve({ status: -1, body: undefined }); },
    } as unknown as ServerResponse;
    handler(req, res);
  });
  return { store, logs, call };
}

/** Every table's rows, each table's rows sorted; events without their ids; tokens left out. */
function state(store: Store): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [t, rows] of Object.entries(store.tables())) {
    if (t === 'tokens' || t === 'sqlite_sequence') continue;
    out[t] = rows.map((r) => JSON.stringify(t === 'events' ? { ...(r as object), id: 0 } : r)).sort();
  }
  return out;
}

const [X0, X1, X2, , X4, X5, X6, X7] = XNAMES;
const CALLS: Call[] = [
  { method: 'POST', path: '/v2/applystaged', body: { xnames: [X0] } },
  { method: 'POST', path: '/v2/applystaged?include_reasons=true', body: { xnames: [X1, 'x9999c0s0b0n0'] } },
  { method: 'POST', path: '/v2/applystaged', body: { xnames: [] } },
  { method: 'POST', path: '/v2/applystaged?dry_run=true', body: { xnames: [X2] } },
  { method: 'PATCH', path: `/v2/components/${X4}`, body: { actual_state: { bss_token: 'not-written-by-bosd' } } },
  { method: 'PATCH', path: '/v2/components/x9000c0s0b0n0', body: { actual_state: { bss_token: 'tok' } } },
  { method: 'PATCH', path: `/apis/bos/v2/components/${X5}`, body: { error: 'patched alone' } },
  { method: 'PATCH', path: '/v2/components', body: { filters: { ids: X6 }, patch: { error: 'by filter' } } },
  { method: 'PATCH', path: '/v2/components', body: { filters: { ids: `${X7},x9001c0s0b0n0` }, patch: { error: 'never' } } },
  { method: 'PATCH', path: '/v2/components', body: [{ id: X7, error: 'by list' }] },
];

describe('API writes committed in groups', () => {
  it('requests arriving together give the same answers, rows and events as the same requests one by one', async () => {
    const one = await api(false);
    const sequential: Answer[] = [];
    for (const c of CALLS) sequential.push(await one.call(c));
    const many = await api(true);
    const concurrent = await Promise.all(CALLS.map((c) => many.call(c)));

    expect(sequential.map((a) => a.status)).toEqual([200, 200, 400, 200, 200, 404, 200, 200, 404, 200]);
    expect(concurrent).toEqual(sequential);
    expect(state(many.store)).toEqual(state(one.store));
    expect(many.logs).toEqual(one.logs);
  });

  it('shares one transaction among the requests that arrive together (Store.commits)', async () => {
    const { store, call } = await api(true);
    const before = store.commits;
    const answers = await Promise.all(CALLS.map(call));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(7);
    expect(store.commits - before).toBe(1);

    const alone = await api(false);
    const base = alone.store.commits;
    await Promise.all(CALLS.map(alone.call));
    // Each request that wrote committed on its own (the dry run only read; the refused ones wrote nothing).
    expect(alone.store.commits - base).toBe(6);
  });

  it('a failing request in a group fails alone: its caller gets its own 4xx, the others commit', async () => {
    const { store, call } = await api(true);
    const before = store.commits;
    const [ok, bad, missing, other] = await Promise.all([
      call({ method: 'PATCH', path: `/v2/components/${X5}`, body: { error: 'first' } }),
      call({ method: 'PATCH', path: `/v2/components/${X6}`, body: { no_such_field: 1 } }),
      call({ method: 'PATCH', path: '/v2/components', body: { filters: { ids: `${X6},x9001c0s0b0n0` }, patch: { error: 'never' } } }),
      call({ method: 'POST', path: '/v2/applystaged', body: { xnames: [X7] } }),
    ]);
    expect([ok.status, bad.status, missing.status, other.status]).toEqual([200, 400, 404, 200]);
    expect((bad.body as { detail: string }).detail).toMatch(/no_such_field/);
    expect((missing.body as { detail: string }).detail).toMatch(/x9001c0s0b0n0/);
    expect(other.body).toEqual({ succeeded: [X7], failed: [], ignored: [] });
    expect(store.commits - before).toBe(1);
    const rows = store.read(() => [X5, X6, X7].map((x) => store.components.get(x)!));
    expect(rows.map((c) => c.error)).toEqual(['first', '', '']);
    expect(rows[2].enabled).toBe(true);
  });
});

describe('WriteGroup and Store.writeEach', () => {
  it('rolls back only the failing item: what it wrote before it threw is gone, the others stand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosctl-wgroup-'));
    const store = Store.open(join(dir, 'bosd.db'));
    open.push({ store, dir });
    const group = new WriteGroup(store);
    const record = (subject: string) => store.events.record('2025-03-01T12:00:00.000Z', 'test', subject, 'wrote', {}, { user: 't', via: 't' });
    const before = store.commits;
    const results = await Promise.allSettled([
      group.run(() => { record('a'); return 'a'; }),
      group.run(() => { record('b'); throw new Error('b refused after writing'); }),
      group.run(() => store.write(() => { record('c'); return 'c'; })),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b refused after writing', 'c']);
    expect(store.commits - before).toBe(1);
    expect(group.stats).toEqual({ groups: 1, items: 3 });
    const subjects = (store.tables().events as Array<{ kind: string; subject: string }>).filter((e) => e.kind === 'test').map((e) => e.subject);
    expect(subjects).toEqual(['a', 'c']);
  });
});
