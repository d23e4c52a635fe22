import { MockAgent } from 'undici';
import { afterEach, expect } from 'vitest';
import { IntegrationError } from '../../src/integrations/errors.js';

/** The IntegrationError a promise rejects with; fails the test if it resolves or throws another kind. */
export async function caught(p: Promise<unknown>): Promise<IntegrationError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(IntegrationError);
    return e as IntegrationError;
  }
  throw new Error('expected a rejection');
}

/**
 * MockAgents with net connect off and the clients using them, closed after each test; a test
 * fails if an interceptor it set up was never called.
 */
export function mockRegistry() {
  const agents: MockAgent[] = [];
  const clients: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const a of agents.splice(0)) {
      a.assertNoPendingInterceptors();
      await a.close();
    }
  });
  return {
    agent(opts: { enableCallHistory?: boolean } = { enableCallHistory: true }): MockAgent {
      const a = new MockAgent(opts);
      a.disableNetConnect();
      agents.push(a);
      return a;
    },
    track<T extends { close(): Promise<void> }>(client: T): T {
      clients.push(client);
      return client;
    },
  };
}
