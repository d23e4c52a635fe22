import { availableParallelism } from 'node:os';
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
    // Most files wait on child processes and simulated hardware, not the CPU: two at a time
    // even on a 2-core machine (vitest's default there is one) halves the run.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
    hookTimeout: 120_000,
    // Fails the run when a test prints a fixture secret or a token (test/secrets/reporter.ts).
    reporters: ['default', './test/secrets/reporter.ts'],
  },
});
