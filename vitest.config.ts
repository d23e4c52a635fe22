import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Spawned-process tests build on dist/ (npm test builds first); generous limits are
    // for slow CI machines, not speed assertions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
