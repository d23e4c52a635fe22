/** A power read that names the reset action's ActionInfo spares the power request a second read of the system. */
import { describe, expect, it } from 'vitest';
import { mockRegistry } from './helpers.js';
import { RedfishClient } from '../../src/integrations/redfish.js';

const JSONH = { headers: { 'content-type': 'application/json' } };
const mocks = mockRegistry();

describe('RedfishClient: what a power read learned about the reset action', () => {
  it('a power-off after a power read reads the ActionInfo, not the system again', async () => {
    const agent = mocks.agent();
    const client = new RedfishClient({ credentials: () => ({ username: 'root', password: 'pw' }), dispatcherFor: () => agent, retry: { attempts: 1, minDelayMs: 1, maxDelayMs: 1, factor: 2 } });
    mocks.track(client);
    const pool = agent.get('https://x1000c0s0b0');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, { Systems: { '@odata.id': '/redfish/v1/Systems' } }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/Node0', method: 'GET' }).reply(200, {
      Id: 'Node0', PowerState: 'On',
      Actions: { '#ComputerSystem.Reset': { target: '/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset', '@Redfish.ActionInfo': '/redfish/v1/Systems/Node0/ResetActionInfo' } },
    }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/Node0/ResetActionInfo', method: 'GET' })
      .reply(200, { Parameters: [{ Name: 'ResetType', AllowableValues: ['Off', 'ForceOff', 'On'] }] }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset', method: 'POST' }).reply(204, '').times(2);
    const t = { bmcXname: 'x1000c0s0b0', nodeXname: 'x1000c0s0b0n0', address: 'x1000c0s0b0', systemId: 'Node0' };

    expect(await client.powerState(t)).toBe('On');
    expect(await client.powerOff(t, 'graceful')).toEqual({ resetType: 'Off', status: 204 });
    expect(await client.powerOn(t)).toEqual({ resetType: 'On', status: 204 });
    expect((agent.getCallHistory()?.calls() ?? []).map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /redfish/v1/',
      'GET /redfish/v1/Systems/Node0',
      'GET /redfish/v1/Systems/Node0/ResetActionInfo',
      'POST /redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset',
      'POST /redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset',
    ]);
  });
});
