import { afterEach, describe, expect, it } from 'vitest';
import { basic, call, closeAll, redfishFor, sim, waitFor } from './helpers.js';

afterEach(closeAll);

describe('sim layout and inventory', () => {
  it('places two nodes per BMC, 8 slots per chassis, 8 chassis per cabinet, nids and hostnames', async () => {
    const s = await sim({ nodes: 130 });
    const inv = s.inventory();
    expect(inv).toHaveLength(130);
    expect(inv[0]).toMatchObject({
      xname: 'x1000c0s0b0n0',
      nid: 1,
      hostname: 'nid000001',
      role: 'Compute',
      groups: ['compute'],
      redfish_system_id: 'Node0',
      credentials_ref: 'sim',
    });
    expect(inv[1]!.xname).toBe('x1000c0s0b0n1');
    expect(inv[1]!.redfish_system_id).toBe('Node1');
    expect(inv[2]!.xname).toBe('x1000c0s1b0n0');
    expect(inv[16]!.xname).toBe('x1000c1s0b0n0');
    expect(inv[128]!.xname).toBe('x1001c0s0b0n0');
    expect(inv[129]!.hostname).toBe('nid000130');
    // shared mode: one origin, a path prefix per BMC
    expect(inv[0]!.bmc_address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bmc\/x1000c0s0b0$/);
    expect(inv[1]!.bmc_address).toBe(inv[0]!.bmc_address);
    expect(new URL(inv[2]!.bmc_address).origin).toBe(new URL(inv[0]!.bmc_address).origin);
    expect(inv[2]!.bmc_address.endsWith('/bmc/x1000c0s1b0')).toBe(true);
  });

  it('rejects bad options', async () => {
    await expect(sim({ nodes: 0 })).rejects.toThrow(/nodes/);
    await expect(sim({ nodes: 2, timeScale: 0 })).rejects.toThrow(/timeScale/);
    await expect(sim({ nodes: 2, timings: { boot: -1 } })).rejects.toThrow(/boot/);
  });
});

describe('Redfish shapes', () => {
  it('cray-ex: service root without SessionService, Systems, ActionInfo with On/Off/ForceOff, Connection: close', async () => {
    const s = await sim({ nodes: 2, profile: 'cray-ex' });
    const rf = redfishFor(s, 'x1000c0s0b0n1');
    const base = new URL(rf.rec.bmc_address).pathname; // /bmc/x1000c0s0b0

    const root = await call(`${rf.rec.bmc_address}/redfish/v1/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('connection')).toBe('close');
    expect(root.body['@odata.id']).toBe(`${base}/redfish/v1/`);
    expect(root.body.Systems).toEqual({ '@odata.id': `${base}/redfish/v1/Systems` });
    expect(root.body.SessionService).toBeUndefined();
    expect((await rf.get(`${base}/redfish/v1/SessionService`)).status).toBe(404);

    const systems = await rf.get(root.body.Systems['@odata.id']);
    expect(systems.status).toBe(200);
    expect(systems.body['Members@odata.count']).toBe(2);
    expect(systems.body.Members).toEqual([
      { '@odata.id': `${base}/redfish/v1/Systems/Node0` },
      { '@odata.id': `${base}/redfish/v1/Systems/Node1` },
    ]);

    const sys = await rf.get(systems.body.Members[1]['@odata.id']);
    expect(sys.body).toMatchObject({ '@odata.id': `${base}/redfish/v1/Systems/Node1`, Id: 'Node1', PowerState: 'On' });
    const action = sys.body.Actions['#ComputerSystem.Reset'];
    expect(action.target).toBe(`${base}/redfish/v1/Systems/Node1/Actions/ComputerSystem.Reset`);
    expect(action['ResetType@Redfish.AllowableValues']).toBeUndefined();
    expect(action['@Redfish.ActionInfo']).toBe(`${base}/redfish/v1/Systems/Node1/ResetActionInfo`);

    const info = await rf.get(action['@Redfish.ActionInfo']);
    expect(info.status).toBe(200);
    expect(info.body.Parameters).toEqual([expect.objectContaining({ Name: 'ResetType', Required: true, AllowableValues: ['On', 'Off', 'ForceOff'] })]);
  });

  it('generic: SessionService, System.Embedded ids, AllowableValues on the action, no ActionInfo', async () => {
    const s = await sim({ nodes: 2, profile: 'generic' });
    const inv = s.inventory();
    expect(inv.map((r) => r.redfish_system_id)).toEqual(['System.Embedded.1', 'System.Embedded.2']);
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    const base = new URL(rf.rec.bmc_address).pathname;
    const root = await call(`${rf.rec.bmc_address}/redfish/v1/`);
    expect(root.headers.get('connection')).not.toBe('close');
    expect(root.body.SessionService).toEqual({ '@odata.id': `${base}/redfish/v1/SessionService` });
    const sys = await rf.get(rf.system);
    expect(sys.body.Id).toBe('System.Embedded.1');
    const action = sys.body.Actions['#ComputerSystem.Reset'];
    expect(action['ResetType@Redfish.AllowableValues']).toEqual(['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'GracefulRestart', 'PushPowerButton']);
    expect(action['@Redfish.ActionInfo']).toBeUndefined();
    expect((await rf.get(`${rf.system}/ResetActionInfo`)).status).toBe(404);
  });

  it('a profile function is asked per BMC', async () => {
    const seen: string[] = [];
    const s = await sim({
      nodes: 4,
      profile: (bmc) => {
        seen.push(bmc);
        return bmc.endsWith('s1b0') ? 'generic' : 'cray-ex';
      },
    });
    expect(seen).toEqual(['x1000c0s0b0', 'x1000c0s1b0']);
    expect(s.inventory().map((r) => r.redfish_system_id)).toEqual(['Node0', 'Node1', 'System.Embedded.1', 'System.Embedded.2']);
    expect(s.node('x1000c0s1b0n0').profile).toBe('generic');
  });
});

describe('sushy profile (OpenStack sushy-tools over libvirt)', () => {
  it('UUID Ids that follow no node number, domain names as Names; a system addressed by Name answers 307 to its Id', async () => {
    const s = await sim({ nodes: 2, profile: 'sushy' });
    const [n0, n1] = s.inventory();
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(n0!.redfish_system_id).toMatch(uuid);
    expect(n1!.redfish_system_id).toMatch(uuid);
    // each Id ends with the other node's number: a guess from the xname picks the wrong node
    expect(n0!.redfish_system_id.endsWith('1')).toBe(true);
    expect(n1!.redfish_system_id.endsWith('0')).toBe(true);
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    const base = new URL(rf.rec.bmc_address).pathname;
    const root = await call(`${rf.rec.bmc_address}/redfish/v1/`);
    expect(root.body.SessionService).toBeUndefined();
    const systems = await rf.get(`${base}/redfish/v1/Systems`);
    expect(systems.body.Members).toEqual([n0, n1].map((n) => ({ '@odata.id': `${base}/redfish/v1/Systems/${n!.redfish_system_id}` })));
    const sys = await rf.get(rf.system);
    expect(sys.body).toMatchObject({ Id: n0!.redfish_system_id, Name: 'nid000001', PowerState: 'On' });

    // by Name: 307 to the Id's URL (sub-resources too), with a page whose first 200 characters miss the target
    for (const [path, to] of [['', ''], ['/Actions/ComputerSystem.Reset', '/Actions/ComputerSystem.Reset']]) {
      const res = await fetch(`${rf.rec.bmc_address}/redfish/v1/Systems/nid000002${path}`, { method: path ? 'POST' : 'GET', headers: { authorization: basic() }, redirect: 'manual', body: path ? '{"ResetType":"On"}' : undefined });
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toBe(`${base}/redfish/v1/Systems/${n1!.redfish_system_id}${to}`);
      const page = await res.text();
      expect(page.slice(0, 200)).not.toContain(n1!.redfish_system_id);
      expect(page).toContain(n1!.redfish_system_id);
    }
    expect(s.resetLog()).toEqual([]);
  });
});

describe('Redfish auth', () => {
  it('Basic works; missing or wrong credentials get 401 with a Redfish error', async () => {
    const s = await sim({ nodes: 2, credentials: { username: 'admin', password: 's3cret' } });
    const rec = s.inventory()[0]!;
    const url = `${rec.bmc_address}/redfish/v1/Systems`;
    expect((await call(url, { headers: { Authorization: basic('admin', 's3cret') } })).status).toBe(200);
    for (const headers of [{}, { Authorization: basic('admin', 'nope') }, { Authorization: 'Bearer x' }] as Record<string, string>[]) {
      const r = await call(url, { headers });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('Base.1.0.GeneralError');
      expect(typeof r.body.error.message).toBe('string');
    }
    // the service root is open, as Redfish requires
    expect((await call(`${rec.bmc_address}/redfish/v1/`)).status).toBe(200);
  });

  it('generic: a session token authenticates until the session is deleted', async () => {
    const s = await sim({ nodes: 2, profile: 'generic' });
    const rec = s.inventory()[0]!;
    const origin = new URL(rec.bmc_address).origin;
    const bad = await call(`${rec.bmc_address}/redfish/v1/SessionService/Sessions`, { method: 'POST', json: { UserName: 'root', Password: 'x' } });
    expect(bad.status).toBe(401);
    const made = await call(`${rec.bmc_address}/redfish/v1/SessionService/Sessions`, { method: 'POST', json: { UserName: 'root', Password: 'initial0' } });
    expect(made.status).toBe(201);
    const token = made.headers.get('x-auth-token');
    const location = made.headers.get('location');
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(location).toBe(`${new URL(rec.bmc_address).pathname}/redfish/v1/SessionService/Sessions/1`);
    const sys = await call(`${rec.bmc_address}/redfish/v1/Systems/${rec.redfish_system_id}`, { headers: { 'X-Auth-Token': token! } });
    expect(sys.status).toBe(200);
    const del = await call(origin + location, { method: 'DELETE', headers: { 'X-Auth-Token': token! } });
    expect(del.status).toBe(204);
    const after = await call(`${rec.bmc_address}/redfish/v1/Systems`, { headers: { 'X-Auth-Token': token! } });
    expect(after.status).toBe(401);
  });

  it('cray-ex: no sessions, tokens are not accepted', async () => {
    const s = await sim({ nodes: 2, profile: 'cray-ex' });
    const rec = s.inventory()[0]!;
    const r = await call(`${rec.bmc_address}/redfish/v1/SessionService/Sessions`, { method: 'POST', json: { UserName: 'root', Password: 'initial0' } });
    expect(r.status).toBe(401); // not a public path on this BMC: auth first, then 404
    const r2 = await call(`${rec.bmc_address}/redfish/v1/SessionService/Sessions`, { method: 'POST', headers: { Authorization: basic() }, json: {} });
    expect(r2.status).toBe(404);
  });
});

describe('Redfish resets and the power model', () => {
  it('cray-ex accepts On/Off/ForceOff with 200 {} and refuses other types with ActionParameterNotSupported', async () => {
    const s = await sim({ nodes: 2, profile: 'cray-ex', timings: { gracefulOff: 5, forceOff: 1, powerOn: 1, boot: 1 } });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    for (const t of ['GracefulShutdown', 'ForceRestart', 'GracefulRestart', 'PushPowerButton', 'Bogus']) {
      const r = await rf.reset(t);
      expect(r.status, t).toBe(400);
      expect(r.body.error.code).toBe('Base.1.0.ActionParameterNotSupported');
    }
    const off = await rf.reset('Off');
    expect(off.status).toBe(200);
    expect(off.body).toEqual({});
    await waitFor('graceful Off', async () => (await rf.power()) === 'Off');
    expect((await rf.reset('On')).status).toBe(200);
    await waitFor('On', async () => (await rf.power()) === 'On');
    expect((await rf.reset('ForceOff')).status).toBe(200);
    await waitFor('ForceOff', async () => (await rf.power()) === 'Off');

    const view = s.node('x1000c0s0b0n0');
    expect(view.resets).toMatchObject({ Off: 1, On: 1, ForceOff: 1, GracefulShutdown: 1, ForceRestart: 1, Bogus: 1 });
    const log = s.resetLog().filter((e) => e.xname === 'x1000c0s0b0n0');
    expect(log.map((e) => [e.type, e.accepted])).toEqual([
      ['GracefulShutdown', false],
      ['ForceRestart', false],
      ['GracefulRestart', false],
      ['PushPowerButton', false],
      ['Bogus', false],
      ['Off', true],
      ['On', true],
      ['ForceOff', true],
    ]);
    const tl = s.powerTimeline().filter((e) => e.xname === 'x1000c0s0b0n0').map((e) => `${e.from}>${e.to}`);
    expect(tl).toEqual(['On>PoweringOff', 'PoweringOff>Off', 'Off>PoweringOn', 'PoweringOn>On', 'On>PoweringOff', 'PoweringOff>Off']);
    expect(s.node('x1000c0s0b0n1').power).toBe('On'); // the other node on the BMC is untouched
  });

  it('generic accepts its types with 204, every 5th accepted reset answers 202 with a task Location', async () => {
    const s = await sim({ nodes: 2, profile: 'generic', timings: { gracefulOff: 1, forceOff: 1, powerOn: 1, boot: 1 } });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    expect((await rf.reset('Off')).body.error.code).toBe('Base.1.0.ActionParameterNotSupported');
    const statuses: number[] = [];
    let task: string | null = null;
    for (const t of ['GracefulShutdown', 'On', 'ForceRestart', 'GracefulRestart', 'ForceOff']) {
      const r = await rf.reset(t);
      statuses.push(r.status);
      if (r.status === 202) task = r.headers.get('location');
      // let each action settle before the next
      await waitFor(`settle after ${t}`, async () => !['PoweringOn', 'PoweringOff'].includes(await rf.power()));
    }
    expect(statuses).toEqual([204, 204, 204, 204, 202]);
    expect(task).toBe(`${new URL(rf.rec.bmc_address).pathname}/redfish/v1/TaskService/Tasks/1`);
    const t = await rf.get(task!);
    expect(t.status).toBe(200);
    expect(t.body.TaskState).toBe('Completed');
    expect(s.resetLog().filter((e) => e.accepted).map((e) => e.status)).toEqual([204, 204, 204, 204, 202]);
  });

  it('restarts go off then on; a request equal to the current state is accepted and ignored', async () => {
    const s = await sim({ nodes: 2, profile: 'generic', timings: { gracefulOff: 2, forceOff: 1, powerOn: 1, boot: 1 } });
    const rf = redfishFor(s, 'x1000c0s0b0n1');
    expect((await rf.reset('On')).status).toBe(204); // already On
    expect(s.powerTimeline()).toEqual([]);
    await rf.reset('ForceRestart');
    await waitFor('restart transitions', () => s.powerTimeline().length === 4);
    expect(s.powerTimeline().map((e) => e.to)).toEqual(['PoweringOff', 'Off', 'PoweringOn', 'On']);
    expect(s.node('x1000c0s0b0n1').resets.ForceRestart).toBe(1);
    expect(s.node('x1000c0s0b0n1').resets.On).toBe(1);
  });

  it('On while PoweringOff is answered OK but ignored; the client must re-read and re-send', async () => {
    const s = await sim({ nodes: 2, profile: 'cray-ex', timeScale: 0.001, timings: { gracefulOff: 100_000, forceOff: 1, powerOn: 1, boot: 1 }, manualClock: true });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    await rf.reset('Off');
    expect(await rf.power()).toBe('PoweringOff');
    const on = await rf.reset('On');
    expect(on.status).toBe(200);
    expect(await rf.power()).toBe('PoweringOff'); // still going down
    await rf.reset('ForceOff'); // finish the shutdown quickly
    s.advance(1);
    expect(await rf.power()).toBe('Off');
    // the On was swallowed: past the moment it would have powered the node on, it is still off
    s.advance(2);
    expect(await rf.power()).toBe('Off');
    expect(s.resetLog().map((e) => [e.type, e.accepted])).toEqual([
      ['Off', true],
      ['On', true],
      ['ForceOff', true],
    ]);
    expect(s.powerTimeline().map((e) => e.to)).toEqual(['PoweringOff', 'Off']);
    await rf.reset('On');
    s.advance(1);
    expect(await rf.power()).toBe('On');
  });

  it('ForceOff cuts a slow graceful shutdown short', async () => {
    const s = await sim({ nodes: 2, timings: { gracefulOff: 100_000, forceOff: 1 } });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    await rf.reset('Off');
    expect(await rf.power()).toBe('PoweringOff');
    await rf.reset('ForceOff');
    await waitFor('Off after ForceOff', async () => (await rf.power()) === 'Off');
  });

  it('graceful_ignored: the graceful request is answered OK but the node stays On; ForceOff still works', async () => {
    const s = await sim({ nodes: 2, timings: { gracefulOff: 1, forceOff: 1 }, faults: [{ kind: 'graceful_ignored', xnames: ['x1000c0s0b0n0'] }], manualClock: true });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    expect((await rf.reset('Off')).status).toBe(200);
    s.advance(2); // past the moment a graceful shutdown would have ended
    expect(await rf.power()).toBe('On');
    expect(s.node('x1000c0s0b0n0').faults).toEqual(['graceful_ignored']);
    await rf.reset('ForceOff');
    s.advance(1);
    expect(await rf.power()).toBe('Off');
    // lifted at run time
    s.setFault('graceful_ignored', ['x1000c0s0b0n0'], false);
    expect(s.node('x1000c0s0b0n0').faults).toEqual([]);
  });

  it('reset_refused answers 400 ActionNotSupported and changes nothing', async () => {
    const s = await sim({ nodes: 2 });
    s.setFault('reset_refused', ['x1000c0s0b0n1'], true);
    const rf = redfishFor(s, 'x1000c0s0b0n1');
    const r = await rf.reset('ForceOff');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('Base.1.0.ActionNotSupported');
    expect(await rf.power()).toBe('On');
    expect(s.resetLog()).toEqual([expect.objectContaining({ xname: 'x1000c0s0b0n1', type: 'ForceOff', accepted: false, status: 400 })]);
  });

  it('malformed or missing ResetType is a 400 and is counted', async () => {
    const s = await sim({ nodes: 2 });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    const r = await call(`${rf.system}/Actions/ComputerSystem.Reset`, { method: 'POST', headers: { Authorization: basic(), 'Content-Type': 'application/json' }, body: '{nope' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('Base.1.0.MalformedJSON');
    const r2 = await call(`${rf.system}/Actions/ComputerSystem.Reset`, { method: 'POST', headers: { Authorization: basic() }, json: {} });
    expect(r2.body.error.code).toBe('Base.1.0.PropertyMissing');
    expect(s.resetLog()).toHaveLength(2);
  });
});

describe('Redfish faults', () => {
  it('bmc_5xx: every request to the faulty node (and BMC-wide paths) answers 500 with a Redfish error', async () => {
    const s = await sim({ nodes: 4, faults: [{ kind: 'bmc_5xx', xnames: ['x1000c0s0b0n0'] }] });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    const sys = await rf.get(rf.system);
    expect(sys.status).toBe(500);
    expect(sys.body.error.code).toBe('Base.1.0.InternalError');
    expect((await rf.reset('ForceOff')).status).toBe(500);
    expect((await rf.get(`${rf.rec.bmc_address}/redfish/v1/Systems`)).status).toBe(500);
    expect(await redfishFor(s, 'x1000c0s0b0n1').power()).toBe('On'); // the other system still answers
    expect(await redfishFor(s, 'x1000c0s1b0n0').power()).toBe('On'); // other BMCs too
    expect(s.resetLog()).toEqual([expect.objectContaining({ type: 'ForceOff', accepted: false, status: 500 })]);
    expect(s.node('x1000c0s0b0n0').power).toBe('On');
    // a BMC xname faults both of its systems; lifting restores service
    s.setFault('bmc_5xx', ['x1000c0s0b0n0'], false);
    s.setFault('bmc_5xx', ['x1000c0s1b0'], true);
    expect((await redfishFor(s, 'x1000c0s1b0n1').get(redfishFor(s, 'x1000c0s1b0n1').system)).status).toBe(500);
    expect(await rf.power()).toBe('On');
    expect(() => s.setFault('bmc_5xx', ['x9999c0s0b0n0'], true)).toThrow(/unknown xname/);
  });

  it('bmc_hang: the request is never answered, the client times out, close() still cleans up', async () => {
    const s = await sim({ nodes: 2, faults: [{ kind: 'bmc_hang', xnames: ['x1000c0s0b0n0'] }] });
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    await expect(fetch(rf.system, { headers: { Authorization: basic() }, signal: AbortSignal.timeout(150) })).rejects.toThrow();
    // a second hung request is still held when we close
    const pending = fetch(`${rf.system}/Actions/ComputerSystem.Reset`, {
      method: 'POST',
      headers: { Authorization: basic(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ ResetType: 'ForceOff' }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor('the second request to be held', () => s.stats().redfish.hung >= 2);
    await waitFor('the hung reset to be logged', () => s.resetLog().length === 1);
    expect(s.resetLog()[0]).toMatchObject({ type: 'ForceOff', accepted: false, status: 0 });
    await s.close();
    expect(await pending).toBe('failed');
    for (const srv of s.servers()) expect(srv.listening).toBe(false);
  });

  it('faults by rate are picked deterministically from the seed', async () => {
    const a = await sim({ nodes: 40, seed: 7, faults: [{ kind: 'never_boots', rate: 0.25 }] });
    const b = await sim({ nodes: 40, seed: 7, faults: [{ kind: 'never_boots', rate: 0.25 }] });
    const c = await sim({ nodes: 40, seed: 8, faults: [{ kind: 'never_boots', rate: 0.25 }] });
    expect(a.faults().never_boots).toHaveLength(10);
    expect(b.faults().never_boots).toEqual(a.faults().never_boots);
    expect(c.faults().never_boots).not.toEqual(a.faults().never_boots);
  });
});

describe('per-port mode', () => {
  it('gives each BMC its own listener and unprefixed paths', async () => {
    const s = await sim({ nodes: 6, bmcMode: 'per-port', profile: 'generic', timings: { forceOff: 1, powerOn: 1 } });
    const inv = s.inventory();
    expect(inv[0]!.bmc_address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(inv[1]!.bmc_address).toBe(inv[0]!.bmc_address);
    expect(new Set(inv.map((r) => r.bmc_address)).size).toBe(3);
    expect(s.servers()).toHaveLength(3 + 3); // BSS, CFS, control + 3 BMCs
    const rf = redfishFor(s, 'x1000c0s2b0n1');
    const systems = await rf.get(`${rf.rec.bmc_address}/redfish/v1/Systems`);
    expect(systems.body.Members[1]['@odata.id']).toBe('/redfish/v1/Systems/System.Embedded.2');
    expect((await rf.reset('ForceOff')).status).toBe(204);
    await waitFor('Off', async () => (await rf.power()) === 'Off');
    expect(s.node('x1000c0s2b0n0').power).toBe('On');
    await s.close();
    expect(s.servers().every((srv) => !srv.listening)).toBe(true);
  });
});
