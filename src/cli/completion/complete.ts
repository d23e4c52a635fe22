import type { Command, Option } from 'commander';
import { OPTION_KEYS, OPTION_SPECS, type OptionKey } from '../../core/options.js';
import { createDeps, currentActor, remoteSettingsOf, userAgent } from '../context.js';
import { createTestIo, type Io } from '../io.js';
import { defaultDbPath } from '../../core/paths.js';
import { argumentValueKind, optionValueKind, type NameKind, type ValueKind } from './kinds.js';
import type { NameSource, Named } from './names.js';
import { locate, type Position } from './position.js';

/**
 * `bosctl __complete WORD... CURRENT`: what the shell scripts call on every tab press.
 * Prints one candidate per line (`value<TAB>description`), then a directive line:
 * `:` alone, `:files` (let the shell complete file names) or `:nospace` (the candidate
 * continues, e.g. `clear_stage=`). It never fails out loud: any error gives no candidates.
 */
export interface Completion {
  candidates: Named[];
  files?: boolean;
  nospace?: boolean;
}

/** Words as the shell passed them, quotes included when typed: `'Compute,!x1'` → `Compute,!x1`. */
export function unquote(word: string): string {
  return word.replace(/\\(.)|'([^']*)'?|"((?:[^"\\]|\\.)*)"?/g, (_m, esc: string | undefined, sq: string | undefined, dq: string | undefined) =>
    esc ?? sq ?? (dq ?? '').replace(/\\(.)/g, '$1'));
}

/** A description on one line, without its parenthesised details when long. */
function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? line.replace(/ \(.*$/, '').slice(0, 100) : line;
}

function flagCandidates(cmd: Command): Named[] {
  const options: Option[] = cmd.createHelp().visibleOptions(cmd);
  for (let c = cmd.parent; c; c = c.parent) options.push(...c.options.filter((o) => !o.hidden));
  const out: Named[] = [];
  for (const o of options) {
    for (const flag of [o.long, o.short]) if (flag) out.push({ value: flag, description: oneLine(o.description) });
  }
  return out;
}

/** The subcommands --help lists (not hidden ones, nor commander's own `help`). */
function subcommandCandidates(cmd: Command): Named[] {
  return cmd.createHelp().visibleCommands(cmd).filter((c) => cmd.commands.includes(c)).map((c) => ({ value: c.name(), description: oneLine(c.description()) }));
}

/** The words of a pattern like /^(debug|info)$/i, in the case of the default value. */
function alternatives(pattern: RegExp, example: string): string[] | undefined {
  const m = /^\^\(([\w|]+)\)\$$/.exec(pattern.source);
  if (!m) return undefined;
  const upper = example === example.toUpperCase();
  return m[1].split('|').map((w) => (upper ? w.toUpperCase() : w));
}

/** `options update KEY=VALUE`: the keys not yet given, then the values a key takes. */
function optionAssignment(current: string, given: string[]): Completion {
  const eq = current.indexOf('=');
  if (eq < 0) {
    const used = new Set(given.map((w) => w.split('=')[0]));
    return {
      candidates: OPTION_KEYS.filter((k) => !used.has(k)).map((k) => ({ value: `${k}=`, description: oneLine(OPTION_SPECS[k].help) })),
      nospace: true,
    };
  }
  const key = current.slice(0, eq);
  const spec = OPTION_SPECS[key as OptionKey];
  if (!spec) return { candidates: [] };
  const values = spec.type === 'boolean' ? ['true', 'false'] : spec.type === 'string' ? alternatives(spec.pattern, spec.default) ?? [spec.default] : [String(spec.default)];
  return { candidates: values.map((v) => ({ value: `${key}=${v}`, description: v === String(spec.default) ? 'default' : undefined })) };
}

/**
 * The items of a comma list complete one at a time: `a,b,<TAB>` offers `a,b,c`. A limit's
 * item may start with & (intersect) or ! (exclude).
 */
function splitList(current: string, limit: boolean): { head: string; item: string } {
  const cut = current.lastIndexOf(',') + 1;
  const op = limit ? /^[&!]*/.exec(current.slice(cut))![0] : '';
  return { head: current.slice(0, cut + op.length), item: current.slice(cut + op.length) };
}

function listed(current: string, items: Named[], limit: boolean): Named[] {
  const { head } = splitList(current, limit);
  const already = new Set(head.split(',').map((w) => w.replace(/^[&!]+/, '')));
  return items.filter((i) => !already.has(i.value)).map((i) => ({ ...i, value: head + i.value }));
}

async function valuesOf(kind: ValueKind, current: string, pos: Position, source: () => Promise<NameSource | undefined>): Promise<Completion> {
  switch (kind.type) {
    case 'none': return { candidates: [] };
    case 'files': return { candidates: [], files: true };
    case 'choices': {
      const items = kind.values.map((value) => ({ value }));
      return { candidates: kind.list ? listed(current, items, false) : items };
    }
    case 'option-assignment': return optionAssignment(current, pos.args);
    case 'names': {
      const src = await source();
      if (!src) return { candidates: [] };
      const prefix = kind.list ? splitList(current, kind.limit === true).item : current;
      const lists = await Promise.allSettled(kind.of.map((k: NameKind) => src.names(k, prefix)));
      const items = lists.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      if (kind.limit) items.push({ value: 'all', description: 'every node' });
      return { candidates: kind.list ? listed(current, items, kind.limit === true) : items };
    }
  }
}

/** The database or bosd's API, as the typed --db, --server, ... (then the environment and config file) say. */
async function openSource(program: Command, typed: Record<string, string>, env: NodeJS.ProcessEnv): Promise<NameSource | undefined> {
  for (const o of program.options) {
    const v = typed[o.attributeName()];
    if (v !== undefined) program.setOptionValueWithSource(o.attributeName(), v, 'cli');
  }
  const remote = remoteSettingsOf(program, env);
  if (remote) {
    const { remoteNameSource } = await import('./remote-names.js');
    return remoteNameSource({ ...remote, userAgent: userAgent(currentActor(program, env)) });
  }
  const { localNameSource } = await import('./local-names.js');
  return localNameSource(typed.db ?? defaultDbPath(env));
}

export async function completionsFor(program: Command, words: string[], env: NodeJS.ProcessEnv): Promise<Completion> {
  const all = words.map(unquote);
  const current = all.length > 0 ? all[all.length - 1] : '';
  const pos = locate(program, all.slice(0, -1), current);
  let opened: Promise<NameSource | undefined> | undefined;
  const source = () => (opened ??= openSource(program, pos.typed, env));
  try {
    const slot = pos.slot;
    let result: Completion;
    if (slot.kind === 'flag') result = { candidates: flagCandidates(pos.command) };
    else if (slot.kind === 'subcommand') result = { candidates: subcommandCandidates(pos.command) };
    else if (slot.kind === 'option-value') {
      const value = current.slice(slot.lead.length);
      result = await valuesOf(optionValueKind(slot.option), value, pos, source);
      result.candidates = result.candidates.map((c) => ({ ...c, value: slot.lead + c.value }));
    } else result = slot.argument ? await valuesOf(argumentValueKind(slot.argument, pos.command), current, pos, source) : { candidates: [] };
    const seen = new Set<string>();
    result.candidates = result.candidates.filter((c) => c.value.startsWith(current) && !seen.has(c.value) && seen.add(c.value));
    return result;
  } finally {
    if (opened) void opened.then((s) => s?.close()).catch(() => {});
  }
}

export function renderCompletion(c: Completion): string {
  const lines = c.candidates.map((n) => (n.description ? `${n.value}\t${oneLine(n.description)}` : n.value));
  const directive = [c.files ? 'files' : '', c.nospace ? 'nospace' : ''].filter(Boolean).join(',');
  return [...lines, `:${directive}`].join('\n') + '\n';
}

/** The fast path of main.ts: no program but the tree, no backend but a read of names. Always exit 0. */
export async function complete(words: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  let result: Completion = { candidates: [] };
  try {
    const { buildProgram } = await import('../program.js');
    // the commands get an Io of their own that nobody reads: nothing they might print reaches the shell
    result = await completionsFor(buildProgram(createDeps(createTestIo(), env)), words, env);
  } catch {
    // a tab press shows nothing rather than an error in the middle of the command line
  }
  io.out(renderCompletion(result));
  return 0;
}
