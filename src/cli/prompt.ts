import { PassThrough } from 'node:stream';
import { bosError } from '../core/errors.js';
import { CommandFailed } from './exit.js';
import type { Io } from './io.js';

/**
 * Questions to the person at the terminal. Commands ask through this interface, never
 * through inquirer itself, so tests drive it with scripted input streams.
 */
export interface Prompter {
  confirm(message: string, defaultAnswer?: boolean): Promise<boolean>;
  /** An answer to a question; `check` returns an error text for a bad answer, which is asked again. */
  input(message: string, opts?: { default?: string; required?: boolean; check?: (answer: string) => string | undefined }): Promise<string>;
  select<T extends string>(message: string, choices: ReadonlyArray<{ value: T; name: string; description?: string }>, defaultAnswer?: T): Promise<T>;
}

/** Where inquirer reads keys and draws its questions; process.stdin and process.stdout when absent. */
export interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

const same = (s: string) => s;
/** inquirer's theme without colour, for --no-color and NO_COLOR. */
const PLAIN_THEME = {
  prefix: { idle: '?', done: '>' },
  style: { answer: same, message: same, error: (t: string) => `> ${t}`, defaultAnswer: (t: string) => `(${t})`, help: same, highlight: same, key: (t: string) => `<${t}>` },
};

/** A Prompter over @inquirer/prompts, loaded on the first question only (cold start of other commands). */
export function inquirerPrompter(streams: PromptStreams, color: boolean): Prompter {
  // inquirer ends its output stream after each question; a stream that is not stdout gets a
  // fresh pipe into it per question, so it stays open for the next one.
  const context = () => ({ input: streams.input, output: streams.output && keepOpen(streams.output) });
  const theme = color ? undefined : PLAIN_THEME;
  const load = () => import('@inquirer/prompts');
  return {
    async confirm(message, defaultAnswer = false) {
      const { confirm } = await load();
      return cancellable(confirm({ message, default: defaultAnswer, theme }, context()));
    },
    async input(message, opts = {}) {
      const { input } = await load();
      const check = opts.check;
      const answer = await cancellable(input({
        message, default: opts.default, required: opts.required, theme,
        ...(check ? { validate: (v: string) => check(v.trim()) ?? true } : {}),
      }, context()));
      return answer.trim();
    },
    async select(message, choices, defaultAnswer) {
      const { select } = await load();
      return cancellable(select({ message, choices: choices.map((c) => ({ ...c })), default: defaultAnswer, theme }, context()));
    },
  };
}

function keepOpen(out: NodeJS.WritableStream): NodeJS.WritableStream {
  const pipe = new PassThrough();
  pipe.pipe(out, { end: false });
  return pipe;
}

/** Ctrl+C at a question cancels the command: one line, nothing changed, exit 1. */
async function cancellable<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (e) {
    if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError' || e.name === 'CancelPromptError')) {
      throw new CommandFailed('BOS_NOT_CONFIRMED', 'cancelled: nothing was changed');
    }
    throw e;
  }
}

/** gh's rule: questions need a person, so stdin and stdout must both be terminals. */
export function canPrompt(io: Io): boolean {
  return io.stdinIsTTY && io.stdoutIsTTY;
}

/**
 * Asks before nodes are rebooted or shut down at once (callers skip it for --yes). A single
 * node goes ahead without asking; with no terminal to ask on it is an error naming --yes (a script never hangs).
 * A "no" (the default) ends the command with nothing changed.
 */
export async function confirmNow(io: Io, opts: {
  nodes: number;
  /** The question, e.g. "Reboot 500 nodes now (session create, template compute-v2)?" */
  question: string;
  /** The same as a statement for the error, e.g. "session create would reboot 500 nodes now". */
  what: string;
}): Promise<void> {
  if (opts.nodes <= 1) return;
  if (!canPrompt(io)) {
    throw bosError('BOS_CONFIRMATION_REQUIRED', `${opts.what} and there is no terminal to confirm it on: nothing was changed`);
  }
  if (!(await io.prompter().confirm(opts.question, false))) throw new CommandFailed('BOS_NOT_CONFIRMED', 'not confirmed: nothing was changed');
}
