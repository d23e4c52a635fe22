import { defineConfig } from 'vitest/config';
import { inCi, postgresMissing } from './src/testbed/postgres.js';
import { secretNonce } from './test/secrets.js';

// One nonce for this run's fixture secrets, set before any worker starts (they inherit it),
// so the secrets reporter knows the values every test uses.
secretNonce();

/**
 * Files that load the whole machine (a 1,000-node cluster, storms of bosctl processes): they
 * run one at a time after the rest, so that none of them starves a neighbour (or is starved)
 * past its generous limits.
 */
const ALONE = ['test/chaos/**/*.test.ts', 'test/cli/concurrency.test.ts'];

/**
 * The daemon suites that run a second time with every testbed and store on PostgreSQL (the
 * store, API contract, rollout and leadership suites choose both engines themselves). Left
 * out: what is about SQLite's file itself (db-lock; bosd-process's file and socket checks)
 * and the chaos runs (the HA one is on PostgreSQL already; kill-restart and mixed-faults
 * would add two minutes of CI for the same reconciler).
 */
const ON_POSTGRES = [
  'test/daemon/rollout.test.ts', 'test/daemon/safety.test.ts', 'test/daemon/steps.test.ts', 'test/daemon/polls.test.ts',
  'test/daemon/housekeeping.test.ts', 'test/daemon/health.test.ts', 'test/bos/daemon.test.ts', 'test/redfish/events.test.ts',
  'test/daemon/time-and-disk.test.ts', 'test/daemon/node-errors.test.ts', 'test/daemon/loop.test.ts',
  'test/watch/watch-staged.test.ts', 'test/cli/rollback-stage.test.ts', 'test/cli/progress.test.ts',
  'test/redfish/system-resolution.test.ts', 'test/daemon/image-dirs.test.ts',
];

const PG_WHY_NOT = postgresMissing();
// In CI the PostgreSQL run always happens (and fails without PostgreSQL); elsewhere it says why not.
const pgRuns = !PG_WHY_NOT || inCi();
if (!pgRuns) console.warn(`The daemon suites' PostgreSQL run is left out: ${PG_WHY_NOT}`);

// Spawned-process tests build on dist/ (npm test builds first); generous limits are for slow
// CI machines, not speed assertions.
const common = { testTimeout: 120_000, hookTimeout: 120_000, setupFiles: ['test/setup/engine.ts'] };

export default defineConfig({
  test: {
    // Fails the run when a test prints a fixture secret or a token (test/secrets/reporter.ts).
    reporters: ['default', './test/secrets/reporter.ts'],
    // Two files at a time on two cores: most tests wait on sockets and child processes.
    maxWorkers: 2, minWorkers: 1,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ALONE, ...common, sequence: { groupOrder: 0 } } },
      ...(pgRuns ? [{
        extends: true,
        test: { name: 'on postgres', include: ON_POSTGRES, globalSetup: ['test/setup/postgres-server.ts'], ...common, sequence: { groupOrder: 0 } },
      }] : []),
      {
        extends: true,
        test: { name: 'alone', include: ALONE, ...common, poolOptions: { forks: { singleFork: true } }, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
