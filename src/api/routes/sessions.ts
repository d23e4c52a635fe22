import { bosError } from '../../core/errors.js';
import { assertBody } from '../../core/validate-body.js';
import { createSession, deleteSession, deleteSessions, getSession, listSessions, patchSession, sessionStatus, type SessionCreateRequest, type SessionFilter } from '../../services/sessions.js';
import { queryString, requireObject } from '../query.js';
import type { Route } from '../server.js';

function filterOf(q: URLSearchParams): SessionFilter {
  return { status: queryString(q, 'status', 32), min_age: queryString(q, 'min_age', 16), max_age: queryString(q, 'max_age', 16) };
}

export const sessionRoutes: Route[] = [
  {
    method: 'POST', path: '/sessions', perm: 'admin',
    handler: ({ body, ctx }) => {
      assertBody('V2SessionCreate', requireObject(body, 'session'), 'session');
      const created = createSession(ctx, body as SessionCreateRequest);
      return {
        status: 201, body: created.session, changed: true,
        // bosctl shows these; BOS clients ignore an unknown header.
        headers: created.warnings.length ? { 'Bosctl-Warnings': encodeURIComponent(JSON.stringify(created.warnings)) } : undefined,
      };
    },
  },
  { method: 'GET', path: '/sessions', perm: 'admin', handler: ({ query, ctx }) => ({ status: 200, body: listSessions(ctx, filterOf(query)) }) },
  {
    method: 'DELETE', path: '/sessions', perm: 'admin',
    handler: ({ query, ctx }) => { deleteSessions(ctx, filterOf(query)); return { status: 204, changed: true }; },
  },
  { method: 'GET', path: '/sessions/:id', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: getSession(ctx, params.id) }) },
  {
    method: 'PATCH', path: '/sessions/:id', perm: 'admin',
    handler: ({ params, body, ctx }) => ({ status: 200, body: patchSession(ctx, params.id, requireObject(body, 'session patch')), changed: true }),
  },
  {
    method: 'DELETE', path: '/sessions/:id', perm: 'admin',
    handler: ({ params, ctx }) => { deleteSession(ctx, params.id); return { status: 204, changed: true }; },
  },
  { method: 'GET', path: '/sessions/:id/status', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: sessionStatus(ctx, params.id).extended }) },
  {
    // BOS's operators call this to keep a complete session's status; bosd computes it live.
    method: 'POST', path: '/sessions/:id/status', perm: 'admin',
    handler: ({ params, ctx, body }) => {
      if (body !== undefined && (typeof body !== 'object' || body === null)) throw bosError('BOS_VALUE_INVALID', 'the body, if any, must be a JSON object');
      return { status: 200, body: getSession(ctx, params.id) };
    },
  },
];
