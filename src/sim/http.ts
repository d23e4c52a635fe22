import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const MAX_BODY = 1024 * 1024;

/** Thrown by readBody / readJson; the caller turns it into the service's own error shape. */
export class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BodyError(413, 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON body; an empty body is `undefined`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': '0', ...headers });
  res.end();
}

/** RFC 7807 problem details, as BSS and CFS answer errors. */
export function sendProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  const text = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, {
    'Content-Type': 'application/problem+json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Owns every listening server and every accepted socket, so close() leaves no handle behind
 * (including requests deliberately never answered).
 */
export class Listeners {
  readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private closing = false;

  async listen(handler: Handler, onError: (err: unknown, res: ServerResponse) => void, host = '127.0.0.1', port = 0): Promise<{ server: Server; origin: string }> {
    if (this.closing) throw new Error('simulator is closed');
    const server = createServer((req, res) => {
      let result: void | Promise<void>;
      try {
        result = handler(req, res);
      } catch (err) {
        onError(err, res);
        return;
      }
      if (result) result.catch((err: unknown) => onError(err, res));
    });
    server.on('connection', (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Client aborts on held (hung) requests surface here; they are not our errors.
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    return { server, origin: `http://${host}:${addr.port}` };
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = this.servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.listening) return resolve();
          s.close(() => resolve());
        }),
    );
    for (const s of this.servers) s.closeAllConnections();
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    await Promise.all(closed);
  }
}
