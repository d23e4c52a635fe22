import type { EventEmitter } from 'node:events';
import type { Argument, Command, Help, Option } from 'commander';

/**
 * man(7) pages generated from commander definitions, so that a man page says what --help
 * says: the same descriptions, options, aliases, arguments and addHelpText('after') texts.
 * scripts/gen-man.js writes man/*.{1,5,8} with it; test/docs/man.test.ts checks them.
 */

export interface ManSection {
  title: string;
  /** roff source (escape plain text with roffText / roffLines). */
  body: string;
}

export interface ManPageOptions {
  name: string;
  section: string | number;
  /** YYYY-MM-DD */
  date: string;
  version: string;
  /** The NAME line's text after "name \-". */
  description: string;
  /** Sections after the generated ones (e.g. EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO). */
  extraSections: ManSection[];
  /** Manual title in the header (default "bosctl manual"). */
  manual?: string;
}

/** Escapes text for roff: backslashes; hyphens of option-like words become \-. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    // an option ("-o", "--stage") or a lone "-": minus signs, not hyphens
    .replace(/(^|[^A-Za-z0-9_\\-])(-{1,2}[A-Za-z0-9][A-Za-z0-9_-]*|-(?=[\s"'`)]|$))/g, (_m, pre: string, tok: string) => pre + tok.replace(/-/g, '\\-'));
}

/** Escapes code (a command line, an example): every hyphen is a minus sign. */
export function roffCode(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-');
}

/** Protects a roff line from being read as a request (leading '.' or '\''). */
function safeLine(line: string): string {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}

/** Text lines as roff: escaped, no blank lines, no leading control characters or spaces. */
export function roffLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => safeLine(roffText(l)))
    .join('\n');
}

/** An option's flags ("-o, --output <format>") in bold, its argument in italics. */
export function roffFlags(flags: string): string {
  return flags
    .split(/(\s*,\s*|\s+|\|)/)
    .filter((p) => p !== '')
    .map((p) => {
      if (/^\s*,\s*$/.test(p)) return ', ';
      if (/^\s+$/.test(p)) return ' ';
      if (p === '|') return '|';
      const arg = /^([<[])(.*?)([>\]])$/.exec(p);
      if (arg) return `${arg[1] === '<' ? '' : '['}\\fI${roffCode(arg[2])}\\fR${arg[1] === '<' ? '' : ']'}`;
      return `\\fB${roffCode(p)}\\fR`;
    })
    .join('');
}

/** The text a command's addHelpText('before'|'after') adds to its --help. */
export function helpTextOf(cmd: Command, position: 'before' | 'after'): string {
  let text = '';
  const event = position === 'before' ? 'beforeHelp' : 'afterHelp';
  // commander keeps addHelpText's texts as listeners of these events (Command is an EventEmitter)
  for (const listener of (cmd as unknown as EventEmitter).listeners(event)) {
    (listener as (ctx: { error: boolean; command: Command; write: (s: string) => void }) => void)({
      error: false,
      command: cmd,
      write: (s) => { text += s; },
    });
  }
  return text.trim();
}

/**
 * Help text as roff: blocks separated by blank lines; a block "Heading:" followed by indented
 * lines (Examples:) becomes a heading and a code display, anything else a paragraph.
 */
export function renderHelpText(text: string): string {
  const out: string[] = [];
  for (const block of text.replace(/\r/g, '').split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const heading = lines[0].trim();
    const rest = lines.slice(1);
    if (/:$/.test(heading) && !/^\s/.test(lines[0]) && rest.length > 0 && rest.every((l) => /^\s/.test(l))) {
      const indent = Math.min(...rest.map((l) => /^\s*/.exec(l)![0].length));
      out.push('.PP', safeLine(roffText(heading)), '.RS 4', '.EX');
      for (const l of rest) out.push(safeLine(roffCode(l.slice(indent).trimEnd())));
      out.push('.EE', '.RE');
    } else {
      out.push('.PP', roffLines(block));
    }
  }
  return out.join('\n');
}

function commandPath(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names;
}

/** Commands a user can see, in --help's order (commander's implicit "help" left out). */
export function visibleSubcommands(cmd: Command, help: Help = cmd.createHelp()): Command[] {
  return help.visibleCommands(cmd).filter((c) => cmd.commands.includes(c));
}

/** Every visible command below the root, depth first, in --help's order. */
export function walkCommands(root: Command): Command[] {
  const out: Command[] = [];
  const visit = (c: Command) => {
    for (const sub of visibleSubcommands(c)) {
      out.push(sub);
      visit(sub);
    }
  };
  visit(root);
  return out;
}

function renderOptions(options: readonly Option[], help: Help): string {
  const out: string[] = [];
  for (const opt of options) {
    out.push('.TP', roffFlags(opt.flags));
    const desc = help.optionDescription(opt);
    if (desc) out.push(roffLines(desc));
  }
  return out.join('\n');
}

function renderArguments(args: readonly Argument[], help: Help): string {
  const out: string[] = [];
  for (const arg of args) {
    const desc = help.argumentDescription(arg);
    if (!desc) continue;
    out.push('.TP', `\\fI${roffCode(arg.name())}\\fR${arg.variadic ? ' .\\|.\\|.' : ''}`, roffLines(desc));
  }
  return out.join('\n');
}

function synopsisOf(cmd: Command): string {
  return `\\fB${roffCode(commandPath(cmd).join(' '))}\\fR ${roffUsage(cmd.usage())}`.trimEnd();
}

function roffUsage(usage: string): string {
  return usage
    .split(/(\s+)/)
    .map((p) => {
      if (/^\s+$/.test(p)) return ' ';
      const m = /^([<[])([^\]>]*?)(\.\.\.)?([>\]])$/.exec(p);
      if (!m) return roffCode(p);
      const inner = `\\fI${roffCode(m[2])}\\fR${m[3] ? ' .\\|.\\|.' : ''}`;
      return m[1] === '[' ? `[${inner}]` : inner;
    })
    .join('');
}

function renderCommand(cmd: Command): string {
  const help = cmd.createHelp();
  const path = commandPath(cmd).slice(1).join(' ');
  const out: string[] = [`.SS ${roffCode(path)}`, synopsisOf(cmd), '.PP'];
  const desc = help.commandDescription(cmd);
  out.push(roffLines(desc || '(no description)'));
  if (cmd.aliases().length > 0) {
    out.push('.PP', `Alias${cmd.aliases().length > 1 ? 'es' : ''}: ${cmd.aliases().map((a) => `\\fB${roffCode(a)}\\fR`).join(', ')}.`);
  }
  const subs = visibleSubcommands(cmd, help);
  if (subs.length > 0) {
    out.push('.PP', `Subcommands: ${subs.map((s) => `\\fB${roffCode(s.name())}\\fR`).join(', ')}.`);
  }
  const args = renderArguments(help.visibleArguments(cmd), help);
  if (args) out.push('.PP', 'Arguments:', '.RS 4', args, '.RE');
  const opts = help.visibleOptions(cmd).filter((o) => o.long !== '--help');
  if (opts.length > 0) out.push('.PP', 'Options:', '.RS 4', renderOptions(opts, help), '.RE');
  for (const where of ['before', 'after'] as const) {
    const text = helpTextOf(cmd, where);
    if (text) out.push(renderHelpText(text));
  }
  return out.join('\n');
}

/** The .TH line and NAME section; the rest of a page is up to the caller. */
export function renderHeader(opts: Pick<ManPageOptions, 'name' | 'section' | 'date' | 'version' | 'description' | 'manual'>): string {
  return [
    `.\\" Generated by scripts/gen-man.js from the program's definitions; do not edit.`,
    `.TH ${roffCode(opts.name.toUpperCase())} ${opts.section} ${opts.date} "bosctl ${opts.version}" "${opts.manual ?? 'bosctl manual'}"`,
    '.SH NAME',
    `${roffCode(opts.name)} \\- ${roffText(opts.description)}`,
  ].join('\n');
}

export function renderSections(sections: readonly ManSection[]): string {
  // a paragraph macro right after .SH is redundant (mandoc warns about it)
  return sections.map((s) => `.SH ${s.title.toUpperCase()}\n${s.body.trim().replace(/^\.(PP|P|LP)\n/, '')}`).join('\n');
}

/** A man(7) page for a commander program and all its visible subcommands. */
export function renderManPage(program: Command, opts: ManPageOptions): string {
  const help = program.createHelp();
  const subs = walkCommands(program);
  const out: string[] = [renderHeader(opts)];

  out.push('.SH SYNOPSIS');
  if (subs.length > 0) {
    out.push(`\\fB${roffCode(program.name())}\\fR [\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]`);
  } else {
    out.push(synopsisOf(program));
  }

  out.push('.SH DESCRIPTION', roffLines(help.commandDescription(program)));
  const before = helpTextOf(program, 'before');
  if (before) out.push(renderHelpText(before));
  const after = helpTextOf(program, 'after');
  if (after) out.push(renderHelpText(after));

  if (subs.length > 0) {
    out.push('.SH COMMANDS');
    out.push(...subs.map((c) => renderCommand(c)));
  }

  const own = help.visibleOptions(program);
  if (own.length > 0) {
    out.push(`.SH ${subs.length > 0 ? 'GLOBAL OPTIONS' : 'OPTIONS'}`);
    if (subs.length > 0) out.push('These options apply to every command.');
    out.push(renderOptions(own, help));
  }

  if (opts.extraSections.length > 0) out.push(renderSections(opts.extraSections));
  return out.join('\n') + '\n';
}
