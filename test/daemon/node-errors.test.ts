/** Every failure reason decide() gives has its own registry code; unexpected errors keep theirs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, bosError } from '../../src/core/errors.js';
import { failureCode, unexpectedCode } from '../../src/daemon/node-errors.js';

describe('failureCode', () => {
  const source = readFileSync(new URL('../../src/core/reconcile.ts', import.meta.url), 'utf8');
  // Each fail(`...`) in decide, its interpolations replaced by sample text.
  const reasons = [...source.matchAll(/fail\(`([^`]*)/g)].map((m) => m[1].replace(/\$\{[^}]*\}/g, 'booted kernel x'));

  it('finds every fail reason of decide', () => {
    expect(reasons.length).toBeGreaterThanOrEqual(8);
  });

  it('maps each to a node code of the registry, none to BOS_INTERNAL', () => {
    for (const r of reasons) {
      const code = failureCode(r);
      expect(code, r).toMatch(/^BOS_NODE_/);
      expect(ERRORS).toHaveProperty(code);
    }
  });

  it('names the kind of failure', () => {
    expect(failureCode('could not read the power state: connect ECONNREFUSED')).toBe('BOS_NODE_POWER_UNREADABLE');
    expect(failureCode('did not power off after 3 forced power-off attempt(s) (waited 300 s each)')).toBe('BOS_NODE_POWER_OFF_FAILED');
    expect(failureCode('did not report booting s3://k within 1200 s after power-on, 3 attempt(s)')).toBe('BOS_NODE_BOOT_FAILED');
    expect(failureCode('could not set boot parameters after 3 attempt(s): 500')).toBe('BOS_NODE_BOOT_PARAMS_FAILED');
    expect(failureCode('CFS failed to apply configuration c1')).toBe('BOS_NODE_CONFIGURATION_FAILED');
  });
});

describe('unexpectedCode', () => {
  it('keeps a store error\'s code; anything else is a bug', () => {
    expect(unexpectedCode(bosError('BOS_DB_BUSY', 'database is locked'))).toBe('BOS_DB_BUSY');
    expect(unexpectedCode(new TypeError('x is undefined'))).toBe('BOS_INTERNAL');
  });
});
