import { prepared, type Db } from './db.js';

/**
 * A lease row: who leads (holder), its term (epoch, the fencing token: it only grows) and its
 * heartbeat (beat, bumped by the holder). No times are compared: a standby decides from how
 * long the row stayed unchanged on its own monotonic clock. `since` is shown, never compared.
 */
export interface Lease {
  name: string;
  /** The instance id of the leader; '' when the last one released it. */
  holder: string;
  epoch: number;
  beat: number;
  /** When the holder took it, by the holder's wall clock (display only). */
  since: string;
}

/** The term an instance holds: what each of its fenced writes checks. */
export interface Term {
  name: string;
  holder: string;
  epoch: number;
}

/** Leases, by name. Portable SQL (? parameters, no engine functions): the PostgreSQL engine runs the same statements. */
export class LeaseStore {
  constructor(private readonly db: Db) {}

  get(name: string): Lease | undefined {
    return prepared<[string], Lease>(this.db, 'SELECT name, holder, epoch, beat, since FROM leases WHERE name = ?').get(name);
  }

  /** Takes a lease no one has held yet (epoch 1); false when the row exists already. */
  create(name: string, holder: string, since: string): boolean {
    return prepared(this.db, 'INSERT INTO leases (name, holder, epoch, beat, since) VALUES (?, ?, 1, 0, ?) ON CONFLICT (name) DO NOTHING')
      .run(name, holder, since).changes === 1;
  }

  /**
   * Takes the lease over if it is still exactly as the caller saw it (compare-and-set): the
   * next epoch, held by `holder`. Of several standbys racing, exactly one wins.
   */
  takeOver(seen: Lease, holder: string, since: string): Term | undefined {
    const ok = prepared(this.db, 'UPDATE leases SET holder = ?, epoch = epoch + 1, beat = 0, since = ? WHERE name = ? AND holder = ? AND epoch = ? AND beat = ?')
      .run(holder, since, seen.name, seen.holder, seen.epoch, seen.beat).changes === 1;
    return ok ? { name: seen.name, holder, epoch: seen.epoch + 1 } : undefined;
  }

  /** The holder's heartbeat; false when the term is over (someone took the lease). */
  beat(t: Term): boolean {
    return prepared(this.db, 'UPDATE leases SET beat = beat + 1 WHERE name = ? AND holder = ? AND epoch = ?').run(t.name, t.holder, t.epoch).changes === 1;
  }

  /**
   * Whether the term still holds, asked inside a write transaction before its writes. An
   * UPDATE rather than a SELECT: on an engine with row locks (PostgreSQL) it locks the row
   * until the transaction ends, so a takeover cannot commit between this check and our writes.
   */
  holds(t: Term): boolean {
    return prepared(this.db, 'UPDATE leases SET epoch = epoch WHERE name = ? AND holder = ? AND epoch = ?').run(t.name, t.holder, t.epoch).changes === 1;
  }

  /** Gives the lease up at a clean stop, so another instance (or this one restarted) takes it at once. */
  release(t: Term): boolean {
    return prepared(this.db, "UPDATE leases SET holder = '' WHERE name = ? AND holder = ? AND epoch = ?").run(t.name, t.holder, t.epoch).changes === 1;
  }
}
