/**
 * globalSetup of the "on postgres" project (vitest.config.ts): one throwaway PostgreSQL server
 * for the daemon suites' second run; each testbed makes its own database on it.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../src/testbed/postgres.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide('testbedPostgres', server.url());
  return () => server.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    testbedPostgres?: string;
  }
}
