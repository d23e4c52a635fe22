import { afterEach, describe, expect, it } from 'vitest';
import { parseBootscript } from '../../src/sim/index.js';
import { call, closeAll, redfishFor, sim, waitFor } from './helpers.js';

afterEach(closeAll);

const artifacts = {
  kernel: 's3://boot-images/img-2/kernel',
  initrd: 's3://boot-images/img-2/initrd',
  params: 'console=ttyS0,115200 root=craycps-s3:s3://boot-images/img-2/rootfs',
};

describe('BSS', () => {
  it('PUT answers 200 with one bss-referral-token per request; GET returns the entries; 404 when none', async () => {
    const s = await sim({ nodes: 4 });
    const put = await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s0b0n0', 'x1000c0s0b0n1'], ...artifacts } });
    expect(put.status).toBe(200);
    const token = put.headers.get('bss-referral-token');
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    const put2 = await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s1b0n0'], ...artifacts, params: 'quiet' } });
    expect(put2.headers.get('bss-referral-token')).not.toBe(token);

    const got = await call(`${s.bssUrl}/boot/v1/bootparameters?name=x1000c0s0b0n1,x1000c0s1b0n0`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual([
      { hosts: ['x1000c0s0b0n1'], ...artifacts },
      { hosts: ['x1000c0s1b0n0'], ...artifacts, params: 'quiet' },
    ]);
    expect((await call(`${s.bssUrl}/boot/v1/bootparameters?name=x1000c0s1b0n1`)).status).toBe(404);
    expect((await call(`${s.bssUrl}/boot/v1/bootparameters`)).body).toHaveLength(3);

    // replacing an entry replaces its token
    const put3 = await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s0b0n0'], ...artifacts, params: 'p3' } });
    const t3 = put3.headers.get('bss-referral-token')!;
    const script0 = (await call(`${s.bssUrl}/boot/v1/bootscript?name=x1000c0s0b0n0`)).text;
    const script1 = (await call(`${s.bssUrl}/boot/v1/bootscript?name=x1000c0s0b0n1`)).text;
    expect(parseBootscript(script0)!.token).toBe(t3);
    expect(parseBootscript(script1)!.token).toBe(token);

    expect(s.bssCalls().filter((c) => c.method === 'PUT').map((c) => c.hosts)).toEqual([['x1000c0s0b0n0', 'x1000c0s0b0n1'], ['x1000c0s1b0n0'], ['x1000c0s0b0n0']]);
  });

  it('rejects bad bodies with 400 problem JSON', async () => {
    const s = await sim({ nodes: 2 });
    for (const body of ['{nope', JSON.stringify({ kernel: 'k' }), JSON.stringify({ hosts: [], kernel: 'k' }), JSON.stringify({ hosts: [3] }), '[]']) {
      const r = await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body });
      expect(r.status, body).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String) });
    }
  });

  it('serves an iPXE boot script with xname=, nid= and bss_referral_token= at the end of the params', async () => {
    const s = await sim({ nodes: 4 });
    const put = await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s1b0n1'], ...artifacts } });
    const token = put.headers.get('bss-referral-token')!;
    const r = await call(`${s.bssUrl}/boot/v1/bootscript?name=x1000c0s1b0n1`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('#!ipxe');
    expect(lines[1]).toBe(`kernel --name kernel ${artifacts.kernel} ${artifacts.params} xname=x1000c0s1b0n1 nid=4 bss_referral_token=${token} || goto boot_retry`);
    expect(lines[2]).toBe(`initrd --name initrd ${artifacts.initrd} || goto boot_retry`);
    expect(parseBootscript(r.text)).toEqual({
      kernel: artifacts.kernel,
      initrd: artifacts.initrd,
      params: `${artifacts.params} xname=x1000c0s1b0n1 nid=4 bss_referral_token=${token}`,
      token,
      xname: 'x1000c0s1b0n1',
    });
    // by hostname and by nid too
    expect((await call(`${s.bssUrl}/boot/v1/bootscript?name=nid000004`)).text).toBe(r.text);
    expect((await call(`${s.bssUrl}/boot/v1/bootscript?nid=4`)).text).toBe(r.text);
    expect((await call(`${s.bssUrl}/boot/v1/bootscript?name=x1000c0s0b0n0`)).status).toBe(404);
  });

  it('service version and status', async () => {
    const s = await sim({ nodes: 1 });
    expect((await call(`${s.bssUrl}/boot/v1/service/version`)).body).toEqual({ 'bss-version': expect.any(String) });
    expect((await call(`${s.bssUrl}/boot/v1/service/status`)).body).toEqual({ 'bss-status': 'running' });
  });
});

describe('CFS v3 components', () => {
  it('every node has a component from the start; GET by ids and by id', async () => {
    const s = await sim({ nodes: 4 });
    const r = await call(`${s.cfsUrl}/cfs/v3/components?ids=x1000c0s0b0n1,x1000c0s1b0n0`);
    expect(r.status).toBe(200);
    expect(r.body.next).toBeNull();
    expect(r.body.components).toEqual([
      expect.objectContaining({ id: 'x1000c0s0b0n1', desired_config: '', enabled: false, configuration_status: 'unconfigured', state: [], tags: {}, error_count: 0 }),
      expect.objectContaining({ id: 'x1000c0s1b0n0' }),
    ]);
    expect((await call(`${s.cfsUrl}/cfs/v3/components`)).body.components).toHaveLength(4);
    expect((await call(`${s.cfsUrl}/cfs/v3/components/x1000c0s0b0n0`)).body.id).toBe('x1000c0s0b0n0');
    expect((await call(`${s.cfsUrl}/cfs/v3/components/x9c0s0b0n0`)).status).toBe(404);
    const page = await call(`${s.cfsUrl}/cfs/v3/components?limit=3`);
    expect(page.body.components).toHaveLength(3);
    expect(page.body.next).toMatchObject({ limit: 3, after_id: page.body.components[2].id });
  });

  it('bulk patch → pending; configured only when enabled and the node is booted, after `configure`', async () => {
    const s = await sim({ nodes: 4, timings: { configure: 20 }, manualClock: true });
    const ids = 'x1000c0s0b0n0,x1000c0s0b0n1';
    const patch = await call(`${s.cfsUrl}/cfs/v3/components`, {
      method: 'PATCH',
      json: { patch: { desired_config: 'cfg-v2', enabled: false, state: [], tags: { bos_session: 'S1' } }, filters: { ids } },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toEqual({ component_ids: ['x1000c0s0b0n0', 'x1000c0s0b0n1'] });
    const get = async () => (await call(`${s.cfsUrl}/cfs/v3/components?ids=${ids}`)).body.components as any[];
    expect((await get()).map((c) => [c.configuration_status, c.desired_config, c.enabled, c.tags.bos_session])).toEqual([
      ['pending', 'cfg-v2', false, 'S1'],
      ['pending', 'cfg-v2', false, 'S1'],
    ]);
    s.advance(21); // past the moment an enabled component would have been configured
    expect((await get()).every((c) => c.configuration_status === 'pending')).toBe(true); // disabled: stays pending

    await call(`${s.cfsUrl}/cfs/v3/components`, { method: 'PATCH', json: { patch: { enabled: true }, filters: { ids } } });
    s.advance(21);
    expect((await get()).map((c) => c.configuration_status)).toEqual(['configured', 'configured']);
    const c0 = (await get())[0];
    expect(c0.state).toEqual([expect.objectContaining({ status: 'applied', playbook: 'site.yml' })]);
    expect(s.node('x1000c0s0b0n0').cfs).toEqual({ desired_config: 'cfg-v2', enabled: true, configuration_status: 'configured' });
    expect(s.node('x1000c0s0b0n0').configStatus).toBe('configured');

    // desired_config '' → unconfigured
    await call(`${s.cfsUrl}/cfs/v3/components/x1000c0s0b0n0`, { method: 'PATCH', json: { desired_config: '' } });
    expect((await get())[0].configuration_status).toBe('unconfigured');
    expect(s.cfsCalls().filter((c) => c.method === 'PATCH').map((c) => c.ids)).toEqual([['x1000c0s0b0n0', 'x1000c0s0b0n1'], ['x1000c0s0b0n0', 'x1000c0s0b0n1'], ['x1000c0s0b0n0']]);
    expect(s.cfsCalls()[0]!.patch).toEqual({ desired_config: 'cfg-v2', enabled: false, state: [], tags: { bos_session: 'S1' } });
  });

  it('a node that is off does not configure until it has booted', async () => {
    const s = await sim({ nodes: 2, initialPower: 'Off', timings: { configure: 5, powerOn: 1, boot: 1 }, manualClock: true });
    const single = await call(`${s.cfsUrl}/cfs/v3/components/x1000c0s0b0n0`, { method: 'PATCH', json: { desired_config: 'cfg', enabled: true } });
    expect(single.status).toBe(200);
    expect(single.body.configuration_status).toBe('pending');
    s.advance(6); // past the moment a booted node would have been configured
    expect(s.node('x1000c0s0b0n0').configStatus).toBe('pending');
    await call(`${s.bssUrl}/boot/v1/bootparameters`, { method: 'PUT', json: { hosts: ['x1000c0s0b0n0'], ...artifacts } });
    await redfishFor(s, 'x1000c0s0b0n0').reset('On');
    s.advance(2); // powered on and booting: the boot script is fetched over HTTP, in real time
    await waitFor('booted', () => s.node('x1000c0s0b0n0').bootCount === 1);
    expect(s.node('x1000c0s0b0n0').configStatus).toBe('pending');
    s.advance(6);
    expect(s.node('x1000c0s0b0n0').configStatus).toBe('configured');
    expect(s.node('x1000c0s0b0n0').bootCount).toBe(1);
  });

  it('cfs_fails: configuration ends failed with error_count 1', async () => {
    const s = await sim({ nodes: 2, timings: { configure: 5 }, faults: [{ kind: 'cfs_fails', xnames: ['x1000c0s0b0n1'] }] });
    await call(`${s.cfsUrl}/cfs/v3/components`, { method: 'PATCH', json: { patch: { desired_config: 'cfg', enabled: true }, filters: { ids: 'x1000c0s0b0n0,x1000c0s0b0n1' } } });
    await waitFor('failed', () => s.node('x1000c0s0b0n1').configStatus === 'failed');
    await waitFor('the healthy node configured', () => s.node('x1000c0s0b0n0').configStatus === 'configured');
    const c = (await call(`${s.cfsUrl}/cfs/v3/components/x1000c0s0b0n1`)).body;
    expect(c.error_count).toBe(1);
    expect(c.state[0].status).toBe('failed');
    expect((await call(`${s.cfsUrl}/cfs/v3/components?status=failed`)).body.components.map((x: any) => x.id)).toEqual(['x1000c0s0b0n1']);
  });

  it('cfs_held: configuration stays pending while held and completes once released', async () => {
    const s = await sim({ nodes: 2, timings: { configure: 5 }, manualClock: true, faults: [{ kind: 'cfs_held', xnames: ['x1000c0s0b0n1'] }] });
    await call(`${s.cfsUrl}/cfs/v3/components`, { method: 'PATCH', json: { patch: { desired_config: 'cfg', enabled: true }, filters: { ids: 'x1000c0s0b0n0,x1000c0s0b0n1' } } });
    s.advance(30);
    expect(s.node('x1000c0s0b0n0').configStatus).toBe('configured');
    expect(s.node('x1000c0s0b0n1').configStatus).toBe('pending');
    s.setFault('cfs_held', ['x1000c0s0b0n1'], false);
    s.advance(5);
    expect(s.node('x1000c0s0b0n1').configStatus).toBe('configured');
  });

  it('rejects bad patches with 400', async () => {
    const s = await sim({ nodes: 2 });
    const bad = [
      { patch: { desired_config: 3 }, filters: { ids: 'x1000c0s0b0n0' } },
      { patch: { configuration_status: 'configured' }, filters: { ids: 'x1000c0s0b0n0' } },
      { patch: { enabled: true } },
      { patch: { enabled: true }, filters: {} },
    ];
    for (const json of bad) {
      const r = await call(`${s.cfsUrl}/cfs/v3/components`, { method: 'PATCH', json });
      expect(r.status, JSON.stringify(json)).toBe(400);
    }
    expect(s.node('x1000c0s0b0n0').cfs.enabled).toBe(false);
  });
});
