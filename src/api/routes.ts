import { bosError } from '../core/errors.js';
import { recordBootReport } from '../services/boot-report.js';
import type { Route } from './server.js';

function versionBody(version: string) {
  const [major, minor, patch] = version.split('.');
  return { major, minor, patch, links: [{ rel: 'self', href: '/v2' }] };
}

/**
 * The routes bosd serves. The full BOS v2 API grows here; each route calls the services
 * the CLI calls.
 */
export const routes: Route[] = [
  { method: 'GET', path: '/', handler: ({ deps }) => ({ status: 200, body: versionBody(deps.version) }) },
  { method: 'GET', path: '/version', handler: ({ deps }) => ({ status: 200, body: versionBody(deps.version) }) },
  {
    method: 'GET', path: '/healthz',
    handler: ({ deps }) => {
      deps.store.read(() => deps.store.components.count());
      return { status: 200, body: { db_status: 'ok', api_status: 'ok' } };
    },
  },
  {
    method: 'PATCH', path: '/components/:id',
    handler: ({ params, body, ctx, deps }) => {
      const b = body as { id?: unknown; actual_state?: { bss_token?: unknown } } | undefined;
      if (!b || typeof b !== 'object' || Array.isArray(b)) throw bosError('BOS_VALUE_INVALID', 'the body must be a JSON object such as {"actual_state": {"bss_token": "..."}}');
      if (b.id !== undefined && b.id !== params.id) throw bosError('BOS_VALUE_INVALID', `the body's id "${String(b.id)}" differs from the path's "${params.id}"`);
      const extra = Object.keys(b).filter((k) => k !== 'id' && k !== 'actual_state');
      if (extra.length > 0 || !b.actual_state) {
        throw bosError('BOS_VALUE_INVALID', `this bosd accepts only a node's boot report here ({"actual_state": {"bss_token": ...}}); got ${extra.length ? `fields ${extra.join(', ')}` : 'no actual_state'}`);
      }
      const r = recordBootReport(ctx, params.id, { bss_token: b.actual_state.bss_token as string });
      if (r.warning) deps.log('warn', r.warning, { component: params.id });
      return { status: 200, body: r.component, changed: true };
    },
  },
];
