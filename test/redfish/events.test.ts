import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/core/types.js';
import type { RedfishEventsConfig } from '../../src/daemon/config.js';
import { createLogger } from '../../src/daemon/log.js';
import { SseParser, powerEventsOf } from '../../src/integrations/redfish-events.js';
import type { EventsMode, SimOptions } from '../../src/sim/index.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';

const V2 = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'quiet v2' };
let tb: Testbed | undefined;
/** bosd's log lines of the current test (debug and up). */
let logLines: string[] = [];
afterEach(async () => { await tb?.close(); tb = undefined; });

async function bed(events: EventsMode, redfishEvents: Partial<RedfishEventsConfig> = {}, sim: Partial<SimOptions> = {}): Promise<Testbed> {
  logLines = [];
  tb = await startTestbed({
    log: createLogger({ level: 'debug', json: true, write: (l) => { logLines.push(l); } }),
    sim: { nodes: 8, timeScale: 0.01, events, ...sim },
    options: { max_boot_wait_time: 60, max_power_off_wait_time: 60, max_power_on_wait_time: 60 },
    bosd: { redfishEvents: { mode: 'auto', pushUrl: null, overdueMs: 60_000, ...redfishEvents } },
  });
  await tb.backend.createTemplate('v2', { enable_cfs: true, cfs: { configuration: 'cfg-v2' }, boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } } });
  return tb;
}

const settled = (c: Component) => !c.enabled || c.status.status === 'failed';
async function rollout(t: Testbed): Promise<Component[]> {
  const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
  await waitFor('nodes to settle', async () => (await t.backend.listComponents({ ids: s.nodes })).every(settled), 60_000);
  return t.backend.listComponents({ ids: s.nodes });
}

function expectStableOnce(t: Testbed, comps: Component[]): void {
  for (const c of comps) {
    expect(c.status.status, c.id).toBe('stable');
    const n = t.sim.node(c.id);
    expect(n.booted?.kernel, c.id).toBe(V2.kernel);
    // One power cycle: no second Off, no forced one, one On.
    expect({ Off: n.resets.Off, ForceOff: n.resets.ForceOff, On: n.resets.On }, c.id).toEqual({ Off: 1, ForceOff: 0, On: 1 });
  }
}

describe('Redfish events (simulator EventService + bosd)', () => {
  it('SSE: a rollout reads each node once; every change after the requests comes as an event', async () => {
    const t = await bed('sse+push');
    const comps = await rollout(t);
    expectStableOnce(t, comps);
    const st = t.sim.stats();
    // The first read of each node (a few more when a stream opened after a node's request, on a
    // busy machine); polling reads every 100 ms while they power off and on (26 here).
    expect(st.redfish.systemReads).toBeGreaterThanOrEqual(comps.length);
    expect(st.redfish.systemReads).toBeLessThanOrEqual(comps.length + 2);
    expect(st.events.sse).toBeGreaterThanOrEqual(comps.length * 3);
    expect(t.bosd!.powerEvents()).toMatchObject({ bmcsLive: st.bmcs, bmcsPolling: 0, fallbacks: 0 });
  });

  it('push: a rollout on pushed events; a post with a wrong Context secret is refused and changes nothing', async () => {
    const t = await bed('push', { mode: 'push' });
    const comps = await rollout(t);
    expectStableOnce(t, comps);
    const st = t.sim.stats();
    expect(st.redfish.systemReads).toBeLessThanOrEqual(comps.length + 2);
    expect(st.events.pushed).toBeGreaterThanOrEqual(comps.length * 3);
    expect(st.events.subscriptionsLive).toBe(st.bmcs);

    // The destination of a live subscription, with a forged Context: refused (401), nothing changes.
    const bmc = comps[0]!.id.replace(/n\d+$/, '');
    const auth = { authorization: `Basic ${Buffer.from(`${t.sim.credentials.username}:${t.sim.credentials.password}`).toString('base64')}` };
    const base = t.sim.inventory()[0]!.bmc_address.replace(/\/bmc\/.*$/, `/bmc/${bmc}`);
    const list = await (await fetch(`${base}/redfish/v1/EventService/Subscriptions`, { headers: auth })).json() as { Members: Array<{ '@odata.id': string }> };
    const sub = await (await fetch(new URL(list.Members[0]!['@odata.id'], base).href, { headers: auth })).json() as { Destination: string; Context: string };
    expect(sub.Destination.startsWith(`${t.bosd!.url}/redfish-events/`)).toBe(true);
    const system = `/bmc/${bmc}/redfish/v1/Systems/${t.sim.node(comps[0]!.id).systemId}`;
    const forged = { Context: `${sub.Context.slice(0, -4)}AAAA`, Events: [{ MessageId: 'ResourceEvent.1.0.ResourcePowerStateChanged', MessageArgs: [system, 'Off'], OriginOfCondition: { '@odata.id': system } }] };
    const before = t.bosd!.powerEvents()!;
    const r = await fetch(sub.Destination, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    expect(r.status).toBe(401);
    const unknown = await fetch(`${t.bosd!.url}/redfish-events/nosuchsubscription`, { method: 'POST', body: JSON.stringify(forged) });
    expect(unknown.status).toBe(404);
    const after = t.bosd!.powerEvents()!;
    expect(after.pushRefused).toBe(before.pushRefused + 2);
    expect(after.applied).toBe(before.applied);
    expect(t.sim.node(comps[0]!.id).power).toBe('On');
    // The refusal is logged, and neither the real secret nor the forged one is.
    expect(logLines.some((l) => l.includes('Redfish event refused'))).toBe(true);
    const secretOf = (context: string) => context.split(':').at(-1)!;
    for (const l of logLines) {
      expect(l).not.toContain(secretOf(sub.Context));
      expect(l).not.toContain(secretOf(forged.Context));
    }
    expect((await t.backend.listComponents({ ids: [comps[0]!.id] }))[0]!.status.status).toBe('stable');
  });

  it('no EventService (sushy-like "none"): bosd polls as before', async () => {
    const t = await bed('none');
    const comps = await rollout(t);
    expectStableOnce(t, comps);
    expect(t.sim.stats().redfish.systemReads).toBeGreaterThan(comps.length * 2);
    expect(t.bosd!.powerEvents()).toMatchObject({ bmcsLive: 0, bmcsPolling: t.sim.stats().bmcs });
  });

  it('events lost mid-rollout: the overdue read finds the change, the BMC falls back to polling, every node stable, one power cycle', async () => {
    const t = await bed('sse+push', { overdueMs: 400 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    // Once the first node is off, half the nodes' events are lost: their Off or On never comes.
    await waitFor('a node off', () => t.sim.nodes().some((n) => n.power === 'Off'), 10_000, 1);
    t.sim.setFault('events_dropped', s.nodes.slice(0, 4), true);
    await waitFor('nodes to settle', async () => (await t.backend.listComponents({ ids: s.nodes })).every(settled), 60_000);
    expectStableOnce(t, await t.backend.listComponents({ ids: s.nodes }));
    const ev = t.bosd!.powerEvents()!;
    expect(ev.fallbacks).toBeGreaterThanOrEqual(1);
    expect(ev.bmcsPolling).toBeGreaterThanOrEqual(1);
    expect(t.sim.stats().events.dropped).toBeGreaterThan(0);
  });

  it('a broken stream: its BMCs are polled meanwhile, then listened to again; every node stable, one power cycle', async () => {
    const t = await bed('sse+push');
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await waitFor('streams open', () => t.sim.stats().events.subscriptionsLive === t.sim.stats().bmcs, 10_000);
    const created = t.sim.stats().events.subscriptionsCreated;
    expect(t.sim.breakEventStreams()).toBe(t.sim.stats().bmcs);
    await waitFor('nodes to settle', async () => (await t.backend.listComponents({ ids: s.nodes })).every(settled), 60_000);
    expectStableOnce(t, await t.backend.listComponents({ ids: s.nodes }));
    // Reconnected (after a back-off of 1 s): every BMC live again.
    await waitFor('streams open again', () => t.sim.stats().events.subscriptionsLive === t.sim.stats().bmcs, 10_000);
    expect(t.sim.stats().events.subscriptionsCreated).toBe(created + t.sim.stats().bmcs);
    expect(t.bosd!.powerEvents()).toMatchObject({ bmcsLive: t.sim.stats().bmcs, bmcsPolling: 0 });
    expect(t.bosd!.powerEvents()!.fallbacks).toBe(t.sim.stats().bmcs);
  });

  it('a push subscription the BMC dropped mid-rollout is noticed (an event missed) and made again; every node stable, one power cycle', async () => {
    const t = await bed('push', { mode: 'push', overdueMs: 400 });
    const s = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r' });
    await waitFor('subscriptions made', () => t.sim.stats().events.subscriptionsLive === t.sim.stats().bmcs, 10_000);
    await waitFor('a node off', () => t.sim.nodes().some((n) => n.power === 'Off'), 10_000, 1);
    // Every BMC forgets its subscriptions (as a BMC reset does).
    const auth = { authorization: `Basic ${Buffer.from(`${t.sim.credentials.username}:${t.sim.credentials.password}`).toString('base64')}` };
    for (const base of new Set(t.sim.inventory().map((r) => r.bmc_address))) {
      const list = await (await fetch(`${base}/redfish/v1/EventService/Subscriptions`, { headers: auth })).json() as { Members: Array<{ '@odata.id': string }> };
      for (const m of list.Members) expect((await fetch(new URL(m['@odata.id'], base).href, { method: 'DELETE', headers: auth })).status).toBe(204);
    }
    expect(t.sim.stats().events.subscriptionsLive).toBe(0);
    await waitFor('nodes to settle', async () => (await t.backend.listComponents({ ids: s.nodes })).every(settled), 60_000);
    expectStableOnce(t, await t.backend.listComponents({ ids: s.nodes }));
    const bmcs = t.sim.stats().bmcs;
    await waitFor('subscriptions made again', () => t.sim.stats().events.subscriptionsLive === bmcs, 10_000);
    expect(t.bosd!.powerEvents()).toMatchObject({ bmcsLive: bmcs, bmcsPolling: 0 });
    expect(t.bosd!.powerEvents()!.fallbacks).toBeGreaterThanOrEqual(bmcs);
  });

  it('clean-up: bosd stopped leaves no subscription; a restart removes its stale ones and keeps a foreign one', async () => {
    const t = await bed('push', { mode: 'push' });
    await rollout(t);
    expect(t.sim.stats().events.subscriptionsLive).toBeGreaterThan(0);
    await t.stopBosd();
    expect(t.sim.stats().events.subscriptionsLive).toBe(0);

    // A stale subscription of this bosd (as a crash leaves it) and a foreign one, on one BMC.
    const node = t.sim.nodes()[0]!;
    const base = t.sim.inventory()[0]!.bmc_address;
    const auth = { authorization: `Basic ${Buffer.from(`${t.sim.credentials.username}:${t.sim.credentials.password}`).toString('base64')}`, 'content-type': 'application/json' };
    const subs = `${base}/redfish/v1/EventService/Subscriptions`;
    const started = await t.startBosd();
    // Learn this bosd's Context prefix from a subscription it makes, then stop it without clean-up.
    const s2 = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r2', limit: node.xname });
    await waitFor('r2 settled', async () => (await t.backend.listComponents({ ids: s2.nodes })).every(settled), 60_000);
    const list = await (await fetch(subs, { headers: auth })).json() as { Members: Array<{ '@odata.id': string }> };
    const mine = await (await fetch(new URL(list.Members[0]!['@odata.id'], base).href, { headers: auth })).json() as { Context: string; Destination: string };
    const prefix = mine.Context.split(':').slice(0, 2).join(':');
    await t.stopBosd();
    expect(started).toBeDefined();
    const post = (body: unknown) => fetch(subs, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    expect((await post({ Destination: 'http://127.0.0.1:9/redfish-events/old', Protocol: 'Redfish', Context: `${prefix}:old:secret` })).status).toBe(201);
    expect((await post({ Destination: 'http://127.0.0.1:9/collector', Protocol: 'Redfish', Context: 'someone-else' })).status).toBe(201);
    await t.startBosd();
    const s3 = await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'r3', limit: node.xname });
    await waitFor('r3 settled', async () => (await t.backend.listComponents({ ids: s3.nodes })).every(settled), 60_000);
    const contexts = async () => {
      const l = await (await fetch(subs, { headers: auth })).json() as { Members: Array<{ '@odata.id': string }> };
      return Promise.all(l.Members.map(async (m) => ((await (await fetch(new URL(m['@odata.id'], base).href, { headers: auth })).json()) as { Context: string }).Context));
    };
    const now = await contexts();
    expect(now).toContain('someone-else');
    expect(now).not.toContain(`${prefix}:old:secret`);
    expect(now.filter((c) => c.startsWith(`${prefix}:`))).toHaveLength(1);
    await t.stopBosd();
    expect(await contexts()).toEqual(['someone-else']);
  });
});

describe('Redfish event parsing', () => {
  it('SSE records split across chunks; power state from ResourcePowerStateChanged only', () => {
    const p = new SseParser();
    expect(p.push(': open\n\nid: 1\ndata: {"a"')).toEqual([]);
    expect(p.push(':1}\n\nid: 2\r\ndata: {"b":2}\r\n\r\n')).toEqual(['{"a":1}', '{"b":2}']);
    const sys = '/redfish/v1/Systems/Node0';
    expect(powerEventsOf({ Events: [
      { MessageId: 'CrayAlerts.1.0.ResourcePowerStateChanged', MessageArgs: [sys, 'Off'], OriginOfCondition: { '@odata.id': sys } },
      { MessageId: 'ResourceEvent.1.0.ResourceChanged', OriginOfCondition: { '@odata.id': sys } },
      { MessageId: 'ResourceEvent.1.0.ResourcePowerStateChanged', MessageArgs: [sys, 'Sideways'], OriginOfCondition: { '@odata.id': sys } },
      { MessageId: 'ResourceEvent.1.0.ResourceChanged', OriginOfCondition: { '@odata.id': '/redfish/v1/Chassis/Enclosure' } },
    ] })).toEqual([{ origin: sys, state: 'Off' }, { origin: sys }, { origin: sys }]);
  });
});

describe('bosd.yaml redfish_events', () => {
  const load = async (yaml: string, flags: Record<string, unknown> = {}) => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadConfig } = await import('../../src/daemon/config.js');
    const dir = mkdtempSync(join(tmpdir(), 'events-config-'));
    try {
      writeFileSync(join(dir, 'bosd.yaml'), `bss_url: http://127.0.0.1:1\n${yaml}`);
      return await loadConfig(join(dir, 'bosd.yaml'), flags, join(dir, 'bosd.db'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('defaults to auto without push_url; a mapping sets mode, push_url and overdue_ms; the flag sets only the mode', async () => {
    expect((await load('')).redfishEvents).toEqual({ mode: 'auto', pushUrl: null, overdueMs: 60_000 });
    const yaml = 'redfish_events: {mode: push, push_url: "https://bosd.example:8180", overdue_ms: 30000}\n';
    expect((await load(yaml)).redfishEvents).toEqual({ mode: 'push', pushUrl: 'https://bosd.example:8180', overdueMs: 30_000 });
    expect((await load(yaml, { redfishEvents: 'off' })).redfishEvents).toEqual({ mode: 'off', pushUrl: 'https://bosd.example:8180', overdueMs: 30_000 });
  });

  it('refuses a bad mode, push_url or key with a line naming what would be right (exit 2)', async () => {
    await expect(load('redfish_events: {mode: sometimes}\n')).rejects.toMatchObject({ code: 'BOS_VALUE_INVALID', message: expect.stringMatching(/redfish_events.mode "sometimes": expected auto, sse, push or off/) });
    await expect(load('redfish_events: {push_url: "ftp://x"}\n')).rejects.toMatchObject({ message: expect.stringMatching(/redfish_events.push_url "ftp:\/\/x": expected the http\(s\) base URL/) });
    const withSecret = load('redfish_events: {push_url: "https://u:s3cret@x"}\n');
    await expect(withSecret).rejects.toMatchObject({ code: 'BOS_VALUE_INVALID', message: expect.stringMatching(/must not carry credentials/) });
    await expect(withSecret).rejects.not.toMatchObject({ message: expect.stringContaining('s3cret') });
    await expect(load('redfish_events: {secret: 1}\n')).rejects.toMatchObject({ message: expect.stringMatching(/unknown setting "redfish_events.secret": expected mode, push_url or overdue_ms/) });
    await expect(load('redfish_events: {overdue_ms: 0}\n')).rejects.toMatchObject({ message: expect.stringMatching(/overdue_ms "0": expected a positive integer/) });
  });
});
