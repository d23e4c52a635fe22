/**
 * The store's public surface as types a second engine can implement (issue 18: PostgreSQL).
 * Each table family is the public shape of the SQLite class that implements it today, so the
 * two cannot drift. Every method is synchronous and runs inside `read` or `write`, on both
 * engines: the PostgreSQL driver blocks on a worker thread that owns its connections
 * (docs/postgresql.md), so transactions stay closures and each rule exists once.
 */
import type { BssTokenStore } from './bss-tokens.js';
import type { ComponentStore } from './components.js';
import type { EventStore } from './events.js';
import type { InventoryStore } from './inventory.js';
import type { OptionStore } from './options.js';
import type { SessionStore } from './sessions.js';
import type { TemplateStore } from './templates.js';
import type { TenantStore } from './tenants.js';
import type { TokenStore } from './tokens.js';
import type { WriteHealth } from './write-health.js';

/** The public members of T, without its private state: what an implementation must offer. */
type Surface<T> = { [K in keyof T]: T[K] };

export type BssTokenTable = Surface<BssTokenStore>;
export type ComponentTable = Surface<ComponentStore>;
export type EventTable = Surface<EventStore>;
export type InventoryTable = Surface<InventoryStore>;
export type OptionTable = Surface<OptionStore>;
export type SessionTable = Surface<SessionStore>;
export type TemplateTable = Surface<TemplateStore>;
export type TenantTable = Surface<TenantStore>;
export type TokenTable = Surface<TokenStore>;

export interface StoreEngine {
  /** Where the data lives (a file path for SQLite), for messages. */
  readonly path: string;
  readonly bssTokens: BssTokenTable;
  readonly components: ComponentTable;
  readonly events: EventTable;
  readonly inventory: InventoryTable;
  readonly options: OptionTable;
  readonly sessions: SessionTable;
  readonly templates: TemplateTable;
  readonly tenants: TenantTable;
  readonly tokens: TokenTable;
  readonly leases: { [K in keyof import('./leases.js').LeaseStore]: import('./leases.js').LeaseStore[K] };
  /** Whether writes succeed, reported by every write transaction. */
  readonly writeHealth: WriteHealth;
  /** Writes that waited for another connection's lock so far. */
  busyRetries: number;
  /** Write transactions committed so far. */
  commits: number;

  /** Runs `fn` as one write transaction that takes the write lock first. */
  write<T>(fn: () => T): T;
  /** `write`, retried without blocking while another connection holds the lock. */
  writeAsync<T>(fn: () => T): Promise<T>;
  /** Runs `work` again while it fails only because another writer held the lock before it committed. */
  retryBusy<T>(work: () => T | Promise<T>): Promise<T>;
  /** Runs `fn` as one read transaction: a consistent snapshot. */
  read<T>(fn: () => T): T;
  /** A number that changes whenever another connection commits. */
  dataVersion(): number;
  /** Makes committed writes durable in the main file (SQLite: a WAL checkpoint). */
  checkpoint(mode?: 'PASSIVE' | 'TRUNCATE'): void;
  /** Every table's rows, by table name. */
  tables(): Record<string, unknown[]>;
  close(): void;
}
