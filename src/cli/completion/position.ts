import type { Argument, Command, Option } from 'commander';

/**
 * Where the word being completed stands in bosctl's commander tree, read from the words
 * typed before it the way commander would parse them: subcommands, options (and the words
 * they take as values) and positional arguments.
 */
export type Slot =
  /** The value of an option: `--template <TAB>`, or `--template=<TAB>` (then `lead` is `--template=`). */
  | { kind: 'option-value'; option: Option; lead: string }
  /** A flag: the current word starts with '-'. */
  | { kind: 'flag' }
  /** A subcommand of the command reached (none of its arguments typed yet). */
  | { kind: 'subcommand' }
  /** The command's positional argument at this index (the last, variadic one repeats). */
  | { kind: 'argument'; argument: Argument | undefined; index: number };

export interface Position {
  /** The deepest command the typed words reached. */
  command: Command;
  slot: Slot;
  /** Values of options typed before the current word, by attribute name (`db`, `server`, ...). */
  typed: Record<string, string>;
  /** Positional words typed for the command reached. */
  args: string[];
}

/** The options a word may name at `cmd`: its own and those of every command above it. */
function optionsInScope(cmd: Command): Option[] {
  const out: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(...c.options);
  return out;
}

export function findOption(cmd: Command, flag: string): Option | undefined {
  return optionsInScope(cmd).find((o) => o.long === flag || o.short === flag);
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

function findSubcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

/** Locates `current` after `before` (the words after `bosctl`). */
export function locate(program: Command, before: string[], current: string): Position {
  let command = program;
  const typed: Record<string, string> = {};
  const args: string[] = [];
  let onlyArgs = false;
  let pending: Option | undefined;

  for (const word of before) {
    if (pending) {
      // an optional value ([bool]) is taken only when it does not look like an option
      if (!(pending.optional && word.startsWith('-'))) {
        typed[pending.attributeName()] = word;
        pending = undefined;
        continue;
      }
      pending = undefined;
    }
    if (!onlyArgs && word === '--') { onlyArgs = true; continue; }
    if (!onlyArgs && word.startsWith('-') && word !== '-') {
      const eq = word.indexOf('=');
      const option = findOption(command, eq > 0 ? word.slice(0, eq) : word);
      if (option && takesValue(option)) {
        if (eq > 0) typed[option.attributeName()] = word.slice(eq + 1);
        else pending = option;
      }
      continue;
    }
    const sub = args.length === 0 && !onlyArgs ? findSubcommand(command, word) : undefined;
    if (sub) command = sub;
    else if (word === 'help' && args.length === 0 && command.commands.length > 0) continue; // commander's `help [command]`
    else args.push(word);
  }

  return { command, typed, args, slot: slotOf(command, args, current, onlyArgs, pending) };
}

function slotOf(command: Command, args: string[], current: string, onlyArgs: boolean, pending: Option | undefined): Slot {
  if (pending && !(pending.optional && current.startsWith('-'))) return { kind: 'option-value', option: pending, lead: '' };
  if (!onlyArgs && current.startsWith('-')) {
    const eq = current.indexOf('=');
    if (current.startsWith('--') && eq > 0) {
      const option = findOption(command, current.slice(0, eq));
      if (option && takesValue(option)) return { kind: 'option-value', option, lead: current.slice(0, eq + 1) };
    }
    return { kind: 'flag' };
  }
  if (args.length === 0 && !onlyArgs && command.commands.length > 0) return { kind: 'subcommand' };
  const defined = command.registeredArguments;
  const last = defined[defined.length - 1];
  const argument = args.length < defined.length ? defined[args.length] : last?.variadic ? last : undefined;
  return { kind: 'argument', argument, index: args.length };
}
