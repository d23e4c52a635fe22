/** bosctl's tenant registry, the migration that keys templates and sessions by (tenant, name), and --tenant in both backends. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { RemoteBackend } from '../../src/client/remote-backend.js';
import { createTenant, deleteTenant, updateTenant } from '../../src/services/tenants.js';
import { seed, startApi, templateBody, XNAMES, type Harness } from '../api/helpers.js';
import { bosctl, dump, removeTmpDirs } from '../cli/helpers.js';

afterAll(() => removeTmpDirs());

describe('migration to tenant keys', () => {
  it('keeps every template and session and lets the same name exist per tenant', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosctl-tenant-mig-'));
    try {
      const path = join(dir, 'bosd.db');
      const tenantMigration = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE tenants'));
      const db = new Database(path);
      for (let v = 0; v < tenantMigration; v++) db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${tenantMigration}`);
      db.prepare("INSERT INTO templates (name, tenant, body, created_at, updated_at) VALUES ('t1', NULL, '{\"name\":\"t1\",\"boot_sets\":{}}', 'a', 'a'), ('t2', 'blue', '{\"name\":\"t2\",\"tenant\":\"blue\",\"boot_sets\":{}}', 'a', 'a')").run();
      db.prepare("INSERT INTO sessions (name, tenant, operation, template_name, stage, include_disabled, status, start_time, max_failures) VALUES ('s1', NULL, 'reboot', 't1', 1, 0, 'complete', '2025-01-01T00:00:00Z', '3')").run();
      db.close();
      const store = Store.open(path);
      try {
        expect(store.templates.get('t1')?.name).toBe('t1');
        expect(store.templates.get('t2', 'blue')?.tenant).toBe('blue');
        expect(store.templates.get('t2')).toBeUndefined();
        expect(store.sessions.get('s1')).toMatchObject({ name: 's1', template_name: 't1', status: { status: 'complete' } });
        expect(store.sessions.control('s1').max_failures).toBe('3');
        store.write(() => store.templates.put({ name: 't1', tenant: 'red', boot_sets: {} }, 'b'));
        expect(store.templates.list().map((t) => `${t.tenant ?? ''}/${t.name}`)).toEqual(['/t1', 'red/t1', 'blue/t2']);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tenant registry', () => {
  let h: Harness;
  beforeEach(async () => { h = await startApi(); });
  afterEach(async () => { await h.close(); });

  it('resolves --nodes to xnames when set, from groups, roles, nids and hostlists', () => {
    const t = createTenant(h.ctx(), { name: 'blue', nodes: 'nid[000001-000002],gpu' });
    expect(t.xnames).toEqual([XNAMES[0], XNAMES[1], XNAMES[6], XNAMES[7]]);
    expect(t.nodes).toBe('nid[000001-000002],gpu');
    expect(updateTenant(h.ctx(), { name: 'blue', nodes: 'Compute,!gpu' }).xnames).toEqual(XNAMES.slice(0, 6));
  });

  it('refuses a node another tenant owns, names no node, or an unknown name — and stores nothing', () => {
    createTenant(h.ctx(), { name: 'blue', nodes: 'gpu' });
    const before = JSON.stringify(h.store.tenants.list());
    expect(() => createTenant(h.ctx(), { name: 'red', nodes: XNAMES[7] })).toThrow(/already belong to tenant "blue": x1000c0s3b0n1/);
    expect(() => createTenant(h.ctx(), { name: 'red', nodes: 'nosuchgroup' })).toThrow(/nosuchgroup/);
    expect(() => createTenant(h.ctx(), { name: 'blue', nodes: XNAMES[0] })).toThrow(/already exists/);
    expect(() => createTenant(h.ctx(), { name: 'bad name', nodes: XNAMES[0] })).toThrow(/invalid tenant name/);
    expect(JSON.stringify(h.store.tenants.list())).toBe(before);
  });

  it('deletes a tenant in use only with force', () => {
    createTenant(h.ctx(), { name: 'blue', nodes: 'gpu' });
    h.store.write(() => h.store.templates.put({ name: 'x', tenant: 'blue', boot_sets: {} }, 'now'));
    expect(() => deleteTenant(h.ctx(), 'blue')).toThrow(/still has 1 template/);
    expect(deleteTenant(h.ctx(), 'blue', true).name).toBe('blue');
    expect(h.store.tenants.get('blue')).toBeUndefined();
  });
});

describe('--tenant behaves the same in the local and the remote backend', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi();
    createTenant(h.ctx(), { name: 'blue', nodes: 'x1000c0s[0-1]b0n[0-1]' });
    createTenant(h.ctx(), { name: 'red', nodes: 'x1000c0s[2-3]b0n[0-1]' });
  });
  afterEach(async () => { await h.close(); });

  it('templates, components and sessions: the same answers', async () => {
    const actor = { user: 'tester', via: 'test' };
    const local = (tenant?: string) => new LocalBackend(h.dbPath, actor, () => new Date(h.clock.ms), tenant ? { tenant } : {});
    const remote = (tenant?: string) => new RemoteBackend({ server: h.url, token: h.admin, ...(tenant ? { tenant } : {}) });
    const backends = { local, remote };
    const seen: Record<string, unknown> = {};
    for (const [kind, make] of Object.entries(backends)) {
      const blue = make('blue');
      const red = make('red');
      await blue.createTemplate(`t-${kind}`, templateBody({ description: 'blue' }));
      await red.createTemplate(`t-${kind}`, templateBody({ description: 'red' }));
      const created = await blue.createSession({ name: `s-${kind}`, template_name: `t-${kind}`, operation: 'reboot', stage: true });
      seen[kind] = {
        blueTemplate: (await blue.getTemplate(`t-${kind}`)).description,
        redTemplate: (await red.getTemplate(`t-${kind}`)).description,
        blueList: [...new Set((await blue.listTemplates()).map((t) => t.tenant))],
        blueComponents: (await blue.listComponents({})).map((c) => c.id),
        staged: created.nodes,
        redSession: await red.getSession(`s-${kind}`).then(() => 'found', (e: { code: string }) => e.code),
        unknown: await make('green').listComponents({}).then(() => 'ok', (e: { code: string }) => e.code),
        foreign: await blue.getComponent(XNAMES[7]).then(() => 'ok', (e: { code: string }) => e.code),
      };
      blue.close(); red.close();
    }
    expect(seen.local).toEqual({
      blueTemplate: 'blue', redTemplate: 'red', blueList: ['blue'], blueComponents: XNAMES.slice(0, 4), staged: XNAMES.slice(0, 4),
      redSession: 'BOS_SESSION_NOT_FOUND', unknown: 'BOS_TENANT_INVALID', foreign: 'BOS_COMPONENT_NOT_FOUND',
    });
    expect(seen.remote).toEqual(seen.local);
  });
});

describe('bosctl --tenant and BOSCTL_TENANT (spawned, local database)', () => {
  it('confine the command, and an unknown tenant exits 2 changing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bosctl-tenant-cli-'));
    try {
      const db = join(dir, 'bosd.db');
      const store = Store.open(db);
      try {
        await seed({ store, actor: { user: 't', via: 't' }, now: () => new Date() });
      } finally { store.close(); }
      const env = { BOSCTL_DB: db };
      expect((await bosctl(['tenant', 'create', 'blue', '--nodes', 'x1000c0s0b0n[0-1]'], { env })).code).toBe(0);
      const flag = await bosctl(['--tenant', 'blue', 'component', 'list', '-o', 'name'], { env });
      expect(flag.stdout.trim().split('\n')).toEqual([XNAMES[0], XNAMES[1]]);
      const fromEnv = await bosctl(['component', 'list', '-o', 'name'], { env: { ...env, BOSCTL_TENANT: 'blue' } });
      expect(fromEnv.stdout).toBe(flag.stdout);
      const before = dump(db);
      const bad = await bosctl(['sessiontemplate', 'delete', 'compute-v2', '--tenant', 'green'], { env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('tenant "green" does not exist');
      expect(dump(db)).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('completion of tenant names', () => {
  it('completes --tenant and tenant describe from the database', async () => {
    const { completionsFor } = await import('../../src/cli/completion/complete.js');
    const { buildProgram } = await import('../../src/cli/program.js');
    const { createDeps } = await import('../../src/cli/context.js');
    const { createTestIo } = await import('../../src/cli/io.js');
    const h = await startApi();
    try {
      createTenant(h.ctx(), { name: 'blue', nodes: XNAMES[0], description: 'team blue' });
      createTenant(h.ctx(), { name: 'black', nodes: XNAMES[1] });
      const env = { XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config', BOSCTL_DB: h.dbPath };
      const values = async (words: string[]) => (await completionsFor(buildProgram(createDeps(createTestIo(), env)), words, env)).candidates.map((c) => c.value).sort();
      expect(await values(['--tenant', 'bl'])).toEqual(['black', 'blue']);
      expect(await values(['tenant', 'describe', 'blu'])).toEqual(['blue']);
    } finally {
      await h.close();
    }
  });
});
