/**
 * The one rewrite between the engines' SQL: placeholders. `?` (positional) and `@name` (named,
 * better-sqlite3's style) become PostgreSQL's `$n`; quoted strings and identifiers are left alone.
 */
export interface Converted {
  text: string;
  /** For named parameters: the name of each $n in order; undefined for positional ones. */
  names?: string[];
  /** For positional parameters: how many. */
  count: number;
}

const cache = new Map<string, Converted>();

export function convertPlaceholders(sql: string): Converted {
  const hit = cache.get(sql);
  if (hit) return hit;
  let out = '';
  let count = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (ch === '?') {
      out += `$${++count}`;
    } else if (ch === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      let n = names.indexOf(m[0]);
      if (n < 0) { names.push(m[0]); n = names.length - 1; }
      out += `$${n + 1}`;
      i += m[0].length;
    } else {
      out += ch;
    }
  }
  if (count > 0 && names.length > 0) throw new Error('a statement mixes ? and @name parameters');
  const c: Converted = names.length > 0 ? { text: out, names, count: names.length } : { text: out, count };
  if (cache.size >= 1024) cache.clear();
  cache.set(sql, c);
  return c;
}

/** better-sqlite3's calling convention (args, or one object of named values) as a $n value list. */
export function bindValues(c: Converted, args: unknown[]): unknown[] {
  if (c.names) {
    const o = (args[0] ?? {}) as Record<string, unknown>;
    return c.names.map((n) => normalize(o[n]));
  }
  const flat = args.length === 1 && Array.isArray(args[0]) ? args[0] as unknown[] : args;
  return Array.from({ length: c.count }, (_, i) => normalize(flat[i]));
}

function normalize(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return v.toString();
  return v;
}
