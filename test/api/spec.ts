/**
 * The response (and request) schemas of the BOS v2 API for the contract tests.
 *
 * With the reference document (../shared/reference/bos-v2-openapi.yaml, or the directory
 * named by BOSCTL_TEST_REFERENCE_DIR) the schemas are the spec's own: `$ref`s resolved
 * through one ajv document, OpenAPI 3.0's `nullable: true` written as a type union (and null
 * in the enum), words for people (`example`, `x-*`) dropped. bosctl's declared extensions
 * (EXTENSIONS in src/core/schemas.ts: kernel/initrd boot sets, two option keys) are laid
 * over the spec's schemas, so a boot set with kernel and initrd is judged as bosctl
 * documents it and everything else as the spec says.
 *
 * Without the reference, the same questions are answered from bosctl's own schemas
 * (src/core/schemas.ts), plus the few bodies those do not define, written here from the
 * same BOS v2 facts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { EXTENSIONS, SCHEMAS, type JsonSchema } from '../../src/core/schemas.js';
import { createAjv, describeErrors } from '../../src/core/validate-body.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REFERENCE_DIR = process.env.BOSCTL_TEST_REFERENCE_DIR ?? path.resolve(projectRoot, '../shared/reference');
export const SPEC_PATH = path.join(REFERENCE_DIR, 'bos-v2-openapi.yaml');

type Node = Record<string, unknown>;

/** Every operation of the BOS v2 spec (method and spec path), kept equal to the spec by contract.test.ts. */
export const SPEC_OPERATIONS = [
  'GET /',
  'GET /v2',
  'GET /v2/healthz',
  'GET /v2/sessiontemplates',
  'GET /v2/sessiontemplatesvalid/{session_template_id}',
  'GET /v2/sessiontemplates/{session_template_id}',
  'PUT /v2/sessiontemplates/{session_template_id}',
  'PATCH /v2/sessiontemplates/{session_template_id}',
  'DELETE /v2/sessiontemplates/{session_template_id}',
  'GET /v2/sessiontemplatetemplate',
  'POST /v2/sessions',
  'GET /v2/sessions',
  'DELETE /v2/sessions',
  'GET /v2/sessions/{session_id}',
  'PATCH /v2/sessions/{session_id}',
  'DELETE /v2/sessions/{session_id}',
  'GET /v2/sessions/{session_id}/status',
  'POST /v2/sessions/{session_id}/status',
  'GET /v2/components',
  'PUT /v2/components',
  'PATCH /v2/components',
  'GET /v2/components/{component_id}',
  'PUT /v2/components/{component_id}',
  'PATCH /v2/components/{component_id}',
  'DELETE /v2/components/{component_id}',
  'POST /v2/applystaged',
  'GET /v2/options',
  'PATCH /v2/options',
  'GET /v2/version',
] as const;
export type SpecOperation = (typeof SPEC_OPERATIONS)[number];

/** What the spec says an answer looks like: its media type and body schema, or no body. */
export interface Expectation {
  /** 'application/json', 'application/problem+json', or null for an empty body (204). */
  mediaType: string | null;
  validate?: ValidateFunction;
  /** Where the schema came from, for messages. */
  source: string;
}

export interface Contract {
  /** True when the reference document was found and is used. */
  fromReference: boolean;
  /** The operations and their documented statuses. */
  statuses(op: SpecOperation): number[];
  response(op: SpecOperation, status: number): Expectation;
  /** The request body schema of an operation, if it has one. */
  request(op: SpecOperation): ValidateFunction | undefined;
  /** Spec operations as written in the document (for the coverage check); [] without it. */
  documentOperations(): string[];
}

export function errorsOf(v: ValidateFunction): string {
  return describeErrors(v.errors ?? []).join('; ');
}

// ---------------------------------------------------------------------------------------------
// From the reference document
// ---------------------------------------------------------------------------------------------

const DOC_ID = 'bos-v2-reference';
const DROP = new Set(['example', 'examples', 'nullable', 'discriminator', 'xml', 'externalDocs', 'deprecated']);

/** OpenAPI 3.0 schema → draft-07 (ajv 8). */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const n = node as Node;
  if (typeof n.$ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(n.$ref);
    if (!m) throw new Error(`cannot resolve $ref ${n.$ref}`);
    return { $ref: `${DOC_ID}#/definitions/${m[1]}` };
  }
  const out: Node = {};
  for (const [k, v] of Object.entries(n)) {
    if (DROP.has(k) || k.startsWith('x-')) continue;
    if (k === 'properties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as Node).map(([pk, pv]) => [pk, convert(pv)]));
    } else if (['items', 'additionalProperties', 'not', 'allOf', 'oneOf', 'anyOf'].includes(k)) {
      out[k] = typeof v === 'boolean' ? v : convert(v);
    } else out[k] = v;
  }
  if (n.nullable === true) {
    if (out.type !== undefined) out.type = [...(Array.isArray(out.type) ? out.type : [out.type]), 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** Lays bosctl's declared extensions (`Schema.keyword.path`) over the spec's schemas. */
function applyExtensions(specSchemas: Record<string, Node>): string[] {
  const applied: string[] = [];
  for (const ext of EXTENSIONS) {
    const [name, ...keys] = ext.split('.');
    let ours: unknown = SCHEMAS[name as keyof typeof SCHEMAS];
    for (const k of keys) ours = (ours as Node | undefined)?.[k];
    let target = specSchemas[name!] as Node;
    for (const k of keys.slice(0, -1)) target = (target[k] ??= {}) as Node;
    const last = keys[keys.length - 1]!;
    if (ours === undefined) delete target[last];
    else target[last] = structuredClone(ours);
    applied.push(ext);
  }
  return applied;
}

function referenceContract(): Contract & { extensions: string[] } {
  const doc = parse(readFileSync(SPEC_PATH, 'utf8')) as Node;
  const components = doc.components as Node;
  const specSchemas = structuredClone(components.schemas) as Record<string, Node>;
  const extensions = applyExtensions(specSchemas);
  const ajv = createAjv();
  ajv.addSchema({ $id: DOC_ID, definitions: Object.fromEntries(Object.entries(specSchemas).map(([k, v]) => [k, convert(v)])) });
  const responses = components.responses as Record<string, Node>;
  const requestBodies = components.requestBodies as Record<string, Node>;
  const paths = doc.paths as Record<string, Record<string, Node>>;

  const opNode = (op: SpecOperation): Node => {
    const [method, p] = op.split(' ') as [string, string];
    const node = paths[p]?.[method.toLowerCase()];
    if (!node) throw new Error(`the spec has no operation ${op}`);
    return node;
  };
  const deref = (n: Node, table: Record<string, Node>, kind: string): Node => {
    if (typeof n.$ref !== 'string') return n;
    const name = new RegExp(`^#/components/${kind}/(.+)$`).exec(n.$ref)?.[1];
    if (!name || !table[name]) throw new Error(`cannot resolve ${n.$ref}`);
    return table[name]!;
  };
  const cache = new Map<string, Expectation>();

  return {
    fromReference: true,
    extensions,
    statuses: (op) => Object.keys(opNode(op).responses as Node).map(Number),
    response(op, status) {
      const key = `${op} ${status}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const documented = (opNode(op).responses as Record<string, Node>)[String(status)];
      let e: Expectation;
      if (!documented) {
        // Not documented for this operation (401, 403, 405, 413 ...): an RFC 7807 problem.
        e = { mediaType: 'application/problem+json', validate: ajv.compile({ $ref: `${DOC_ID}#/definitions/ProblemDetails` }), source: 'spec ProblemDetails (status not documented for this operation)' };
      } else {
        const r = deref(documented, responses, 'responses');
        const content = r.content as Record<string, { schema: Node }> | undefined;
        if (!content) e = { mediaType: null, source: `spec ${op} ${status}: no content` };
        else {
          const [mediaType, { schema }] = Object.entries(content)[0]!;
          e = { mediaType, validate: ajv.compile(convert(schema) as Node), source: `spec ${op} ${status} (${mediaType})` };
        }
      }
      cache.set(key, e);
      return e;
    },
    request(op) {
      const rb = opNode(op).requestBody as Node | undefined;
      if (!rb) return undefined;
      const body = deref(rb, requestBodies, 'requestBodies');
      const schema = (body.content as Record<string, { schema: Node }>)['application/json']!.schema;
      return ajv.compile(convert(schema) as Node);
    },
    documentOperations() {
      const out: string[] = [];
      for (const [p, item] of Object.entries(paths)) {
        for (const m of ['get', 'put', 'post', 'patch', 'delete', 'head', 'options']) if (item[m]) out.push(`${m.toUpperCase()} ${p}`);
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// From bosctl's own schemas
// ---------------------------------------------------------------------------------------------

/** The bodies src/core/schemas.ts does not define, from the same BOS v2 facts. */
const LOCAL: Record<string, JsonSchema> = {
  Healthz: { type: 'object', properties: { dbStatus: { type: 'string' }, apiStatus: { type: 'string' } }, additionalProperties: false },
  V2SessionTemplateValidation: { type: 'string' },
  VersionArray: { type: 'array', items: SCHEMAS.Version },
};

type Doc = { status: number; schema?: string; problem?: string };
const ok = (status: number, schema?: string): Doc => ({ status, schema });
const bad: Doc = { status: 400, problem: 'Bad Request' };
const notFound: Doc = { status: 404, problem: 'The resource was not found' };
const exists: Doc = { status: 409, problem: 'The resource to be created already exists' };
const conflict: Doc = { status: 409, problem: 'The update was not allowed due to a conflict' };
const internal: Doc = { status: 500, problem: 'An Internal Server Error occurred handling the request' };

/** The documented statuses of each operation, as the BOS v2 spec lists them. */
const OWN: Record<SpecOperation, { responses: Doc[]; request?: string }> = {
  'GET /': { responses: [ok(200, 'VersionArray'), internal] },
  'GET /v2': { responses: [ok(200, 'Version'), internal] },
  'GET /v2/healthz': { responses: [ok(200, 'Healthz'), { status: 500, problem: 'Bad Request' }, { status: 503, problem: 'Service Unavailable' }] },
  'GET /v2/sessiontemplates': { responses: [ok(200, 'V2SessionTemplateArray')] },
  'GET /v2/sessiontemplatesvalid/{session_template_id}': { responses: [ok(200, 'V2SessionTemplateValidation'), notFound] },
  'GET /v2/sessiontemplates/{session_template_id}': { responses: [ok(200, 'V2SessionTemplate'), notFound] },
  'PUT /v2/sessiontemplates/{session_template_id}': { responses: [ok(200, 'V2SessionTemplate'), bad], request: 'V2SessionTemplate' },
  'PATCH /v2/sessiontemplates/{session_template_id}': { responses: [ok(200, 'V2SessionTemplate'), bad, notFound], request: 'V2SessionTemplatePatch' },
  'DELETE /v2/sessiontemplates/{session_template_id}': { responses: [ok(204), notFound] },
  'GET /v2/sessiontemplatetemplate': { responses: [ok(200, 'V2SessionTemplate')] },
  'POST /v2/sessions': { responses: [ok(201, 'V2Session'), bad, exists], request: 'V2SessionCreate' },
  'GET /v2/sessions': { responses: [ok(200, 'V2SessionArray')] },
  'DELETE /v2/sessions': { responses: [ok(204), bad] },
  'GET /v2/sessions/{session_id}': { responses: [ok(200, 'V2Session'), notFound] },
  'PATCH /v2/sessions/{session_id}': { responses: [ok(200, 'V2Session'), bad, notFound], request: 'V2SessionUpdate' },
  'DELETE /v2/sessions/{session_id}': { responses: [ok(204), notFound] },
  'GET /v2/sessions/{session_id}/status': { responses: [ok(200, 'V2SessionExtendedStatus'), notFound] },
  'POST /v2/sessions/{session_id}/status': { responses: [ok(200, 'V2Session'), notFound] },
  'GET /v2/components': { responses: [ok(200, 'V2ComponentArray'), bad] },
  'PUT /v2/components': { responses: [ok(200, 'V2ComponentArray'), bad], request: 'V2ComponentArrayWithIds' },
  'PATCH /v2/components': { responses: [ok(200, 'V2ComponentArray'), bad, notFound], request: 'V2ComponentsUpdateOrArray' },
  'GET /v2/components/{component_id}': { responses: [ok(200, 'V2Component'), bad, notFound] },
  'PUT /v2/components/{component_id}': { responses: [ok(200, 'V2Component'), bad], request: 'V2Component' },
  'PATCH /v2/components/{component_id}': { responses: [ok(200, 'V2Component'), bad, notFound, conflict], request: 'V2Component' },
  'DELETE /v2/components/{component_id}': { responses: [ok(204), notFound] },
  'POST /v2/applystaged': { responses: [ok(200, 'V2ApplyStagedStatus'), bad], request: 'V2ApplyStagedComponents' },
  'GET /v2/options': { responses: [ok(200, 'V2Options')] },
  'PATCH /v2/options': { responses: [ok(200, 'V2Options'), bad], request: 'V2Options' },
  'GET /v2/version': { responses: [ok(200, 'Version'), { status: 500, problem: 'Bad Request' }] },
};

function ownContract(): Contract {
  const ajv = createAjv();
  const schemaOf = (name: string): JsonSchema => {
    if (name === 'V2ComponentsUpdateOrArray') return { oneOf: [SCHEMAS.V2ComponentsUpdate, SCHEMAS.V2ComponentArrayWithIds] };
    const s = (SCHEMAS as Record<string, JsonSchema>)[name] ?? LOCAL[name];
    if (!s) throw new Error(`no schema ${name}`);
    return s;
  };
  // As the spec's Problem* schemas: a title constant, and a status constant for three of them.
  const PROBLEM_STATUS: Record<string, number> = { 'Bad Request': 400, 'The resource was not found': 404, 'The resource to be created already exists': 409 };
  const problem = (title: string): JsonSchema => ({
    allOf: [
      SCHEMAS.ProblemDetails,
      { type: 'object', properties: { title: { enum: [title] }, ...(PROBLEM_STATUS[title] ? { status: { enum: [PROBLEM_STATUS[title]] } } : {}) } },
    ],
  });
  const cache = new Map<string, Expectation>();
  return {
    fromReference: false,
    statuses: (op) => OWN[op].responses.map((d) => d.status),
    response(op, status) {
      const key = `${op} ${status}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const d = OWN[op].responses.find((x) => x.status === status);
      let e: Expectation;
      if (!d) e = { mediaType: 'application/problem+json', validate: ajv.compile(SCHEMAS.ProblemDetails as Node), source: 'bosctl ProblemDetails (status not documented)' };
      else if (d.problem) e = { mediaType: 'application/problem+json', validate: ajv.compile(problem(d.problem) as Node), source: `bosctl ProblemDetails + title "${d.problem}"` };
      else if (!d.schema) e = { mediaType: null, source: `${op} ${status}: no content` };
      else e = { mediaType: 'application/json', validate: ajv.compile(schemaOf(d.schema) as Node), source: `bosctl ${d.schema}` };
      cache.set(key, e);
      return e;
    },
    request(op) {
      const name = OWN[op].request;
      return name ? ajv.compile(schemaOf(name) as Node) : undefined;
    },
    documentOperations: () => [],
  };
}

export interface LoadedContract extends Contract {
  /** One plain line saying what the bodies are validated against. */
  banner: string;
}

export function loadContract(): LoadedContract {
  if (existsSync(SPEC_PATH)) {
    const c = referenceContract();
    return { ...c, banner: `validated against the reference spec ${SPEC_PATH}, with bosctl's declared extensions laid over it: ${c.extensions.join(', ')}` };
  }
  return { ...ownContract(), banner: 'reference spec not found: validated against bosctl\'s own schemas' };
}
