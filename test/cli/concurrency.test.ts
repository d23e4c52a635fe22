/**
 * Many bosctl processes on one SQLite file at once, as Slurm's RebootProgram runs it: every
 * one succeeds (no SQLITE_BUSY), and every change is recorded exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { V2_KERNEL, XNAMES, bosctl, dump, json, ok, removeTmpDirs, seeded, tmpDb } from './helpers.js';

afterAll(removeTmpDirs);

const nid = (i: number) => `nid${String(i).padStart(6, '0')}`;

describe('concurrency', () => {
  it('50 concurrent apply-staged processes on 16 staged nodes all succeed and are all recorded', async () => {
    const t = await seeded();
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'all', '--name', 'up'], { db: t.db });
    const eventsBefore = dump(t.db).tables.events.filter((e) => e.action === 'apply_staged').length;
    expect(eventsBefore).toBe(0);

    // One nid each, cycling over the 16 nodes (so each is applied 3 or 4 times).
    const targets = Array.from({ length: 50 }, (_, i) => nid((i % 16) + 1));
    // Spawn all before awaiting any.
    const runs = targets.map((n) => bosctl(['-o', 'json', 'apply-staged', n], { db: t.db }));
    const results = await Promise.all(runs);

    let succeeded = 0;
    results.forEach((r, i) => {
      const detail = `${targets[i]}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.code, detail).toBe(0);
      expect(r.stdout + r.stderr, detail).not.toMatch(/SQLITE_BUSY|locked/i);
      expect(r.stderr, detail).toBe('');
      const report = JSON.parse(r.stdout);
      expect(report, detail).toEqual({ succeeded: [XNAMES[i % 16]], failed: [], ignored: [] });
      succeeded += report.succeeded.length;
    });
    expect(succeeded).toBe(50);

    const comps = await json<any[]>(['component', 'list'], { db: t.db });
    expect(comps.map((c) => c.id)).toEqual(XNAMES);
    for (const c of comps) {
      expect(c.desired_state.boot_artifacts?.kernel, c.id).toBe(V2_KERNEL);
      expect(c.enabled, c.id).toBe(true);
      expect(c.last_action.action, c.id).toBe('apply_staged');
    }

    const d = dump(t.db);
    const applied = d.tables.events.filter((e) => e.action === 'apply_staged');
    expect(applied).toHaveLength(succeeded);
    const perNode = new Map<string, number>();
    for (const e of applied) perNode.set(String(e.subject), (perNode.get(String(e.subject)) ?? 0) + 1);
    for (let i = 0; i < 16; i++) {
      const want = targets.filter((n) => n === nid(i + 1)).length;
      expect(perNode.get(XNAMES[i]) ?? 0, XNAMES[i]).toBe(want);
    }
    expect(d.tables.events.filter((e) => e.action === 'apply_staged_failed')).toEqual([]);
  });

  it('20 concurrent first-time opens of a fresh database all succeed', async () => {
    const t = tmpDb();
    // A write that changes nothing: read commands never create a database.
    const results = await Promise.all(Array.from({ length: 20 }, () => bosctl(['-o', 'json', 'options', 'update', 'polling_frequency=15'], { db: t.db })));
    const first = results[0];
    results.forEach((r, i) => {
      const detail = `process ${i}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.code, detail).toBe(0);
      expect(r.stderr, detail).toBe('');
      expect(r.stdout, detail).toBe(first.stdout);
    });
    expect(JSON.parse(first.stdout)).toMatchObject({ polling_frequency: 15, max_boot_wait_time: 1200 });
    // The same schema as one process opening a fresh database alone.
    const alone = tmpDb();
    await ok(['options', 'update', 'polling_frequency=15'], { db: alone.db });
    const d = dump(t.db);
    const ref = dump(alone.db);
    expect(d.user_version).toBeGreaterThan(0);
    expect(d.user_version).toBe(ref.user_version);
    expect(d.schema).toEqual(ref.schema);
    // The same tables; their rows differ only by the events of 20 writes instead of one.
    expect(Object.keys(d.tables)).toEqual(Object.keys(ref.tables));
    expect(d.tables.options).toEqual(ref.tables.options);
    expect(Object.keys(d.tables)).toEqual(expect.arrayContaining(['components', 'events', 'nodes', 'options', 'sessions', 'templates']));
    // The database works afterwards.
    await ok(['options', 'update', 'polling_frequency=30'], { db: t.db });
    expect((await json(['options', 'list'], { db: t.db })).polling_frequency).toBe(30);
  });

  it('20 concurrent first-time writers (inventory import) on a fresh database all succeed', async () => {
    const t = tmpDb();
    const files = Array.from({ length: 20 }, (_, i) => t.file(`n${i}.csv`, `xname,nid\nx2000c0s${i}b0n0,${1000 + i}\n`));
    const results = await Promise.all(files.map((f) => bosctl(['inventory', 'import', f], { db: t.db })));
    results.forEach((r, i) => {
      expect(r.code, `process ${i}: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/SQLITE_BUSY|locked/i);
    });
    const nodes = await json<any[]>(['inventory', 'list'], { db: t.db });
    expect(nodes).toHaveLength(20);
  });
});
