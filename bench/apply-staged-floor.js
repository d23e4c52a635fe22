#!/usr/bin/env node
// `bosctl apply-staged` of N staged nodes beside the same work in raw SQL (better-sqlite3 alone:
// read every row, update each, one event each, one commit), each in its own process on a fresh
// copy of the same database: how far apply-staged is from what SQLite itself needs here.
//   node bench/apply-staged-floor.js [--nodes 10000] [--runs 3]
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allNodes, bosctlSync, machineLine, median, root, stageRollout, startSimProcess, tempDir } from './lib.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

if (process.argv[2] === '--raw') {
  // The child: the same rows and events as apply-staged, with nothing of bosctl around them.
  const Database = createRequire(import.meta.url)(join(root, 'node_modules', 'better-sqlite3'));
  const db = new Database(process.argv[3]);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const ids = db.prepare("SELECT id FROM components WHERE staged_session <> ''").pluck().all();
  const read = db.prepare('SELECT * FROM components WHERE id IN (SELECT value FROM json_each(?))');
  const update = db.prepare("UPDATE components SET rev = rev + 1, enabled = 1, desired_state = ?, staged_state = '{}', last_action = ?, session = ? WHERE id = ?");
  const event = db.prepare("INSERT INTO events (at, kind, subject, action, detail, actor, via) VALUES (?, 'component', ?, 'apply_staged', ?, 'bench', 'raw SQL')");
  const at = new Date().toISOString();
  const t0 = performance.now();
  db.transaction(() => {
    for (const r of read.all(JSON.stringify(ids))) {
      update.run(r.staged_state, JSON.stringify({ action: 'apply_staged', failed: false, last_updated: at }), r.staged_session, r.id);
      event.run(at, r.id, JSON.stringify({ session: r.staged_session }));
    }
  }).immediate();
  process.stdout.write(`${ids.length} ${(performance.now() - t0).toFixed(1)}`);
  db.close();
  process.exit(0);
}

const nodes = Number(arg('--nodes', '10000'));
const runs = Number(arg('--runs', '3'));
const dir = tempDir('bosctl-apply-floor-');
const inventory = join(dir, 'inventory.json');
const sim = await startSimProcess({ nodes, timeScale: 1, inventory, credentialsFile: join(dir, 'credentials.json') });
await sim.stop();
const staged = join(dir, 'staged.db');
stageRollout(staged, inventory);

/** A fresh copy of the staged database (bosctl checkpoints its WAL into it when it closes). */
function fresh() {
  const db = join(dir, 'run.db');
  for (const x of ['', '-wal', '-shm']) rmSync(db + x, { force: true });
  copyFileSync(staged, db);
  return db;
}

console.log(machineLine());
const bosctlMs = [];
const rawMs = [];
const rawTxMs = [];
for (let i = 0; i < runs; i++) {
  bosctlMs.push(bosctlSync(fresh(), ['apply-staged', allNodes(nodes), '-q']).ms);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--raw', fresh()], { encoding: 'utf8' });
  rawMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.status !== 0) throw new Error(`raw SQL child failed: ${r.stderr}`);
  const [count, txMs] = r.stdout.split(' ').map(Number);
  if (count !== nodes) throw new Error(`raw SQL child applied ${count} nodes, expected ${nodes}`);
  rawTxMs.push(txMs);
}
const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
console.log(`bosctl apply-staged of ${nodes} nodes (process wall): ${list(bosctlMs)} ms (median ${median(bosctlMs).toFixed(0)})`);
console.log(`raw SQL, same rows and events (process wall): ${list(rawMs)} ms (median ${median(rawMs).toFixed(0)}); its transaction ${list(rawTxMs)} ms`);
console.log(`ratio of the medians: ${(median(bosctlMs) / median(rawMs)).toFixed(2)}×`);
