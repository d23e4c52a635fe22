import { bosError } from '../../core/errors.js';
import type { Io, Paint } from '../io.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(text: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(text)) {
    throw bosError('BOS_OUTPUT_INVALID', `unknown output format "${text}": expected one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return text as OutputFormat;
}

export interface Column<T> {
  header: string;
  value(item: T): string;
  wide?: boolean;
  /** Colours a cell on a terminal (e.g. a status). */
  paint?(value: string, p: Paint): string;
}

/** How a resource is shown: its columns once, its name, its API shape. */
export interface ResourceView<T> {
  columns: Column<T>[];
  name(item: T): string;
  api(item: T): unknown;
}

export interface PrintOptions {
  format: OutputFormat;
  noHeaders?: boolean;
}

export async function printData(io: Io, format: 'json' | 'yaml', data: unknown): Promise<void> {
  if (format === 'json') {
    io.out(JSON.stringify(data, null, 2) + '\n');
  } else {
    const { stringify } = await import('yaml');
    io.out(stringify(data));
  }
}

export async function printList<T>(io: Io, view: ResourceView<T>, items: T[], opts: PrintOptions): Promise<void> {
  switch (opts.format) {
    case 'json':
    case 'yaml':
      return printData(io, opts.format, items.map((i) => view.api(i)));
    case 'name':
      for (const i of items) io.out(view.name(i) + '\n');
      return;
    default: {
      const cols = view.columns.filter((c) => opts.format === 'wide' || !c.wide);
      const p = await io.paint();
      const rows = items.map((i) => cols.map((c) => {
        const v = c.value(i);
        return c.paint ? c.paint(v, p) : v;
      }));
      const headers = cols.map((c) => c.header);
      io.out(renderTable(opts.noHeaders ? rows : [headers.map((h) => p.bold(h)), ...rows]));
    }
  }
}

/** A list, or on stderr a note for humans when it is empty (JSON and YAML print []). */
export async function printListOrNote<T>(io: Io, view: ResourceView<T>, items: T[], opts: PrintOptions, note: string): Promise<void> {
  if (items.length === 0 && opts.format !== 'json' && opts.format !== 'yaml') {
    io.err(note + '\n');
    return;
  }
  return printList(io, view, items, opts);
}

export async function printOne<T>(io: Io, view: ResourceView<T>, item: T, opts: PrintOptions, describe?: (item: T) => string): Promise<void> {
  if (opts.format === 'json' || opts.format === 'yaml') return printData(io, opts.format, view.api(item));
  if (opts.format === 'name') { io.out(view.name(item) + '\n'); return; }
  if (describe) { io.out(describe(item)); return; }
  return printList(io, view, [item], opts);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, '').length;

/**
 * kubectl-style aligned columns: two spaces apart, no borders, so they read and pipe well.
 * Not cli-table3: borderless it pads an empty column to one space, and it took 13 s for
 * 10,000 rows (this: 20 ms); a component list of a whole fleet is that long.
 */
export function renderTable(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell)); });
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell)))).join('  ').trimEnd() + '\n').join('');
}

/** A describe view: "Key:  value" lines, nested objects indented. */
export function renderFields(obj: Record<string, unknown>, indent = 0): string {
  const pad = ' '.repeat(indent);
  const keys = Object.keys(obj);
  const w = Math.max(0, ...keys.map((k) => k.length)) + 1;
  let out = '';
  for (const k of keys) {
    const v = obj[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out += `${pad}${k}:\n` + (Object.keys(v).length ? renderFields(v as Record<string, unknown>, indent + 2) : `${pad}  <none>\n`);
    } else {
      const text = Array.isArray(v) ? (v.length ? v.join(', ') : '<none>') : v === '' || v === undefined || v === null ? '<none>' : String(v);
      out += `${pad}${(k + ':').padEnd(w)} ${text}\n`;
    }
  }
  return out;
}
