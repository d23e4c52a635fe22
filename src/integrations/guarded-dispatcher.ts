import { Dispatcher } from 'undici';

/** A request the guard stopped before it was written: nothing was sent. */
export class WriteRefused extends Error {
  constructor(message = 'request not sent: its guard refused it') {
    super(message);
    this.name = 'WriteRefused';
  }
}

/**
 * A dispatcher that asks `mayWrite()` at the last moment before a request is written to its
 * connection (undici's onConnect, called synchronously right before the request line goes out,
 * after any wait for a free connection), and aborts it unsent when the answer is no. bosd's
 * power requests go through one: an instance that stopped leading while its request waited
 * (frozen, then woken after another took over) sends nothing.
 */
export class GuardedDispatcher extends Dispatcher {
  constructor(private readonly inner: Dispatcher, private readonly mayWrite: () => boolean, private readonly refusal: () => Error = () => new WriteRefused()) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const check = (abort: (err?: Error) => void): boolean => {
      if (this.mayWrite()) return true;
      abort(this.refusal());
      return false;
    };
    const h = handler as Dispatcher.DispatchHandler & { onConnect?: (abort: (err?: Error) => void, ctx?: unknown) => void };
    const wrapped = new Proxy(h, {
      get(target, prop) {
        if (prop === 'onConnect' && typeof target.onConnect === 'function') {
          return (abort: (err?: Error) => void, ctx?: unknown) => { if (check(abort)) target.onConnect!(abort, ctx); };
        }
        if (prop === 'onRequestStart' && typeof target.onRequestStart === 'function') {
          return (controller: { abort(err: Error): void }, ctx: unknown) => {
            if (check((err) => controller.abort(err ?? new Error('aborted')))) target.onRequestStart!(controller as never, ctx as never);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return this.inner.dispatch(options, wrapped);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    // The inner dispatcher belongs to its owner: nothing to close here.
    if (callback) { callback(); return; }
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    if (callback) { callback(); return; }
    return Promise.resolve();
  }
}
