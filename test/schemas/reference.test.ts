/**
 * Compares our JSON Schemas (src/core/schemas.ts) with the BOS v2 OpenAPI document in
 * ../shared/reference, keyword by keyword and recursively, and validates the spec's own
 * example and default values with our schemas. The only differences allowed are those named
 * in EXTENSIONS, and each of those must really be a difference.
 *
 * The reference lives outside the project. When it is missing the comparison is skipped, and
 * a test that always runs says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXTENSIONS, SCHEMAS, SCHEMA_NAMES, type JsonSchema } from '../../src/core/schemas.js';
import { createAjv } from '../../src/core/validate-body.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const referenceDir = path.resolve(projectRoot, '../shared/reference');
const specPath = path.join(referenceDir, 'bos-v2-openapi.yaml');
const exists = existsSync(specPath);

type Node = Record<string, unknown>;

/** Spec schemas that bodies use but that we do not define, each for a reason. */
const NOT_DEFINED: Record<string, string> = {
  Healthz: 'the health endpoint is answered by bosd directly',
  V2SessionTemplateValidation: 'a bare string',
  ProblemAlreadyExists: 'title/status constants over ProblemDetails (errors.ts owns titles)',
  ProblemBadRequest: 'title/status constants over ProblemDetails',
  ProblemResourceNotFound: 'title/status constants over ProblemDetails',
  ProblemUpdateConflict: 'title constant over ProblemDetails',
  ProblemServiceUnavailable: 'title constant over ProblemDetails',
  ProblemInternalError: 'title constant over ProblemDetails',
};

/** Words for people, not structure. `nullable` is folded into `type`/`enum`; `$ref` is followed. */
const IGNORED = new Set(['description', 'example', 'examples', 'title', 'nullable', '$ref', '$comment']);
/** Keywords holding sub-schemas, compared by recursion. */
const NESTED = new Set(['properties', 'additionalProperties', 'items', 'oneOf', 'anyOf', 'allOf', 'not']);

interface Difference {
  where: string;
  spec: unknown;
  ours: unknown;
}

/** A value from the spec: its example or default, and our schema at the same place. */
interface Sample {
  where: string;
  value: unknown;
  ours: JsonSchema;
}

class Comparison {
  readonly differences = new Map<string, Difference>();
  readonly samples = new Map<string, Sample>();

  constructor(private readonly specSchemas: Record<string, Node>) {}

  /** Follows $refs to components.schemas; a named schema restarts the path at its name. */
  private deref(node: Node, where: string): { node: Node; where: string } {
    let current = node;
    let at = where;
    for (let hops = 0; typeof current.$ref === 'string'; hops++) {
      const ref = current.$ref;
      const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
      if (!match || hops > 32) throw new Error(`${at}: cannot resolve $ref ${ref}`);
      const name = match[1]!;
      const target = this.specSchemas[name];
      if (!target) throw new Error(`${at}: $ref to missing schema ${name}`);
      current = target;
      at = name;
    }
    return { node: current, where: at };
  }

  private differ(where: string, spec: unknown, ours: unknown): void {
    if (!this.differences.has(where)) this.differences.set(where, { where, spec, ours });
  }

  private sample(spec: Node, where: string, ours: JsonSchema | undefined): void {
    if (!ours) return;
    for (const kind of ['example', 'default'] as const) {
      if (kind in spec) {
        const key = `${where} (${kind})`;
        if (!this.samples.has(key)) this.samples.set(key, { where: key, value: spec[kind], ours });
      }
    }
  }

  compare(specIn: Node, ours: JsonSchema, whereIn: string): void {
    const { node: spec, where } = this.deref(specIn, whereIn);
    this.sample(spec, where, ours);

    // type and enum, with OpenAPI's nullable written the draft-07 way.
    const nullable = spec.nullable === true;
    const specType = spec.type === undefined ? undefined : typeList(spec.type, nullable);
    const ourType = ours.type === undefined ? undefined : typeList(ours.type, false);
    if (!isDeepStrictEqual(specType, ourType)) this.differ(`${where}.type`, specType, ourType);
    let specEnum = spec.enum as unknown[] | undefined;
    if (specEnum && nullable && !specEnum.includes(null)) specEnum = [...specEnum, null];
    const ourEnum = ours.enum === undefined ? undefined : [...(ours.enum as unknown[])];
    if (!isDeepStrictEqual(specEnum, ourEnum)) this.differ(`${where}.enum`, specEnum, ourEnum);

    // required is a set.
    const specRequired = sortedOrUndefined(spec.required);
    const ourRequired = sortedOrUndefined(ours.required);
    if (!isDeepStrictEqual(specRequired, ourRequired)) this.differ(`${where}.required`, specRequired, ourRequired);

    // Every other keyword, by value: pattern, format, lengths, ranges, counts, readOnly, default...
    const keys = new Set([...Object.keys(spec), ...Object.keys(ours)]);
    for (const key of keys) {
      if (IGNORED.has(key) || NESTED.has(key) || key === 'type' || key === 'enum' || key === 'required') continue;
      if (key.startsWith('x-')) continue;
      if (!isDeepStrictEqual(spec[key], ours[key])) this.differ(`${where}.${key}`, spec[key], ours[key]);
    }

    // properties, by name.
    const specProps = (spec.properties ?? {}) as Record<string, Node>;
    const ourProps = (ours.properties ?? {}) as Record<string, JsonSchema>;
    if ((spec.properties === undefined) !== (ours.properties === undefined)) {
      this.differ(`${where}.properties`, spec.properties === undefined ? undefined : 'present', ours.properties === undefined ? undefined : 'present');
    }
    for (const name of new Set([...Object.keys(specProps), ...Object.keys(ourProps)])) {
      const at = `${where}.properties.${name}`;
      const s = specProps[name];
      const o = ourProps[name];
      if (s && o) this.compare(s, o, at);
      else this.differ(at, s ? 'defined' : undefined, o ? 'defined' : undefined);
    }

    // Single sub-schemas (or booleans).
    for (const key of ['additionalProperties', 'items', 'not'] as const) {
      const s = spec[key];
      const o = ours[key];
      if (isObject(s) && isObject(o)) this.compare(s, o as JsonSchema, `${where}.${key}`);
      else if (!isDeepStrictEqual(s, o)) this.differ(`${where}.${key}`, summarize(s), summarize(o));
    }

    // Lists of sub-schemas, in order.
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      const s = spec[key] as Node[] | undefined;
      const o = ours[key] as JsonSchema[] | undefined;
      if (Array.isArray(s) && Array.isArray(o) && s.length === o.length) {
        s.forEach((branch, i) => this.compare(branch, o[i]!, `${where}.${key}[${i}]`));
      } else if (s !== undefined || o !== undefined) {
        this.differ(`${where}.${key}`, summarize(s), summarize(o));
      }
    }
  }
}

function typeList(type: unknown, nullable: boolean): string[] {
  const list = Array.isArray(type) ? [...(type as string[])] : [String(type)];
  if (nullable && !list.includes('null')) list.push('null');
  return list.sort();
}

function sortedOrUndefined(value: unknown): string[] | undefined {
  return Array.isArray(value) ? [...(value as string[])].sort() : undefined;
}

function isObject(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function summarize(value: unknown): unknown {
  if (Array.isArray(value)) return `${value.length} schemas`;
  if (isObject(value)) return 'a schema';
  return value;
}

/** Every components.schemas name that a request or response body (a `content` schema) uses. */
function bodySchemaNames(spec: Node): Set<string> {
  const names = new Set<string>();
  const collect = (schema: unknown): void => {
    if (!isObject(schema)) return;
    const match = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref) : null;
    if (match) names.add(match[1]!);
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      if (Array.isArray(schema[key])) for (const branch of schema[key] as unknown[]) collect(branch);
    }
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'content' && isObject(value)) {
        for (const media of Object.values(value)) if (isObject(media)) collect(media.schema);
      } else {
        visit(value);
      }
    }
  };
  const components = (spec.components ?? {}) as Node;
  visit(spec.paths);
  visit(components.requestBodies);
  visit(components.responses);
  return names;
}

describe('BOS v2 reference spec', () => {
  it(
    exists
      ? `reference spec found at ${specPath}: comparing`
      : `reference spec not found at ${specPath}: comparison skipped`,
    () => {
      if (!exists) console.warn(`reference spec not found at ${specPath}: comparison skipped`);
      expect(existsSync(specPath)).toBe(exists);
    },
  );
});

describe.runIf(exists)('our schemas against the BOS v2 reference spec', () => {
  const spec = (exists ? parse(readFileSync(specPath, 'utf8')) : {}) as Node;
  const specSchemas = (((spec.components ?? {}) as Node).schemas ?? {}) as Record<string, Node>;
  const allowed = new Set<string>(EXTENSIONS);

  // One comparison per schema of ours, so a difference deep in a shared piece (say
  // EmptyStringNullable) fails the test of every schema that contains it.
  const byRoot = new Map<string, Difference[]>();
  const allDifferences = new Map<string, Difference>();
  const allSamples = new Map<string, Sample>();
  for (const name of SCHEMA_NAMES) {
    if (!specSchemas[name]) continue;
    const comparison = new Comparison(specSchemas);
    comparison.compare({ $ref: `#/components/schemas/${name}` }, SCHEMAS[name], name);
    byRoot.set(name, [...comparison.differences.values()]);
    for (const [where, d] of comparison.differences) allDifferences.set(where, d);
    for (const [where, sample] of comparison.samples) if (!allSamples.has(where)) allSamples.set(where, sample);
  }
  const differences = [...allDifferences.values()];

  it('is the OpenAPI document we expect', () => {
    expect(String(spec.openapi)).toMatch(/^3\.0\./);
    expect(Object.keys(specSchemas).length).toBeGreaterThan(50);
  });

  it('defines every schema we define', () => {
    expect(SCHEMA_NAMES.filter((name) => !specSchemas[name])).toEqual([]);
  });

  it('has no request or response body schema we lack, except those we leave out on purpose', () => {
    const used = bodySchemaNames(spec);
    const missing = [...used].filter((name) => !(name in SCHEMAS)).sort();
    expect(missing).toEqual(Object.keys(NOT_DEFINED).sort());
    // The comparison reaches every body we define.
    expect([...used].filter((name) => name in SCHEMAS).length).toBeGreaterThanOrEqual(12);
  });

  it.each(SCHEMA_NAMES)('%s matches the spec except for our listed extensions', (name) => {
    expect(byRoot.get(name)?.filter((d) => !allowed.has(d.where))).toEqual([]);
  });

  it('allows no difference outside EXTENSIONS, anywhere in the tree', () => {
    expect(differences.filter((d) => !allowed.has(d.where))).toEqual([]);
  });

  it('every EXTENSION is a real difference from the spec', () => {
    const found = new Set(differences.map((d) => d.where));
    expect(EXTENSIONS.filter((where) => !found.has(where))).toEqual([]);
  });

  it('records the extensions as documented', () => {
    const byWhere = new Map(differences.map((d) => [d.where, d]));
    expect(byWhere.get('V2BootSet.required')).toEqual({ where: 'V2BootSet.required', spec: ['path', 'type'], ours: undefined });
    expect(byWhere.get('V2BootSet.properties.kernel')?.spec).toBeUndefined();
    expect(byWhere.get('V2Options.properties.max_concurrent_power_operations')?.spec).toBeUndefined();
    expect(specSchemas.V2Options?.additionalProperties).toBe(true);
  });

  describe("the spec's example and default values pass our schemas", () => {
    const samples = [...allSamples.values()];
    const ajv = createAjv();

    it('finds a good number of them', () => {
      expect(samples.length).toBeGreaterThan(20);
      expect(samples.some((s) => s.where.startsWith('V2Options.'))).toBe(true);
      expect(samples.some((s) => s.where.startsWith('NodeList'))).toBe(true);
    });

    it.each(samples.map((s) => [s.where, s] as const))('%s', (_where, s) => {
      const validate = ajv.compile(s.ours as Record<string, unknown>);
      const ok = validate(s.value);
      expect(ok ? [] : validate.errors).toEqual([]);
    });
  });
});
