import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { NameIndex } from '../../src/store/name-index.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'bosctl-boundary-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the store boundary', () => {
  it('no file outside src/store opens SQLite or writes SQL', () => {
    const sql = /better-sqlite3|\.prepare\(|\.pragma\(|\bSELECT\s+[\w*]|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b/;
    const offenders = sources(SRC)
      .filter((p) => !relative(SRC, p).startsWith('store/'))
      .filter((p) => sql.test(readFileSync(p, 'utf8')))
      .map((p) => relative(SRC, p));
    expect(offenders).toEqual([]);
  });

  it('the daemon and doctor find the database without importing src/cli', () => {
    const upward = sources(SRC)
      .filter((p) => !relative(SRC, p).startsWith('cli/'))
      .filter((p) => /from '[./]*\/cli\/paths\.js'/.test(readFileSync(p, 'utf8')))
      .map((p) => relative(SRC, p));
    expect(upward).toEqual([]);
  });

  it('the token store keeps hashes out of what it lists, and revokes by id', () => {
    const s = Store.open(join(tmp(), 'bosd.db'));
    try {
      const row = { id: 'abcd1234', role: 'admin' as const, node: null, tenant: null, hash: 'f'.repeat(64), description: 'ops', created_at: '2025-01-01T00:00:00Z', created_by: 'me', expires_at: null, revoked_at: null };
      s.write(() => s.tokens.insert(row));
      expect(s.read(() => s.tokens.get('abcd1234'))).toEqual(row);
      expect(s.read(() => s.tokens.list())).toEqual([{ ...row, hash: undefined }].map(({ hash: _h, ...t }) => t));
      expect(s.write(() => s.tokens.revoke('abcd1234', '2025-01-02T00:00:00Z'))).toBe(true);
      expect(s.write(() => s.tokens.revoke('nope0000', '2025-01-02T00:00:00Z'))).toBe(false);
      expect(s.read(() => s.tokens.get('abcd1234'))!.revoked_at).toBe('2025-01-02T00:00:00Z');
      expect(s.tables().tokens).toHaveLength(1);
    } finally {
      s.close();
    }
  });

  it('the name index reads by prefix, without creating a database that is not there', () => {
    const d = tmp();
    expect(NameIndex.open(join(d, 'none.db'))).toBeUndefined();
    expect(readdirSync(d)).toEqual([]);
    const path = join(d, 'bosd.db');
    const s = Store.open(path);
    s.write(() => {
      for (const id of ['aa000001', 'ab000002', 'aa000003']) {
        s.tokens.insert({ id, role: 'wlm', node: null, tenant: null, hash: '0', description: id, created_at: 't', created_by: 'me', expires_at: null, revoked_at: null });
      }
      s.tokens.revoke('aa000003', 't');
    });
    s.close();
    const index = NameIndex.open(path)!;
    try {
      expect(index.tokens('aa').map((t) => t.id)).toEqual(['aa000001']);
      expect(index.tokens('').map((t) => t.id).sort()).toEqual(['aa000001', 'ab000002']);
    } finally {
      index.close();
    }
  });
});
