#!/usr/bin/env node
// Hostlist expansion and compression at 65,536 to 1,000,000 names (issue 15: linear, a million
// names well under a second). In process, on dist/ (npx tsc -p tsconfig.json first), median of
// RUNS runs each; then the same through the CLI (`bosctl hostlist`), one process a run.
// No goal is asserted: the figures are printed, as a markdown table, for bench/RESULTS.md.
//
//   node bench/hostlist.js            sizes 65,536, 131,072 and 1,000,000; 5 runs each
//   node bench/hostlist.js --quick    65,536 names, 2 runs (keeps the script from rotting)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BOSCTL, fmtMs, machineLine, markdownTable, median, root, row } from './lib.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 2 : 5;
const SIZES = quick ? [65_536] : [65_536, 131_072, 1_000_000];
const GOAL_MS = 1000;
const h = await import(pathToFileURL(join(root, 'dist', 'core', 'hostlist.js')).href);

/** nid[0000001-0065536,0065537-0131072,...]: Slurm allows at most 65,536 names a range. */
function nidExpression(n) {
  const spans = [];
  for (let lo = 1; lo <= n; lo += 65_536) spans.push(`${String(lo).padStart(7, '0')}-${String(Math.min(n, lo + 65_535)).padStart(7, '0')}`);
  return `nid[${spans.join(',')}]`;
}

function time(fn) {
  const times = [];
  let result;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    result = fn();
    times.push(performance.now() - start);
  }
  return { ms: median(times), result };
}

function shuffled(xs, seed = 15) {
  const out = xs.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const rows = [];
const perName = (ms, n) => `${((ms * 1e6) / n).toFixed(0)} ns a name`;
for (const n of SIZES) {
  const expr = nidExpression(n);
  const size = `${n.toLocaleString('en-US')} names`;
  const expand = time(() => h.expandHostlist(expr, n));
  if (expand.result.length !== n) throw new Error(`expanded ${expand.result.length} names, expected ${n}`);
  rows.push(row('expand (expandHostlist: parse, drop repeats, write names)', size, `${fmtMs(expand.ms)} (${perName(expand.ms, n)})`,
    { goal: n === 1_000_000 ? `< ${GOAL_MS} ms` : '', met: n === 1_000_000 ? expand.ms < GOAL_MS : undefined }));
  const names = expand.result;
  const compress = time(() => h.compressHostlist(names));
  rows.push(row('compress sorted names (compressHostlist)', size, `${fmtMs(compress.ms)} (${perName(compress.ms, n)}) → ${compress.result.length} characters`,
    { goal: n === 1_000_000 ? `< ${GOAL_MS} ms` : '', met: n === 1_000_000 ? compress.ms < GOAL_MS : undefined }));
  const mixed = shuffled(names);
  const compressMixed = time(() => h.compressHostlist(mixed));
  if (compressMixed.result !== compress.result) throw new Error('shuffled names compressed differently');
  rows.push(row('compress shuffled names (sorts them)', size, `${fmtMs(compressMixed.ms)} (${perName(compressMixed.ms, n)})`));
  const xnames = `x[1000-${999 + Math.round(n / 1000)}]c0s0b0n[0-999]`;
  const blocks = time(() => h.expandHostlist(xnames).length + h.compressHostlist(h.expandHostlist(xnames)).length);
  const count = h.expandHostlist(xnames).length;
  rows.push(row(`expand twice + compress ${xnames}`, `${count.toLocaleString('en-US')} names`, `${fmtMs(blocks.ms)} (${perName(blocks.ms, count)})`));
}

// The command, as an admin or a script runs it: one process, output to a pipe.
const n = SIZES[SIZES.length - 1];
const cli = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  const out = execFileSync(process.execPath, [BOSCTL, 'hostlist', 'expand', nidExpression(n)], { maxBuffer: 64 * 2 ** 20 });
  cli.push(performance.now() - start);
  if (out.length !== n * 11) throw new Error(`bosctl hostlist expand wrote ${out.length} bytes, expected ${n * 11}`);
}
rows.push(row('`bosctl hostlist expand` (whole process, names to a pipe)', `${n.toLocaleString('en-US')} names`, fmtMs(median(cli))));
const countStart = performance.now();
execFileSync(process.execPath, [BOSCTL, 'hostlist', 'count', 'x[1-1000]n[1-1000]']);
rows.push(row('`bosctl hostlist count x[1-1000]n[1-1000]` (no names written out)', '1,000,000 names', fmtMs(performance.now() - countStart)));

process.stdout.write(`## Hostlists (bench/hostlist.js${quick ? ' --quick' : ''})\n\n${machineLine()}; median of ${RUNS} runs.\n\n${markdownTable(rows)}\n`);
