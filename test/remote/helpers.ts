/**
 * Helpers for the remote-mode tests: backends for the contract suite (LocalBackend on a
 * temporary database; RemoteBackend against bosd's API served in-process), and for the
 * spawned-CLI tests a bosd child process with a BSS stub and a BMC that never answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnNode, type RunResult } from '../cli/helpers.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '../../src/api/server.js';
import { RemoteBackend } from '../../src/client/remote-backend.js';
import type { Actor } from '../../src/core/types.js';
import type { Backend } from '../../src/services/backend.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { createToken } from '../../src/services/tokens.js';
import { Store } from '../../src/store/store.js';
import { VERSION } from '../../src/version.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BOSCTL = join(ROOT, 'bin', 'bosctl.js');
export const BOSD = join(ROOT, 'bin', 'bosd.js');

const dirs: string[] = [];

export function tmpDir(prefix = 'bosctl-remote-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function removeTmpDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const ACTOR: Actor = { user: 'tester', via: 'contract' };

export interface BackendUnderTest {
  backend: Backend;
  /** A backend that acts with another role (remote) or the same store (local). */
  withRole?(role: 'wlm' | 'node'): Promise<Backend>;
  close(): Promise<void>;
}

/** LocalBackend on a fresh database, with an admin token created as for the remote one. */
export async function localBackend(): Promise<BackendUnderTest> {
  const db = join(tmpDir(), 'bosd.db');
  const backend = new LocalBackend(db, ACTOR);
  await backend.createToken({ role: 'admin', description: 'contract' });
  return { backend, async close() { backend.close(); } };
}

export interface InProcessApi {
  url: string;
  store: Store;
  server: Server;
  adminSecret: string;
  close(): Promise<void>;
}

/** bosd's API (no reconciler) on 127.0.0.1:0 over a fresh database. */
export async function startApi(): Promise<InProcessApi> {
  const db = join(tmpDir(), 'bosd.db');
  const store = Store.open(db);
  const api = createApi({
    store, now: () => new Date(), version: VERSION, onChange: () => {}, log: () => {}, isTrustedSocket: () => false,
  });
  const server = createServer(api);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const adminSecret = createToken({ store, actor: ACTOR, now: () => new Date() }, { role: 'admin', description: 'contract' }).secret;
  return {
    url: `http://127.0.0.1:${port}`, store, server, adminSecret,
    async close() {
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
      store.close();
    },
  };
}

/** RemoteBackend against an in-process API, with an admin token. */
export async function remoteBackend(): Promise<BackendUnderTest & { api: InProcessApi }> {
  const api = await startApi();
  const backend = new RemoteBackend({ server: api.url, token: api.adminSecret, userAgent: `bosctl/${VERSION} (tester@test)` });
  return {
    backend, api,
    async withRole(role) {
      const secret = createToken({ store: api.store, actor: ACTOR, now: () => new Date() }, { role }).secret;
      return new RemoteBackend({ server: api.url, token: secret });
    },
    async close() { backend.close(); await api.close(); },
  };
}

// ---------------------------------------------------------------------------------------
// Spawned processes

export type { RunResult };

/** The environment of a spawned bosctl: no colour, nothing inherited that would pick a backend. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['BOSCTL_DB', 'BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE', 'BOSCTL_CA_BUNDLE', 'FORCE_COLOR', 'NODE_OPTIONS', 'COLUMNS']) delete env[k];
  env.NO_COLOR = '1';
  env.XDG_CONFIG_HOME = join(tmpDir('bosctl-xdg-'), 'config');
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function bosctl(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return spawnNode([BOSCTL, ...args], { env: opts.env ?? cleanEnv(), input: opts.input ?? '' });
}

/** Answers 200 to GET /boot/v1/service/status (bosd's start-up check) and 200 {} otherwise. */
export async function startBssStub(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(req.url?.startsWith('/boot/v1/service/status') ? '{"bss-status":"running"}' : '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, async close() { await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }); } };
}

/**
 * A BMC that accepts connections and never answers: bosd's first step for a node (reading
 * its power state) waits on it, so bosd changes no component while a test compares them.
 */
export async function startBlackhole(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    async close() { for (const s of sockets) s.destroy(); await new Promise<void>((r) => server.close(() => r())); },
  };
}

export interface BosdProcess {
  child: ChildProcess;
  url: string;
  socket: string;
  db: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** bosd as a child process on 127.0.0.1:0 and a unix socket; resolves when it is listening. */
export async function startBosd(opts: { db: string; bssUrl: string; dir: string }): Promise<BosdProcess> {
  const cred = join(opts.dir, 'redfish.yaml');
  writeFileSync(cred, 'default: {username: root, password: not-a-real-password}\n', { mode: 0o600 });
  const socket = join(opts.dir, 'bosd.sock');
  const child = spawn(process.execPath, [BOSD, '--db', opts.db, '--bss-url', opts.bssUrl, '--credentials-file', cred,
    '--listen', '127.0.0.1:0', '--socket', socket, '--request-timeout-ms', '600000', '--log-level', 'info'], {
    cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buf = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`bosd did not start: ${buf}`)), 30_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === 'listening' && j.url) { clearTimeout(timer); resolveUrl(j.url); return; }
        } catch { /* a partial line */ }
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`bosd exited ${code}: ${buf}`)); });
  });
  return {
    child, url, socket, db: opts.db,
    stderr: () => buf,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Times, UUIDs and generated names masked, so two runs compare equal. */
export function mask(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
}
