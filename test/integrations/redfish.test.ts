import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Interceptable } from 'undici';
import { describe, expect, it } from 'vitest';
import { caught, mockRegistry } from './helpers.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { RedfishClient, SystemResolutionError, bmcBase, type BmcTarget } from '../../src/integrations/redfish.js';

const PASSWORD = 'hunter2-secret';
const USER = 'root';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const JSONH = { headers: { 'content-type': 'application/json' } };

const target = (over: Partial<BmcTarget> = {}): BmcTarget => ({
  bmcXname: 'x1000c0s0b0',
  nodeXname: 'x1000c0s0b0n0',
  address: 'x1000c0s0b0',
  ...over,
});

const mocks = mockRegistry();

function setup(opts: { retry?: Partial<{ attempts: number; minDelayMs: number; maxDelayMs: number; factor: number }>; timeoutMs?: number } = {}) {
  const agent = mocks.agent();
  const lookups: Array<[string | null | undefined, string]> = [];
  const client = new RedfishClient({
    credentials: (ref, bmc) => {
      lookups.push([ref, bmc]);
      return { username: USER, password: PASSWORD };
    },
    dispatcherFor: () => agent,
    retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 20, factor: 2, ...(opts.retry ?? {}) },
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  mocks.track(client);
  const calls = () => agent.getCallHistory()?.calls() ?? [];
  return { agent, client, lookups, calls };
}


/** HPE Cray EX style: no SessionService, reset types in a ResetActionInfo resource. */
function crayBmc(pool: Interceptable, prefix = '', node = 'Node0', power = 'On') {
  pool.intercept({ path: `${prefix}/redfish/v1/`, method: 'GET' }).reply(200, { '@odata.id': `${prefix}/redfish/v1/`, Systems: { '@odata.id': `${prefix}/redfish/v1/Systems` } }, JSONH);
  pool
    .intercept({ path: `${prefix}/redfish/v1/Systems`, method: 'GET' })
    .reply(200, { Members: [{ '@odata.id': `${prefix}/redfish/v1/Systems/${node}` }], 'Members@odata.count': 1 }, JSONH);
  pool.intercept({ path: `${prefix}/redfish/v1/Systems/${node}`, method: 'GET' }).reply(
    200,
    {
      Id: node,
      PowerState: power,
      Actions: {
        '#ComputerSystem.Reset': {
          target: `${prefix}/redfish/v1/Systems/${node}/Actions/ComputerSystem.Reset`,
          '@Redfish.ActionInfo': `${prefix}/redfish/v1/Systems/${node}/ResetActionInfo`,
        },
      },
    },
    JSONH,
  );
  pool
    .intercept({ path: `${prefix}/redfish/v1/Systems/${node}/ResetActionInfo`, method: 'GET' })
    .reply(200, { Parameters: [{ Name: 'ResetType', Required: true, AllowableValues: ['Off', 'ForceOff', 'On'] }] }, JSONH);
}

/** A vendor with a SessionService and AllowableValues on the action. */
function genericSystem(pool: Interceptable, node = 'System.Embedded.1', power = 'Off', times = 1) {
  pool
    .intercept({ path: `/redfish/v1/Systems/${node}`, method: 'GET' })
    .reply(
      200,
      {
        Id: node,
        PowerState: power,
        Actions: {
          '#ComputerSystem.Reset': {
            target: `/redfish/v1/Systems/${node}/Actions/ComputerSystem.Reset`,
            'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart'],
          },
        },
      },
      JSONH,
    )
    .times(times);
}

function sessionRoot(pool: Interceptable) {
  pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(
    200,
    {
      SessionService: { '@odata.id': '/redfish/v1/SessionService' },
      Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
      Systems: { '@odata.id': '/redfish/v1/Systems' },
    },
    JSONH,
  );
}

function login(pool: Interceptable, token: string, id = '1') {
  pool
    .intercept({ path: '/redfish/v1/SessionService/Sessions', method: 'POST', body: JSON.stringify({ UserName: USER, Password: PASSWORD }) })
    .reply(201, { Id: id }, { headers: { 'x-auth-token': token, location: `/redfish/v1/SessionService/Sessions/${id}`, 'content-type': 'application/json' } });
}


describe('RedfishClient against a MockAgent', () => {
  it('HPE Cray EX style: Basic auth, ResetActionInfo → graceful is Off; caches what it learned', async () => {
    const { agent, client, calls, lookups } = setup();
    const pool = agent.get('https://x1000c0s0b0');
    crayBmc(pool);
    pool
      .intercept({ path: '/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset', method: 'POST', body: JSON.stringify({ ResetType: 'Off' }) })
      .reply(200, {}, JSONH);
    pool
      .intercept({ path: '/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset', method: 'POST', body: JSON.stringify({ ResetType: 'ForceOff' }) })
      .reply(204, '');

    const t = target({ credentialsRef: 'cray' });
    expect(await client.powerOff(t, 'graceful')).toEqual({ resetType: 'Off', status: 200 });
    expect(await client.allowedResetTypes(t)).toEqual(['Off', 'ForceOff', 'On']);
    // second reset: no more GETs (service root, systems, action info all cached)
    expect(await client.powerOff(t, 'forceful')).toEqual({ resetType: 'ForceOff', status: 204 });

    const log = calls();
    expect(log.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /redfish/v1/',
      'GET /redfish/v1/Systems',
      'GET /redfish/v1/Systems/Node0',
      'GET /redfish/v1/Systems/Node0/ResetActionInfo',
      'POST /redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset',
      'POST /redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset',
    ]);
    // the service root is read without credentials; everything else with Basic
    expect(log[0]!.headers?.authorization).toBeUndefined();
    for (const c of log.slice(1)) expect(c.headers?.authorization).toBe(BASIC);
    expect(log[4]!.headers?.['content-type']).toBe('application/json');
    expect(lookups[0]).toEqual(['cray', 'x1000c0s0b0']);
  });

  it('SessionService: logs in once, uses X-Auth-Token; AllowableValues → graceful is GracefulShutdown; 204 and 202 + Location', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://10.1.0.5:8443');
    sessionRoot(pool);
    login(pool, 'tok-abc');
    genericSystem(pool, 'System.Embedded.1', 'On', 1);
    pool
      .intercept({ path: '/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset', method: 'POST', body: JSON.stringify({ ResetType: 'GracefulShutdown' }) })
      .reply(204, '');
    pool
      .intercept({ path: '/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset', method: 'POST', body: JSON.stringify({ ResetType: 'On' }) })
      .reply(202, { Id: '7' }, { headers: { location: '/redfish/v1/TaskService/Tasks/7', 'content-type': 'application/json' } });
    pool.intercept({ path: '/redfish/v1/SessionService/Sessions/1', method: 'DELETE' }).reply(204, '');

    const t = target({ address: '10.1.0.5:8443', systemId: 'System.Embedded.1' });
    expect(await client.powerOff(t, 'graceful')).toEqual({ resetType: 'GracefulShutdown', status: 204 });
    expect(await client.powerOn(t)).toEqual({ resetType: 'On', status: 202, task: 'https://10.1.0.5:8443/redfish/v1/TaskService/Tasks/7' });
    await client.close(); // logs out

    const log = calls();
    expect(log.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /redfish/v1/',
      'POST /redfish/v1/SessionService/Sessions',
      'GET /redfish/v1/Systems/System.Embedded.1',
      'POST /redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset',
      'POST /redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset',
      'DELETE /redfish/v1/SessionService/Sessions/1',
    ]);
    for (const c of log.slice(2)) {
      expect(c.headers?.['x-auth-token']).toBe('tok-abc');
      expect(c.headers?.authorization).toBeUndefined();
    }
  });

  it('a session rejected with 401 is renewed once; a second 401 is an error', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://bmc1');
    sessionRoot(pool);
    login(pool, 'tok-1', '1');
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET', headers: { 'x-auth-token': 'tok-1' } }).reply(401, { error: { message: 'session expired' } }, JSONH);
    login(pool, 'tok-2', '2');
    genericSystem(pool, 'S1', 'Off');
    const t = target({ address: 'bmc1', systemId: 'S1' });
    expect(await client.powerState(t)).toBe('Off');
    const tokens = calls()
      .filter((c) => c.path === '/redfish/v1/Systems/S1')
      .map((c) => c.headers?.['x-auth-token']);
    expect(tokens).toEqual(['tok-1', 'tok-2']);

    // both the old and the renewed session rejected: no loop, an http error
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(401, { error: { message: 'no' } }, JSONH);
    login(pool, 'tok-3', '3');
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(401, { error: { message: 'Authentication is required' } }, JSONH);
    const err = await caught(client.powerState(t));
    expect(err.status).toBe(401);
    expect(err.kind).toBe('http');
    expect(err.message).toContain('Authentication is required');
    pool.intercept({ path: /\/redfish\/v1\/SessionService\/Sessions\/\d/, method: 'DELETE' }).reply(204, '').persist();
  });

  it('concurrent first calls to one BMC share one service-root read and one login', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://bmc13');
    sessionRoot(pool);
    login(pool, 'tok-shared');
    genericSystem(pool, 'S1', 'On', 3);
    const t = target({ address: 'bmc13', systemId: 'S1' });
    expect(await Promise.all([client.powerState(t), client.powerState(t), client.powerState(t)])).toEqual(['On', 'On', 'On']);
    expect(calls().filter((c) => c.method === 'POST')).toHaveLength(1);
    pool.intercept({ path: '/redfish/v1/SessionService/Sessions/1', method: 'DELETE' }).reply(204, '');
  });

  it('falls back to Basic when the session login answers 405', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://bmc2');
    sessionRoot(pool);
    pool.intercept({ path: '/redfish/v1/SessionService/Sessions', method: 'POST' }).reply(405, { error: { message: 'not allowed' } }, JSONH);
    genericSystem(pool, 'S1', 'PoweringOn');
    expect(await client.powerState(target({ address: 'bmc2', systemId: 'S1' }))).toBe('PoweringOn');
    expect(calls().at(-1)!.headers?.authorization).toBe(BASIC);
  });

  it('a failed session login names the BMC and never the password', async () => {
    const { agent, client } = setup();
    const pool = agent.get('https://bmc3');
    sessionRoot(pool);
    pool
      .intercept({ path: '/redfish/v1/SessionService/Sessions', method: 'POST' })
      .reply(401, { error: { message: `Invalid password ${PASSWORD} for ${USER}` } }, JSONH);
    const err = await caught(client.powerState(target({ address: 'bmc3', systemId: 'S1' })));
    expect(err.message).toMatch(/^BMC x1000c0s0b0: POST https:\/\/bmc3\/redfish\/v1\/SessionService\/Sessions answered 401 Unauthorized: Invalid password \*\*\* for root$/);
    for (const text of [err.message, String(err), JSON.stringify(err), err.stack ?? '']) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(BASIC.slice(6));
    }
  });

  it('a refused reset: IntegrationError naming the BMC, endpoint and Redfish message, without secrets', async () => {
    const { agent, client } = setup();
    const pool = agent.get('http://127.0.0.1:4000');
    const prefix = '/bmc/x1000c0s0b0';
    pool.intercept({ path: `${prefix}/redfish/v1/`, method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: `${prefix}/redfish/v1/Systems/Node0`, method: 'GET' }).reply(
      200,
      { PowerState: 'On', Actions: { '#ComputerSystem.Reset': { target: `${prefix}/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset`, 'ResetType@Redfish.AllowableValues': ['GracefulShutdown', 'On'] } } },
      JSONH,
    );
    pool
      .intercept({ path: `${prefix}/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset`, method: 'POST' })
      .reply(400, { error: { code: 'Base.1.8.GeneralError', message: 'ResetType GracefulShutdown is not supported' } }, JSONH);
    const err = await caught(client.powerOff(target({ address: `http://127.0.0.1:4000${prefix}`, systemId: 'Node0' }), 'graceful'));
    expect(err.message).toBe(
      'BMC x1000c0s0b0: POST http://127.0.0.1:4000/bmc/x1000c0s0b0/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset answered 400 Bad Request: ResetType GracefulShutdown is not supported',
    );
    expect(err).toMatchObject({ service: 'redfish', kind: 'http', status: 400, retryable: false, bmc: 'x1000c0s0b0', attempts: 1 });
    expect(err.endpoint).toBe('POST http://127.0.0.1:4000/bmc/x1000c0s0b0/redfish/v1/Systems/Node0/Actions/ComputerSystem.Reset');
    for (const text of [err.message, String(err), JSON.stringify(err)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(BASIC.slice(6));
      expect(text).not.toMatch(/authorization/i);
    }
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ name: 'IntegrationError', kind: 'http', status: 400 });
  });

  it('uses the first @Message.ExtendedInfo message when error.message is DMTF\'s generic one', async () => {
    const { agent, client } = setup();
    const pool = agent.get('https://bmc4');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    genericSystem(pool, 'S1');
    pool.intercept({ path: '/redfish/v1/Systems/S1/Actions/ComputerSystem.Reset', method: 'POST' }).reply(
      400,
      {
        error: {
          code: 'Base.1.8.GeneralError',
          message: 'A general error has occurred. See ExtendedInfo for more information.',
          '@Message.ExtendedInfo': [{ MessageId: 'Base.1.8.ActionParameterValueNotInList', Message: 'The value ForceOff for the parameter ResetType is not in the list of acceptable values.' }],
        },
      },
      JSONH,
    );
    const err = await caught(client.powerOff(target({ address: 'bmc4', systemId: 'S1' }), 'forceful'));
    expect(err.message).toMatch(/answered 400 Bad Request: The value ForceOff for the parameter ResetType is not in the list of acceptable values\.$/);
  });

  it('never retries a POST reset (503), while a GET is retried', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://bmc5');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(503, 'busy').times(2);
    genericSystem(pool, 'S1', 'On');
    pool.intercept({ path: '/redfish/v1/Systems/S1/Actions/ComputerSystem.Reset', method: 'POST' }).reply(503, { error: { message: 'Service busy' } }, JSONH);
    const t = target({ address: 'bmc5', systemId: 'S1' });
    const err = await caught(client.powerOff(t, 'forceful'));
    expect(err).toMatchObject({ kind: 'http', status: 503, retryable: true, attempts: 1 });
    expect(err.message).toContain('answered 503 Service Unavailable: Service busy');
    const log = calls().map((c) => c.method);
    expect(log.filter((m) => m === 'GET')).toHaveLength(4); // root + 2×503 + 200
    expect(log.filter((m) => m === 'POST')).toHaveLength(1);
  });

  it('gives up after `attempts` tries of a GET and says so', async () => {
    const { agent, client } = setup({ retry: { attempts: 2 } });
    const pool = agent.get('https://bmc6');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(502, '<html>Bad gateway</html>').times(2);
    const err = await caught(client.powerState(target({ address: 'bmc6', systemId: 'S1' })));
    expect(err.message).toBe('BMC x1000c0s0b0: GET https://bmc6/redfish/v1/Systems/S1 answered 502 Bad Gateway: <html>Bad gateway</html> (after 2 attempts)');
    expect(err).toMatchObject({ attempts: 2, retryable: true });
  });

  it('honours Retry-After on 429', async () => {
    const { agent, client } = setup({ retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 5_000 } });
    const pool = agent.get('https://bmc7');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(429, '', { headers: { 'retry-after': '1' } });
    genericSystem(pool, 'S1', 'On');
    const started = Date.now();
    expect(await client.powerState(target({ address: 'bmc7', systemId: 'S1' }))).toBe('On');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('times out (kind timeout) when the BMC does not answer within timeoutMs', async () => {
    const { agent, client } = setup({ timeoutMs: 30, retry: { attempts: 2 } });
    const pool = agent.get('https://bmc8');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    // Answers an hour late: had the client waited for them, the test would time out instead.
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(200, { PowerState: 'On' }, JSONH).delay(3_600_000).times(2);
    const err = await caught(client.powerState(target({ address: 'bmc8', systemId: 'S1' })));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, attempts: 2, endpoint: 'GET https://bmc8/redfish/v1/Systems/S1' });
    expect(err.message).toBe('BMC x1000c0s0b0: GET https://bmc8/redfish/v1/Systems/S1 timed out after 60 ms waiting for the response (after 2 attempts)');
    expect(agent.pendingInterceptors().filter((i) => i.path === '/redfish/v1/Systems/S1')).toEqual([]); // both tries were sent, and both were abandoned
  });

  it('a POST that times out is not re-sent', async () => {
    const { agent, client, calls } = setup({ timeoutMs: 30 });
    const pool = agent.get('https://bmc9');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    genericSystem(pool, 'S1');
    pool.intercept({ path: '/redfish/v1/Systems/S1/Actions/ComputerSystem.Reset', method: 'POST' }).reply(204, '').delay(300);
    const err = await caught(client.powerOn(target({ address: 'bmc9', systemId: 'S1' })));
    expect(err).toMatchObject({ kind: 'timeout', attempts: 1 });
    expect(calls().filter((c) => c.method === 'POST')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 350));
  });

  it('several systems: never guesses from the node number; fails naming each Id and Name and the fix, without a reset', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://x1000c0s1b0');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems', method: 'GET' }).reply(
      200,
      { Members: ['sys0', 'sys1', 'sys11'].map((n) => ({ '@odata.id': `/redfish/v1/Systems/${n}` })) },
      JSONH,
    );
    for (const n of ['sys0', 'sys1', 'sys11']) pool.intercept({ path: `/redfish/v1/Systems/${n}`, method: 'GET' }).reply(200, { Id: n, Name: n, PowerState: 'On' }, JSONH);
    const n1 = target({ bmcXname: 'x1000c0s1b0', address: 'x1000c0s1b0', nodeXname: 'x1000c0s1b0n1' });
    const err = await caught(client.powerOff(n1, 'forceful'));
    expect(err).toBeInstanceOf(SystemResolutionError);
    expect(err).toMatchObject({ kind: 'protocol', retryable: false, bmc: 'x1000c0s1b0', node: 'x1000c0s1b0n1' });
    expect(err.message).toBe(
      'BMC x1000c0s1b0: cannot tell which system is node x1000c0s1b0n1: GET https://x1000c0s1b0/redfish/v1/Systems lists 3 systems and none has Id or Name x1000c0s1b0n1: ' +
        'sys0 (Name "sys0"), sys1 (Name "sys1"), sys11 (Name "sys11"); set redfish_system_id for x1000c0s1b0n1 in the inventory',
    );
    expect((err as SystemResolutionError).candidates).toEqual([{ id: 'sys0', name: 'sys0' }, { id: 'sys1', name: 'sys1' }, { id: 'sys11', name: 'sys11' }]);
    // a second node of the same BMC: the list (and the Names) are not read again; still no reset
    const n0 = await caught(client.powerState({ ...n1, nodeXname: 'x1000c0s1b0n0' }));
    expect(n0.message).toContain('none has Id or Name x1000c0s1b0n0');
    expect(calls().filter((c) => c.path === '/redfish/v1/Systems')).toHaveLength(1);
    expect(calls().filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('Cray EX: systems Node0 and Node1 are the xname\'s n0 and n1 by Cray\'s naming, exactly (Node11 is not n1)', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://x1000c0s2b0');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems', method: 'GET' }).reply(
      200,
      { Members: ['Node11', 'Node1', 'Node0'].map((n) => ({ '@odata.id': `/redfish/v1/Systems/${n}` })) },
      JSONH,
    );
    for (const n of ['Node0', 'Node1', 'Node11']) pool.intercept({ path: `/redfish/v1/Systems/${n}`, method: 'GET' }).reply(200, { Id: n, Name: n, PowerState: 'On' }, JSONH).persist();
    const n1 = target({ bmcXname: 'x1000c0s2b0', address: 'x1000c0s2b0', nodeXname: 'x1000c0s2b0n1' });
    expect(await client.powerState(n1)).toBe('On');
    const reads = calls().filter((c) => c.method === 'GET' && /Systems\/Node/.test(c.path)).map((c) => c.path);
    expect(reads.at(-1)).toBe('/redfish/v1/Systems/Node1');
    const n2 = await caught(client.powerState({ ...n1, nodeXname: 'x1000c0s2b0n2' }));
    expect(n2).toBeInstanceOf(SystemResolutionError);
  });

  it('several systems: the one whose Id or Name is the xname (any case) is chosen and cached per node', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://sushy.example:8000');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    // sushy-tools style: Ids are UUIDs (the one of n0 ends in 1), Names are libvirt domain names
    const ids = { n0: '5d8c4e2a-0b1f-4a3c-9e71-3f0c2b6a9d41', n1: 'c0a7f3e9-6d25-4b8e-a1c4-7e9b0d2f5a60', other: 'X1000C0S1B0N2' };
    pool.intercept({ path: '/redfish/v1/Systems', method: 'GET' }).reply(200, { Members: Object.values(ids).map((id) => ({ '@odata.id': `/redfish/v1/Systems/${id}` })) }, JSONH);
    pool.intercept({ path: `/redfish/v1/Systems/${ids.n0}`, method: 'GET' }).reply(200, { Id: ids.n0, Name: 'x1000c0s1b0n0', PowerState: 'Off' }, JSONH);
    pool.intercept({ path: `/redfish/v1/Systems/${ids.n1}`, method: 'GET' }).reply(200, { Id: ids.n1, Name: 'X1000C0S1B0N1', PowerState: 'On' }, JSONH);
    pool.intercept({ path: `/redfish/v1/Systems/${ids.other}`, method: 'GET' }).reply(200, { Id: ids.other, Name: 'spare', PowerState: 'On' }, JSONH);
    pool.intercept({ path: `/redfish/v1/Systems/${ids.n1}`, method: 'GET' }).reply(200, { Id: ids.n1, PowerState: 'On' }, JSONH);
    pool.intercept({ path: `/redfish/v1/Systems/${ids.n0}`, method: 'GET' }).reply(200, { Id: ids.n0, PowerState: 'Off' }, JSONH);
    pool.intercept({ path: `/redfish/v1/Systems/${ids.other}`, method: 'GET' }).reply(200, { Id: ids.other, PowerState: 'PoweringOn' }, JSONH);
    const t = (n: string) => target({ bmcXname: 'x1000c0s1b0', address: 'sushy.example:8000', nodeXname: `x1000c0s1b0${n}` });
    expect(await client.resolveSystem(t('n1'))).toEqual({ id: ids.n1, name: 'X1000C0S1B0N1', url: `https://sushy.example:8000/redfish/v1/Systems/${ids.n1}` });
    expect(await client.powerState(t('n1'))).toBe('On');
    expect(await client.powerState(t('n0'))).toBe('Off');
    // an Id that is the xname counts as well (HPE Cray EX style naming by xname)
    expect(await client.powerState(t('n2'))).toBe('PoweringOn');
    expect(calls().filter((c) => c.path === '/redfish/v1/Systems')).toHaveLength(1);
  });

  it('two systems matching one xname is an error naming both', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://bmc20');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems', method: 'GET' }).reply(200, { Members: [{ '@odata.id': '/redfish/v1/Systems/a' }, { '@odata.id': '/redfish/v1/Systems/b' }] }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/a', method: 'GET' }).reply(200, { Id: 'a', Name: 'x1000c0s0b0n0' }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/b', method: 'GET' }).reply(200, { Id: 'b', Name: 'X1000C0S0B0N0' }, JSONH);
    const err = await caught(client.powerOn(target({ address: 'bmc20' })));
    expect(err.message).toBe(
      'BMC x1000c0s0b0: cannot tell which system is node x1000c0s0b0n0: GET https://bmc20/redfish/v1/Systems lists 2 systems with Id or Name x1000c0s0b0n0: ' +
        'a (Name "x1000c0s0b0n0"), b (Name "X1000C0S0B0N0"); set redfish_system_id for x1000c0s0b0n0 in the inventory',
    );
    expect(err.retryable).toBe(false);
    expect(calls().filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('a BMC listing no systems fails the node, not retryable', async () => {
    const { agent, client } = setup();
    const pool = agent.get('https://bmc21');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems', method: 'GET' }).reply(200, { Members: [] }, JSONH);
    const err = await caught(client.powerState(target({ address: 'bmc21' })));
    expect(err).toMatchObject({ retryable: false, candidates: [] });
    expect(err.message).toMatch(/lists no systems; check the BMC, or set redfish_system_id for x1000c0s0b0n0 in the inventory$/);
  });

  it('a single system is used whatever its name', async () => {
    const { agent, client } = setup();
    const pool = agent.get('https://bmc10');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems', method: 'GET' }).reply(200, { Members: [{ '@odata.id': '/redfish/v1/Systems/1' }] }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/1', method: 'GET' }).reply(200, { PowerState: 'PoweringOff' }, JSONH);
    expect(await client.powerState(target({ address: 'bmc10', nodeXname: 'x1000c0s0b0n3' }))).toBe('PoweringOff');
  });

  it('without AllowableValues or ActionInfo assumes On, ForceOff, GracefulShutdown and the default target', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://bmc11');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(200, { PowerState: 'On' }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/S1/Actions/ComputerSystem.Reset', method: 'POST' }).reply(200, '');
    const t = target({ address: 'bmc11', systemId: 'S1' });
    expect(await client.allowedResetTypes(t)).toEqual(['On', 'ForceOff', 'GracefulShutdown']);
    expect((await client.powerOff(t, 'graceful')).resetType).toBe('GracefulShutdown');
    expect(JSON.parse(String(calls().at(-1)!.body))).toEqual({ ResetType: 'GracefulShutdown' });
  });

  it('a URL address keeps its path prefix, and BMCs sharing an origin keep separate caches', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('http://127.0.0.1:4000');
    crayBmc(pool, '/bmc/x1000c0s0b0', 'Node0', 'On');
    // the second BMC answers with unprefixed @odata.id paths: the prefix is added
    pool.intercept({ path: '/bmc/x1000c0s1b0/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/bmc/x1000c0s1b0/redfish/v1/Systems', method: 'GET' }).reply(200, { Members: [{ '@odata.id': '/redfish/v1/Systems/Node0' }] }, JSONH);
    pool.intercept({ path: '/bmc/x1000c0s1b0/redfish/v1/Systems/Node0', method: 'GET' }).reply(200, { PowerState: 'Off' }, JSONH);
    const a = target({ address: 'http://127.0.0.1:4000/bmc/x1000c0s0b0/' });
    const b = target({ bmcXname: 'x1000c0s1b0', nodeXname: 'x1000c0s1b0n0', address: 'http://127.0.0.1:4000/bmc/x1000c0s1b0' });
    expect(await client.allowedResetTypes(a)).toEqual(['Off', 'ForceOff', 'On']);
    expect(await client.powerState(b)).toBe('Off');
    expect(calls().map((c) => c.path)).toEqual([
      '/bmc/x1000c0s0b0/redfish/v1/',
      '/bmc/x1000c0s0b0/redfish/v1/Systems',
      '/bmc/x1000c0s0b0/redfish/v1/Systems/Node0',
      '/bmc/x1000c0s0b0/redfish/v1/Systems/Node0/ResetActionInfo',
      '/bmc/x1000c0s1b0/redfish/v1/',
      '/bmc/x1000c0s1b0/redfish/v1/Systems',
      '/bmc/x1000c0s1b0/redfish/v1/Systems/Node0',
    ]);
  });

  it('an unexpected PowerState is a protocol error', async () => {
    const { agent, client } = setup();
    const pool = agent.get('https://bmc12');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/S1', method: 'GET' }).reply(200, { PowerState: 'Paused' }, JSONH);
    const err = await caught(client.powerState(target({ address: 'bmc12', systemId: 'S1' })));
    expect(err).toMatchObject({ kind: 'protocol', status: 200 });
    expect(err.message).toContain('with PowerState "Paused"');
  });

  it('a request no BMC answers (net connect disabled) is a connect error, not retried', async () => {
    const { client } = setup();
    const err = await caught(client.powerState(target({ address: 'nowhere', systemId: 'S1' })));
    expect(err).toMatchObject({ kind: 'connect', retryable: false, attempts: 1 });
    expect(err.message).toMatch(/^BMC x1000c0s0b0: GET https:\/\/nowhere\/redfish\/v1\/ failed: /);
  });

  it('rejects calls after close()', async () => {
    const { client } = setup();
    await client.close();
    const err = await caught(client.powerState(target()));
    expect(err.message).toBe('BMC x1000c0s0b0: the Redfish client is closed');
  });
});

describe('bmcBase', () => {
  it('host[:port] → https, URLs keep their prefix without a trailing slash or /redfish/v1', () => {
    expect(bmcBase('x1000c0s0b0').href).toBe('https://x1000c0s0b0/');
    expect(bmcBase('10.0.0.1:8443').href).toBe('https://10.0.0.1:8443/');
    expect(bmcBase('fd00::12').href).toBe('https://[fd00::12]/');
    expect(bmcBase('[fd00::12]:443').href).toBe('https://[fd00::12]/');
    expect(bmcBase('http://127.0.0.1:4000/bmc/x1000c0s0b0/').href).toBe('http://127.0.0.1:4000/bmc/x1000c0s0b0');
    expect(bmcBase('https://admin:pw@bmc.example/redfish/v1/').href).toBe('https://bmc.example/');
    expect(() => bmcBase('ftp://bmc')).toThrow();
  });
});

describe('RedfishClient against a real socket (Connection: close, like HPE Cray EX BMCs)', () => {
  it('reads, resets and reads again over fresh connections', async () => {
    let power = 'On';
    const resets: string[] = [];
    const auths = new Set<string>();
    const prefix = '/bmc/x3000c0s19b1';
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.setHeader('Connection', 'close');
        auths.add(String(req.headers.authorization));
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        const path = req.url ?? '';
        if (path === `${prefix}/redfish/v1/`) return send(200, { Systems: { '@odata.id': `${prefix}/redfish/v1/Systems` } });
        if (req.headers.authorization !== BASIC) return send(401, { error: { message: 'auth' } });
        if (path === `${prefix}/redfish/v1/Systems`) return send(200, { Members: [{ '@odata.id': `${prefix}/redfish/v1/Systems/Node0` }, { '@odata.id': `${prefix}/redfish/v1/Systems/Node1` }] });
        if (path === `${prefix}/redfish/v1/Systems/Node1`) {
          return send(200, {
            PowerState: power,
            Actions: { '#ComputerSystem.Reset': { target: `${prefix}/redfish/v1/Systems/Node1/Actions/ComputerSystem.Reset`, '@Redfish.ActionInfo': `${prefix}/redfish/v1/Systems/Node1/ResetActionInfo` } },
          });
        }
        if (path === `${prefix}/redfish/v1/Systems/Node1/ResetActionInfo`) return send(200, { Parameters: [{ Name: 'ResetType', AllowableValues: ['Off', 'ForceOff', 'On'] }] });
        if (path === `${prefix}/redfish/v1/Systems/Node1/Actions/ComputerSystem.Reset` && req.method === 'POST') {
          const type = (JSON.parse(body) as { ResetType: string }).ResetType;
          resets.push(type);
          power = type === 'On' ? 'On' : 'Off';
          return send(200, {});
        }
        send(404, { error: { message: `no ${path}` } });
      });
    };
    const server = createServer(handler);
    let connections = 0;
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    const client = new RedfishClient({ credentials: () => ({ username: USER, password: PASSWORD }), timeoutMs: 5_000, retry: { attempts: 1 } });
    try {
      // Two systems (Node0, Node1) named after nothing in the xname: the inventory says which.
      const t = target({ bmcXname: 'x3000c0s19b1', nodeXname: 'x3000c0s19b1n1', address: `http://127.0.0.1:${port}${prefix}`, systemId: 'Node1' });
      expect(await client.powerState(t)).toBe('On');
      expect(await client.powerOff(t, 'graceful')).toEqual({ resetType: 'Off', status: 200 });
      // several at once over the pool's two sockets, each closed after its response
      expect(await Promise.all([client.powerState(t), client.powerState(t), client.powerState(t), client.powerState(t)])).toEqual(['Off', 'Off', 'Off', 'Off']);
      expect(await client.powerOn(t)).toEqual({ resetType: 'On', status: 200 });
      expect(await client.powerState(t)).toBe('On');
      expect(resets).toEqual(['Off', 'On']);
      expect(connections).toBeGreaterThanOrEqual(10); // one per request: Connection: close was honoured
      expect([...auths].filter((a) => a !== 'undefined')).toEqual([BASIC]);

      // a 404 from the real server arrives as an http error with its message
      const err = await caught(client.powerState({ ...t, systemId: 'Nope' }));
      expect(err.message).toBe(`BMC x3000c0s19b1: GET http://127.0.0.1:${port}${prefix}/redfish/v1/Systems/Nope answered 404 Not Found: no ${prefix}/redfish/v1/Systems/Nope`);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a closed port is a connect error', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const client = new RedfishClient({ credentials: () => ({ username: USER, password: PASSWORD }), timeoutMs: 2_000, retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 1, factor: 1 } });
    try {
      const err = await caught(client.powerState(target({ address: `http://127.0.0.1:${port}`, systemId: 'S1' })));
      expect(err).toMatchObject({ kind: 'connect', retryable: true, attempts: 2 });
      expect(err.message).toContain('cannot connect');
      expect(err.message).toContain('ECONNREFUSED');
    } finally {
      await client.close();
    }
  });
});
