/**
 * Redirects on Redfish calls: a same-origin 307/308 is followed with the same method, body
 * and credentials (sushy-tools redirects a system addressed by its Name to its Id); a
 * redirect to another origin is refused before anything is sent there; an error names the
 * Location, never the first characters of a redirect page.
 */
import { describe, expect, it } from 'vitest';
import { caught, mockRegistry } from './helpers.js';
import { BssClient } from '../../src/integrations/bss.js';
import { RedfishClient, type BmcTarget } from '../../src/integrations/redfish.js';

const USER = 'root';
const PASSWORD = 'redirect-secret-pw';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const JSONH = { headers: { 'content-type': 'application/json' } };
const UUID = '48295ee6-c6b1-4bd8-9a6f-0d5e4c3b2a10';
const PAGE = `<!DOCTYPE html>\n<html lang="en">\n<head><title>Redirecting</title></head>\n<body><h1>Redirecting...</h1><p>${'You should be redirected automatically to the target URL. '.repeat(4)}<a href="/redfish/v1/Systems/${UUID}">here</a></p></body></html>`;

const mocks = mockRegistry();

function setup() {
  const agent = mocks.agent();
  const client = mocks.track(new RedfishClient({
    credentials: () => ({ username: USER, password: PASSWORD }),
    dispatcherFor: () => agent,
    retry: { attempts: 1 },
  }));
  const calls = () => agent.getCallHistory()?.calls() ?? [];
  return { agent, client, calls };
}

const byName = (over: Partial<BmcTarget> = {}): BmcTarget => ({
  bmcXname: 'x3000c0s1b0', nodeXname: 'x3000c0s1b0n0', address: 'sushy.example:8000', systemId: 'nid000001', ...over,
});

describe('Redfish redirects', () => {
  it('follows a same-origin 307 (GET) and 308 (POST) with the method, body and credentials kept', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://sushy.example:8000');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/nid000001', method: 'GET' })
      .reply(307, PAGE, { headers: { location: `/redfish/v1/Systems/${UUID}`, 'content-type': 'text/html' } });
    // no reset target in the system: the default one, under the Name, is used and redirected
    pool.intercept({ path: `/redfish/v1/Systems/${UUID}`, method: 'GET' })
      .reply(200, { Id: UUID, Name: 'nid000001', PowerState: 'On', Actions: { '#ComputerSystem.Reset': { 'ResetType@Redfish.AllowableValues': ['On', 'ForceOff'] } } }, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/nid000001/Actions/ComputerSystem.Reset', method: 'POST' })
      .reply(308, '', { headers: { location: `https://sushy.example:8000/redfish/v1/Systems/${UUID}/Actions/ComputerSystem.Reset` } });
    pool.intercept({ path: `/redfish/v1/Systems/${UUID}/Actions/ComputerSystem.Reset`, method: 'POST', body: JSON.stringify({ ResetType: 'ForceOff' }) }).reply(204, '');

    expect(await client.powerState(byName())).toBe('On');
    expect(await client.powerOff(byName(), 'forceful')).toEqual({ resetType: 'ForceOff', status: 204 });
    const log = calls();
    expect(log.map((c) => `${c.method} ${c.path} ${c.method === 'POST' ? String(c.body) : ''}`.trim())).toEqual([
      'GET /redfish/v1/',
      'GET /redfish/v1/Systems/nid000001',
      `GET /redfish/v1/Systems/${UUID}`,
      'POST /redfish/v1/Systems/nid000001/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}',
      `POST /redfish/v1/Systems/${UUID}/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}`,
    ]);
    for (const c of log.slice(1)) expect(c.headers?.authorization).toBe(BASIC);
  });

  it('refuses a redirect to another origin: nothing is sent there, the error names the Location', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://sushy.example:8000');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/nid000001', method: 'GET' })
      .reply(307, PAGE, { headers: { location: `https://collector.example/redfish/v1/Systems/${UUID}` } });
    // another port of the same host is another origin too
    pool.intercept({ path: '/redfish/v1/Systems/nid000002', method: 'GET' })
      .reply(308, '', { headers: { location: `https://sushy.example:8443/redfish/v1/Systems/${UUID}` } });

    const err = await caught(client.powerState(byName()));
    expect(err).toMatchObject({ kind: 'http', status: 307, retryable: false });
    expect(err.message).toBe(
      'BMC x3000c0s1b0: GET https://sushy.example:8000/redfish/v1/Systems/nid000001 answered 307 Temporary Redirect redirecting to ' +
        `https://collector.example/redfish/v1/Systems/${UUID}: another origin than https://sushy.example:8000; not followed, so that credentials are not sent there`,
    );
    const port = await caught(client.powerState(byName({ systemId: 'nid000002' })));
    expect(port.message).toContain(`redirecting to https://sushy.example:8443/redfish/v1/Systems/${UUID}: another origin`);
    expect(calls().every((c) => c.origin === 'https://sushy.example:8000')).toBe(true);
    expect(calls()).toHaveLength(3);
  });

  it('stops after 5 hops, naming where the next one pointed', async () => {
    const { agent, client, calls } = setup();
    const pool = agent.get('https://sushy.example:8000');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/nid000001', method: 'GET' }).reply(307, '', { headers: { location: '/redfish/v1/Systems/nid000001' } }).times(6);
    const err = await caught(client.powerState(byName()));
    expect(err.message).toBe(
      'BMC x3000c0s1b0: GET https://sushy.example:8000/redfish/v1/Systems/nid000001 answered 307 Temporary Redirect redirecting to ' +
        'https://sushy.example:8000/redfish/v1/Systems/nid000001: more than 5 redirects in a row; not followed',
    );
    expect(calls().filter((c) => c.path === '/redfish/v1/Systems/nid000001')).toHaveLength(6);
  });

  it('a redirect not followed (301, 302, 303) is an error naming its Location, not the page', async () => {
    const { agent, client } = setup();
    const pool = agent.get('https://sushy.example:8000');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/nid000001', method: 'GET' })
      .reply(302, PAGE, { headers: { location: `/redfish/v1/Systems/${UUID}`, 'content-type': 'text/html' } });
    const err = await caught(client.powerState(byName()));
    expect(err.message).toBe(
      `BMC x3000c0s1b0: GET https://sushy.example:8000/redfish/v1/Systems/nid000001 answered 302 Found: redirecting to https://sushy.example:8000/redfish/v1/Systems/${UUID}`,
    );
    expect(err.message).not.toContain('DOCTYPE');
  });

  it('BSS and CFS errors name a redirect\'s Location too (they do not follow it)', async () => {
    const agent = mocks.agent();
    const bss = mocks.track(new BssClient({ url: 'https://bss.example/apis/bss', dispatcher: agent, retry: { attempts: 1 } }));
    agent.get('https://bss.example').intercept({ path: '/apis/bss/boot/v1/service/status', method: 'GET' })
      .reply(307, PAGE, { headers: { location: '/elsewhere/boot/v1/service/status' } });
    const err = await caught(bss.ping());
    expect(err.message).toBe('BSS: GET https://bss.example/apis/bss/boot/v1/service/status answered 307 Temporary Redirect: redirecting to https://bss.example/elsewhere/boot/v1/service/status');
  });
});
