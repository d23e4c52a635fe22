import { getOptions, updateOptions } from '../../services/options.js';
import { applyStagedByNames } from '../../services/apply-staged.js';
import { bosError } from '../../core/errors.js';
import { assertBody } from '../../core/validate-body.js';
import { queryBool, requireObject } from '../query.js';
import type { Route } from '../server.js';

export function versionBody(version: string) {
  const [major, minor, patch] = version.split('.');
  return { major, minor, patch, links: [{ rel: 'self', href: '/v2' }] };
}

export const miscRoutes: Route[] = [
  { method: 'GET', path: '/', perm: 'public', handler: ({ deps }) => ({ status: 200, body: versionBody(deps.version) }) },
  { method: 'GET', path: '/version', perm: 'public', handler: ({ deps }) => ({ status: 200, body: versionBody(deps.version) }) },
  {
    method: 'GET', path: '/healthz', perm: 'public',
    handler: ({ deps }) => {
      deps.store.read(() => deps.store.components.count());
      return { status: 200, body: { dbStatus: 'ok', apiStatus: 'ok' } };
    },
  },
  {
    method: 'POST', path: '/applystaged', perm: 'apply_staged',
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
