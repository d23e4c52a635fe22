/**
 * Validates request and response bodies against the BOS v2 schemas in schemas.ts.
 *
 * This is the only module that loads ajv, and only on first use. Each schema is compiled
 * once, on first use, and cached.
 */

import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';
import { bosError, oneLine } from './errors.js';
import {
  ACTUAL_STATE_TTL_PATTERN,
  AGE_PATTERN,
  ARTIFACT_PATH_PATTERN,
  HSM_NAME_PATTERN,
  LOGGING_LEVEL_PATTERN,
  NAME_PATTERN,
  NODE_NAME_PATTERN,
  NO_CONTROL_PATTERN,
  SCHEMAS,
  type JsonSchema,
  type SchemaName,
} from './schemas.js';

// ajv is CommonJS and costs ~30 ms to load: it is required on first use, so commands that
// validate nothing (apply-staged on a compute node) never pay for it.
type AjvClass = typeof AjvModule.default;
let AjvLoaded: AjvClass | undefined;
function loadAjv(): AjvClass {
  if (!AjvLoaded) {
    const mod = createRequire(import.meta.url)('ajv') as { default?: AjvClass } & AjvClass;
    AjvLoaded = mod.default ?? mod;
  }
  return AjvLoaded;
}
export type AjvInstance = InstanceType<AjvClass>;

/**
 * RFC 3339 date-time. The zone may be left out: BOS writes Python isoformat() stamps, which
 * have none when the clock is naive.
 */
const DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)?$/;
/** A URI reference (RFC 3986): ProblemDetails' type and instance may be relative ("about:blank", "/v2/..."). */
const URI_REFERENCE = /^[^\s<>"{}|\\^`\u0000-\u001f\u007f]*$/;

const AJV_OPTIONS: AjvOptions = {
  allErrors: true,
  strict: true,
  // V2BootSet's anyOf branches require keys defined in the parent's properties; strictRequired would refuse that.
  strictRequired: false,
  allowUnionTypes: true,
  formats: { 'date-time': DATE_TIME, uri: URI_REFERENCE },
};

/** A fresh ajv with the options and formats our schemas need (tests compile sub-schemas with it). */
export function createAjv(): AjvInstance {
  return new (loadAjv())(AJV_OPTIONS);
}

let ajv: AjvInstance | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    ajv ??= createAjv();
    validate = ajv.compile(SCHEMAS[name] as JsonSchema as Record<string, unknown>);
    compiled.set(name, validate);
  }
  return validate;
}

/**
 * Checks `body` against the named schema. Returns one line per problem, like
 * "boot_sets.compute: must have required property 'path'"; empty when the body is valid.
 */
export function validateBody(schemaName: SchemaName, body: unknown): string[] {
  const validate = validatorFor(schemaName);
  if (validate(body)) return [];
  return describeErrors(validate.errors ?? []);
}

/** The most problems an error message lists; the rest are counted. */
const MAX_PROBLEMS_IN_MESSAGE = 10;

/** Throws BOS_VALUE_INVALID ("invalid <what>: <problems>") unless `body` is valid. */
export function assertBody(schemaName: SchemaName, body: unknown, what: string): void {
  const problems = validateBody(schemaName, body);
  if (problems.length === 0) return;
  const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE);
  const more = problems.length - shown.length;
  const tail = more > 0 ? `; and ${more} more` : '';
  throw bosError('BOS_VALUE_INVALID', `invalid ${what}: ${shown.join('; ')}${tail}`);
}

// ---------------------------------------------------------------------------------------------
// Error messages
// ---------------------------------------------------------------------------------------------

/** Turns ajv's errors into one human line each, without the noise of failed alternatives. */
export function describeErrors(errors: readonly ErrorObject[]): string[] {
  const lines: string[] = [];
  for (const { error, message } of simplify(errors)) {
    const where = humanPath(error.instancePath);
    const line = oneLine(where ? `${where}: ${message}` : message);
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

interface Problem {
  error: ErrorObject;
  message: string;
}

/**
 * ajv reports every failed branch of an anyOf/oneOf. Keep only the branch that came closest
 * (fewest errors; the first on a tie), so "boot set lacks path" does not also say "and lacks
 * kernel"; when every branch misses just one required key, name them together.
 */
function simplify(errors: readonly ErrorObject[]): Problem[] {
  let kept: ErrorObject[] = [...errors];
  const override = new Map<ErrorObject, string>();
  const combinators = kept
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);

  for (const c of combinators) {
    if (!kept.includes(c)) continue;
    const prefix = `${c.schemaPath}/`;
    const isUnder = (e: ErrorObject): boolean =>
      e !== c && e.schemaPath.startsWith(prefix) && isWithin(e.instancePath, c.instancePath);
    const branchErrors = kept.filter(isUnder);

    const passing = (c.params as { passingSchemas?: number[] | null }).passingSchemas;
    if (c.keyword === 'oneOf' && Array.isArray(passing)) {
      kept = kept.filter((e) => !isUnder(e));
      override.set(c, `must match exactly one of the alternatives, but matches ${passing.length}`);
      continue;
    }
    if (branchErrors.length === 0) continue;

    const branches = new Map<number, ErrorObject[]>();
    for (const e of branchErrors) {
      const index = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
      const list = branches.get(index) ?? [];
      list.push(e);
      branches.set(index, list);
    }
    const all = [...branches.values()];
    const singleRequired =
      all.length > 1 &&
      all.every((b) => b.length === 1 && b[0]!.keyword === 'required' && b[0]!.instancePath === c.instancePath);
    if (singleRequired) {
      const names = all.map((b) => `'${(b[0]!.params as { missingProperty: string }).missingProperty}'`);
      kept = kept.filter((e) => !isUnder(e));
      override.set(c, `must have required property ${names.join(' or ')}`);
      continue;
    }
    let best = all[0]!;
    for (const b of all) if (b.length < best.length) best = b;
    kept = kept.filter((e) => e !== c && (!isUnder(e) || best.includes(e)));
  }
  // A value outside an enum says all there is to say; its length errors only repeat it.
  const enumPaths = new Set(kept.filter((e) => e.keyword === 'enum').map((e) => e.instancePath));
  kept = kept.filter((e) => e.keyword === 'enum' || !enumPaths.has(e.instancePath) || !LENGTH_KEYWORDS.has(e.keyword));
  return kept.map((error) => ({ error, message: override.get(error) ?? messageOf(error) }));
}

const LENGTH_KEYWORDS = new Set(['minLength', 'maxLength']);

/** The patterns people meet most, said in words. */
const PATTERN_WORDS: Record<string, string> = {
  [NAME_PATTERN]:
    'must be 1-127 letters, digits, ".", "-" or "_", beginning and ending with a letter or digit',
  [AGE_PATTERN]: 'must be 0 or a whole number with a unit m, h, d or w (e.g. "3d")',
  [ACTUAL_STATE_TTL_PATTERN]: 'must be a positive whole number with a unit h, d or w (e.g. "6h")',
  [LOGGING_LEVEL_PATTERN]: 'must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (any letter case)',
  [NO_CONTROL_PATTERN]: 'must not hold control characters (newline, carriage return, tab, NUL...)',
  [ARTIFACT_PATH_PATTERN]: 'must be an s3://, http:// or https:// URL or an absolute path, without ".." segments, spaces or control characters',
  [NODE_NAME_PATTERN]: 'must be an xname or a node name: letters, digits, ".", "-" or "_", beginning and ending with a letter or digit',
  [HSM_NAME_PATTERN]: 'must be letters, digits, ".", "-" or "_", beginning with a letter or digit',
};

function isWithin(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function messageOf(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown property '${String(params.additionalProperty)}'`;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'type': {
      const types = Array.isArray(params.type) ? params.type : String(params.type).split(',');
      return `must be ${types.join(' or ')}`;
    }
    case 'pattern':
      return PATTERN_WORDS[String(params.pattern)] ?? `must match pattern ${String(params.pattern)}`;
    case 'format':
      return `must be a ${String(params.format)}`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

/** "/boot_sets/compute/node_list/0" → "boot_sets.compute.node_list[0]". */
function humanPath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^(0|[1-9]\d*)$/.test(key)) out += `[${key}]`;
    else if (key === '' || /[.[\]\s"]/.test(key)) out += `[${JSON.stringify(key)}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}
