import type { Io } from '../io.js';
import { printData, type OutputFormat } from './format.js';

/** -o json and -o yaml: data for programs rather than lines for people. */
export function isDataFormat(format: OutputFormat): format is 'json' | 'yaml' {
  return format === 'json' || format === 'yaml';
}

/**
 * The one printer of a command's result: -o json/yaml prints `data` (and returns true); any
 * other format runs `human`, which prints the lines for people.
 */
export async function printResult(io: Io, format: OutputFormat, data: unknown, human: () => void | Promise<void>): Promise<boolean> {
  if (isDataFormat(format)) {
    await printData(io, format, data);
    return true;
  }
  await human();
  return false;
}

export interface Change {
  /** "session", "tenant", "sessiontemplate". */
  kind: string;
  name: string;
  /** Past tense: "created", "deleted", "revoked". */
  verb: string;
  /** After the verb, e.g. " (4 node(s))". */
  detail?: string;
  dryRun?: boolean;
  /** What -o json/yaml prints; without it those formats print the line too, as they always have. */
  data?: unknown;
}

/** A change as one line, "<kind> <name> <verb>[detail][ (dry run)]", or its data; -q prints no line. */
export async function printChange(io: Io, o: { format: OutputFormat; quiet: boolean }, c: Change): Promise<void> {
  if (c.data !== undefined && isDataFormat(o.format)) {
    await printData(io, o.format, c.data);
    return;
  }
  if (!o.quiet) io.out(`${c.kind} ${c.name} ${c.verb}${c.detail ?? ''}${c.dryRun ? ' (dry run)' : ''}\n`);
}
