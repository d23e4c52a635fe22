import { isBosError } from '../core/errors.js';

/**
 * Whether the database takes writes (a full disk, an I/O error, a read-only file). Every
 * failed or successful write transaction reports here, the API's and the reconciler's alike,
 * so health checks tell the truth and bosd can hold back decisions made while reports could not
 * be stored. Counters, not times: each reader keeps time on its own clock.
 */
export class WriteHealth {
  /** The last write's error when it failed for lack of a writable database; null when writes work. */
  failing: string | null = null;
  /** Writes refused for that reason so far (grows; a reader compares it with what it saw). */
  failures = 0;

  succeeded(): void {
    this.failing = null;
  }

  /** Records `e` when it says the database cannot be written; other errors are not its business. */
  failed(e: unknown): void {
    if (!isUnwritable(e)) return;
    this.failing = (e as Error).message;
    this.failures++;
  }
}

export function isUnwritable(e: unknown): boolean {
  return isBosError(e) && (e.code === 'BOS_DB_UNWRITABLE' || (e.code as string) === 'BOS_DB_FULL');
}
