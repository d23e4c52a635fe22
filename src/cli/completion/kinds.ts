import type { Argument, Command, Option } from 'commander';
import { STATUSES } from '../../core/types.js';

/** The things bosctl can name that live in the database (or behind bosd's API). */
export type NameKind = 'template' | 'session' | 'node' | 'group' | 'role' | 'token' | 'tenant';

/** What a value is, and so what completes it. */
export type ValueKind =
  /** Fixed words; `list`: comma-separated. */
  | { type: 'choices'; values: readonly string[]; list?: boolean }
  | { type: 'files' }
  /** Names; `list`: comma-separated (`a,b,<TAB>`); `limit`: BOS limit items (`&x`, `!x`, nodes, groups, roles, all). */
  | { type: 'names'; of: NameKind[]; list: boolean; limit?: boolean }
  /** `options update KEY=VALUE`. */
  | { type: 'option-assignment' }
  | { type: 'none' };

const NONE: ValueKind = { type: 'none' };
const names = (of: NameKind[], list = false): ValueKind => ({ type: 'names', of, list });

/**
 * The meaning of a value follows from its placeholder in the command definitions
 * (`<node>`, `<nodes>`, `<file>`, `<limit>`, `<bool>`, ...), so a new command gets its
 * completion from its --help text; `<name>` is what the option or the command is about.
 */
const BY_PLACEHOLDER: Record<string, ValueKind> = {
  file: { type: 'files' },
  path: { type: 'files' },
  bool: { type: 'choices', values: ['true', 'false'] },
  node: names(['node']),
  xname: names(['node']),
  nodes: names(['node'], true),
  xnames: names(['node'], true),
  groups: names(['group'], true),
  roles: names(['role'], true),
  statuses: { type: 'choices', values: STATUSES, list: true },
  limit: { type: 'names', of: ['node', 'group', 'role'], list: true, limit: true },
  'key=value': { type: 'option-assignment' },
};

/** What `<name>` names, from the option (`--staged-session`) or the nearest command (`session`). */
const NAME_OF: Record<string, NameKind> = {
  template: 'template',
  'template-name': 'template',
  sessiontemplate: 'template',
  session: 'session',
  'staged-session': 'session',
  token: 'token',
  tenant: 'tenant',
};

function placeholderOf(flags: string): string | undefined {
  return /[<[]([^>\]]+?)(\.\.\.)?[>\]]/.exec(flags)?.[1];
}

function namedBy(placeholder: string, subject: string | undefined): ValueKind | undefined {
  if (placeholder !== 'name' && placeholder !== 'names' && placeholder !== 'ids') return undefined;
  if (subject === 'create') return NONE; // a new name
  const kind = subject !== undefined ? NAME_OF[subject] : undefined;
  return kind ? names([kind]) : NONE;
}

export function optionValueKind(option: Option): ValueKind {
  if (option.argChoices) return { type: 'choices', values: option.argChoices };
  const placeholder = placeholderOf(option.flags);
  if (placeholder === undefined) return NONE;
  return namedBy(placeholder, option.long?.replace(/^--/, '')) ?? BY_PLACEHOLDER[placeholder] ?? NONE;
}

export function argumentValueKind(argument: Argument, command: Command): ValueKind {
  if (argument.argChoices) return { type: 'choices', values: argument.argChoices };
  const placeholder = argument.name();
  let subject: string | undefined = command.name() === 'create' ? 'create' : undefined;
  for (let c: Command | null = command; c && subject === undefined; c = c.parent) {
    if (NAME_OF[c.name()] !== undefined) subject = c.name();
  }
  return namedBy(placeholder, subject) ?? BY_PLACEHOLDER[placeholder] ?? NONE;
}
