#!/usr/bin/env node
// The PostgreSQL engine's cost per statement and per transaction, beside SQLite's, on a
// throwaway server (src/testbed/postgres.ts): what one synchronous round trip through the
// worker thread costs (see docs/postgresql.md).
//
//   node bench/pg-roundtrip.js [--n 2000]
import { loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newComponent } from '../dist/core/component.js';
import { Store } from '../dist/store/store.js';
import { startPostgres } from '../dist/testbed/postgres.js';

const i = process.argv.indexOf('--n');
const n = i >= 0 ? Number(process.argv[i + 1]) : 2000;
const actor = { user: 'bench', via: 'bench' };

function measure(s) {
  const per = (label, count, fn) => {
    const t = performance.now();
    fn();
    return [label, ((performance.now() - t) * 1000 / count)];
  };
  s.write(() => { for (let k = 0; k < 100; k++) s.components.put(newComponent(`x1c0s${k}b0n0`)); });
  const rows = [];
  rows.push(per('read: one get (µs a statement)', n, () => s.read(() => { for (let k = 0; k < n; k++) s.components.revisionOf('x1c0s1b0n0'); })));
  rows.push(per('read transaction with one get (µs a transaction)', n / 4, () => { for (let k = 0; k < n / 4; k++) s.read(() => s.components.revisionOf('x1c0s1b0n0')); }));
  rows.push(per('write transaction: put + event (µs a transaction)', n / 4, () => {
    for (let k = 0; k < n / 4; k++) s.write(() => { const c = newComponent(`x1c0s${k % 100}b0n0`); s.components.put(c); s.events.record('2026-01-01T00:00:00Z', 'component', c.id, 'bench', {}, actor); });
  }));
  rows.push(per('one write of 100 × (put + event) (µs a node)', n, () => {
    for (let b = 0; b < n / 100; b++) s.write(() => { for (let k = 0; k < 100; k++) { const c = newComponent(`x1c0s${k}b0n0`); s.components.put(c); s.events.record('2026-01-01T00:00:00Z', 'component', c.id, 'bench', {}, actor); } });
  }));
  rows.push(per('writeEach of 100 items, each put + event (µs an item)', n, () => {
    for (let b = 0; b < n / 100; b++) s.writeEach(Array.from({ length: 100 }, (_, k) => () => { const c = newComponent(`x1c0s${k}b0n0`); s.components.put(c); s.events.record('2026-01-01T00:00:00Z', 'component', c.id, 'bench', {}, actor); }));
  }));
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'bosctl-bench-pg-'));
const pg = await startPostgres();
try {
  const before = loadavg().map((l) => l.toFixed(2)).join(', ');
  const sqlite = Store.open(join(dir, 'bosd.db'));
  const a = measure(sqlite);
  sqlite.close();
  const results = {};
  for (const [label, url] of [['postgres (unix socket)', pg.socketUrl(await pg.createDatabase())], ['postgres (TCP 127.0.0.1)', pg.url(await pg.createDatabase())]]) {
    const s = Store.open(url);
    results[label] = measure(s);
    s.close();
  }
  console.log(`| figure | SQLite | ${Object.keys(results).join(' | ')} |`);
  console.log(`|---|---|${Object.keys(results).map(() => '---|').join('')}`);
  for (let r = 0; r < a.length; r++) console.log(`| ${a[r][0]} | ${a[r][1].toFixed(1)} | ${Object.values(results).map((x) => x[r][1].toFixed(1)).join(' | ')} |`);
  console.log(`load average before: ${before}; after: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
} finally {
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
