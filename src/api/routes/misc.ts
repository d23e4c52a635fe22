import { getOptions, updateOptions } from '../../services/options.js';
import { applyStagedByNames } from '../../services/apply-staged.js';
import { bosError } from '../../core/errors.js';
import { assertBody } from '../../core/validate-body.js';
import { queryBool, requireObject } from '../query.js';
import type { ApiDeps, Route } from '../server.js';
import { HealthBoard, type DependencyHealth, type DependencyName, type LeadershipView } from '../../services/health-board.js';

/**
 * The BOS API version bosd implements (the reference spec is BOS release 2.50's). BOS answers
 * its release version here (server/controllers/v2/base.py, from its OpenAPI file); bosd's own
 * version rides in the Bosd-Version header (bosctl doctor compares it with bosctl's).
 */
export const BOS_API_VERSION = '2.50.0';

/** BOS's Version body: `details` (GET /v2, /v2/version) adds the link to the versions resource. */
export function versionBody(details: boolean) {
  const [major, minor, patch] = BOS_API_VERSION.split('.');
  return { major, minor, patch, links: [{ rel: 'self', href: '/' }, ...(details ? [{ rel: 'versions', href: '/v2' }] : [])] };
}

export const miscRoutes: Route[] = [
  { method: 'GET', path: '/', perm: 'public', handler: ({ deps }) => ({ status: 200, body: versionBody(true), headers: { 'Bosd-Version': deps.version } }) },
  { method: 'GET', path: '/version', perm: 'public', handler: ({ deps }) => ({ status: 200, body: versionBody(true), headers: { 'Bosd-Version': deps.version } }) },
  {
    // BOS's body (its schema allows no other field); a database that cannot be written is
    // "not_available", as BOS says of its own. The dependencies are the extension below.
    method: 'GET', path: '/healthz', perm: 'public',
    handler: ({ deps }) => ({ status: 200, body: { dbStatus: databaseHealth(deps).status === 'up' ? 'ok' : 'not_available', apiStatus: 'ok' } }),
  },
  {
    // bosctl's extension: each dependency, up or down since when; the reasons (which name
    // internal URLs) only for an authenticated caller.
    method: 'GET', path: '/healthz/dependencies', perm: 'public',
    handler: ({ deps, principal }) => {
      const board = deps.health?.snapshot() ?? new HealthBoard(deps.now).snapshot();
      board.database = databaseHealth(deps);
      const anonymous = principal.name === 'anonymous';
      const body = Object.fromEntries(Object.entries(board).map(([k, h]) => [k, anonymous ? { status: h.status, since: h.since } : h])) as Record<DependencyName, Partial<DependencyHealth>>;
      // Several bosd on one database: which one leads (instance ids only for an authenticated caller).
      let leadership: Partial<LeadershipView> | undefined;
      try {
        const l = deps.health?.leadership?.();
        leadership = l && (anonymous ? { role: l.role, epoch: l.epoch, since: l.since } : l);
      } catch {
        leadership = undefined;
      }
      return { status: 200, body: { dependencies: body, ...(leadership ? { leadership } : {}) } };
    },
  },
  {
    method: 'POST', path: '/applystaged', perm: 'apply_staged', grouped: true,
    handler: ({ body, query, ctx }) => {
      assertBody('V2ApplyStagedComponents', requireObject(body, 'applystaged'), 'applystaged request');
      const xnames = (body as { xnames?: string[] }).xnames ?? [];
      if (xnames.length === 0) throw bosError('BOS_NO_NODES', 'no nodes given: "xnames" is empty; applystaged never means "all nodes"');
      // Our extension: names may be nids or hostnames too; BOS clients send xnames.
      const force = queryBool(query, 'force');
      const dryRun = queryBool(query, 'dry_run') === true;
      const includeReasons = queryBool(query, 'include_reasons') === true;
      const r = applyStagedByNames(ctx, xnames, { skipCurrent: force === undefined ? undefined : !force, dryRun });
      const bos = { succeeded: r.succeeded, failed: r.failed, ignored: r.ignored };
      const extra = dryRun ? { reasons: r.reasons, plan: r.plan } : includeReasons ? { reasons: r.reasons } : {};
      return { status: 200, body: { ...bos, ...extra }, changed: !dryRun && r.succeeded.length + r.failed.length > 0 };
    },
  },
  { method: 'GET', path: '/options', perm: 'read_components', handler: ({ ctx }) => ({ status: 200, body: getOptions(ctx) }) },
  {
    method: 'PATCH', path: '/options', perm: 'admin',
    handler: ({ body, ctx }) => {
      const patch = requireObject(body, 'options');
      assertBody('V2Options', patch, 'options');
      return { status: 200, body: updateOptions(ctx, patch), changed: true };
    },
  },
];

/** The database: readable now (a read transaction), and writes not failing (the store's and the board's word). */
function databaseHealth(deps: ApiDeps): DependencyHealth {
  const onBoard = deps.health?.get('database');
  const since = onBoard?.since ?? deps.now().toISOString();
  const down = (detail: string): DependencyHealth => ({ status: 'down', detail, since: onBoard?.status === 'down' ? since : deps.now().toISOString(), checked_at: deps.now().toISOString() });
  try {
    deps.store.read(() => deps.store.components.count());
  } catch (e) {
    return down(`cannot read: ${(e as Error).message}`);
  }
  const failing = (deps.store as { writeHealth?: { failing: string | null } }).writeHealth?.failing;
  if (failing) return down(`cannot write: ${failing}`);
  if (onBoard?.status === 'down') return onBoard;
  return { status: 'up', detail: onBoard?.status === 'up' ? onBoard.detail : 'reads and writes work', since, checked_at: deps.now().toISOString() };
}
