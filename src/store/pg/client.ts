import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { NOTIFIED, REPLY, type Reply, type Request, type Stmt, type WorkerInit } from './protocol.js';
import type { PgConnectConfig } from './url.js';

/** The worker's compiled file (from the sources under vitest: the build in dist/, which tests build first). */
function workerFile(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../../dist/store/pg/worker.js', import.meta.url);
}

/**
 * A synchronous PostgreSQL connection: every call posts a statement list to the worker and
 * blocks this thread until the answer comes (see worker.ts), so the store's transactions stay
 * closures that nothing else interleaves with, as on SQLite.
 */
export class SyncPg {
  private worker!: Worker;
  private port!: MessagePort;
  private readonly flags: Int32Array;
  private readonly shared: SharedArrayBuffer;
  private closed = false;
  /** Round trips so far (for measurements). */
  calls = 0;

  constructor(private readonly config: PgConnectConfig, private readonly channel: string, private readonly lockTimeoutMs: number, private readonly replyTimeoutMs: number) {
    this.shared = new SharedArrayBuffer(8);
    this.flags = new Int32Array(this.shared);
    this.spawn();
  }

  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const init: WorkerInit & { port: MessagePort } = { config: this.config, shared: this.shared, channel: this.channel, lockTimeoutMs: this.lockTimeoutMs, port: port2 };
    // A worker inherits the process's flags; --input-type (node -e scripts) would stop it from starting.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    this.worker = new Worker(workerFile(), { workerData: init, transferList: [port2], execArgv });
    // The worker never keeps the process alive: a command ends when its work does.
    this.worker.unref();
    // A worker that died is replaced at the next call (after its time-out); never an uncaught error here.
    this.worker.on('error', () => undefined);
  }

  /** Commits by other connections seen so far (a counter the worker's LISTEN connection bumps). */
  notified(): number {
    return Atomics.load(this.flags, NOTIFIED);
  }

  exec(stmts: Stmt[], inTx: boolean): Reply {
    return this.call({ t: 'exec', stmts, inTx });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.call({ t: 'close' });
    } catch {
      // the worker is gone already
    }
    void this.worker.terminate();
  }

  private call(req: Request): Reply {
    if (this.closed && req.t !== 'close') throw new Error('the database connection is closed');
    this.calls++;
    Atomics.store(this.flags, REPLY, 0);
    this.port.postMessage(req);
    const deadline = Date.now() + this.replyTimeoutMs;
    for (;;) {
      const waited = Atomics.wait(this.flags, REPLY, 0, Math.max(1, deadline - Date.now()));
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as Reply;
      if (waited === 'timed-out' || Date.now() >= deadline) {
        // Its late answer must not be taken for the next call's: start over with a new worker.
        void this.worker.terminate();
        this.port.close();
        Atomics.add(this.flags, NOTIFIED, 1);
        this.spawn();
        return { ok: false, index: 0, error: { message: `PostgreSQL did not answer within ${this.replyTimeoutMs / 1000} s`, lost: true } };
      }
    }
  }
}
