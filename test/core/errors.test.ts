import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BosError, ERRORS, EXIT, bosError } from '../../src/core/errors.js';

describe('error registry', () => {
  const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, { exit: number; http: number }>();
  for (const m of docs.matchAll(/^\| (BOS_[A-Z0-9_]+) \| (\d+) \| (\d+) \|/gm)) {
    documented.set(m[1], { exit: Number(m[2]), http: Number(m[3]) });
  }

  it('documents every code with its exit code and HTTP status', () => {
    for (const [code, kind] of Object.entries(ERRORS)) {
      expect(documented.get(code), code).toEqual({ exit: kind.exit, http: kind.http });
    }
  });

  it('documents no code the registry lacks', () => {
    for (const code of documented.keys()) expect(Object.keys(ERRORS)).toContain(code);
  });

  it('uses only the documented exit codes, and every kind has a hint', () => {
    const exits = new Set<number>(Object.values(EXIT));
    for (const [code, kind] of Object.entries(ERRORS)) {
      expect(exits.has(kind.exit), code).toBe(true);
      expect(kind.hint.length, code).toBeGreaterThan(10);
      expect(kind.hint, code).not.toMatch(/\n/);
    }
  });

  it('bad input answers 4xx; only internal and store errors answer 5xx', () => {
    for (const [code, kind] of Object.entries(ERRORS)) {
      if (kind.exit === EXIT.BAD_INPUT) expect([400, 405, 413], code).toContain(kind.http);
      if (kind.exit === EXIT.NOT_FOUND) expect(kind.http, code).toBe(404);
      if (kind.exit === EXIT.CONFLICT) expect(kind.http, code).toBe(409);
      if (kind.http >= 500) expect(code).toMatch(/^BOS_(DB_|INTERNAL|SERVER_UNREACHABLE|TAPMS_UNAVAILABLE)/);
    }
  });

  it('an error carries its kind', () => {
    const e = bosError('BOS_TEMPLATE_NOT_FOUND', 'session template "x" does not exist');
    expect(e).toBeInstanceOf(BosError);
    expect(e.exitCode).toBe(3);
    expect(e.httpStatus).toBe(404);
    expect(e.title).toBe('The resource was not found');
  });
});
