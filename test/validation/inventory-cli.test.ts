/**
 * `bosctl inventory import` end to end (spawned, local database): a partial CSV or YAML for
 * existing nodes changes only what it names; --replace replaces the nodes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { json, ok, removeTmpDirs, seeded } from '../cli/helpers.js';

afterAll(removeTmpDirs);

const X = 'x1000c0s0b0n0';
type Node = Record<string, unknown>;
const nodeOf = async (db: string): Promise<Node> => (await json<Node[]>(['-o', 'json', 'inventory', 'list'], { db })).find((n) => n.xname === X)!;

describe('bosctl inventory import: merge by default', () => {
  it('a CSV of xname,bmc_address keeps hostname, role, groups and credentials', async () => {
    const t = await seeded();
    const before = await nodeOf(t.db);
    expect(before).toMatchObject({ hostname: 'nid000001', role: 'Compute', credentials_ref: 'bmc-default' });
    const r = await ok(['inventory', 'import', t.file('bmcs.csv', `xname,bmc_address\n${X},bmc-new.example:8443\n`)], { db: t.db });
    expect(r.stdout).toBe(`added: 0\nupdated: 1  ${X}\nunchanged: 0\n`);
    expect(await nodeOf(t.db)).toEqual({ ...before, bmc_address: 'bmc-new.example:8443' });
  });

  it('a YAML record of xname and nid only changes the nid', async () => {
    const t = await seeded();
    const before = await nodeOf(t.db);
    await ok(['inventory', 'import', t.file('nid.yaml', `- xname: ${X}\n  nid: 901\n`)], { db: t.db });
    expect(await nodeOf(t.db)).toEqual({ ...before, nid: 901 });
  });

  it('--replace makes the record the whole node', async () => {
    const t = await seeded();
    await ok(['inventory', 'import', '--replace', t.file('nid.yaml', `- xname: ${X}\n  nid: 1\n`)], { db: t.db });
    expect(await nodeOf(t.db)).toMatchObject({ nid: 1, hostname: null, role: null, groups: [], bmc_address: null, credentials_ref: null });
  });
});
