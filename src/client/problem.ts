/**
 * bosd's problem+json answers back into the BosErrors the same call would have thrown on
 * the local database, so exit codes, messages and hints are the same in both modes.
 *
 * bosd names the error code in the problem's type (urn:bosctl:problem:BOS_TEMPLATE_EXISTS).
 * A server that does not (an older bosd, a proxy) is understood from the status and the
 * detail's wording, which the services write (see src/core and src/services), else from
 * what the call was about. Hints the services give beside their kind's (an xname slip, a
 * session over no nodes) are not in the problem: they are rebuilt here.
 */
import { ERRORS, bosError, oneLine, type BosError, type ErrorCode } from '../core/errors.js';
import { normalizeBmcXname, normalizeNodeXname } from '../core/xname.js';

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  code?: string;
  hint?: string;
}

/** What a call was about: the codes its 404 and 400 answers most likely stand for. */
export interface CallContext {
  notFound?: ErrorCode;
  badInput?: ErrorCode;
  conflict?: ErrorCode;
}

type Rule = [status: number, pattern: RegExp, code: ErrorCode, hint?: string];

/** The services' messages, by status. First match wins. */
const RULES: Rule[] = [
  [400, /^invalid [a-z ]*name ".*": use letters/, 'BOS_NAME_INVALID'],
  [400, /^invalid node xname /, 'BOS_XNAME_INVALID'],
  [400, /^invalid BMC xname /, 'BOS_BMC_XNAME_INVALID'],
  [400, /^(?:empty hostlist|invalid hostlist|hostlist ".*" expands to)/, 'BOS_HOSTLIST_INVALID'],
  [400, /^session would act on no nodes: /, 'BOS_LIMIT_INVALID',
    'check the template\'s node_list, node_groups and node_roles_groups and the limit against "bosctl inventory list"'],
  [400, /^(?:empty limit|invalid limit )/, 'BOS_LIMIT_INVALID'],
  [400, /^limit names (?:an )?unknown /, 'BOS_LIMIT_UNKNOWN_NAME'],
  [400, /^no nodes given/, 'BOS_NO_NODES'],
  [400, /^(?:unknown option "|invalid value .* for option [a-z_]+: expected)/, 'BOS_OPTION_INVALID'],
  [400, /^unknown operation "/, 'BOS_OPERATION_INVALID'],
  [400, /the session_limit_required option is true$/, 'BOS_SESSION_LIMIT_REQUIRED'],
  [400, /and the reject_nids option is true$/, 'BOS_NIDS_REJECTED'],
  [400, /^nothing to roll back: /, 'BOS_LIMIT_INVALID', 'a node has an earlier state once bosd has taken it stable onto a new one'],
  [400, /^give either --session S or --limit L$/, 'BOS_USAGE'],
  [400, /^nothing to update: /, 'BOS_USAGE'],
  [400, /^session template ".*" is invalid: |^the template body names "| of template ".*" names an image manifest /, 'BOS_TEMPLATE_INVALID'],
  [400, /(?:^| )(?:hostname or alias ".*"|nid \d+) already belongs to |" is used by both |^xname .* appears twice in the file$|^record \d+: (?!.*must be a JSON object)/, 'BOS_INVENTORY_INVALID'],
  [404, /^session template ".*" does not exist$/, 'BOS_TEMPLATE_NOT_FOUND'],
  [404, /^session ".*" does not exist$/, 'BOS_SESSION_NOT_FOUND'],
  [404, /^components? .*do(?:es)? not exist/, 'BOS_COMPONENT_NOT_FOUND'],
  [404, /^node ".*" is not in the inventory$/, 'BOS_NODE_NOT_FOUND'],
  [404, /^token ".*" does not exist$/, 'BOS_TOKEN_NOT_FOUND'],
  [404, /^no such path /, 'BOS_PATH_NOT_FOUND'],
  [409, /^session template ".*" already exists$/, 'BOS_TEMPLATE_EXISTS'],
  [409, /^session ".*" already exists$/, 'BOS_SESSION_EXISTS'],
  [503, /^database .* stayed locked /, 'BOS_DB_BUSY'],
  [503, /^cannot write database /, 'BOS_DB_UNWRITABLE'],
  [503, /^database .* is not a bosctl database/, 'BOS_DB_CORRUPT'],
  [503, /^database .* newer than this bosctl/, 'BOS_DB_TOO_NEW'],
];

function isCode(c: unknown): c is ErrorCode {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, c);
}

/** bosd names the code in the problem's type (urn:bosctl:problem:BOS_...); a `code` member would do too. */
const TYPE_PREFIX = 'urn:bosctl:problem:';

function codeOf(p: Problem | undefined): ErrorCode | undefined {
  if (!p) return undefined;
  if (typeof p.type === 'string' && p.type.startsWith(TYPE_PREFIX)) {
    const c = p.type.slice(TYPE_PREFIX.length);
    if (isCode(c)) return c;
  }
  return isCode(p.code) ? p.code : undefined;
}

function byStatus(status: number, ctx: CallContext): ErrorCode {
  switch (status) {
    case 400: return ctx.badInput ?? 'BOS_VALUE_INVALID';
    case 401: return 'BOS_UNAUTHORIZED';
    case 403: return 'BOS_FORBIDDEN';
    case 404: return ctx.notFound ?? 'BOS_PATH_NOT_FOUND';
    case 405: return 'BOS_METHOD_NOT_ALLOWED';
    case 409: return ctx.conflict ?? 'BOS_CONFLICT';
    case 413: return 'BOS_BODY_TOO_LARGE';
    case 502: case 503: case 504: return 'BOS_SERVER_UNREACHABLE';
  }
  if (status >= 500) return 'BOS_INTERNAL';
  return 'BOS_VALUE_INVALID';
}

/** The error code and hint an answer stands for. */
export function inferCode(status: number, detail: string, ctx: CallContext = {}): { code: ErrorCode; hint?: string } {
  for (const [s, re, code, hint] of RULES) {
    if (s === status && re.test(detail)) return { code, hint };
  }
  return { code: byStatus(status, ctx) };
}

/** An xname error with the hint the local check gives (it names the slip, e.g. a BMC xname). */
function xnameError(code: ErrorCode, detail: string): BosError | undefined {
  const m = /^invalid (?:node|BMC) xname ("(?:[^"\\]|\\.)*"): /.exec(detail);
  if (!m) return undefined;
  let text: string;
  try { text = JSON.parse(m[1]) as string; } catch { return undefined; }
  if (text.endsWith('...')) return undefined;
  try {
    if (code === 'BOS_XNAME_INVALID') normalizeNodeXname(text);
    else normalizeBmcXname(text);
  } catch (e) {
    if (e instanceof Error && (e as BosError).code === code && e.message === detail) return e as BosError;
  }
  return undefined;
}

/** The BosError for an error answer. `body` is the raw text (problem+json, or anything a proxy sends). */
export function problemError(status: number, body: string, contentType: string | undefined, ctx: CallContext, where: string): BosError {
  let p: Problem | undefined;
  if (/json/i.test(contentType ?? '') || body.trimStart().startsWith('{')) {
    try {
      const v = JSON.parse(body) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) p = v as Problem;
    } catch { /* not JSON: a proxy's page */ }
  }
  const detail = typeof p?.detail === 'string' && p.detail.trim() !== '' ? oneLine(p.detail) : undefined;
  if (!detail) {
    const { code } = inferCode(status, '', ctx);
    const what = typeof p?.title === 'string' ? p.title : `HTTP ${status}`;
    return bosError(code, `${where} answered ${status} (${oneLine(what)})`);
  }
  const named = codeOf(p);
  if (named) {
    const inferred = inferCode(status, detail, ctx);
    const hint = typeof p?.hint === 'string' ? p.hint : inferred.code === named ? inferred.hint : undefined;
    if (named === 'BOS_XNAME_INVALID' || named === 'BOS_BMC_XNAME_INVALID') {
      const local = xnameError(named, detail);
      if (local) return local;
    }
    return bosError(named, detail, hint);
  }
  const { code, hint } = inferCode(status, detail, ctx);
  if (code === 'BOS_XNAME_INVALID' || code === 'BOS_BMC_XNAME_INVALID') {
    const local = xnameError(code, detail);
    if (local) return local;
  }
  return bosError(code, detail, typeof p?.hint === 'string' ? p.hint : hint);
}
