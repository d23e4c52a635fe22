import { prepared, type Db } from './db.js';
import type { Role } from '../core/access.js';

/** An API token as shown: everything but the hash of its secret. */
export interface TokenInfo {
  id: string;
  role: Role;
  node: string | null;
  /** The one tenant this token acts as, whatever Cray-Tenant-Name it sends; null: none. */
  tenant: string | null;
  description: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A stored token: its details and the SHA-256 of its secret (the secret itself is never kept). */
export interface TokenRow extends TokenInfo {
  hash: string;
}

/** API tokens, by id. */
export class TokenStore {
  constructor(private readonly db: Db) {}

  insert(t: TokenRow): void {
    prepared(this.db, `INSERT INTO tokens (id, role, node, tenant, hash, description, created_at, created_by, expires_at)
      VALUES (@id, @role, @node, @tenant, @hash, @description, @created_at, @created_by, @expires_at)`).run(t);
  }

  get(id: string): TokenRow | undefined {
    return prepared<[string], TokenRow>(this.db, 'SELECT * FROM tokens WHERE id = ?').get(id);
  }

  /** Every token, oldest first, without hashes. */
  list(): TokenInfo[] {
    return prepared<[], TokenRow>(this.db, 'SELECT * FROM tokens ORDER BY created_at, id').all().map(withoutHash);
  }

  /** Marks a token revoked at `at`; false when it does not exist. */
  revoke(id: string, at: string): boolean {
    return prepared(this.db, 'UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id).changes > 0;
  }
}

export function withoutHash({ hash: _h, ...t }: TokenRow): TokenInfo {
  return t;
}
