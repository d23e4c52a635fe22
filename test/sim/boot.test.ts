import { afterEach, describe, expect, it } from 'vitest';
import { call, closeAll, fakeBos, redfishFor, sim, waitFor, type FakeBos } from './helpers.js';

const bosServers: FakeBos[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(bosServers.splice(0).map((b) => b.close()));
});

const artifacts = { kernel: 's3://boot-images/new/kernel', initrd: 's3://boot-images/new/initrd', params: 'console=ttyS0 root=live:new' };

async function putBss(bssUrl: string, hosts: string[]): Promise<string> {
  const r = await call(`${bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts, ...artifacts } });
  return r.headers.get('bss-referral-token')!;
}

describe('node boot and report', () => {
  it('a powered-on node fetches its boot script, records what it booted and reports the token to bosd', async () => {
    const bos = await fakeBos();
    bosServers.push(bos);
    const hook: Array<[string, string | null]> = [];
    const s = await sim({
      nodes: 2,
      initialPower: 'Off',
      bosUrl: bos.url,
      bosToken: 'secret-token',
      timings: { powerOn: 2, boot: 5 },
      onBoot: (x, r) => hook.push([x, r.token]),
    });
    expect(s.node('x1000c0s0b0n0').booted).toBeNull();
    const token = await putBss(s.bssUrl, ['x1000c0s0b0n0']);
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    await rf.reset('On');
    await waitFor('the boot report to be delivered', () => s.node('x1000c0s0b0n0').report?.delivered);
    expect(bos.requests).toHaveLength(1);
    const req = bos.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.url).toBe('/apis/bos/v2/components/x1000c0s0b0n0');
    expect(req.headers.authorization).toBe('Bearer secret-token');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({ id: 'x1000c0s0b0n0', actual_state: { bss_token: token } });
    const v = s.node('x1000c0s0b0n0');
    expect(v.power).toBe('On');
    expect(v.booted).toMatchObject({ kernel: artifacts.kernel, initrd: artifacts.initrd, token });
    expect(v.booted!.params).toContain('xname=x1000c0s0b0n0');
    expect(v.bootCount).toBe(1);
    expect(v.report).toEqual({ attempts: 1, delivered: true, gaveUp: false, lastStatus: 200 });
    expect(hook).toEqual([['x1000c0s0b0n0', token]]);
    expect(s.bssCalls().some((c) => c.path === '/boot/v1/bootscript' && c.hosts[0] === 'x1000c0s0b0n0')).toBe(true);
    // power goes away: so does what the node runs
    await rf.reset('ForceOff');
    await waitFor('booted cleared at Off', () => s.node('x1000c0s0b0n0').booted === null);
  });

  it('retries the report after 409 and 503, with back-off', async () => {
    const bos = await fakeBos([409, 503]);
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', timings: { powerOn: 1, boot: 1 }, reportRetry: { initialMs: 20 } });
    s.setBosUrl(`${bos.url}/`); // a trailing slash is fine
    await putBss(s.bssUrl, ['x1000c0s0b0n1']);
    await redfishFor(s, 'x1000c0s0b0n1').reset('On');
    await waitFor('delivered report', () => s.node('x1000c0s0b0n1').report?.delivered);
    expect(bos.requests).toHaveLength(3);
    expect(bos.requests.every((r) => r.url === '/apis/bos/v2/components/x1000c0s0b0n1')).toBe(true);
    expect(bos.requests[0]!.headers.authorization).toBeUndefined(); // no token set
    expect(s.node('x1000c0s0b0n1').report).toMatchObject({ attempts: 3, delivered: true, lastStatus: 200 });
    expect(s.stats().reports).toMatchObject({ attempts: 3, delivered: 1, retries: 2 });
  });

  it('gives up on a 4xx other than 409', async () => {
    const bos = await fakeBos([400]);
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', bosUrl: bos.url, timings: { powerOn: 1, boot: 1 } });
    await putBss(s.bssUrl, ['x1000c0s0b0n0']);
    await redfishFor(s, 'x1000c0s0b0n0').reset('On');
    await waitFor('given up', () => s.node('x1000c0s0b0n0').report?.gaveUp);
    expect(bos.requests).toHaveLength(1);
  });

  it('without BSS parameters the node powers on but never boots', async () => {
    const bos = await fakeBos();
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', bosUrl: bos.url, timings: { powerOn: 1, boot: 1 } });
    await redfishFor(s, 'x1000c0s0b0n0').reset('On');
    await waitFor('the failed boot script fetch', () => s.stats().boots.noParams === 1);
    expect(s.node('x1000c0s0b0n0')).toMatchObject({ power: 'On', booted: null, bootCount: 0, report: null });
    expect(bos.requests).toHaveLength(0);
  });

  it('a failed boot script fetch is tried again until BSS answers (bss_5xx)', async () => {
    const bos = await fakeBos();
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', bosUrl: bos.url, timings: { powerOn: 1, boot: 1 }, reportRetry: { initialMs: 5, maxMs: 20 }, faults: [{ kind: 'bss_5xx', xnames: ['x1000c0s0b0n0'] }] });
    await putBss(s.bssUrl, ['x1000c0s0b0n0']);
    await redfishFor(s, 'x1000c0s0b0n0').reset('On');
    await waitFor('two failed fetches', () => (s.stats().boots.scriptFailures['HTTP 503'] ?? 0) >= 2);
    expect(s.node('x1000c0s0b0n0')).toMatchObject({ power: 'On', booted: null, bootCount: 0 });
    s.setFault('bss_5xx', ['x1000c0s0b0n0'], false);
    await waitFor('the report after the boot', () => s.node('x1000c0s0b0n0').report?.delivered);
    expect(s.node('x1000c0s0b0n0').bootCount).toBe(1);
    expect(s.stats().boots).toMatchObject({ started: 1, noParams: 0 });
    expect(bos.requests).toHaveLength(1);
  });

  it('never_boots: no booted record and no report', async () => {
    const bos = await fakeBos();
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', bosUrl: bos.url, timings: { powerOn: 1, boot: 1 }, faults: [{ kind: 'never_boots', xnames: ['x1000c0s0b0n0'] }] });
    await putBss(s.bssUrl, ['x1000c0s0b0n0', 'x1000c0s0b0n1']);
    await redfishFor(s, 'x1000c0s0b0n0').reset('On');
    await redfishFor(s, 'x1000c0s0b0n1').reset('On');
    await waitFor('one report and one silent node', () => bos.requests.length === 1 && s.stats().boots.neverBoots === 1);
    expect(bos.requests[0]!.body.id).toBe('x1000c0s0b0n1');
    expect(s.node('x1000c0s0b0n0')).toMatchObject({ power: 'On', booted: null, report: null });
  });

  it('wrong_artifacts: the node boots something else and reports a bogus token', async () => {
    const bos = await fakeBos();
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', bosUrl: bos.url, timings: { powerOn: 1, boot: 1 }, faults: [{ kind: 'wrong_artifacts', xnames: ['x1000c0s0b0n0'] }] });
    const token = await putBss(s.bssUrl, ['x1000c0s0b0n0']);
    await redfishFor(s, 'x1000c0s0b0n0').reset('On');
    await waitFor('the report', () => bos.requests.length === 1);
    const reported = bos.requests[0]!.body.actual_state.bss_token as string;
    expect(reported).toMatch(/^bogus-/);
    expect(reported).not.toBe(token);
    const v = s.node('x1000c0s0b0n0');
    expect(v.booted!.token).toBe(reported);
    expect(v.booted!.kernel).not.toBe(artifacts.kernel);
  });

  it('a node powered off while booting does not report', async () => {
    const bos = await fakeBos();
    bosServers.push(bos);
    const s = await sim({ nodes: 2, initialPower: 'Off', bosUrl: bos.url, timeScale: 0.001, timings: { powerOn: 1, boot: 1000, forceOff: 1 }, manualClock: true });
    await putBss(s.bssUrl, ['x1000c0s0b0n0']);
    const rf = redfishFor(s, 'x1000c0s0b0n0');
    await rf.reset('On');
    s.advance(1);
    expect(await rf.power()).toBe('On');
    await rf.reset('ForceOff');
    s.advance(1);
    expect(await rf.power()).toBe('Off');
    // past the moment the boot would have happened (1,000 simulated s after On)
    s.advance(1000);
    expect(s.stats().boots.started).toBe(0);
    expect(bos.requests).toHaveLength(0);
    expect(s.node('x1000c0s0b0n0').bootCount).toBe(0);
  });

  it('initially-on nodes run the initial image with no token', async () => {
    const s = await sim({ nodes: 2, initialBoot: { kernel: 'k0', initrd: 'i0', params: 'p0' } });
    expect(s.node('x1000c0s0b0n1').booted).toEqual({ kernel: 'k0', initrd: 'i0', params: 'p0', token: null });
    expect(s.node('x1000c0s0b0n1').bootCount).toBe(0);
  });
});
