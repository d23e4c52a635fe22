import { bosError } from '../../core/errors.js';
import { parseInventoryRecord } from '../../core/inventory.js';
import { describeNode, importInventory, listInventory } from '../../services/inventory.js';
import { createToken, listTokens, revokeToken } from '../../services/tokens.js';
import { requireObject } from '../query.js';
import type { Route } from '../server.js';

/** bosctl's own resources (not in BOS v2): the inventory and API tokens. */
export const extensionRoutes: Route[] = [
  { method: 'GET', path: '/inventory', perm: 'read_components', handler: ({ ctx }) => ({ status: 200, body: listInventory(ctx) }) },
  {
    method: 'POST', path: '/inventory', perm: 'admin',
    handler: ({ body, query, ctx }) => {
      if (!Array.isArray(body)) throw bosError('BOS_VALUE_INVALID', 'the body must be a JSON list of inventory records');
      const nodes = body.map((r, i) => parseInventoryRecord(requireObject(r, `record ${i + 1}`), `record ${i + 1}`));
      const replace = query.get('replace');
      if (replace !== null && replace !== 'true' && replace !== 'false') throw bosError('BOS_VALUE_INVALID', `replace=${replace.slice(0, 20)}: expected true or false`);
      return { status: 200, body: importInventory(ctx, nodes, { replace: replace === 'true' }), changed: true };
    },
  },
  { method: 'GET', path: '/inventory/:name', perm: 'read_components', handler: ({ params, ctx }) => ({ status: 200, body: describeNode(ctx, params.name) }) },
  { method: 'GET', path: '/tokens', perm: 'admin', handler: ({ ctx }) => ({ status: 200, body: listTokens(ctx) }) },
  {
    method: 'POST', path: '/tokens', perm: 'admin',
    handler: ({ body, ctx }) => {
      const b = requireObject(body, 'token request') as { role?: unknown; node?: unknown; expires?: unknown; description?: unknown };
      const unknown = Object.keys(b).filter((k) => !['role', 'node', 'expires', 'description'].includes(k));
      if (unknown.length) throw bosError('BOS_VALUE_INVALID', `unknown field "${unknown[0]}" in the token request: expected role, node, expires, description`);
      const str = (v: unknown, name: string) => {
        if (v === undefined) return undefined;
        if (typeof v !== 'string') throw bosError('BOS_VALUE_INVALID', `"${name}" must be a string`);
        return v;
      };
      if (typeof b.role !== 'string') throw bosError('BOS_VALUE_INVALID', '"role" is required: admin, wlm or node');
      return { status: 201, body: createToken(ctx, { role: b.role, node: str(b.node, 'node'), expires: str(b.expires, 'expires'), description: str(b.description, 'description') }) };
    },
  },
  { method: 'DELETE', path: '/tokens/:id', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: revokeToken(ctx, params.id) }) },
];
