/**
 * An S3-compatible server on 127.0.0.1 for the manifest tests: @20minutes/s3rver (a
 * maintained fork of s3rver that verifies Signature V4 itself, so a wrong secret really gets
 * SignatureDoesNotMatch). Objects are uploaded with signed PUTs made by our own signer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: the package ships no type declarations
import S3rver from '@20minutes/s3rver';
import { S3Client } from '../../src/integrations/s3.js';
import { signRequest, uriEncode } from '../../src/integrations/sigv4.js';

/** s3rver's one account. */
export const ACCESS_KEY = 'S3RVER';
export const SECRET_KEY = 'S3RVER';
export const BUCKET = 'boot-images';

export const KERNEL = 'application/vnd.cray.image.kernel';
export const INITRD = 'application/vnd.cray.image.initrd';
export const ROOTFS = 'application/vnd.cray.image.rootfs.squashfs';
export const PARAMS = 'application/vnd.cray.image.parameters.boot';

export interface TestS3 {
  endpoint: string;
  dir: string;
  put(key: string, body: string | Buffer): Promise<string>;
  client(opts?: { accessKey?: string; secretKey?: string }): S3Client;
  close(): Promise<void>;
}

export async function startS3(): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(dir, 'data'),
    configureBuckets: [{ name: BUCKET }],
  });
  const info = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${info.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    dir,
    async put(key, body) {
      // Encoded as S3Client encodes paths (a raw "+" would be a space to the server).
      const url = new URL(`${endpoint}/${BUCKET}/${uriEncode(key, true)}`);
      const signed = signRequest(
        { method: 'PUT', url, body, headers: { 'content-type': 'application/octet-stream' } },
        { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
        { region: 'us-east-1', service: 's3', now: new Date() },
      );
      const { host: _host, ...headers } = signed.headers;
      const res = await fetch(url, { method: 'PUT', headers, body });
      if (res.status !== 200) throw new Error(`PUT ${key}: ${res.status} ${await res.text()}`);
      return (res.headers.get('etag') ?? '').replace(/"/g, '');
    },
    client(opts = {}) {
      const c = new S3Client({
        endpoint,
        accessKey: opts.accessKey ?? ACCESS_KEY,
        secretKey: opts.secretKey ?? SECRET_KEY,
        retry: { attempts: 1 },
        timeoutMs: 5_000,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A manifest as IMS writes it, for image ID `id` in BUCKET. */
export function imsManifest(id: string, opts: { etags?: Partial<Record<'kernel' | 'initrd' | 'rootfs' | 'params', string>>; omit?: Array<'kernel' | 'initrd' | 'rootfs' | 'params'> } = {}): string {
  const e = opts.etags ?? {};
  const all = [
    { role: 'kernel', type: KERNEL, key: 'kernel' },
    { role: 'initrd', type: INITRD, key: 'initrd' },
    { role: 'rootfs', type: ROOTFS, key: 'rootfs' },
    { role: 'params', type: PARAMS, key: 'boot_parameters' },
  ] as const;
  return JSON.stringify({
    version: '1.0',
    created: '2024-05-14 19:34:53.145245',
    artifacts: all.filter((a) => !(opts.omit ?? []).includes(a.role)).map((a) => ({
      link: { etag: e[a.role] ?? `${a.role}-etag-${id}`, path: `s3://${BUCKET}/${id}/${a.key}`, type: 's3' },
      md5: `md5-${a.role}-${id}`,
      type: a.type,
    })),
  }, null, 2);
}
