/**
 * Drives inquirer's questions in-process: answers are typed into a stream once the question
 * shows on the test Io's stdout, as a person would type them.
 */
import { PassThrough } from 'node:stream';
import { createTestIo, type TestIo } from '../../src/cli/io.js';

export const ENTER = '\r';
export const DOWN = '\u001b[B';
/** Ctrl+U: readline deletes the line typed so far. */
export const KILL_LINE = '\u0015';

export interface Terminal {
  io: TestIo;
  /** Waits until `question` appears in stdout after the previous one, then types `keys`. */
  answer(question: string | RegExp, keys: string): Promise<void>;
}

/** A test Io on a "terminal" whose keyboard is `answer`. */
export function terminal(opts: { stdinIsTTY?: boolean } = {}): Terminal {
  const input = new PassThrough();
  const io = createTestIo({ tty: true, stdinIsTTY: opts.stdinIsTTY, prompt: { input } });
  let seen = 0;
  return {
    io,
    async answer(question, keys) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const rest = io.stdout.slice(seen);
        const at = typeof question === 'string' ? rest.indexOf(question) : rest.search(question);
        if (at >= 0) { seen += at + 1; break; }
        if (Date.now() > deadline) throw new Error(`question ${String(question)} never came; stdout so far:\n${io.stdout}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      // Let the prompt finish drawing before the keys arrive.
      await new Promise((r) => setImmediate(r));
      input.write(keys);
    },
  };
}
