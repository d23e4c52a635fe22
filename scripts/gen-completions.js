#!/usr/bin/env node
// Writes the shell completion scripts completions/bosctl.bash, completions/_bosctl (zsh) and
// completions/bosctl.fish: the same text `bosctl completion SHELL` prints. The scripts ask
// `bosctl __complete` for every word, so commands, flags and choices come from the command
// definitions behind --help. Needs dist/ (npm run completions builds first).
//
//   node scripts/gen-completions.js [--out DIR]     (default DIR: completions/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCRIPT_FILES, SHELLS, completionScript } from '../dist/cli/completion/scripts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  let out = join(root, 'completions');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = resolve(argv[++i]);
    else throw new Error(`usage: gen-completions.js [--out DIR] (unexpected ${argv[i]})`);
  }
  return out;
}

export function generate(outDir) {
  mkdirSync(outDir, { recursive: true });
  return SHELLS.map((shell) => {
    const file = join(outDir, SCRIPT_FILES[shell]);
    writeFileSync(file, completionScript(shell));
    return file;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of generate(parseArgs(process.argv.slice(2)))) process.stdout.write(`wrote ${f}\n`);
}
