import { bosError } from '../../core/errors.js';
import { assertBody } from '../../core/validate-body.js';
import { allowed } from '../../core/access.js';
import { recordBootReport } from '../../services/boot-report.js';
import { deleteComponent, patchComponent, patchComponentList, patchComponents, putComponent, putComponents } from '../../services/component-api.js';
import { componentHistory, getComponent, listComponents } from '../../services/components.js';
import { queryBool, queryInt, queryList, queryString, requireObject } from '../query.js';
import type { Route } from '../server.js';

/** A node's boot report: only actual_state.bss_token (what bos-reporter sends). */
function isBootReport(b: Record<string, unknown>): boolean {
  const keys = Object.keys(b).filter((k) => k !== 'id');
  const a = b.actual_state as Record<string, unknown> | undefined;
  return keys.length === 1 && keys[0] === 'actual_state' && !!a && typeof a === 'object' && typeof a.bss_token === 'string' && !('boot_artifacts' in a);
}

export const componentRoutes: Route[] = [
  {
    method: 'GET', path: '/components', perm: 'read_components',
    handler: ({ query, ctx }) => ({
      status: 200,
      body: listComponents(ctx, {
        ids: queryList(query, 'ids'),
        session: queryString(query, 'session', 127),
        staged_session: queryString(query, 'staged_session', 127),
        enabled: queryBool(query, 'enabled'),
        phase: queryString(query, 'phase', 32),
        status: queryList(query, 'status'),
        start_after_id: queryString(query, 'start_after_id', 127),
        page_size: queryInt(query, 'page_size', 0, 1048576) || undefined,
      }),
    }),
  },
  { method: 'PUT', path: '/components', perm: 'admin', handler: ({ body, ctx }) => ({ status: 200, body: putComponents(ctx, body), changed: true }) },
  {
    method: 'PATCH', path: '/components', perm: 'admin', grouped: true,
    // The spec takes {filters, patch}, or a list of components each patched by its id.
    handler: ({ body, query, ctx }) => ({
      status: 200,
      body: Array.isArray(body) ? patchComponentList(ctx, body, queryBool(query, 'skip_bad_ids') ?? false) : patchComponents(ctx, requireObject(body, 'components update'), queryBool(query, 'skip_bad_ids') ?? false),
      changed: true,
    }),
  },
  { method: 'GET', path: '/components/:id', perm: 'read_component', handler: ({ params, ctx }) => ({ status: 200, body: getComponent(ctx, params.id) }) },
  { method: 'PUT', path: '/components/:id', perm: 'admin', handler: ({ params, body, ctx }) => ({ status: 200, body: putComponent(ctx, params.id, requireObject(body, 'component')), changed: true }) },
  {
    method: 'PATCH', path: '/components/:id', perm: 'report_boot', grouped: true,
    handler: ({ params, body, ctx, deps, principal }) => {
      const b = requireObject(body, 'component patch');
      if (b.id !== undefined && b.id !== params.id) throw bosError('BOS_VALUE_INVALID', `the body's id "${String(b.id)}" differs from the path's "${params.id}"`);
      assertBody('V2Component', b, `patch of component ${params.id}`);
      if (isBootReport(b)) {
        const r = recordBootReport(ctx, params.id, { bss_token: (b.actual_state as { bss_token: string }).bss_token });
        if (r.warning) deps.log('warn', r.warning, { component: params.id });
        return { status: 200, body: r.component, changed: true };
      }
      if (!allowed(principal, 'admin')) throw bosError('BOS_FORBIDDEN', 'this token may only report a node\'s boot ({"actual_state": {"bss_token": ...}})');
      return { status: 200, body: patchComponent(ctx, params.id, b), changed: true };
    },
  },
  {
    method: 'DELETE', path: '/components/:id', perm: 'admin',
    handler: ({ params, ctx }) => { deleteComponent(ctx, params.id); return { status: 204, changed: true }; },
  },
  {
    // bosctl's extension: a component's recorded changes.
    method: 'GET', path: '/components/:id/history', perm: 'admin',
    handler: ({ params, query, ctx }) => ({ status: 200, body: componentHistory(ctx, params.id, queryInt(query, 'limit', 1, 100000)) }),
  },
];
