import { prepared, type Db } from './db.js';
import type { BootArtifacts } from '../core/types.js';

/** Referral token → the boot artifacts bosd wrote to BSS with it. */
export class BssTokenStore {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: Db) {
    this.getStmt = prepared<[string], { kernel: string; initrd: string; params: string }>(db, 'SELECT kernel, initrd, params FROM bss_tokens WHERE token = ?');
    this.putStmt = prepared(db, `INSERT INTO bss_tokens (token, kernel, initrd, params, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(token) DO UPDATE SET kernel = excluded.kernel, initrd = excluded.initrd, params = excluded.params, created_at = excluded.created_at`);
  }

  put(token: string, a: BootArtifacts, now: string): void {
    this.putStmt.run(token, a.kernel, a.initrd, a.kernel_parameters, now);
  }

  get(token: string): BootArtifacts | undefined {
    const r = this.getStmt.get(token);
    return r ? { kernel: r.kernel, initrd: r.initrd, kernel_parameters: r.params } : undefined;
  }
}
