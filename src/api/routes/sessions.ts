import { bosError, isBosError } from '../../core/errors.js';
import { assertBody } from '../../core/validate-body.js';
import { createSession, deleteSession, deleteSessions, getSession, listSessions, patchSession, saveSessionStatus, sessionStatus, type SessionCreateRequest, type SessionFilter } from '../../services/sessions.js';
import { getOptions } from '../../services/options.js';
import { queryBool, queryInt, queryString, requireObject } from '../query.js';
import { abortSession, resumeSession, rollback, sessionHistory, type RollbackRequest } from '../../services/rollout.js';
import type { Route } from '../server.js';

function filterOf(q: URLSearchParams): SessionFilter {
  return { status: queryString(q, 'status', 32), min_age: queryString(q, 'min_age', 8), max_age: queryString(q, 'max_age', 8) };
}

export const sessionRoutes: Route[] = [
  {
    method: 'POST', path: '/sessions', perm: 'admin',
    handler: async ({ body, query, ctx }) => {
      assertBody('V2SessionCreate', requireObject(body, 'session'), 'session');
      // bosctl's extensions ride in the query, so the body stays BOS's. strict=true: bosctl's own
      // checks (an unknown name in the limit, no node at all: 400 before anything is written);
      // without it BOS's rules (operators/session_setup.py): stored as given, ended by bosd's setup.
      const force = queryBool(query, 'force') ?? !getOptions(ctx).skip_current_nodes;
      const strict = queryBool(query, 'strict') === true;
      let created;
      try {
        created = await createSession(ctx, {
          ...(body as SessionCreateRequest), force, dry_run: queryBool(query, 'dry_run'), max_failures: queryString(query, 'max_failures', 16), strict,
        });
      } catch (e) {
        // BOS answers an unknown template with 400 (the spec lists no 404 here), and a template
        // whose image manifest cannot be read (S3 down included) with 400: it fails its check.
        if (isBosError(e) && (e.code === 'BOS_TEMPLATE_NOT_FOUND' || e.code === 'BOS_SERVER_UNREACHABLE')) throw Object.assign(e, { httpStatus: 400, title: 'Bad Request' });
        throw e;
      }
      if (created.dry_run) return { status: 200, body: { dry_run: true, session: created.session, plan: created.plan, warnings: created.warnings, current: created.current } };
      return {
        // BOS's session ("components" is "" until setup); bosctl's client (it sends strict) also gets the nodes it set.
        status: 201, body: query.has('strict') ? { ...created.session, nodes: created.nodes } : created.session, changed: true,
        // bosctl shows these; BOS clients ignore an unknown header.
        headers: {
          ...(created.warnings.length ? { 'Bosctl-Warnings': encodeURIComponent(JSON.stringify(created.warnings)) } : {}),
          ...(created.current.length ? { 'Bosctl-Current': encodeURIComponent(JSON.stringify(created.current)) } : {}),
        },
      };
    },
  },
  { method: 'GET', path: '/sessions', perm: 'admin', handler: ({ query, ctx }) => ({ status: 200, body: listSessions(ctx, filterOf(query)) }) },
  {
    method: 'DELETE', path: '/sessions', perm: 'admin',
    // BOS: by default only complete sessions are deleted.
    handler: ({ query, ctx }) => { deleteSessions(ctx, { ...filterOf(query), status: queryString(query, 'status', 32) ?? 'complete' }); return { status: 204, changed: true }; },
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
  // bosctl's extensions: the failure budget's controls, history and rollback.
  {
    method: 'POST', path: '/sessions/:id/resume', perm: 'admin',
    handler: ({ params, query, ctx }) => ({ status: 200, body: resumeSession(ctx, params.id, queryString(query, 'max_failures', 16)), changed: true }),
  },
  { method: 'POST', path: '/sessions/:id/abort', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: abortSession(ctx, params.id), changed: true }) },
  {
    method: 'GET', path: '/sessions/:id/history', perm: 'admin',
    handler: ({ params, query, ctx }) => ({ status: 200, body: sessionHistory(ctx, params.id, queryInt(query, 'limit', 1, 100000)) }),
  },
  {
    method: 'GET', path: '/sessions/:id/control', perm: 'admin',
    handler: ({ params, ctx }) => ({ status: 200, body: sessionStatus(ctx, params.id).control }),
  },
  // bosctl's extension: what `session status` shows (session, control, counts, extended status), read at once.
  {
    method: 'GET', path: '/sessions/:id/report', perm: 'admin',
    handler: ({ params, ctx }) => ({ status: 200, body: sessionStatus(ctx, params.id) }),
  },
  {
    method: 'POST', path: '/rollback', perm: 'admin',
    handler: ({ body, ctx }) => {
      const b = requireObject(body, 'rollback request') as RollbackRequest;
      const dryRun = b.dry_run === true;
      return { status: dryRun ? 200 : 201, body: rollback(ctx, { session: b.session, limit: b.limit, stage: b.stage === true, name: b.name, dry_run: dryRun }), changed: !dryRun };
    },
  },
  { method: 'GET', path: '/sessions/:id/status', perm: 'admin', handler: ({ params, ctx }) => ({ status: 200, body: sessionStatus(ctx, params.id).extended }) },
  {
    // BOS: computes the extended status, saves it and returns it (its completion operator calls this).
    method: 'POST', path: '/sessions/:id/status', perm: 'admin',
    handler: ({ params, ctx, body }) => {
      if (body !== undefined && (typeof body !== 'object' || body === null)) throw bosError('BOS_VALUE_INVALID', 'the body, if any, must be a JSON object');
      return { status: 200, body: saveSessionStatus(ctx, params.id), changed: true };
    },
  },
];
