import type { ChalkInstance } from 'chalk';

/**
 * The one owner of the terminal: streams, TTY state, colour, width. Commands write through
 * it, so tests capture output with createTestIo. chalk and ora load only when used.
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
  };
}

export interface TestIo extends Io {
  stdout: string;
  stderr: string;
}

export function createTestIo(opts: { tty?: boolean; stdin?: string } = {}): TestIo {
  const io: TestIo = {
    stdout: '',
    stderr: '',
    out: (t) => { io.stdout += t; },
    err: (t) => { io.stderr += t; },
    stdoutIsTTY: opts.tty ?? false,
    stderrIsTTY: opts.tty ?? false,
    stdinIsTTY: opts.tty ?? false,
    color: false,
    width: 120,
    readStdin: async () => opts.stdin ?? '',
    paint: async () => plain,
  };
  return io;
}
