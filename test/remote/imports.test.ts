/**
 * Cold start: `bosctl apply-staged` on a compute node loads the remote client, so the client's
 * static import graph holds no package (undici alone costs more than the whole command) and
 * nothing of the local backend; and the CLI loads either backend only when it is used.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/** Static (value) imports of a source file: `import type` and dynamic import() are not loaded up front. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

/** Every module the file loads before running, following relative imports (.js → .ts). */
function graph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (f: string) => {
    if (files.has(f)) return;
    files.add(f);
    for (const spec of staticImports(f)) {
      if (spec.startsWith('.')) visit(resolve(dirname(f), spec).replace(/\.js$/, '.ts'));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

const rel = (f: string) => f.slice(ROOT.length + 1);

describe('what remote mode loads', () => {
  it('the client imports no package, no store, no services: only node builtins and small core modules', () => {
    const g = graph(join(ROOT, 'src/client/remote-backend.ts'));
    expect([...g.external].sort()).toEqual(['node:fs', 'node:fs/promises', 'node:http', 'node:path']);
    const files = [...g.files].map(rel);
    expect(files.filter((f) => !f.startsWith('src/client/') && !f.startsWith('src/core/'))).toEqual([]);
    expect(files).not.toContain('src/core/validate-body.ts');
  });

  it('the CLI context loads neither backend until one is used', () => {
    const g = graph(join(ROOT, 'src/cli/context.ts'));
    const files = [...g.files].map(rel);
    expect(files).not.toContain('src/client/remote-backend.ts');
    expect(files).not.toContain('src/services/local-backend.ts');
    expect(files.some((f) => f.startsWith('src/store/'))).toBe(false);
    expect([...g.external].filter((x) => !x.startsWith('node:'))).toEqual([]);
  });
});
