/**
 * `bosctl image inspect`, spawned as a user runs it (bin/bosctl.js on dist/: build first),
 * against a local manifest file and one in an S3-compatible server on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bosctl } from '../cli/helpers.js';
import { ACCESS_KEY, INITRD, KERNEL, PARAMS, ROOTFS, SECRET_KEY, imsManifest, startS3, type TestS3 } from './helpers.js';

let s3: TestS3;
let dir: string;
let config: string;
let s3Etag: string;
const localText = imsManifest('local');

beforeAll(async () => {
  s3 = await startS3();
  s3Etag = await s3.put('img9/manifest.json', imsManifest('img9', { omit: ['params'] }));
  await s3.put('nokernel/manifest.json', imsManifest('nokernel', { omit: ['kernel'] }));
  dir = mkdtempSync(join(tmpdir(), 'bosctl-image-'));
  writeFileSync(join(dir, 'manifest.json'), localText);
  config = join(dir, 's3.yaml');
  writeFileSync(config, `endpoint: ${s3.endpoint}\nregion: us-east-1\naccess_key: ${ACCESS_KEY}\nsecret_key: ${SECRET_KEY}\n`);
  chmodSync(config, 0o600);
});

afterAll(async () => {
  await s3?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ BOSCTL_S3_CONFIG: config });

describe('bosctl image inspect', () => {
  it('a local manifest: a table of type, path and etag', async () => {
    const r = await bosctl(['image', 'inspect', join(dir, 'manifest.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE +PATH +ETAG$/);
    expect(lines.slice(1).map((l) => l.split(/ +/))).toEqual([
      [KERNEL, 's3://boot-images/local/kernel', 'kernel-etag-local'],
      [INITRD, 's3://boot-images/local/initrd', 'initrd-etag-local'],
      [ROOTFS, 's3://boot-images/local/rootfs', 'rootfs-etag-local'],
      [PARAMS, 's3://boot-images/local/boot_parameters', 'params-etag-local'],
    ]);
  });

  it('a relative path is read from the current directory; -o json gives the manifest with its path and ETag', async () => {
    const r = await bosctl(['image', 'inspect', 'manifest.json', '-o', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.path).toBe(join(dir, 'manifest.json'));
    expect(j.etag).toBe(createHash('md5').update(localText).digest('hex'));
    expect(j.version).toBe('1.0');
    expect(j.artifacts).toEqual(JSON.parse(localText).artifacts);
  });

  it('an S3 manifest, with the credentials of BOSCTL_S3_CONFIG; -o wide adds link type and md5', async () => {
    const r = await bosctl(['image', 'inspect', 's3://boot-images/img9/manifest.json', '-o', 'wide'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE +PATH +ETAG +LINK TYPE +MD5$/);
    expect(lines[1].split(/ +/)).toEqual([KERNEL, 's3://boot-images/img9/kernel', 'kernel-etag-img9', 's3', 'md5-kernel-img9']);
    expect(lines).toHaveLength(4);
    const j = JSON.parse((await bosctl(['image', 'inspect', 's3://boot-images/img9/manifest.json', '-o', 'json'], { env: env() })).stdout);
    expect(j.etag).toBe(s3Etag);
  });

  it('-o name prints the artifact paths', async () => {
    const r = await bosctl(['image', 'inspect', 's3://boot-images/img9/manifest.json', '-o', 'name'], { env: env() });
    expect(r.stdout).toBe('s3://boot-images/img9/kernel\ns3://boot-images/img9/initrd\ns3://boot-images/img9/rootfs\n');
  });

  it('a manifest a boot set could not use is shown, with the problem on stderr', async () => {
    const r = await bosctl(['image', 'inspect', 's3://boot-images/nokernel/manifest.json'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(INITRD);
    expect(r.stderr).toBe('warning: image manifest s3://boot-images/nokernel/manifest.json has no kernel artifact (type application/vnd.cray.image.kernel)\n');
  });

  it('a missing S3 object: exit 2, one line naming the path, bucket and key', async () => {
    const r = await bosctl(['image', 'inspect', 's3://boot-images/none/manifest.json'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^bosctl: image manifest s3:\/\/boot-images\/none\/manifest\.json does not exist \(S3 http:\/\/127\.0\.0\.1:\d+: bucket "boot-images", key "none\/manifest\.json": answered 404 Not Found: NoSuchKey: The specified key does not exist\.\) \(hint: /);
  });

  it('a wrong secret in the configuration: exit 2, SignatureDoesNotMatch, the secret not printed', async () => {
    const bad = join(dir, 'bad-s3.yaml');
    writeFileSync(bad, `endpoint: ${s3.endpoint}\naccess_key: ${ACCESS_KEY}\nsecret_key: NOT-THE-SECRET-0\n`);
    chmodSync(bad, 0o600);
    const r = await bosctl(['image', 'inspect', 's3://boot-images/img9/manifest.json', '-v'], { env: { BOSCTL_S3_CONFIG: bad } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be read: S3 refused bosctl's credentials: .*SignatureDoesNotMatch/);
    expect(r.stderr).toMatch(/\[BOS_FILE_UNREADABLE\]\n$/);
    expect(r.stderr).not.toContain('NOT-THE-SECRET-0');
  });

  it('a configuration file others can read is refused', async () => {
    const open = join(dir, 'open-s3.yaml');
    writeFileSync(open, `endpoint: ${s3.endpoint}\naccess_key: ${ACCESS_KEY}\nsecret_key: ${SECRET_KEY}\n`);
    chmodSync(open, 0o644);
    const r = await bosctl(['image', 'inspect', 's3://boot-images/img9/manifest.json'], { env: { BOSCTL_S3_CONFIG: open } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the S3 configuration file ${open} is readable by others (mode 644): it holds the secret key; run chmod 600 ${open}`);
  });

  it('a file that is not JSON: exit 2', async () => {
    writeFileSync(join(dir, 'junk.json'), 'kernel: /k\n');
    const r = await bosctl(['image', 'inspect', join(dir, 'junk.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^bosctl: image manifest ${join(dir, 'junk.json').replace(/[.]/g, '\\.')} is not a valid image manifest \\(JSON\\): unexpected character at line 1, column 1 \\(hint: `));
    expect(r.stderr).not.toContain('kernel: /k');
  });

  it('--help has Examples', async () => {
    const r = await bosctl(['image', 'inspect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Examples:$/m);
  });
});
