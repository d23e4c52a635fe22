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

/** An error bosd records on a node or session: the call that reads it still succeeds. */
function nodeError(hint: string): ErrorKind {
  return { exit: EXIT.FAILED, http: 200, title: 'A node or session failed', hint };
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
  // Outcomes the CLI reports with exit 1 (CommandFailed); none is an API answer, hence HTTP 200 as for BOS_APPLY_STAGED_FAILED.
  BOS_NOT_CONFIRMED: { exit: EXIT.FAILED, http: 200, title: 'Not confirmed', hint: 'nothing was changed; run the command again and answer yes, or add --yes' },
  BOS_SESSION_FAILED: { exit: EXIT.FAILED, http: 200, title: 'The session did not finish cleanly', hint: 'see "bosctl session status NAME" for the failed and held nodes' },
  BOS_APPLY_STAGED_IGNORED: { exit: EXIT.FAILED, http: 200, title: 'Some nodes were ignored', hint: 'the ignored nodes had nothing staged (or were disabled); leave out --strict to accept that' },
  BOS_COMPONENT_FAILED: { exit: EXIT.FAILED, http: 200, title: 'A node failed', hint: 'see "bosctl component describe NODE" for its error, fix the cause, then reboot it again' },
  BOS_WAIT_TIMED_OUT: { exit: EXIT.FAILED, http: 200, title: 'Timed out', hint: 'give a longer --timeout, or see "bosctl component describe NODE" for what the node waits for' },
  BOS_TEMPLATE_NOT_DELETED: { exit: EXIT.FAILED, http: 200, title: 'Some templates were not deleted', hint: 'the lines above say why for each template' },
  BOS_DOCTOR_FAILED: { exit: EXIT.FAILED, http: 200, title: 'Checks failed', hint: 'the lines above say what failed and what to do' },
  BOS_DEMO_FAILED: { exit: EXIT.FAILED, http: 200, title: 'The demo did not end as expected', hint: 'run it again with --keep and read its log; this is likely a bug, please report it' },
  BOS_SCONTROL_FAILED: { exit: EXIT.FAILED, http: 200, title: 'scontrol failed', hint: 'install Slurm\'s client commands or give --scontrol PATH; the message says what scontrol answered' },
  BOS_SLURM_NODES_FAILED: { exit: EXIT.FAILED, http: 200, title: 'Some nodes were not rebooted', hint: 'the lines above say, per node, what to run' },
  // Recorded on a node (its events, bosd's log), never an API answer: the component reads 200.
  BOS_NODE_POWER_UNREADABLE: nodeError('the BMC did not answer power-state reads: check its address, credentials and network ("bosctl doctor"), then enable the node again'),
  BOS_NODE_POWER_OFF_FAILED: nodeError('the node did not power off, even forcibly: check its BMC and power; raise max_power_off_wait_time if it is only slow'),
  BOS_NODE_BOOT_FAILED: nodeError('the node did not report booting its desired kernel: check its console and that the image boots; raise max_boot_wait_time if it is only slow'),
  BOS_NODE_BOOT_PARAMS_FAILED: nodeError('BSS refused the boot parameters: check bss_url in bosd.yaml and the artifacts of the session template'),
  BOS_NODE_CONFIGURATION_FAILED: nodeError('CFS could not apply (or take) the configuration: see the CFS component and session logs for the node'),
  BOS_NODE_CALL_FAILED: nodeError('a call to the node\'s BMC, BSS or CFS failed; bosd tries again by the retry policy (default_retry_policy)'),
  BOS_NODE_SERVICE_WAIT: nodeError('BSS or CFS is unreachable or busy: the node waits on hold without spending attempts; check that service'),
  BOS_NODE_HELD: nodeError('its session was halted by its failure budget: fix the failed nodes, then start a new session'),
  BOS_SESSION_HALTED: nodeError('the session\'s failed nodes reached --max-failures: see "bosctl session status NAME" for them'),
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
