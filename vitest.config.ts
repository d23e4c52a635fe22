import { defineConfig } from 'vitest/config';
import { secretNonce } from './test/secrets.js';

// One nonce for this run's fixture secrets, set before any worker starts (they inherit it),
// so the secrets reporter knows the values every test uses.
secretNonce();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Spawned-process tests build on dist/ (npm test builds first); generous limits are
    // for slow CI machines, not speed assertions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Fails the run when a test prints a fixture secret or a token (test/secrets/reporter.ts).
    reporters: ['default', './test/secrets/reporter.ts'],
  },
});
