/**
 * bosd.yaml image_dirs reaches every API request (createApi sets ctx.imageDirs): without it
 * no file:// manifest is read through the API; with it, files inside those directories are.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/server.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { importInventory } from '../../src/services/inventory.js';
import { createTemplate } from '../../src/services/templates.js';
import { createToken } from '../../src/services/tokens.js';
import { Store } from '../../src/store/store.js';
import { imsManifest } from '../manifest/helpers.js';
import { suiteDatabase } from '../store/engines.js';

let dir: string;
let images: string;
let store: Store;
let admin: string;
const servers: Server[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosctl-imagedirs-'));
  images = join(dir, 'images');
  mkdirSync(images);
  writeFileSync(join(images, 'manifest.json'), imsManifest('local', { omit: ['params'] }));
  store = Store.open(suiteDatabase(dir));
  const ctx = { store, actor: { user: 't', via: 't' }, now: () => new Date() };
  importInventory(ctx, [normalizeInventoryRecord({ xname: 'x1000c0s0b0n0', nid: 1, role: 'Compute' }, 'n1')]);
  createTemplate(ctx, 'local', { boot_sets: { compute: { path: join(images, 'manifest.json'), type: 'file', node_list: ['x1000c0s0b0n0'] } } } as never);
  admin = createToken(ctx, { role: 'admin' }).secret;
});

afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function validity(imageDirs: string[] | undefined): Promise<unknown> {
  const server = createServer(createApi({ store, now: () => new Date(), version: '0.1.0', onChange() {}, log() {}, ...(imageDirs ? { imageDirs } : {}) }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const r = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/v2/sessiontemplatesvalid/local`, { headers: { authorization: `Bearer ${admin}` } });
  return r.json();
}

describe('image_dirs through the API', () => {
  it('not set: a file:// manifest is refused', async () => {
    const r = JSON.stringify(await validity(undefined));
    expect(r).toMatch(/refused/);
    expect(r).not.toBe(JSON.stringify('Valid'));
  });

  it('set to its directory: the manifest is read', async () => {
    expect(await validity([images])).toBe('Valid');
  });
});
