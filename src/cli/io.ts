import { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import { inquirerPrompter, type Prompter, type PromptStreams } from './prompt.js';

/**
 * The one owner of the terminal: streams, TTY state, colour, width, questions. Commands write
 * through it, so tests capture output with createTestIo. chalk, ora and inquirer load only when used.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  color: boolean;
  width: number;
  readStdin(): Promise<string>;
  /** Colour helpers; identity functions when colour is off. */
  paint(): Promise<Paint>;
  /** The stream behind err(), for spinners (src/cli/progress.ts). */
  errStream: NodeJS.WritableStream;
  /** Questions to the person at the terminal (only ask when canPrompt(io), src/cli/prompt.ts). */
  prompter(): Prompter;
}

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const plain: Paint = { bold: (s) => s, dim: (s) => s, green: (s) => s, yellow: (s) => s, red: (s) => s, cyan: (s) => s };

/** NO_COLOR and --no-color win; FORCE_COLOR turns colour on off a TTY; else only on a TTY. */
export function wantColor(env: NodeJS.ProcessEnv, isTTY: boolean, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

/** A closed pipe (bosctl ... | head) ends output quietly, never with a stack trace. */
function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export function createProcessIo(colorFlag?: boolean): Io {
  quietOnEpipe(process.stdout);
  const stdoutIsTTY = process.stdout.isTTY === true;
  const color = wantColor(process.env, stdoutIsTTY, colorFlag);
  let paint: Paint | undefined;
  let prompter: Prompter | undefined;
  return {
    out: (t) => { process.stdout.write(t); },
    err: (t) => { process.stderr.write(t); },
    stdoutIsTTY,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    color,
    width: process.stdout.columns ?? 100,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    paint: async () => {
      if (!color) return plain;
      if (!paint) {
        const { Chalk } = await import('chalk');
        const c: ChalkInstance = new Chalk({ level: 1 });
        paint = { bold: c.bold, dim: c.dim, green: c.green, yellow: c.yellow, red: c.red, cyan: c.cyan };
      }
      return paint;
    },
    errStream: process.stderr,
    prompter: () => (prompter ??= inquirerPrompter({}, color)),
  };
}

export interface TestIo extends Io {
  stdout: string;
  stderr: string;
}

/**
 * A stream that appends to a string, and with `tty` behaves as a terminal for ora: isTTY,
 * columns, and cursor moves written as the ANSI sequences a terminal gets.
 */
class CaptureStream extends Writable {
  readonly columns = 120;
  readonly rows = 40;
  constructor(private readonly sink: (text: string) => void, readonly isTTY: boolean) {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.sink(typeof chunk === 'string' ? chunk : String(chunk));
    done();
  }
  cursorTo(x: number): boolean { return this.write(`\u001b[${x + 1}G`); }
  moveCursor(dx: number, dy: number): boolean {
    return this.write((dx ? `\u001b[${Math.abs(dx)}${dx < 0 ? 'D' : 'C'}` : '') + (dy ? `\u001b[${Math.abs(dy)}${dy < 0 ? 'A' : 'B'}` : ''));
  }
  clearLine(dir: -1 | 0 | 1): boolean { return this.write(`\u001b[${dir === 1 ? 0 : dir === -1 ? 1 : 2}K`); }
}

export interface TestIoOptions {
  /** Every stream a terminal (default: none). */
  tty?: boolean;
  /** Override for stdin alone (a pipe into a command run on a terminal). */
  stdinIsTTY?: boolean;
  stdin?: string;
  /** inquirer reads answers from `input` and draws on `output` (default: stdout of this Io). */
  prompt?: PromptStreams;
  /** A scripted Prompter instead of inquirer. */
  prompter?: Prompter;
}

export function createTestIo(opts: TestIoOptions = {}): TestIo {
  let prompter = opts.prompter;
  const io: TestIo = {
    stdout: '',
    stderr: '',
    out: (t) => { io.stdout += t; },
    err: (t) => { io.stderr += t; },
    stdoutIsTTY: opts.tty ?? false,
    stderrIsTTY: opts.tty ?? false,
    stdinIsTTY: opts.stdinIsTTY ?? opts.tty ?? false,
    color: false,
    width: 120,
    readStdin: async () => opts.stdin ?? '',
    paint: async () => plain,
    errStream: new CaptureStream((t) => { io.stderr += t; }, opts.tty ?? false),
    prompter: () => (prompter ??= inquirerPrompter({ output: new CaptureStream((t) => { io.stdout += t; }, opts.tty ?? false), ...opts.prompt }, false)),
  };
  return io;
}
