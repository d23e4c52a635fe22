import { createTenant, deleteTenant, getTenant, listTenants, updateTenant } from '../../services/tenants.js';
import { queryBool, requireObject } from '../query.js';
import type { Route } from '../server.js';

/** bosctl's extension: its tenant registry (BOS reads tenants from TAPMS and has no such routes). */

function text(b: Record<string, unknown>, key: string): string | undefined {
  const v = b[key];
  return typeof v === 'string' ? v : undefined;
}

export const tenantRoutes: Route[] = [
  { method: 'GET', path: '/tenants', perm: 'admin', handler: ({ ctx }) => ({ status: 200, body: listTenants(ctx) }) },
  { method: 'GET', path: '/tenants/:id', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: getTenant(ctx, params.id) }) },
  {
    method: 'POST', path: '/tenants', perm: 'admin',
    handler: ({ body, ctx }) => {
      const b = requireObject(body, 'tenant');
      return { status: 201, body: createTenant(ctx, { name: text(b, 'name') ?? '', nodes: text(b, 'nodes'), description: text(b, 'description') }), changed: true };
    },
  },
  {
    method: 'PATCH', path: '/tenants/:id', perm: 'admin',
    handler: ({ params, body, ctx }) => {
      const b = requireObject(body, 'tenant patch');
      return { status: 200, body: updateTenant(ctx, { name: params.id, nodes: text(b, 'nodes'), description: text(b, 'description') }), changed: true };
    },
  },
  {
    method: 'DELETE', path: '/tenants/:id', perm: 'admin',
    handler: ({ params, query, ctx }) => ({ status: 200, body: deleteTenant(ctx, params.id, queryBool(query, 'force') ?? false), changed: true }),
  },
];
