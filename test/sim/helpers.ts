import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type SimOptions, type Simulator } from '../../src/sim/index.js';

export { waitFor } from '../../src/testbed/wait.js';

/** Starts a simulator and registers it for `closeAll()`. */
const open: Simulator[] = [];
export async function sim(opts: Partial<SimOptions> & { nodes?: number } = {}): Promise<Simulator> {
  const s = await startSimulator({ nodes: 4, timeScale: 0.001, ...opts });
  open.push(s);
  return s;
}
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((s) => s.close()));
}

export function basic(username = 'root', password = 'initial0'): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** fetch + JSON parse (when the body is JSON). */
export async function call(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Reply> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  const res = await fetch(url, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  const text = await res.text();
  let body: any = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Redfish helpers bound to one node of the inventory. */
export function redfishFor(s: Simulator, xname: string, auth = basic()) {
  const rec = s.inventory().find((r) => r.xname === xname);
  if (!rec) throw new Error(`no ${xname}`);
  const origin = new URL(rec.bmc_address).origin;
  const system = `${rec.bmc_address}/redfish/v1/Systems/${rec.redfish_system_id}`;
  return {
    rec,
    origin,
    system,
    get: (pathOrUrl: string) => call(pathOrUrl.startsWith('http') ? pathOrUrl : origin + pathOrUrl, { headers: { Authorization: auth } }),
    power: async () => (await call(system, { headers: { Authorization: auth } })).body.PowerState as string,
    reset: (type: string) => call(`${system}/Actions/ComputerSystem.Reset`, { method: 'POST', headers: { Authorization: auth }, json: { ResetType: type } }),
  };
}

export interface FakeBos {
  url: string;
  server: Server;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: any }>;
  /** Status to answer for the next requests (shifted per request; 200 when empty). */
  script: number[];
  close(): Promise<void>;
}

/** A tiny HTTP server standing in for bosd's PATCH /apis/bos/v2/components/{xname}. */
export async function fakeBos(script: number[] = []): Promise<FakeBos> {
  const requests: FakeBos['requests'] = [];
  const state = { script };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
      const status = state.script.shift() ?? 200;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { id: 'ok' } : { title: 'Conflict', status }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const fb: FakeBos = {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    get script() {
      return state.script;
    },
    set script(v: number[]) {
      state.script = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  return fb;
}
