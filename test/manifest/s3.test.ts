/**
 * The S3 client against a real S3-compatible server on 127.0.0.1 (@20minutes/s3rver, which
 * checks Signature V4 itself), and the S3 configuration file.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BosError } from '../../src/core/errors.js';
import { S3Client, S3Error, loadS3Config, parseS3Url, s3ConfigCandidates } from '../../src/integrations/s3.js';
import { BUCKET, closedPort, startS3, type TestS3 } from './helpers.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
  await s3.put('img/manifest.json', '{"artifacts": []}');
  await s3.put('img/dir with spaces/a+b=c&d.txt', 'odd key');
  await s3.put('img/big', 'x'.repeat(5000));
});
afterAll(async () => { await s3?.close(); });

async function s3ErrorOf(p: Promise<unknown>): Promise<S3Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as S3Error;
  }
  throw new Error('expected an S3Error');
}

describe('S3Client.getObject', () => {
  it('reads an object with a SigV4-signed GET the server accepts, with its ETag', async () => {
    const obj = await s3.client().getObject(BUCKET, 'img/manifest.json');
    expect(obj.body.toString()).toBe('{"artifacts": []}');
    expect(obj.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(obj.size).toBe(17);
  });

  it('keys with spaces and reserved characters are encoded as the server signs them', async () => {
    const obj = await s3.client().getObject(BUCKET, 'img/dir with spaces/a+b=c&d.txt');
    expect(obj.body.toString()).toBe('odd key');
  });

  it('an object bigger than maxBytes is not read', async () => {
    const obj = await s3.client().getObject(BUCKET, 'img/big', { maxBytes: 1000 });
    expect(obj.tooLarge).toBe(true);
    expect(obj.size).toBe(5000);
    expect(obj.body.length).toBe(0);
  });

  it('a missing key: 404 NoSuchKey, naming the bucket and the key', async () => {
    const e = await s3ErrorOf(s3.client().getObject(BUCKET, 'img/none.json'));
    expect(e.notFound).toBe(true);
    expect(e.status).toBe(404);
    expect(e.s3Code).toBe('NoSuchKey');
    expect(e.message).toBe(`S3 ${s3.endpoint}: bucket "boot-images", key "img/none.json": answered 404 Not Found: NoSuchKey: The specified key does not exist.`);
  });

  it('a missing bucket: NoSuchBucket', async () => {
    const e = await s3ErrorOf(s3.client().getObject('no-bucket', 'k'));
    expect(e.notFound).toBe(true);
    expect(e.s3Code).toBe('NoSuchBucket');
  });

  it('a wrong secret: 403 SignatureDoesNotMatch, and the secret is not in the message', async () => {
    const e = await s3ErrorOf(s3.client({ secretKey: 'not-the-secret' }).getObject(BUCKET, 'img/manifest.json'));
    expect(e.status).toBe(403);
    expect(e.s3Code).toBe('SignatureDoesNotMatch');
    expect(e.badCredentials).toBe(true);
    expect(e.message).toMatch(/^S3 http:\/\/127\.0\.0\.1:\d+: bucket "boot-images", key "img\/manifest\.json": answered 403 Forbidden: SignatureDoesNotMatch: The request signature we calculated does not match/);
    expect(e.message).not.toContain('not-the-secret');
    expect(JSON.stringify(e)).not.toContain('not-the-secret');
  });

  it('an unknown access key: 403 InvalidAccessKeyId', async () => {
    const e = await s3ErrorOf(s3.client({ accessKey: 'NOBODY' }).getObject(BUCKET, 'img/manifest.json'));
    expect(e.s3Code).toBe('InvalidAccessKeyId');
    expect(e.badCredentials).toBe(true);
  });

  it('an endpoint where nothing listens: a connect error naming bucket and key, retried per the policy', async () => {
    const port = await closedPort();
    const c = new S3Client({ endpoint: `http://127.0.0.1:${port}`, accessKey: 'a', secretKey: 'secret-xyz', retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 1 } });
    try {
      const e = await s3ErrorOf(c.getObject(BUCKET, 'img/manifest.json'));
      expect(e.unreachable).toBe(true);
      expect(e.kind).toBe('connect');
      expect(e.attempts).toBe(2);
      expect(e.message).toMatch(new RegExp(`^S3 http://127\\.0\\.0\\.1:${port}: bucket "boot-images", key "img/manifest\\.json": GET http://127\\.0\\.0\\.1:${port}/boot-images/img/manifest\\.json failed: cannot connect \\(.*ECONNREFUSED.*\\) \\(after 2 attempts\\)$`));
    } finally {
      await c.close();
    }
  });

  it('never shows the secret key: not in toJSON, not in util.inspect', () => {
    const c = new S3Client({ endpoint: 'http://127.0.0.1:9', accessKey: 'AK', secretKey: 'very-secret-key' });
    expect(JSON.stringify(c)).not.toContain('very-secret-key');
    expect(inspect(c, { depth: 5 })).not.toContain('very-secret-key');
    void c.close();
  });
});

describe('parseS3Url (BOS S3Url)', () => {
  it('bucket is the host part; key the path without leading slashes, a query kept in the key', () => {
    expect(parseS3Url('s3://boot-images/abc/manifest.json')).toEqual({ bucket: 'boot-images', key: 'abc/manifest.json' });
    expect(parseS3Url('s3://b//k?v=1')).toEqual({ bucket: 'b', key: 'k?v=1' });
    expect(parseS3Url('s3://b/a#b')).toEqual({ bucket: 'b', key: 'a#b' });
  });
  it('refuses other schemes and missing parts', () => {
    expect(() => parseS3Url('https://b/k')).toThrow('is not an s3:// URL');
    expect(() => parseS3Url('s3:///k')).toThrow('names no bucket');
    expect(() => parseS3Url('s3://b/')).toThrow('names no object key');
  });
});

describe('loadS3Config', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'bosctl-s3cfg-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string, mode = 0o600): string {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  }

  async function bosErrorOf(p: Promise<unknown>): Promise<BosError> {
    try { await p; } catch (e) { expect(e).toBeInstanceOf(BosError); expect((e as Error).message).not.toMatch(/\n/); return e as BosError; }
    throw new Error('expected a BosError');
  }

  it('reads YAML from BOSCTL_S3_CONFIG', async () => {
    const p = write('a.yaml', 'endpoint: http://rgw-vip.nmn\nregion: default\naccess_key: AK\nsecret_key: SK\n');
    expect(await loadS3Config({ BOSCTL_S3_CONFIG: p })).toEqual({ path: p, endpoint: 'http://rgw-vip.nmn', region: 'default', access_key: 'AK', secret_key: 'SK' });
  });

  it('reads JSON; region defaults to us-east-1', async () => {
    const p = write('b.json', '{"endpoint": "https://s3.example.com:9000", "access_key": "AK", "secret_key": "SK"}');
    expect((await loadS3Config({ BOSCTL_S3_CONFIG: p })).region).toBe('us-east-1');
  });

  it('falls back to $XDG_CONFIG_HOME/bosctl/s3.yaml, then /etc/bosd/s3.yaml', async () => {
    const xdg = join(dir, 'xdg');
    write('xdg/bosctl/s3.yaml', 'endpoint: http://127.0.0.1:1\naccess_key: AK\nsecret_key: SK\n');
    expect((await loadS3Config({ XDG_CONFIG_HOME: xdg })).path).toBe(join(xdg, 'bosctl', 's3.yaml'));
    expect(s3ConfigCandidates({ XDG_CONFIG_HOME: '/x' })).toEqual(['/x/bosctl/s3.yaml', '/etc/bosd/s3.yaml']);
    expect(s3ConfigCandidates({ HOME: '/home/u' })).toEqual(['/home/u/.config/bosctl/s3.yaml', '/etc/bosd/s3.yaml']);
    expect(s3ConfigCandidates({ BOSCTL_S3_CONFIG: '/a/s3.json', XDG_CONFIG_HOME: '/x' })).toEqual(['/a/s3.json']);
  });

  it('refuses a file others can read', async () => {
    const p = write('open.yaml', 'endpoint: http://x\naccess_key: AK\nsecret_key: SK\n', 0o644);
    const e = await bosErrorOf(loadS3Config({ BOSCTL_S3_CONFIG: p }));
    expect(e.code).toBe('BOS_FILE_UNREADABLE');
    expect(e.message).toBe(`the S3 configuration file ${p} is readable by others (mode 644): it holds the secret key; run chmod 600 ${p}`);
  });

  it('a missing BOSCTL_S3_CONFIG file is an error, not a fallback', async () => {
    const e = await bosErrorOf(loadS3Config({ BOSCTL_S3_CONFIG: join(dir, 'none.yaml'), XDG_CONFIG_HOME: join(dir, 'xdg') }));
    expect(e.message).toBe(`the S3 configuration file ${join(dir, 'none.yaml')} (BOSCTL_S3_CONFIG) cannot be read: no such file`);
  });

  it('bad content: one line, never quoting the secret', async () => {
    const cases: Array<[string, RegExp]> = [
      ['endpoint: http://x\naccess_key: AK\n', /"secret_key" is missing/],
      ['endpoint: ftp://x\naccess_key: AK\nsecret_key: TOPSECRET\n', /"endpoint" must use http or https/],
      ['endpoint: http://x\naccess_key: AK\nsecret_key: TOPSECRET\nbucket: b\n', /unknown key "bucket"/],
      ['endpoint: http://x\naccess_key: AK\nsecret_key: "TOPSECRET\n', /not valid YAML or JSON/],
      ['- TOPSECRET\n', /expected a mapping/],
    ];
    for (const [i, [text, want]] of cases.entries()) {
      const p = write(`bad${i}.yaml`, text);
      const e = await bosErrorOf(loadS3Config({ BOSCTL_S3_CONFIG: p }));
      expect(e.code).toBe('BOS_FILE_INVALID');
      expect(e.message).toMatch(want);
      expect(e.message).not.toContain('TOPSECRET');
    }
  });
});
