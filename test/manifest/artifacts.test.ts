/**
 * resolveBootSet / resolveTemplate: BOS-style boot sets against a real S3-compatible server on
 * 127.0.0.1, plus http:// and file:// manifests (bosctl's extension) and kernel/initrd boot
 * sets. Expected kernel parameter strings are written out from BOS's rules (see
 * kernel-params.test.ts for the rule each piece comes from).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BosError } from '../../src/core/errors.js';
import type { BootSet, SessionTemplate } from '../../src/core/types.js';
import { S3Client } from '../../src/integrations/s3.js';
import { readManifest, resolveBootSet, resolveTemplate } from '../../src/services/artifacts.js';
import { BUCKET, INITRD, KERNEL, PARAMS, ROOTFS, closedPort, imsManifest, startS3, type TestS3 } from './helpers.js';

const SBPS_PT = 'sbps:v1:iqn.2023-06.csm.iscsi:_sbps-hsn._tcp.my-system.my-site-domain:300';
const IMAGE_PARAMS = 'console=ttyS0,115200 bad_page=panic crashkernel=360M hugepagelist=2m-2g intel_iommu=off intel_pstate=disable iommu.passthrough=on numa_interleave_omit=headless oops=panic pageblock_order=14 rd.neednet=1 rd.retry=10 rd.shell split_lock_detect=off systemd.unified_cgroup_hierarchy=1 ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN}\n';

let s3: TestS3;
let s3c: S3Client;
let manifestEtag: string;
let dir: string;
let http: Server;
let httpBase: string;
let httpHits = 0;

beforeAll(async () => {
  s3 = await startS3();
  s3c = s3.client();
  manifestEtag = await s3.put('img1/manifest.json', imsManifest('img1'));
  await s3.put('img1/boot_parameters', IMAGE_PARAMS);
  await s3.put('noinitrd/manifest.json', imsManifest('noinitrd', { omit: ['initrd', 'params'] }));
  await s3.put('noparams/manifest.json', imsManifest('noparams', { omit: ['params'] }));
  await s3.put('lostparams/manifest.json', imsManifest('lostparams'));
  await s3.put('nullparams/manifest.json', JSON.stringify({ artifacts: [
    { type: KERNEL, link: { path: 's3://boot-images/n/kernel', etag: 'k' } },
    { type: INITRD, link: { path: 's3://boot-images/n/initrd', etag: 'i' } },
    { type: PARAMS, link: { path: 's3://boot-images/n/boot_parameters', etag: null } },
  ] }));
  await s3.put('notjson/manifest.json', '<?xml version="1.0"?><html/>');
  await s3.put('nokernel/manifest.json', imsManifest('nokernel', { omit: ['kernel'] }));
  await s3.put('huge/manifest.json', Buffer.alloc(1_048_577, 0x20));

  dir = mkdtempSync(join(tmpdir(), 'bosctl-artifacts-'));
  writeFileSync(join(dir, 'manifest.json'), imsManifest('local', { omit: ['params'] }));
  writeFileSync(join(dir, 'with-params.json'), JSON.stringify({ artifacts: [
    { type: KERNEL, link: { path: '/srv/images/v2/kernel', etag: 'k' } },
    { type: INITRD, link: { path: '/srv/images/v2/initrd', etag: 'i' } },
    { type: PARAMS, link: { path: pathToFileURL(join(dir, 'params.txt')).href, etag: 'p' } },
  ] }));
  writeFileSync(join(dir, 'params.txt'), 'console=ttyS0 quiet\n');
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x6f, 0x6e, 0x73, 0x6f, 0x6c, 0x65, 0x3d, 0xe9]));
  writeFileSync(join(dir, 'bad-params.json'), JSON.stringify({ artifacts: [
    { type: KERNEL, link: { path: '/k', etag: 'k' } },
    { type: PARAMS, link: { path: join(dir, 'latin1.txt'), etag: 'p' } },
  ] }));

  http = createServer((req, res) => {
    httpHits++;
    if (req.url === '/images/v3/manifest.json') {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"abc123"' });
      res.end(imsManifest('v3', { omit: ['params'] }));
    } else if (req.url === '/images/v3/noetag.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(imsManifest('v3', { omit: ['params'] }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpBase = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
});

afterAll(async () => {
  await s3?.close();
  await new Promise((r) => http?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A boot set as CSM's BOS templates have them (V2BootSet). */
function csmBootSet(path: string, extra: Partial<BootSet> = {}): BootSet {
  return {
    name: 'compute',
    path,
    type: 's3',
    kernel_parameters: 'ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN}',
    node_roles_groups: ['Compute'],
    arch: 'X86',
    rootfs_provider: 'sbps',
    rootfs_provider_passthrough: SBPS_PT,
    ...extra,
  };
}

async function bosErrorOf(p: Promise<unknown>): Promise<BosError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BosError);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as BosError;
  }
  throw new Error('expected a BosError');
}

const M1 = 's3://boot-images/img1/manifest.json';

describe('resolveBootSet: BOS boot sets with S3 manifests', () => {
  it('gives kernel, initrd and the exact kernel parameters BOS would write', async () => {
    const r = await resolveBootSet('compute', csmBootSet(M1, { etag: manifestEtag }), { s3: s3c, actualStateTtl: '4h' });
    expect(r.boot_artifacts).toEqual({
      kernel: 's3://boot-images/img1/kernel',
      initrd: 's3://boot-images/img1/initrd',
      kernel_parameters:
        // 1. the image's parameters, split and re-joined
        'console=ttyS0,115200 bad_page=panic crashkernel=360M hugepagelist=2m-2g intel_iommu=off intel_pstate=disable iommu.passthrough=on numa_interleave_omit=headless oops=panic pageblock_order=14 rd.neednet=1 rd.retry=10 rd.shell split_lock_detect=off systemd.unified_cgroup_hierarchy=1 ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN}'
        // 2. the boot set's kernel_parameters, verbatim
        + ' ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN}'
        // 3. root= and nmd_data= from sbps, the rootfs link and the passthrough
        + ' root=sbps-s3:s3://boot-images/img1/rootfs:rootfs-etag-img1:' + SBPS_PT
        + ' nmd_data=url=s3://boot-images/img1/rootfs,etag=rootfs-etag-img1'
        // 4. bos_update_frequency
        + ' bos_update_frequency=4h',
    });
    expect(r.rootfs).toBe('s3://boot-images/img1/rootfs');
    expect(r.manifest).toBe(M1);
    expect(r.manifest_etag).toBe(manifestEtag);
    expect(r.warnings).toEqual([]);
  });

  it('takes the S3 client from a function, called once', async () => {
    const make = vi.fn(async () => s3c);
    const r = await resolveBootSet('compute', csmBootSet(M1), { s3: make, actualStateTtl: '1d' });
    expect(r.boot_artifacts.kernel_parameters.endsWith(' bos_update_frequency=1d')).toBe(true);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it('no rootfs_provider: no root= and no nmd_data=', async () => {
    const bs = csmBootSet('s3://boot-images/noparams/manifest.json', { rootfs_provider: undefined, rootfs_provider_passthrough: undefined, kernel_parameters: 'quiet' });
    delete bs.rootfs_provider;
    delete bs.rootfs_provider_passthrough;
    const r = await resolveBootSet('compute', bs, { s3: s3c, actualStateTtl: '4h' });
    expect(r.boot_artifacts.kernel_parameters).toBe('quiet bos_update_frequency=4h');
  });

  it('a boot-parameters artifact whose etag is null is not read (BOS skips it)', async () => {
    const bs: BootSet = { path: 's3://boot-images/nullparams/manifest.json', type: 's3', kernel_parameters: 'quiet', node_list: ['x1000c0s0b0n0'] };
    const r = await resolveBootSet('compute', bs, { s3: s3c, actualStateTtl: '4h' });
    expect(r.boot_artifacts).toEqual({ kernel: 's3://boot-images/n/kernel', initrd: 's3://boot-images/n/initrd', kernel_parameters: 'quiet bos_update_frequency=4h' });
  });

  it('no initrd: a warning and an empty initrd, as BOS\'s validation says', async () => {
    const r = await resolveBootSet('compute', csmBootSet('s3://boot-images/noinitrd/manifest.json'), { s3: s3c, actualStateTtl: '4h' });
    expect(r.boot_artifacts.initrd).toBe('');
    expect(r.warnings).toEqual(['boot set "compute": image manifest s3://boot-images/noinitrd/manifest.json has no initrd artifact (type application/vnd.cray.image.initrd): the nodes get an empty initrd']);
  });
});

describe('resolveBootSet: each bad input is one line naming the boot set and the path', () => {
  const opts = () => ({ s3: s3c, actualStateTtl: '4h' });

  it('manifest missing (404)', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet('s3://boot-images/none/manifest.json'), opts()));
    expect(e.code).toBe('BOS_FILE_UNREADABLE');
    expect(e.message).toBe(`boot set "compute": image manifest s3://boot-images/none/manifest.json does not exist (S3 ${s3.endpoint}: bucket "boot-images", key "none/manifest.json": answered 404 Not Found: NoSuchKey: The specified key does not exist.)`);
  });

  it('manifest not JSON', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet('s3://boot-images/notjson/manifest.json'), opts()));
    expect(e.code).toBe('BOS_TEMPLATE_INVALID');
    expect(e.message).toBe('boot set "compute": image manifest s3://boot-images/notjson/manifest.json is not a valid image manifest (JSON): unexpected character at line 1, column 1');
  });

  it('manifest bigger than 1 MiB', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet('s3://boot-images/huge/manifest.json'), opts()));
    expect(e.message).toBe('boot set "compute": image manifest s3://boot-images/huge/manifest.json is 1048577 bytes, too big for an image manifest (at most 1048576): is the path that of the manifest?');
  });

  it('no kernel artifact', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet('s3://boot-images/nokernel/manifest.json'), opts()));
    expect(e.code).toBe('BOS_TEMPLATE_INVALID');
    expect(e.message).toBe('boot set "compute": image manifest s3://boot-images/nokernel/manifest.json has no kernel artifact (type application/vnd.cray.image.kernel)');
  });

  it('etag mismatch (quotes of S3\'s ETag stripped before comparing)', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1, { etag: '0123456789abcdef0123456789abcdef' }), opts()));
    expect(e.code).toBe('BOS_TEMPLATE_INVALID');
    expect(e.message).toBe(`boot set "compute": image manifest ${M1} has ETag "${manifestEtag}", and the boot set's etag is "0123456789abcdef0123456789abcdef": the manifest changed since the template was written`);
  });

  it('S3 unreachable', async () => {
    const port = await closedPort();
    const c = new S3Client({ endpoint: `http://127.0.0.1:${port}`, accessKey: 'S3RVER', secretKey: 'S3RVER', retry: { attempts: 1 } });
    try {
      const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1), { s3: c, actualStateTtl: '4h' }));
      expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
      expect(e.message).toMatch(new RegExp(`^boot set "compute": image manifest ${M1} cannot be read: S3 is unreachable: S3 http://127\\.0\\.0\\.1:${port}: bucket "boot-images", key "img1/manifest\\.json": GET .* failed: cannot connect \\(.*ECONNREFUSED.*\\)$`));
    } finally {
      await c.close();
    }
  });

  it('wrong secret key (SignatureDoesNotMatch), the secret never shown', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1), { s3: s3.client({ secretKey: 'WRONG-SECRET' }), actualStateTtl: '4h' }));
    expect(e.code).toBe('BOS_FILE_UNREADABLE');
    expect(e.message).toMatch(/^boot set "compute": image manifest s3:\/\/boot-images\/img1\/manifest\.json cannot be read: S3 refused bosctl's credentials: S3 http:\/\/127\.0\.0\.1:\d+: bucket "boot-images", key "img1\/manifest\.json": answered 403 Forbidden: SignatureDoesNotMatch: /);
    expect(e.message + e.hint).not.toContain('WRONG-SECRET');
    expect(e.hint).toMatch(/access_key and secret_key/);
  });

  it('unknown access key (InvalidAccessKeyId)', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1), { s3: s3.client({ accessKey: 'NOBODY' }), actualStateTtl: '4h' }));
    expect(e.message).toMatch(/^boot set "compute": image manifest s3:\/\/boot-images\/img1\/manifest\.json cannot be read: S3 refused bosctl's credentials: .*InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records\.$/);
  });

  it('unknown type', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1, { type: 'ims' }), opts()));
    expect(e.code).toBe('BOS_TEMPLATE_INVALID');
    expect(e.message).toBe('boot set "compute": unknown type "ims" of image manifest s3://boot-images/img1/manifest.json: use "s3" (an s3://BUCKET/KEY path), or bosctl\'s "http" (an http(s):// URL) or "file" (a file:// URL or an absolute path)');
  });

  it('no type (BOS: "No path type set")', async () => {
    const bs = csmBootSet(M1);
    delete bs.type;
    expect((await bosErrorOf(resolveBootSet('compute', bs, opts()))).message).toBe('boot set "compute": image manifest path s3://boot-images/img1/manifest.json has no "type": add "type": "s3"');
  });

  it('a path that does not fit its type', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet('https://example.org/m.json'), opts()));
    expect(e.message).toBe('boot set "compute": image manifest path "https://example.org/m.json" does not fit "type": "s3": it must be an s3://BUCKET/KEY URL, or set "type" to "http"');
  });

  it('an unsupported rootfs_provider', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1, { rootfs_provider: 'dvs' }), opts()));
    expect(e.message).toBe('boot set "compute": unsupported rootfs_provider "dvs": use "sbps" or "cpss3", or leave rootfs_provider out');
  });

  it('no S3 configuration for an s3:// path', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1), { actualStateTtl: '4h' }));
    expect(e.message).toBe('boot set "compute": image manifest s3://boot-images/img1/manifest.json is in S3, and no S3 configuration was given');
    expect(e.hint).toMatch(/s3\.yaml/);
  });

  it('the S3 configuration cannot be loaded', async () => {
    const { loadS3Config } = await import('../../src/integrations/s3.js');
    const s3fn = async () => { await loadS3Config({ BOSCTL_S3_CONFIG: join(dir, 'missing-s3.yaml') }); return s3c; };
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(M1), { s3: s3fn, actualStateTtl: '4h' }));
    expect(e.message).toBe(`boot set "compute": image manifest ${M1} is in S3, and the S3 configuration file ${join(dir, 'missing-s3.yaml')} (BOSCTL_S3_CONFIG) cannot be read: no such file`);
  });

  it('the image\'s boot parameters object missing: names it and the manifest', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet('s3://boot-images/lostparams/manifest.json'), opts()));
    expect(e.code).toBe('BOS_FILE_UNREADABLE');
    expect(e.message).toMatch(/^boot set "compute": the image's boot parameters s3:\/\/boot-images\/lostparams\/boot_parameters \(from image manifest s3:\/\/boot-images\/lostparams\/manifest\.json\) does not exist \(.*NoSuchKey.*\)$/);
  });

  it('boot parameters that are not UTF-8 (BOS decodes with utf-8)', async () => {
    const bs: BootSet = { path: join(dir, 'bad-params.json'), type: 'file', node_list: ['x1000c0s0b0n0'] };
    const e = await bosErrorOf(resolveBootSet('compute', bs, opts()));
    expect(e.message).toBe(`boot set "compute": the image's boot parameters ${join(dir, 'latin1.txt')} (from image manifest ${join(dir, 'bad-params.json')}) is not UTF-8 text`);
  });
});

describe('resolveBootSet: file and http manifests (bosctl\'s extension)', () => {
  it('a file:// manifest; its etag is the MD5 of the file, as S3 gives a one-part object', async () => {
    const path = pathToFileURL(join(dir, 'manifest.json')).href;
    const md5 = createHash('md5').update(imsManifest('local', { omit: ['params'] })).digest('hex');
    const r = await resolveBootSet('compute', csmBootSet(path, { type: 'file', etag: md5 }), { actualStateTtl: '4h' });
    expect(r.boot_artifacts.kernel).toBe('s3://boot-images/local/kernel');
    expect(r.manifest_etag).toBe(md5);
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(path, { type: 'file', etag: 'nope' }), { actualStateTtl: '4h' }));
    expect(e.message).toBe(`boot set "compute": image manifest ${path} has ETag "${md5}", and the boot set's etag is "nope": the manifest changed since the template was written`);
  });

  it('a plain absolute path, with a file boot-parameters object', async () => {
    const bs: BootSet = { path: join(dir, 'with-params.json'), type: 'file', kernel_parameters: 'ip=dhcp', node_list: ['x1000c0s0b0n0'] };
    const r = await resolveBootSet('compute', bs, { actualStateTtl: '4h' });
    expect(r.boot_artifacts).toEqual({ kernel: '/srv/images/v2/kernel', initrd: '/srv/images/v2/initrd', kernel_parameters: 'console=ttyS0 quiet ip=dhcp bos_update_frequency=4h' });
  });

  it('a missing file', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(join(dir, 'nope.json'), { type: 'file' }), { actualStateTtl: '4h' }));
    expect(e.message).toBe(`boot set "compute": image manifest ${join(dir, 'nope.json')} does not exist (no such file ${join(dir, 'nope.json')})`);
  });

  it('an http:// manifest, its ETag checked', async () => {
    const url = `${httpBase}/images/v3/manifest.json`;
    const r = await resolveBootSet('compute', csmBootSet(url, { type: 'http', etag: 'abc123' }), { actualStateTtl: '4h' });
    expect(r.boot_artifacts.kernel).toBe('s3://boot-images/v3/kernel');
    expect(r.boot_artifacts.kernel_parameters).toBe('ip=dhcp quiet spire_join_token=${SPIRE_JOIN_TOKEN} root=sbps-s3:s3://boot-images/v3/rootfs:rootfs-etag-v3:'
      + SBPS_PT + ' nmd_data=url=s3://boot-images/v3/rootfs,etag=rootfs-etag-v3 bos_update_frequency=4h');
  });

  it('an http:// manifest without an ETag: a warning when the boot set has an etag', async () => {
    const url = `${httpBase}/images/v3/noetag.json`;
    const r = await resolveBootSet('compute', csmBootSet(url, { type: 'http', etag: 'abc123' }), { actualStateTtl: '4h' });
    expect(r.warnings).toEqual([`boot set "compute": image manifest ${url} has no ETag to check the boot set's etag "abc123" against`]);
  });

  it('an http:// manifest missing (404), and an http server that is down', async () => {
    const url = `${httpBase}/images/none.json`;
    expect((await bosErrorOf(resolveBootSet('compute', csmBootSet(url, { type: 'http' }), { actualStateTtl: '4h' }))).message)
      .toBe(`boot set "compute": image manifest ${url} does not exist (GET ${url} answered 404)`);
    const down = `http://127.0.0.1:${await closedPort()}/m.json`;
    const e = await bosErrorOf(resolveBootSet('compute', csmBootSet(down, { type: 'http' }), { actualStateTtl: '4h' }));
    expect(e.code).toBe('BOS_SERVER_UNREACHABLE');
    expect(e.message).toMatch(new RegExp(`^boot set "compute": image manifest ${down.replace(/\./g, '\\.')} cannot be read: cannot connect \\(.*ECONNREFUSED.*\\)$`));
  });
});

describe('resolveBootSet: kernel/initrd boot sets (bosctl\'s extension)', () => {
  it('resolve without I/O; kernel parameters still end with bos_update_frequency', async () => {
    const s3fn = vi.fn(async () => { throw new Error('must not be called'); });
    const r = await resolveBootSet('compute', {
      kernel: 's3://boot-images/v2/kernel', initrd: 's3://boot-images/v2/initrd', kernel_parameters: 'console=ttyS0 quiet', node_roles_groups: ['Compute'],
    }, { s3: s3fn, actualStateTtl: '4h' });
    expect(r).toEqual({
      boot_artifacts: { kernel: 's3://boot-images/v2/kernel', initrd: 's3://boot-images/v2/initrd', kernel_parameters: 'console=ttyS0 quiet bos_update_frequency=4h' },
      warnings: [],
    });
    expect(s3fn).not.toHaveBeenCalled();
  });

  it('with rootfs_provider sbps there is no rootfs to name: an error, as in BOS', async () => {
    const e = await bosErrorOf(resolveBootSet('compute', { kernel: '/k', initrd: '/i', rootfs_provider: 'sbps', node_list: ['x1000c0s0b0n0'] }, { actualStateTtl: '4h' }));
    expect(e.message).toMatch(/^boot set "compute": rootfs_provider "sbps" needs the image's root filesystem/);
  });
});

describe('resolveTemplate', () => {
  const template = (sets: Record<string, BootSet>): SessionTemplate => ({ name: 't', enable_cfs: false, boot_sets: sets });

  it('resolves every boot set; boot sets naming the same manifest share one read', async () => {
    const spy = vi.spyOn(s3c, 'getObject');
    try {
      const out = await resolveTemplate(template({
        compute: csmBootSet(M1, { etag: manifestEtag }),
        gpu: csmBootSet(M1, { node_roles_groups: ['Application'], kernel_parameters: 'nvidia' }),
        direct: { kernel: '/k', initrd: '/i', node_list: ['x1000c0s0b0n0'] },
      }), 'reboot', { s3: s3c, actualStateTtl: '4h' });
      expect([...out.keys()]).toEqual(['compute', 'gpu', 'direct']);
      expect(out.get('gpu')!.boot_artifacts.kernel_parameters).toContain(' nvidia root=sbps-s3:');
      expect(out.get('direct')!.boot_artifacts.kernel_parameters).toBe('bos_update_frequency=4h');
      const manifestReads = spy.mock.calls.filter(([, key]) => key === 'img1/manifest.json');
      expect(manifestReads.length).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('shutdown: empty artifacts, nothing read', async () => {
    const s3fn = vi.fn(async () => s3c);
    const out = await resolveTemplate(template({ compute: csmBootSet('s3://boot-images/none/manifest.json') }), 'shutdown', { s3: s3fn, actualStateTtl: '4h' });
    expect(out.get('compute')).toEqual({ boot_artifacts: { kernel: '', initrd: '', kernel_parameters: '' }, warnings: [] });
    expect(s3fn).not.toHaveBeenCalled();
  });

  it('only the boot sets asked for (BOS resolves only boot sets with nodes)', async () => {
    const out = await resolveTemplate(template({
      compute: csmBootSet(M1),
      broken: csmBootSet('s3://boot-images/none/manifest.json'),
    }), 'boot', { s3: s3c, actualStateTtl: '4h', bootSets: ['compute'] });
    expect([...out.keys()]).toEqual(['compute']);
  });

  it('the first failing boot set in template order is the error', async () => {
    const e = await bosErrorOf(resolveTemplate(template({
      a: csmBootSet(M1),
      b: csmBootSet('s3://boot-images/nokernel/manifest.json'),
      c: csmBootSet('s3://boot-images/none/manifest.json'),
    }), 'boot', { s3: s3c, actualStateTtl: '4h' }));
    expect(e.message).toMatch(/^boot set "b": /);
  });
});

describe('readManifest (bosctl image inspect)', () => {
  it('reads and parses without the boot rules; the scheme follows the path', async () => {
    const r = await readManifest('s3://boot-images/nokernel/manifest.json', { s3: s3c });
    expect(r.scheme).toBe('s3');
    expect(r.manifest.artifacts.map((a) => a.type)).toEqual([INITRD, ROOTFS, PARAMS]);
    expect(r.etag).toMatch(/^[0-9a-f]{32}$/);
  });

  it('errors name the manifest without a boot set', async () => {
    const e = await bosErrorOf(readManifest(`s3://${BUCKET}/none.json`, { s3: s3c }));
    expect(e.message).toMatch(/^image manifest s3:\/\/boot-images\/none\.json does not exist \(/);
    const rel = await bosErrorOf(readManifest('relative/m.json'));
    expect(rel.message).toBe('image manifest path "relative/m.json" is not an s3://, http(s)://, file:// URL or an absolute path');
  });
});
