/**
 * What bosd depends on, and whether each answers: the database (written by the reconciler's
 * owner), BSS, CFS and S3 (pinged by bosd's monitor, src/daemon/health.ts). /v2/healthz, its dependency
 * extension and `bosctl doctor` read the board; nothing at start-up is fatal because a
 * dependency is down (after a site power cut bosd may come up before BSS).
 */

export const DEPENDENCIES = ['database', 'bss', 'cfs', 's3'] as const;
export type DependencyName = (typeof DEPENDENCIES)[number];

/** up: answers; down: does not; unknown: not checked yet; not_configured: bosd runs without it. */
export type DependencyStatus = 'up' | 'down' | 'unknown' | 'not_configured';

export interface DependencyHealth {
  status: DependencyStatus;
  /** Why it is down, or what answered; never a secret. */
  detail: string;
  /** When the status last changed (ISO 8601). */
  since: string;
  /** When it was last checked (ISO 8601), if ever. */
  checked_at: string | null;
}

/** Which bosd leads the reconciler (several on one database), as /v2/healthz/dependencies shows it. */
export interface LeadershipView {
  /** The answering instance's id. */
  this_instance: string;
  role: 'leader' | 'standby';
  /** The lease holder's id; '' when none holds it. */
  leader: string;
  epoch: number;
  /** When the leader took the lease (its wall clock; shown only). */
  since: string;
}

export class HealthBoard {
  /** Set by bosd: who leads now (read from the database on each call). */
  leadership?: () => LeadershipView;
  private readonly entries = new Map<DependencyName, DependencyHealth>();
  private readonly listeners = new Set<(name: DependencyName, h: DependencyHealth, before: DependencyStatus) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {
    const t = this.now().toISOString();
    for (const d of DEPENDENCIES) this.entries.set(d, { status: 'unknown', detail: 'not checked yet', since: t, checked_at: null });
  }

  /** Records a check: `ok` up or down, with a one-line detail. */
  set(name: DependencyName, ok: boolean, detail = ''): void {
    this.put(name, ok ? 'up' : 'down', detail);
  }

  /** bosd runs without this dependency (e.g. cfs_url: none). */
  notConfigured(name: DependencyName, detail: string): void {
    this.put(name, 'not_configured', detail);
  }

  get(name: DependencyName): DependencyHealth {
    return { ...this.entries.get(name)! };
  }

  /** True when the dependency is up, or bosd runs without it. */
  usable(name: DependencyName): boolean {
    const s = this.entries.get(name)!.status;
    return s === 'up' || s === 'not_configured';
  }

  snapshot(): Record<DependencyName, DependencyHealth> {
    return Object.fromEntries(DEPENDENCIES.map((d) => [d, this.get(d)])) as Record<DependencyName, DependencyHealth>;
  }

  /** Called on every status change (not on a repeated check with the same status). */
  onChange(fn: (name: DependencyName, h: DependencyHealth, before: DependencyStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private put(name: DependencyName, status: DependencyStatus, detail: string): void {
    const t = this.now().toISOString();
    const old = this.entries.get(name)!;
    const h: DependencyHealth = { status, detail, since: old.status === status ? old.since : t, checked_at: t };
    this.entries.set(name, h);
    if (old.status !== status) for (const fn of this.listeners) fn(name, { ...h }, old.status);
  }
}
