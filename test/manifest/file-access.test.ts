/**
 * file:// image manifests (issue 13, item 6): through bosd's API only inside image_dirs
 * (symlinks resolved), regular files only, size-capped with a bounded read, a FIFO never
 * hangs a read, and no byte of the file in any error. Service level: a ServiceContext with
 * imageDirs, as createApi gives its requests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BosError } from '../../src/core/errors.js';
import { MAX_MANIFEST_BYTES } from '../../src/core/manifest.js';
import type { BootSet, SessionTemplate } from '../../src/core/types.js';
import { readManifest, resolveBootSet } from '../../src/services/artifacts.js';
import type { ServiceContext } from '../../src/services/context.js';
import { createTemplate, templateCheck } from '../../src/services/templates.js';
import { createSession } from '../../src/services/sessions.js';
import { importInventory } from '../../src/services/inventory.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { Store } from '../../src/store/store.js';
import { INITRD, KERNEL, PARAMS, imsManifest } from './helpers.js';

const SECRET = 'root:$6$Zx9SECRETHASH:19000:0:99999:7:::';

let root: string;
let images: string;
let outside: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bosctl-fileaccess-'));
  images = join(root, 'images');
  outside = join(root, 'private');
  mkdirSync(images);
  mkdirSync(outside);
  mkdirSync(join(images, 'sub'));
  writeFileSync(join(images, 'manifest.json'), imsManifest('local', { omit: ['params'] }));
  writeFileSync(join(outside, 'manifest.json'), imsManifest('private', { omit: ['params'] }));
  writeFileSync(join(outside, 'shadow'), `${SECRET}\n`);
  writeFileSync(join(images, 'shadow-copy'), `${SECRET}\n`);
  symlinkSync(join(outside, 'manifest.json'), join(images, 'escape.json'));
  symlinkSync(join(images, 'manifest.json'), join(images, 'alias.json'));
  // A manifest inside image_dirs whose boot parameters are a file outside: never read.
  writeFileSync(join(images, 'leaky.json'), JSON.stringify({ artifacts: [
    { type: KERNEL, link: { path: '/k', etag: 'k' } },
    { type: INITRD, link: { path: '/i', etag: 'i' } },
    { type: PARAMS, link: { path: join(outside, 'shadow'), etag: 'p' } },
  ] }));
  writeFileSync(join(images, 'huge.json'), '');
  truncateSync(join(images, 'huge.json'), 64 * 1_048_576);
  execFileSync('mkfifo', [join(images, 'fifo.json')]);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function bootSet(path: string): BootSet {
  return { path, type: 'file', node_list: ['x1000c0s0b0n0'] };
}

async function errorOf(p: Promise<unknown>): Promise<BosError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BosError);
    const err = e as BosError;
    expect(err.message).not.toMatch(/\n/);
    for (const piece of ['root:', '$6$', 'SECRETHASH']) {
      expect(err.message).not.toContain(piece);
      expect(err.hint ?? '').not.toContain(piece);
    }
    return err;
  }
  throw new Error('expected a BosError');
}

const api = (dirs: string[]) => ({ actualStateTtl: '4h', imageDirs: dirs });

describe('through the API (imageDirs set): only inside image_dirs', () => {
  it('reads a manifest inside, by path, file:// URL or a symlink that stays inside', async () => {
    for (const p of [join(images, 'manifest.json'), pathToFileURL(join(images, 'manifest.json')).href, join(images, 'alias.json')]) {
      const r = await resolveBootSet('compute', bootSet(p), api([images]));
      expect(r.boot_artifacts.kernel).toBe('s3://boot-images/local/kernel');
    }
  });

  it('refuses a file outside, with a hint naming image_dirs, and does not say whether it exists', async () => {
    const there = await errorOf(resolveBootSet('compute', bootSet(join(outside, 'shadow')), api([images])));
    const missing = await errorOf(resolveBootSet('compute', bootSet(join(outside, 'nope')), api([images])));
    expect(there.code).toBe('BOS_FILE_UNREADABLE');
    expect(there.message).toBe(`boot set "compute": image manifest ${join(outside, 'shadow')} cannot be read: refused: bosd reads files only inside its image directories (${images})`);
    expect(there.hint).toMatch(/"image_dirs" in bosd\.yaml/);
    expect(missing.message.replace(join(outside, 'nope'), 'P')).toBe(there.message.replace(join(outside, 'shadow'), 'P'));
  });

  it('refuses /etc/shadow and .. tricks', async () => {
    for (const p of ['/etc/shadow', 'file:///etc/shadow', `${images}/../private/shadow`]) {
      const e = await errorOf(resolveBootSet('compute', bootSet(p), api([images])));
      expect(e.message).toMatch(/refused: bosd reads files only inside its image directories/);
    }
  });

  it('refuses a symlink inside that points outside (symlinks are resolved)', async () => {
    const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'escape.json')), api([images])));
    expect(e.message).toMatch(/refused/);
  });

  it('an empty image_dirs refuses every file:// manifest, naming the setting', async () => {
    const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'manifest.json')), api([])));
    expect(e.message).toMatch(/refused: bosd reads no local files for API callers: image_dirs is not set$/);
    expect(e.hint).toMatch(/image_dirs/);
  });

  it('the boot-parameters object of a manifest inside is held to the same rule', async () => {
    const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'leaky.json')), api([images])));
    expect(e.message).toMatch(/the image's boot parameters .* cannot be read: refused/);
  });
});

describe('in every case (also the local CLI, imageDirs undefined)', () => {
  for (const viaApi of [false, true]) {
    // A getter: `images` is set in beforeAll, after the tests are collected.
    const opts = () => ({ actualStateTtl: '4h', ...(viaApi ? { imageDirs: [images] } : {}) });
    const label = viaApi ? 'API' : 'CLI';

    it(`${label}: a FIFO is refused at once, never read (no hang)`, async () => {
      const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'fifo.json')), opts()));
      expect(e.message).toMatch(/cannot be read: it is a FIFO, not a regular file$/);
    });

    it(`${label}: a directory is refused`, async () => {
      const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'sub')), opts()));
      expect(e.message).toMatch(/it is a directory, not a regular file$/);
    });

    it(`${label}: a 64 MiB file is refused by its size, unread`, async () => {
      const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'huge.json')), opts()));
      expect(e.message).toMatch(new RegExp(`is 67108864 bytes, too big for an image manifest \\(at most ${MAX_MANIFEST_BYTES}\\)`));
    });

    it(`${label}: a file that is not JSON says where, never what`, async () => {
      const e = await errorOf(resolveBootSet('compute', bootSet(join(images, 'shadow-copy')), opts()));
      expect(e.message).toBe(`boot set "compute": image manifest ${join(images, 'shadow-copy')} is not a valid image manifest (JSON): unexpected character at line 1, column 1`);
    });
  }

  it('CLI: a device (/dev/zero) is refused, nothing read', async () => {
    const e = await errorOf(readManifest('/dev/zero'));
    expect(e.message).toBe('image manifest /dev/zero cannot be read: it is a device, not a regular file');
  });

  it('CLI: the local CLI reads anywhere it may (no image_dirs)', async () => {
    const r = await readManifest(join(outside, 'manifest.json'));
    expect(r.scheme).toBe('file');
  });
});

describe('services with a ServiceContext: imageDirs reaches every read', () => {
  let store: Store;
  const ctxWith = (imageDirs?: string[]): ServiceContext => ({
    store, actor: { user: 'test', via: 'test' }, now: () => new Date('2025-03-01T12:00:00Z'), ...(imageDirs ? { imageDirs } : {}),
  });
  const template = (path: string): SessionTemplate => ({ name: 't', boot_sets: { compute: { path, type: 'file', node_list: ['x1000c0s0b0n0'] } } } as SessionTemplate);

  beforeAll(() => {
    store = Store.open(join(root, 'svc.db'));
    importInventory(ctxWith(), [normalizeInventoryRecord({ xname: 'x1000c0s0b0n0', nid: 1 }, 'seed')]);
  });
  afterAll(() => store?.close());

  it('sessiontemplate validate (templateCheck) refuses outside, reads inside', async () => {
    const out = await templateCheck(ctxWith([images]), template(join(outside, 'manifest.json')));
    expect(out.join('\n')).toMatch(/refused: bosd reads files only inside its image directories/);
    expect(await templateCheck(ctxWith([images]), template(join(images, 'manifest.json')))).toEqual([]);
    expect((await templateCheck(ctxWith([]), template(join(images, 'manifest.json')))).join('\n')).toMatch(/image_dirs is not set/);
  });

  it('session create reads the template\'s manifest under the same rule', async () => {
    createTemplate(ctxWith(), 'outside', { boot_sets: { compute: { path: join(outside, 'manifest.json'), type: 'file', node_list: ['x1000c0s0b0n0'] } } }, true);
    const e = await errorOf(createSession(ctxWith([images]), { name: 's1', template_name: 'outside', operation: 'reboot', stage: true }));
    expect(e.message).toMatch(/refused/);
    // The local CLI (no imageDirs) may.
    await createSession(ctxWith(), { name: 's2', template_name: 'outside', operation: 'reboot', stage: true });
  });
});

describe('bosd\'s API (createApi): image_dirs reaches the requests', () => {
  async function serve(imageDirs: string[] | undefined) {
    const { createServer } = await import('node:http');
    const { createApi } = await import('../../src/api/server.js');
    const { createToken } = await import('../../src/services/tokens.js');
    const dbDir = mkdtempSync(join(tmpdir(), 'bosctl-fileapi-'));
    const store = Store.open(join(dbDir, 'bosd.db'));
    const now = () => new Date('2025-03-01T12:00:00Z');
    const handler = createApi({ store, now, version: '0.1.0', onChange() {}, log() {}, isTrustedSocket: () => false, ...(imageDirs ? { imageDirs } : {}) });
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v2`;
    const token = createToken({ store, actor: { user: 't', via: 't' }, now }, { role: 'admin' }).secret;
    const check = async (path: string): Promise<string> => {
      const body = { name: 't', boot_sets: { compute: { path, type: 'file', node_list: ['x1000c0s0b0n0'] } } };
      const res = await fetch(`${url}/sessiontemplatesvalid`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return JSON.stringify(await res.json());
    };
    const close = async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      store.close();
      rmSync(dbDir, { recursive: true, force: true });
    };
    return { check, close };
  }

  it('without image_dirs, bosd reads no file:// manifest for an API caller', async () => {
    const api = await serve(undefined);
    try {
      const answer = await api.check(join(images, 'manifest.json'));
      expect(answer).toMatch(/image_dirs is not set/);
      const shadow = await api.check(join(outside, 'shadow'));
      expect(shadow).not.toContain('SECRETHASH');
    } finally {
      await api.close();
    }
  });

  it('with image_dirs, a manifest inside is read and one outside refused', async () => {
    const api = await serve([images]);
    try {
      expect(await api.check(join(images, 'manifest.json'))).not.toMatch(/refused|image manifest/);
      expect(await api.check(join(outside, 'manifest.json'))).toMatch(/refused: bosd reads files only inside its image directories/);
    } finally {
      await api.close();
    }
  });
});
