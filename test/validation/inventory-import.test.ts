/**
 * Inventory import (issue 13, item 5): a record changes only the fields it names, --replace
 * replaces the node, an unknown field refuses the whole import; names and values have a
 * grammar and a length cap. Service level, over a real SQLite store, and through the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeInventoryRecord, parseInventoryRecord } from '../../src/core/inventory.js';
import { importInventory, listInventory } from '../../src/services/inventory.js';
import type { ServiceContext } from '../../src/services/context.js';
import { Store } from '../../src/store/store.js';
import { dump, startApi, type Harness } from '../api/helpers.js';

const X = 'x1000c0s0b0n0';
const FULL = {
  xname: X, nid: 1, hostname: 'nid000001', aliases: 'login1', role: 'Compute', subrole: 'Worker', groups: 'compute;gpu',
  enabled: true, arch: 'X86', bmc_address: 'bmc-1.example:443', redfish_system_id: 'Self', credentials_ref: 'rack1',
};

let dir: string;
let store: Store;
let ctx: ServiceContext;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosctl-inv-'));
  store = Store.open(join(dir, 'bosctl.db'));
  ctx = { store, actor: { user: 'test', via: 'test' }, now: () => new Date('2025-03-01T12:00:00Z') };
  importInventory(ctx, [normalizeInventoryRecord(FULL, 'seed')]);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const stored = () => listInventory(ctx).find((n) => n.xname === X)!;
const errorOf = (f: () => unknown): Error & { code?: string } => {
  try { f(); } catch (e) { return e as Error & { code?: string }; }
  throw new Error('expected an error');
};

describe('a partial record for an existing node', () => {
  it('changes only the fields it names (merge): hostname, role, groups, BMC and credentials stay', () => {
    const before = stored();
    const r = importInventory(ctx, [parseInventoryRecord({ xname: X, nid: 7 }, 'record 1')]);
    expect(r.updated).toEqual([X]);
    expect(stored()).toEqual({ ...before, nid: 7 });
  });

  it('a CSV row with empty cells keeps the stored values of those columns', () => {
    const before = stored();
    const row = { xname: X, nid: '', hostname: '', role: '', groups: '', bmc_address: 'bmc-9.example', credentials_ref: '' };
    importInventory(ctx, [parseInventoryRecord(row, 'nodes.csv data row 1', { csv: true })]);
    expect(stored()).toEqual({ ...before, bmc_address: 'bmc-9.example' });
  });

  it('in JSON or YAML, null or "" clears one field', () => {
    importInventory(ctx, [parseInventoryRecord({ xname: X, credentials_ref: null, groups: '' }, 'record 1')]);
    expect(stored()).toMatchObject({ credentials_ref: null, groups: [], hostname: 'nid000001', role: 'Compute' });
  });

  it('replace: the record is the whole node (today\'s behaviour, asked for)', () => {
    importInventory(ctx, [parseInventoryRecord({ xname: X, nid: 1 }, 'record 1')], { replace: true });
    expect(stored()).toEqual({
      xname: X, nid: 1, hostname: null, aliases: [], role: null, subrole: null, groups: [], enabled: true,
      arch: null, bmc_address: null, redfish_system_id: null, credentials_ref: null,
    });
  });

  it('a record that gives what is stored changes nothing', () => {
    const r = importInventory(ctx, [parseInventoryRecord({ xname: X, hostname: 'nid000001' }, 'record 1')]);
    expect(r).toEqual({ added: [], updated: [], unchanged: [X] });
  });
});

describe('an unknown field refuses the whole import', () => {
  it('names the field, the record, its xname and the known fields; nothing is stored', () => {
    const before = dump(store);
    const e = errorOf(() => [
      parseInventoryRecord({ xname: 'x1000c0s0b0n1', nid: 2 }, 'nodes.yaml record 1'),
      parseInventoryRecord({ xname: X, hostnme: 'nid000009' }, 'nodes.yaml record 2'),
    ]);
    expect(e.code).toBe('BOS_INVENTORY_INVALID');
    expect(e.message).toBe(`nodes.yaml record 2 (${X}): unknown field "hostnme" (did you mean "hostname"?): known fields are xname, nid, hostname, aliases, role, subrole, groups, enabled, arch, bmc_address, redfish_system_id, credentials_ref; nothing was imported`);
    expect(dump(store)).toBe(before);
  });

  it('two spellings of one field are refused too', () => {
    expect(errorOf(() => parseInventoryRecord({ xname: X, hostname: 'a', host: 'b' }, 'record 1')).message)
      .toBe(`record 1 (${X}): "hostname" and "host" both give hostname: keep one`);
  });
});

describe('names and values have a grammar and a length cap', () => {
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a 20 MB hostname', { hostname: 'a'.repeat(20_000_000) }, /hostname is 20000000 characters long: at most 253/],
    ['a hostname label over 63', { hostname: `${'a'.repeat(64)}.example` }, /invalid hostname/],
    ['a hostname with an underscore', { hostname: 'nid_1' }, /invalid hostname "nid_1": expected an RFC 1123 host name/],
    ['a hostname with a newline', { hostname: 'nid1\nx' }, /invalid hostname "nid1\\nx"/],
    ['an alias with a space', { aliases: ['ok', 'a b'] }, /invalid alias/],
    ['a group with "!"', { groups: 'compute;bad!' }, /invalid group "bad!"/],
    ['a 65-character role', { role: 'R'.repeat(65) }, /role is 65 characters long: at most 64/],
    ['a bmc_address with a control character', { bmc_address: 'bmc\u0000' }, /invalid bmc_address "bmc\\u0000"/],
    ['a 256-character credentials_ref', { credentials_ref: 'c'.repeat(256) }, /credentials_ref is 256 characters long: at most 255/],
    ['a hostname that is a list', { hostname: ['a'] }, /hostname must be text, not a list/],
  ];
  for (const [name, fields, message] of bad) {
    it(`refuses ${name}`, () => {
      const e = errorOf(() => parseInventoryRecord({ xname: X, ...fields }, 'record 1'));
      expect(e.code).toBe('BOS_INVENTORY_INVALID');
      expect(e.message).toMatch(message);
      expect(e.message.length).toBeLessThan(600);
    });
  }

  it('accepts an FQDN of 253 characters', () => {
    const label = 'a'.repeat(63);
    const fqdn = [label, label, label, 'b'.repeat(61)].join('.');
    expect(fqdn).toHaveLength(253);
    expect(parseInventoryRecord({ xname: X, hostname: fqdn }, 'record 1').hostname).toBe(fqdn);
  });
});

describe('POST /v2/inventory: the same rules', () => {
  let api: Harness;
  beforeEach(async () => { api = await startApi(); });
  afterEach(async () => { await api.close(); });
  const NODE = 'x1000c0s0b0n0';

  it('merges by default, replaces with ?replace=true', async () => {
    const before = (await api.call('GET', `/v2/inventory/${NODE}`)).json as { node: Record<string, unknown> };
    expect(before.node.hostname).toBe('nid000001');
    const merged = await api.call('POST', '/v2/inventory', { body: [{ xname: NODE, bmc_address: 'bmc-a.example' }] });
    expect(merged.status).toBe(200);
    const after = (await api.call('GET', `/v2/inventory/${NODE}`)).json as { node: Record<string, unknown> };
    expect(after.node).toEqual({ ...before.node, bmc_address: 'bmc-a.example' });

    const replaced = await api.call('POST', '/v2/inventory?replace=true', { body: [{ xname: NODE, nid: 1 }] });
    expect(replaced.status).toBe(200);
    const last = (await api.call('GET', `/v2/inventory/${NODE}`)).json as { node: Record<string, unknown> };
    expect(last.node).toMatchObject({ nid: 1, hostname: null, role: null, groups: [] });
  });

  it('an unknown field is a 400 naming it, and nothing is stored', async () => {
    const before = dump(api.store);
    const r = await api.call('POST', '/v2/inventory', { body: [{ xname: NODE, rol: 'Application' }] });
    expect(r.status).toBe(400);
    expect((r.json as { detail: string }).detail).toMatch(/^record 1 \(x1000c0s0b0n0\): unknown field "rol" \(did you mean "role"\?\)/);
    expect(dump(api.store)).toBe(before);
  });

  it('?replace=maybe is a 400', async () => {
    const r = await api.call('POST', '/v2/inventory?replace=maybe', { body: [{ xname: NODE }] });
    expect(r.status).toBe(400);
  });
});
