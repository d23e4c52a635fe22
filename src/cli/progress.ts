import type { Io } from './io.js';

/**
 * Spinners for waits a person would notice: on stderr, only when stderr is a terminal, and
 * only once the wait has lasted SPINNER_DELAY_MS (a quick answer draws nothing). ora is
 * loaded when the first spinner is due, so quick commands never load it.
 */
export const SPINNER_DELAY_MS = 300;

export interface Spinner {
  /** Changes what the spinner says (shown from the next frame). */
  text(label: string): void;
  /** Takes the spinner off the screen; the line it used is cleared. */
  stop(): void;
}

const NO_SPINNER: Spinner = { text() {}, stop() {} };

/** One spinner at a time per terminal: a wait inside a wait (a call made while watching) draws none of its own. */
const busy = new WeakSet<Io>();

/** A terminal whose width is 0 (a pseudo-terminal nobody sized) cannot be drawn on: ora would clear lines forever. */
export function canDrawSpinner(io: Io): boolean {
  const columns = (io.errStream as { columns?: number }).columns;
  return io.stderrIsTTY && typeof columns === 'number' && columns > 0;
}

export function startSpinner(io: Io, label: string, delayMs = SPINNER_DELAY_MS): Spinner {
  if (!canDrawSpinner(io) || busy.has(io)) return NO_SPINNER;
  busy.add(io);
  let text = label;
  let stopped = false;
  let ora: { text: string; stop(): void } | undefined;
  const timer = setTimeout(() => {
    void import('ora').then(({ default: makeOra }) => {
      if (stopped) return;
      ora = makeOra({ text, stream: io.errStream, isEnabled: true, discardStdin: false, color: io.color ? 'cyan' : false }).start();
    }, () => { /* no spinner is better than a failed command */ });
  }, delayMs);
  timer.unref();
  return {
    text(label) {
      text = label;
      if (ora) ora.text = label;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      ora?.stop();
      busy.delete(io);
    },
  };
}

/** Runs `work` with a spinner saying `label` while it lasts. */
export async function withSpinner<T>(io: Io, label: string, work: () => Promise<T>, delayMs = SPINNER_DELAY_MS): Promise<T> {
  const spinner = startSpinner(io, label, delayMs);
  try {
    return await work();
  } finally {
    spinner.stop();
  }
}

/** "listComponents" → "list components". */
function words(method: string): string {
  return method.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/**
 * The backend with a spinner around each of its calls ("bosd at URL: list components"):
 * for the remote backend, whose calls wait on the network. The client itself knows nothing of terminals.
 */
export function withCallSpinners<B extends object>(backend: B, io: Io, where: string, delayMs = SPINNER_DELAY_MS): B {
  if (!canDrawSpinner(io)) return backend;
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'close') return value;
      return (...args: unknown[]) => withSpinner(io, `${where}: ${words(key)}`, async () => (value as (...a: unknown[]) => unknown).apply(target, args), delayMs);
    },
  });
}
