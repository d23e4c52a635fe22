/**
 * Issue 17 item 4, bosd's memory: the structural cuts, each shown without a size assertion
 * (sizes depend on the machine; bench/scale.js measures them).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import type { Component } from '../../src/core/types.js';
import { HEAP_GROWING_PERCENT, tightenHeapGrowth } from '../../src/daemon/main.js';
import { NodeTable, SHARED_ARTIFACTS_MAX, shareArtifacts } from '../../src/daemon/node-work.js';
import { OriginClients, resolveTimeouts } from '../../src/integrations/http.js';

/** A server that holds each answer until released, and counts the connections open at once. */
async function holdingServer(): Promise<{ server: Server; url: string; held: ServerResponse[]; most: () => number; release: () => void }> {
  const held: ServerResponse[] = [];
  let open = 0;
  let most = 0;
  const server = createServer((req, res) => {
    req.resume();
    held.push(res);
  });
  server.on('connection', (s) => {
    open++;
    most = Math.max(most, open);
    s.on('close', () => { open--; });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    server, url: `http://127.0.0.1:${port}`, held, most: () => most,
    release: () => { for (const res of held.splice(0)) res.end('{}'); },
  };
}

describe('OriginClients (a BMC\'s connections without a Pool\'s queue)', () => {
  let srv: Awaited<ReturnType<typeof holdingServer>> | undefined;
  let d: OriginClients | undefined;
  afterEach(async () => {
    await d?.destroy();
    srv?.server.closeAllConnections();
    await new Promise((r) => srv?.server.close(r));
    d = undefined;
    srv = undefined;
  });

  const until = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setImmediate(r)); };

  it('opens at most `connections` clients; requests beyond wait their turn and all complete', async () => {
    srv = await holdingServer();
    d = new OriginClients(srv.url, { connections: 2, timeouts: resolveTimeouts(5000), tls: {} });
    const answers = Array.from({ length: 5 }, () => d!.request({ origin: srv!.url, path: '/', method: 'GET' }).then(async (r) => { await r.body.text(); return r.statusCode; }));
    await until(() => srv!.held.length === 2);
    expect(d.clientCount).toBe(2);
    // Release one answer at a time: the waiting requests go out on the same two connections.
    while ((await Promise.race([Promise.all(answers).then(() => 'done'), new Promise((r) => setImmediate(() => r('pending')))])) !== 'done') srv.release();
    expect(await Promise.all(answers)).toEqual([200, 200, 200, 200, 200]);
    expect(d.clientCount).toBe(2);
    expect(srv.most()).toBe(2);
  });

  it('reuses an idle client rather than opening another', async () => {
    srv = await holdingServer();
    d = new OriginClients(srv.url, { connections: 4, timeouts: resolveTimeouts(5000), tls: {} });
    for (let i = 0; i < 3; i++) {
      const p = d.request({ origin: srv.url, path: '/', method: 'GET' });
      await until(() => srv!.held.length === 1);
      srv.release();
      await (await p).body.text();
    }
    expect(d.clientCount).toBe(1);
  });

  it('refuses requests once closed, as a Pool does', async () => {
    srv = await holdingServer();
    d = new OriginClients(srv.url, { connections: 1, timeouts: resolveTimeouts(5000), tls: {} });
    await d.close();
    await expect(d.request({ origin: srv.url, path: '/', method: 'GET' })).rejects.toMatchObject({ code: 'UND_ERR_CLOSED' });
    expect(() => new OriginClients(srv!.url, { connections: 0, timeouts: resolveTimeouts(5000), tls: {} })).toThrow(/connections must be an integer >= 1/);
  });
});

describe('bosd\'s heap growth', () => {
  it('is set at start unless node was given its own setting', () => {
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
    expect(tightenHeapGrowth([])).toBe(true);
    expect(tightenHeapGrowth(['--max-semi-space-size=2'])).toBe(true);
    expect(tightenHeapGrowth(['--heap-growing-percent=80'])).toBe(false);
    expect(tightenHeapGrowth(['--max-old-space-size=512', '--heap_growing_percent=80'])).toBe(false);
  });
});

describe('NodeWork kept compact', () => {
  const artifacts = (k: string) => ({ kernel: `s3://boot/${k}/kernel`, initrd: `s3://boot/${k}/initrd`, kernel_parameters: `console=ttyS0 root=live:${k}` });
  const row = (id: string, k: string): Component => ({
    ...newComponent(id), enabled: true,
    desired_state: { boot_artifacts: artifacts(k), configuration: 'c', last_updated: '2026-12-07T00:00:00Z' },
    actual_state: { boot_artifacts: artifacts(k), last_updated: '2026-12-07T00:00:00Z' },
    staged_state: { boot_artifacts: artifacts(k), last_updated: '2026-12-07T00:00:00Z' },
  });

  it('nodes booting the same artifacts hold one frozen copy, equal to what was stored', () => {
    const t = new NodeTable();
    t.track(row('x1000c0s0b0n0', 'a'), 1);
    t.track(row('x1000c0s0b0n1', 'a'), 1);
    t.track(row('x1000c0s0b1n0', 'b'), 1);
    const [n0, n1, m0] = ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s0b1n0'].map((id) => t.get(id)!.component);
    expect(n0!.desired_state.boot_artifacts).toEqual(artifacts('a'));
    expect(n1!.desired_state.boot_artifacts).toBe(n0!.desired_state.boot_artifacts);
    expect(n0!.actual_state.boot_artifacts).toBe(n0!.desired_state.boot_artifacts);
    expect(n0!.staged_state.boot_artifacts).toBe(n0!.desired_state.boot_artifacts);
    expect(m0!.desired_state.boot_artifacts).toEqual(artifacts('b'));
    expect(m0!.desired_state.boot_artifacts).not.toBe(n0!.desired_state.boot_artifacts);
    // Shared, so nobody may change it in place (the row is written back from this copy).
    expect(Object.isFrozen(n0!.desired_state.boot_artifacts)).toBe(true);
    expect(JSON.parse(JSON.stringify(n0))).toEqual(row('x1000c0s0b0n0', 'a'));
  });

  it('a set with fields beyond the known three is left as stored; the table of sets is bounded', () => {
    const odd = row('x1000c0s0b0n0', 'a');
    const extra = { ...artifacts('a'), rootfs: 'sbps' } as unknown as NonNullable<Component['desired_state']['boot_artifacts']>;
    odd.desired_state.boot_artifacts = extra;
    expect(shareArtifacts(odd).desired_state.boot_artifacts).toBe(extra);
    const first = shareArtifacts(row('x1', 'bounded-0')).desired_state.boot_artifacts;
    for (let i = 1; i <= SHARED_ARTIFACTS_MAX; i++) shareArtifacts(row('x1', `bounded-${i}`));
    // The table started again: the first set is no longer the one handed out.
    expect(shareArtifacts(row('x1', 'bounded-0')).desired_state.boot_artifacts).not.toBe(first);
  });
});
