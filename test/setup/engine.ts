/**
 * Every test file starts knowing which engine its testbeds use: the "on postgres" project
 * provides a server (test/setup/postgres-server.ts), the others none (a worker process may
 * have run a file of the other project before).
 */
import { inject } from 'vitest';
import type {} from './postgres-server.js';

const server = inject('testbedPostgres');
if (server) process.env.BOSCTL_TESTBED_POSTGRES = server;
else delete process.env.BOSCTL_TESTBED_POSTGRES;
