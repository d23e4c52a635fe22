/**
 * Plain http:// BMCs: refused unless the BMC is on this machine (loopback: the simulator),
 * or allowed for that BMC in the credentials file (allow_insecure_http) or for all BMCs in
 * bosd.yaml (allow_insecure_bmc_http). A refused BMC gets no request at all; an allowed one
 * is warned about once.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caught, mockRegistry } from './helpers.js';
import { loadCredentials } from '../../src/daemon/config.js';
import { RedfishClient, bmcBase, insecureHttpRefusal, isLoopbackHost, type BmcCredentials } from '../../src/integrations/redfish.js';

const JSONH = { headers: { 'content-type': 'application/json' } };
const mocks = mockRegistry();

describe('insecureHttpRefusal', () => {
  it('https and loopback http pass; other http needs an allowance, and the refusal names both settings', () => {
    expect(insecureHttpRefusal(bmcBase('10.1.0.5'), {})).toBeUndefined();
    for (const a of ['http://127.0.0.1:4000/bmc/x1000c0s0b0', 'http://127.8.9.10', 'http://[::1]:8000', 'http://[::ffff:127.0.0.1]']) {
      expect(insecureHttpRefusal(bmcBase(a), {}), a).toBeUndefined();
    }
    const remote = bmcBase('http://10.1.0.5:8000');
    expect(insecureHttpRefusal(remote, { global: true })).toBeUndefined();
    expect(insecureHttpRefusal(remote, { bmc: true })).toBeUndefined();
    expect(insecureHttpRefusal(remote, { global: false, bmc: false }, 'x1000c0s0b0')).toBe(
      'refusing plain HTTP to http://10.1.0.5:8000, which is not a loopback address: the BMC password would cross the network in clear; ' +
        'use https, or allow it for this BMC with allow_insecure_http: true in its entry under bmcs: x1000c0s0b0 in the credentials file, ' +
        'or for every BMC with allow_insecure_bmc_http: true in bosd.yaml',
    );
    // a name is not an address: "localhost" could be anything in /etc/hosts
    expect(insecureHttpRefusal(bmcBase('http://localhost:8000'), {})).toMatch(/^refusing plain HTTP/);
    expect(insecureHttpRefusal(bmcBase('http://[::ffff:10.0.0.1]'), {})).toMatch(/^refusing plain HTTP/);
  });

  it('isLoopbackHost: 127.0.0.0/8 and ::1 only', () => {
    expect(['127.0.0.1', '127.255.0.9', '::1', '[::1]', '::ffff:127.0.0.2', '::ffff:7f00:1'].every(isLoopbackHost)).toBe(true);
    expect(['128.0.0.1', '10.127.0.1', 'localhost', 'x1000c0s0b0', '::2', '::ffff:a00:1'].some(isLoopbackHost)).toBe(false);
  });
});

describe('RedfishClient and plain HTTP', () => {
  const target = { bmcXname: 'x1000c0s0b0', nodeXname: 'x1000c0s0b0n0', address: 'http://10.1.0.5:8000', systemId: 'Node0' };

  function client(opts: { allowInsecureHttp?: boolean; creds?: Partial<BmcCredentials> } = {}) {
    const agent = mocks.agent();
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const c = mocks.track(new RedfishClient({
      credentials: () => ({ username: 'root', password: 'plain-secret-pw', ...opts.creds }),
      dispatcherFor: () => agent,
      retry: { attempts: 1 },
      ...(opts.allowInsecureHttp === undefined ? {} : { allowInsecureHttp: opts.allowInsecureHttp }),
      warn: (m, f) => warnings.push([m, f]),
    }));
    return { agent, c, warnings, calls: () => agent.getCallHistory()?.calls() ?? [] };
  }

  function answers(agent: ReturnType<typeof mocks.agent>, times: number) {
    const pool = agent.get('http://10.1.0.5:8000');
    pool.intercept({ path: '/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    pool.intercept({ path: '/redfish/v1/Systems/Node0', method: 'GET' }).reply(200, { PowerState: 'On' }, JSONH).times(times);
  }

  it('refuses a non-loopback http:// BMC before any request, not retryable, naming both settings', async () => {
    const { c, calls, warnings } = client();
    for (const call of [() => c.powerState(target), () => c.powerOn(target), () => c.powerOff(target, 'forceful')]) {
      const err = await caught(call());
      expect(err).toMatchObject({ kind: 'connect', retryable: false, bmc: 'x1000c0s0b0' });
      expect(err.message).toMatch(/^BMC x1000c0s0b0: refusing plain HTTP to http:\/\/10\.1\.0\.5:8000, .*allow_insecure_http: true .*allow_insecure_bmc_http: true in bosd\.yaml$/);
      expect(err.message).not.toContain('plain-secret-pw');
    }
    expect(calls()).toHaveLength(0);
    expect(warnings).toHaveLength(0);
  });

  it('allowed for this BMC in the credentials file: used, and warned once per BMC', async () => {
    const { agent, c, warnings } = client({ creds: { allowInsecureHttp: true } });
    answers(agent, 2);
    expect(await c.powerState(target)).toBe('On');
    expect(await c.powerState(target)).toBe('On');
    expect(warnings).toEqual([[
      'Redfish: BMC x1000c0s0b0 at http://10.1.0.5:8000 is used over plain HTTP (allowed by allow_insecure_http for x1000c0s0b0 in the credentials file): its password crosses the network in clear',
      { bmc: 'x1000c0s0b0', address: 'http://10.1.0.5:8000', allowed_by: 'allow_insecure_http' },
    ]]);
  });

  it('allowed for all BMCs (allow_insecure_bmc_http): used and warned; a loopback BMC is never warned about', async () => {
    const { agent, c, warnings } = client({ allowInsecureHttp: true });
    answers(agent, 1);
    const local = agent.get('http://127.0.0.1:4000');
    local.intercept({ path: '/bmc/x1000c0s1b0/redfish/v1/', method: 'GET' }).reply(200, {}, JSONH);
    local.intercept({ path: '/bmc/x1000c0s1b0/redfish/v1/Systems/Node0', method: 'GET' }).reply(200, { PowerState: 'Off' }, JSONH);
    expect(await c.powerState(target)).toBe('On');
    expect(await c.powerState({ ...target, bmcXname: 'x1000c0s1b0', address: 'http://127.0.0.1:4000/bmc/x1000c0s1b0' })).toBe('Off');
    expect(warnings.map(([, f]) => f)).toEqual([{ bmc: 'x1000c0s0b0', address: 'http://10.1.0.5:8000', allowed_by: 'allow_insecure_bmc_http' }]);
  });
});

describe('credentials file: allow_insecure_http', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-plain-http-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    chmodSync(p, 0o600);
    return p;
  };

  it('is read from a bmcs: entry, for that BMC only', async () => {
    const book = await loadCredentials(file('ok.yaml', [
      'default: {username: root, password: pw-default}',
      'bmcs:',
      '  x1000c0s0b0: {username: admin, password: pw-one, allow_insecure_http: true}',
      '  x1000c0s1b0: {username: admin, password: pw-two, allow_insecure_http: false}',
    ].join('\n')));
    expect(book.lookup(null, 'x1000c0s0b0')).toEqual({ username: 'admin', password: 'pw-one', allowInsecureHttp: true });
    expect(book.lookup(null, 'x1000c0s1b0').allowInsecureHttp).toBeUndefined();
    expect(book.lookup(null, 'x1000c0s2b0').allowInsecureHttp).toBeUndefined();
  });

  it('is refused in default: or refs: (one BMC at a time), and must be a boolean', async () => {
    await expect(loadCredentials(file('def.yaml', 'default: {username: root, password: pw, allow_insecure_http: true}\n')))
      .rejects.toThrow(/default\.allow_insecure_http is allowed only in a bmcs: entry \(one BMC\), or for all BMCs as allow_insecure_bmc_http in bosd\.yaml$/);
    await expect(loadCredentials(file('refs.yaml', 'refs: {lab: {username: root, password: pw, allow_insecure_http: true}}\n')))
      .rejects.toThrow(/refs\.lab\.allow_insecure_http is allowed only in a bmcs: entry/);
    await expect(loadCredentials(file('str.yaml', 'bmcs: {x1000c0s0b0: {username: root, password: pw, allow_insecure_http: "yes"}}\n')))
      .rejects.toThrow(/bmcs\.x1000c0s0b0\.allow_insecure_http must be true or false$/);
  });
});
