/**
 * The one way bosctl and bosd read YAML: a bounded number of aliases (a "billion laughs"
 * file is bad input, not an internal error), and every failure a one-line reason.
 */
import { createRequire } from 'node:module';
import { bosError, oneLine } from './errors.js';

// Loaded on first use: most commands (apply-staged on a compute node) never read YAML.
let yaml: typeof import('yaml') | undefined;
const load = () => (yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** Aliases (*name) a document may expand; real bosctl files use a few at most. */
export const MAX_YAML_ALIASES = 50;

export type YamlOutcome = { ok: true; value: unknown } | { ok: false; reason: string; code: string; line?: number };

/** Parses without throwing: the value, or why not (code and line, for files whose text must not be echoed). */
export function tryParseYaml(text: string): YamlOutcome {
  const doc = load().parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return { ok: false, reason: oneLine(e.message), code: e.code, line: e.linePos?.[0]?.line };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (e) {
    // yaml throws ReferenceError for an alias bomb and for an alias with no anchor.
    const msg = (e as Error).message ?? String(e);
    if (/alias count/i.test(msg)) {
      return { ok: false, reason: `too many aliases (more than ${MAX_YAML_ALIASES} expansions): write the values out`, code: 'TOO_MANY_ALIASES' };
    }
    return { ok: false, reason: oneLine(msg), code: /alias/i.test(msg) ? 'BAD_ALIAS' : 'BAD_YAML' };
  }
}

/**
 * Parses YAML (or JSON) text, or throws: `fail(reason)` when given (each caller words its own
 * file), else BOS_FILE_INVALID naming `what`.
 */
export function parseYamlText(text: string, what: string, fail?: (reason: string) => Error): unknown {
  const r = tryParseYaml(text);
  if (!r.ok) throw fail ? fail(r.reason) : bosError('BOS_FILE_INVALID', `${what} is not valid YAML: ${r.reason}`);
  return r.value;
}
