import { expect } from 'vitest';
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
