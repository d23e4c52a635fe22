/**
 * The one registry of error kinds. Every error bosctl or bosd reports to a user comes from
 * here: a stable code (never reused), the process exit code, the HTTP status the API answers
 * with, a problem+json title and a hint that says what would be right.
 * docs/errors.md lists the same codes; test/errors.test.ts keeps the two equal.
 */

export const EXIT = {
  OK: 0,
  FAILED: 1,
  BAD_INPUT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface ErrorKind {
  exit: ExitCode;
  http: number;
  title: string;
  hint: string;
}

const TITLE_BAD_REQUEST = 'Bad Request';
const TITLE_NOT_FOUND = 'The resource was not found';
const TITLE_EXISTS = 'The resource to be created already exists';
const TITLE_CONFLICT = 'The update was not allowed due to a conflict';
const TITLE_INTERNAL = 'An Internal Server Error occurred handling the request';
const TITLE_UNAVAILABLE = 'Service Unavailable';

function badInput(hint: string): ErrorKind {
  return { exit: EXIT.BAD_INPUT, http: 400, title: TITLE_BAD_REQUEST, hint };
}

export const ERRORS = {
  BOS_USAGE: badInput('see the command\'s --help for its arguments and flags'),
  BOS_XNAME_INVALID: badInput('a node xname looks like x3000c0s19b1n0 (x<cabinet>c<chassis>s<slot>b<bmc>n<node>)'),
  BOS_BMC_XNAME_INVALID: badInput('a BMC xname looks like x3000c0s19b1 (x<cabinet>c<chassis>s<slot>b<bmc>)'),
  BOS_HOSTLIST_INVALID: badInput('a hostlist looks like nid[000001-000004,000010] with ascending ranges and balanced brackets'),
  BOS_LIMIT_INVALID: badInput('a limit is a comma list of xnames, node names, groups or roles; prefix & to intersect, ! to exclude; "all" or "*" for every node'),
  BOS_LIMIT_UNKNOWN_NAME: badInput('use a node, group or role listed by "bosctl inventory list"'),
  BOS_NO_NODES: badInput('name nodes as xnames, nids or hostnames (hostlists allowed), "-" to read them from stdin, or --self'),
  BOS_FILE_UNREADABLE: badInput('check the path and its permissions'),
  BOS_FILE_INVALID: badInput('the file must be valid JSON or YAML (or CSV for an inventory)'),
  BOS_TEMPLATE_INVALID: badInput('run "bosctl sessiontemplate validate" and fix each problem it lists'),
  BOS_NAME_INVALID: badInput('names use letters, digits, ".", "-" and "_", begin and end with a letter or digit, at most 127 characters'),
  BOS_OPERATION_INVALID: badInput('the operation is one of boot, reboot, shutdown'),
  BOS_OPTION_INVALID: badInput('run "bosctl options list" for the keys, their types and ranges'),
  BOS_INVENTORY_INVALID: badInput('each inventory row needs an xname; nid is a non-negative integer; see "bosctl inventory import --help"'),
  BOS_OUTPUT_INVALID: badInput('the output format is one of table, wide, json, yaml, name'),
  BOS_VALUE_INVALID: badInput('see the command\'s --help for accepted values'),
  BOS_CONFIRMATION_REQUIRED: badInput('add --yes (-y) to go ahead without asking, or --dry-run to see the plan first'),
  BOS_BODY_TOO_LARGE: { exit: EXIT.BAD_INPUT, http: 413, title: 'Payload Too Large', hint: 'send a smaller request body' },
  BOS_METHOD_NOT_ALLOWED: { exit: EXIT.BAD_INPUT, http: 405, title: 'Method Not Allowed', hint: 'the Allow header lists the methods of this path' },
  BOS_PATH_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'the API is under /v2 and /apis/bos/v2; see the BOS v2 API for its paths' },
  BOS_TEMPLATE_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'list templates with "bosctl sessiontemplate list"' },
  BOS_SESSION_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'list sessions with "bosctl session list"' },
  BOS_COMPONENT_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'list components with "bosctl component list"; nodes become components when imported with "bosctl inventory import"' },
  BOS_NODE_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'list nodes with "bosctl inventory list"' },
  BOS_TOKEN_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'list tokens with "bosctl token list"' },
  BOS_UNAUTHORIZED: { exit: EXIT.FAILED, http: 401, title: 'Unauthorized', hint: 'send Authorization: Bearer <token>; create one with "bosctl token create" on the admin node' },
  BOS_FORBIDDEN: { exit: EXIT.FAILED, http: 403, title: 'Forbidden', hint: 'this token\'s role may not do this; admin may do everything, wlm may apply staged state and read components, node may report its own boot' },
  BOS_SERVER_UNREACHABLE: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'check --server (or BOSCTL_SERVER) and that bosd is running' },
  BOS_TEMPLATE_EXISTS: { exit: EXIT.CONFLICT, http: 409, title: TITLE_EXISTS, hint: 'choose another name, or change it with "bosctl sessiontemplate update"' },
  BOS_SESSION_EXISTS: { exit: EXIT.CONFLICT, http: 409, title: TITLE_EXISTS, hint: 'choose another --name, or omit it for a generated one' },
  BOS_SESSION_LIMIT_REQUIRED: { exit: EXIT.BAD_INPUT, http: 400, title: TITLE_BAD_REQUEST, hint: 'the session_limit_required option is true: pass --limit (e.g. --limit all)' },
  BOS_NIDS_REJECTED: { exit: EXIT.BAD_INPUT, http: 400, title: TITLE_BAD_REQUEST, hint: 'the reject_nids option is true: name nodes by xname' },
  BOS_CONFLICT: { exit: EXIT.CONFLICT, http: 409, title: TITLE_CONFLICT, hint: 'read the current state and try again' },
  BOS_APPLY_STAGED_FAILED: { exit: EXIT.FAILED, http: 200, title: 'Some nodes failed', hint: 'see "bosctl component describe NODE" for each failed node\'s error' },
  BOS_DB_UNWRITABLE: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'check the database path and its directory\'s permissions, or choose another with --db or BOSCTL_DB' },
  BOS_DB_CORRUPT: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'the file is not a bosctl database or is damaged; restore it from a backup, or point --db elsewhere' },
  BOS_DB_TOO_NEW: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'upgrade bosctl to the version that wrote this database; the file was not changed' },
  BOS_DB_BUSY: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'another process held the database too long; try again' },
  BOS_DB_FULL: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'the disk holding the database is full: free space on it (df -h on its directory), then try again; nothing was written' },
  BOS_DB_MISSING: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'start bosd or run a write command (e.g. "bosctl inventory import") to create it, or pass --db PATH (or BOSCTL_DB) naming the database' },
  BOS_FILE_INSECURE: badInput('the file holds a secret: make it readable by its owner only (chmod 600 FILE)'),
  BOS_TENANT_INVALID: { exit: EXIT.BAD_INPUT, http: 400, title: 'Invalid tenant', hint: 'name a tenant listed by "bosctl tenant list" (or known to TAPMS), or leave out --tenant / Cray-Tenant-Name' },
  BOS_TENANT_NOT_FOUND: { exit: EXIT.NOT_FOUND, http: 404, title: TITLE_NOT_FOUND, hint: 'list tenants with "bosctl tenant list"' },
  BOS_TENANT_EXISTS: { exit: EXIT.CONFLICT, http: 409, title: TITLE_EXISTS, hint: 'choose another name, or change its nodes with "bosctl tenant update NAME --nodes LIMIT"' },
  BOS_TENANT_FORBIDDEN: { exit: EXIT.FAILED, http: 403, title: 'Forbidden', hint: 'this token is bound to one tenant: leave out --tenant (Cray-Tenant-Name) or send that tenant\'s name; tenants are managed without a tenant' },
  BOS_TAPMS_UNAVAILABLE: { exit: EXIT.FAILED, http: 503, title: TITLE_UNAVAILABLE, hint: 'check tapms_url in bosd.yaml and that TAPMS answers GET /v1alpha3/tenants/NAME' },
  BOS_INTERNAL: { exit: EXIT.FAILED, http: 500, title: TITLE_INTERNAL, hint: 'this is a bug in bosctl; please report it with the command that caused it' },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERRORS;

export class BosError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly httpStatus: number;
  readonly title: string;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    const kind: ErrorKind = ERRORS[code];
    this.name = 'BosError';
    this.code = code;
    this.exitCode = kind.exit;
    this.httpStatus = kind.http;
    this.title = kind.title;
    this.hint = hint ?? kind.hint;
  }
}

export function bosError(code: ErrorCode, message: string, hint?: string): BosError {
  return new BosError(code, message, hint);
}

export function isBosError(e: unknown): e is BosError {
  return e instanceof BosError;
}

/** One line, no newlines: messages may quote user input. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
