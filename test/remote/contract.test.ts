/**
 * The Backend contract against both backends, then the two transcripts compared step by step.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/services/local-backend.js';
import { Store } from '../../src/store/store.js';
import { backendContract, normalize, type ContractTarget, type Transcript } from './contract.js';
import { ACTOR, remoteBackend, removeTmpDirs, tmpDir } from './helpers.js';

afterAll(() => removeTmpDirs());

const local: Transcript = [];
const remote: Transcript = [];

async function localTarget(): Promise<ContractTarget> {
  const db = join(tmpDir(), 'bosd.db');
  const backend = new LocalBackend(db, ACTOR);
  // As the remote side has one: the admin token its backend uses.
  await backend.createToken({ role: 'admin', description: 'contract' });
  let store: Store | undefined;
  return {
    backend,
    store: () => (store ??= Store.open(db)),
    async close() { store?.close(); backend.close(); },
  };
}

async function remoteTarget(): Promise<ContractTarget> {
  const r = await remoteBackend();
  return { ...r, store: () => r.api.store };
}

backendContract('LocalBackend (SQLite file)', localTarget, local);
backendContract('RemoteBackend (bosd API over HTTP)', remoteTarget, remote);

/**
 * A known gap of bosd's API, with its own failing test in the contract ("a session over a
 * node that already runs the target reports it as current"): POST /v2/sessions answers
 * BOS's session only, so a created (not dry-run) session's `current` and `plan` cannot be
 * known remotely. Left out here so this test shows only differences nobody has named yet.
 */
function withoutKnownGaps(step: string, o: unknown): unknown {
  if (!step.startsWith('createSession') || !o || typeof o !== 'object' || !('ok' in o) || !o.ok) return o;
  const v = (o as { value: { dry_run?: boolean } }).value;
  if (v.dry_run !== false) return o;
  const { current: _c, plan: _p, ...rest } = v as Record<string, unknown>;
  return { ok: true, value: rest };
}

describe('LocalBackend and RemoteBackend agree', () => {
  it('every step has the same outcome (times, generated names, token ids and actors masked)', () => {
    expect(remote.map((s) => s.step)).toEqual(local.map((s) => s.step));
    expect(local.length).toBeGreaterThan(80);
    for (let i = 0; i < local.length; i++) {
      const step = local[i].step;
      expect(normalize(withoutKnownGaps(step, remote[i].outcome)), `step "${step}"`).toEqual(normalize(withoutKnownGaps(step, local[i].outcome)));
    }
  });
});
