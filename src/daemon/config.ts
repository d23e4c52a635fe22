import { statSync } from 'node:fs';
import { MAX_CONFIG_FILE_BYTES, readBoundedSync } from '../core/bounded-read.js';
import { isIP } from 'node:net';
import { bosError, isBosError } from '../core/errors.js';
import { parseLogLevel, type LogLevel } from './log.js';
import { isPostgresUrl, parsePostgresUrl } from '../store/pg/url.js';

/** bosd's settings: the config file (YAML or JSON), then flags over it. */
export interface BosdConfig {
  /** A SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DB. */
  db: string;
  /** PostgreSQL: the file holding the database password (else PGPASSFILE or ~/.pgpass). */
  dbPasswordFile?: string | null;
  /** TCP address of the API; '' for none (socket only). */
  listen: string;
  insecureHttp: boolean;
  /** Unix socket of the API (mode 0660; its peers are admins); null for none. */
  socket: string | null;
  tlsCert: string | null;
  tlsKey: string | null;
  bssUrl: string;
  cfsUrl: string | null;
  credentialsFile: string | null;
  caBundle: string | null;
  insecureSkipTlsVerify: boolean;
  logLevel: LogLevel;
  powerPollMs: number;
  cfsPollMs: number;
  retryBackoffMs: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  stopTimeoutMs: number;
  /** Directories file:// image manifests may be read from through the API ([]: none). */
  imageDirs: string[];
  /** Allow http:// BMC addresses that are not loopback (passwords in clear). */
  allowInsecureBmcHttp: boolean;
  /** CSM's TAPMS (tenants and their xnames) for tenants not in bosctl's registry; null: none. */
  tapmsUrl: string | null;
  /** Redfish events instead of power polls (bosd.yaml `redfish_events: {mode, push_url, overdue_ms}`). */
  redfishEvents: RedfishEventsConfig;
  /** This instance's id in the leadership lease (several bosd on one database); default hostname:pid. */
  instanceId?: string | null;
}

export interface RedfishEventsConfig {
  /** auto: SSE where a BMC offers it, else push when push_url is set; sse / push: only that; off: poll. */
  mode: 'auto' | 'sse' | 'push' | 'off';
  /** Base URL of bosd's API as BMCs reach it (push subscriptions post to <push_url>/redfish-events/<id>). */
  pushUrl: string | null;
  /** A node's power is read once when a change is this overdue (ms since its request or last event). */
  overdueMs: number;
}

export interface BmcCredentials {
  username: string;
  password: string;
  /** Plain http:// to this BMC is allowed (`allow_insecure_http: true`, only in a bmcs: entry). */
  allowInsecureHttp?: boolean;
}

export interface CredentialsBook {
  lookup(ref: string | null | undefined, bmcXname: string): BmcCredentials;
  /** Every password, so the logger can mask them. */
  secrets(): string[];
}

const bad = (msg: string) => bosError('BOS_VALUE_INVALID', msg);

/** Keys of the config file, in snake_case as written there. */
const FILE_KEYS: Record<string, keyof BosdConfig> = {
  db: 'db', listen: 'listen', insecure_http: 'insecureHttp', socket: 'socket', tls_cert: 'tlsCert', tls_key: 'tlsKey', bss_url: 'bssUrl', cfs_url: 'cfsUrl',
  credentials_file: 'credentialsFile', ca_bundle: 'caBundle', insecure_skip_tls_verify: 'insecureSkipTlsVerify',
  log_level: 'logLevel', power_poll_ms: 'powerPollMs', cfs_poll_ms: 'cfsPollMs', retry_backoff_ms: 'retryBackoffMs',
  max_in_flight: 'maxInFlight', request_timeout_ms: 'requestTimeoutMs', stop_timeout_ms: 'stopTimeoutMs',
  db_password_file: 'dbPasswordFile',
  image_dirs: 'imageDirs', allow_insecure_bmc_http: 'allowInsecureBmcHttp', tapms_url: 'tapmsUrl', redfish_events: 'redfishEvents', instance_id: 'instanceId',
};

/**
 * Connections the kernel queues for bosd before it accepts them (it caps this at
 * net.core.somaxconn). Node's 511 drops the SYNs of a burst beyond it, and a dropped SYN is
 * sent again only after a second: 1,000 nodes reporting or applying at once waited that second.
 */
export const LISTEN_BACKLOG = 4096;

export const CONFIG_DEFAULTS: Omit<BosdConfig, 'db' | 'bssUrl'> = {
  listen: '127.0.0.1:8180', insecureHttp: false, socket: null, tlsCert: null, tlsKey: null, cfsUrl: null, credentialsFile: null, caBundle: null,
  insecureSkipTlsVerify: false, logLevel: 'info', powerPollMs: 2000, cfsPollMs: 5000, retryBackoffMs: 2000,
  maxInFlight: 64, requestTimeoutMs: 10000, stopTimeoutMs: 10000, imageDirs: [], allowInsecureBmcHttp: false, tapmsUrl: null,
  redfishEvents: { mode: 'auto', pushUrl: null, overdueMs: 60_000 },
};

async function parseFile(path: string, what = 'config file'): Promise<Record<string, unknown>> {
  let text: string;
  try { text = readBoundedSync(path, MAX_CONFIG_FILE_BYTES).toString('utf8'); } catch (e) {
    throw bad(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  const { parseYamlText } = await import('../core/yaml.js');
  const v = parseYamlText(text, path, (why) => bad(`config file ${path} is not valid YAML or JSON: ${why}`));
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`config file ${path} must hold a mapping of settings`);
  return v as Record<string, unknown>;
}

/** Merges file and flags (flags win) and checks every value. */
export async function loadConfig(configPath: string | undefined, flags: Partial<BosdConfig>, defaultDb: string): Promise<BosdConfig> {
  const fromFile: Partial<BosdConfig> = {};
  if (configPath) {
    const raw = await parseFile(configPath);
    for (const [k, v] of Object.entries(raw)) {
      const key = FILE_KEYS[k];
      if (!key) throw bad(`unknown setting "${k}" in ${configPath}: expected one of ${Object.keys(FILE_KEYS).join(', ')}`);
      (fromFile as Record<string, unknown>)[key] = v;
    }
  }
  // --redfish-events gives the mode: the file's push_url and overdue_ms stay.
  const flagMode = (flags as { redfishEvents?: unknown }).redfishEvents;
  if (typeof flagMode === 'string') {
    const file = fromFile.redfishEvents as unknown;
    flags = { ...flags, redfishEvents: { ...(file && typeof file === 'object' && !Array.isArray(file) ? file : {}), mode: flagMode } as unknown as RedfishEventsConfig };
  }
  const merged = { ...CONFIG_DEFAULTS, db: defaultDb, ...fromFile, ...stripUndefined(flags) } as Record<string, unknown>;
  if (typeof merged.bssUrl !== 'string' || merged.bssUrl === '') {
    throw bad('no BSS URL: set bss_url in the config file or pass --bss-url (e.g. https://api-gw-service-nmn.local/apis/bss)');
  }
  // cfs_url: none (or --cfs-url none) runs without CFS: no configuration phase.
  if (typeof merged.cfsUrl === 'string' && merged.cfsUrl.trim().toLowerCase() === 'none') merged.cfsUrl = null;
  const urlKey = { bssUrl: 'bss_url', cfsUrl: 'cfs_url', tapmsUrl: 'tapms_url' } as const;
  for (const k of ['bssUrl', 'cfsUrl', 'tapmsUrl'] as const) {
    const v = merged[k];
    if (v === null || v === undefined) continue;
    try {
      const u = new URL(String(v));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      if (u.username || u.password) throw bad(`${urlKey[k]} must not carry credentials`);
    } catch (e) {
      if (isBosError(e)) throw e;
      throw bad(`invalid ${urlKey[k]} "${String(v)}": expected an http(s) URL${k === 'tapmsUrl' ? ', e.g. http://cray-tapms' : ''}`);
    }
  }
  const level = parseLogLevel(String(merged.logLevel));
  if (!level) throw bad(`invalid log level "${String(merged.logLevel)}": expected debug, info, warn or error`);
  merged.logLevel = level;
  for (const k of ['powerPollMs', 'cfsPollMs', 'retryBackoffMs', 'maxInFlight', 'requestTimeoutMs', 'stopTimeoutMs'] as const) {
    const n = Number(merged[k]);
    if (!Number.isInteger(n) || n < 1 || n > 86_400_000) throw bad(`invalid ${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())} "${String(merged[k])}": expected a positive integer`);
    merged[k] = n;
  }
  merged.imageDirs = imageDirsOf(merged.imageDirs);
  merged.redfishEvents = redfishEventsOf(merged.redfishEvents);
  if (typeof merged.allowInsecureBmcHttp !== 'boolean') {
    throw bad(`invalid allow_insecure_bmc_http "${String(merged.allowInsecureBmcHttp)}": expected true or false`);
  }
  if (merged.listen !== '') parseListen(String(merged.listen));
  if (merged.instanceId !== undefined && merged.instanceId !== null && (typeof merged.instanceId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(merged.instanceId))) {
    throw bad(`invalid instance_id ${JSON.stringify(merged.instanceId)}: expected 1 to 128 printable characters without spaces, unique per bosd (e.g. admin1)`);
  }
  if ((merged.tlsCert === null) !== (merged.tlsKey === null)) throw bad('TLS needs both tls_cert and tls_key (--tls-cert and --tls-key)');
  if (merged.listen === '' && !merged.socket) throw bad('no listener: give listen (HOST:PORT) or socket (a unix socket path)');
  // A password in the URL is refused here, before anything is logged (see parsePostgresUrl).
  if (isPostgresUrl(String(merged.db))) parsePostgresUrl(String(merged.db));
  else if (merged.dbPasswordFile) throw bad('db_password_file is for a PostgreSQL database (db: postgres://...); a SQLite file needs none');
  return merged as unknown as BosdConfig;
}

/** redfish_events: {mode, push_url, overdue_ms} (an object already in camelCase is taken as is). */
function redfishEventsOf(v: unknown): RedfishEventsConfig {
  const d = CONFIG_DEFAULTS.redfishEvents;
  if (v === undefined || v === null) return { ...d };
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('invalid redfish_events: expected a mapping, e.g. {mode: auto, push_url: https://bosd.example:8180}');
  const keys: Record<string, keyof RedfishEventsConfig> = { mode: 'mode', push_url: 'pushUrl', pushUrl: 'pushUrl', overdue_ms: 'overdueMs', overdueMs: 'overdueMs' };
  const out: RedfishEventsConfig = { ...d };
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    const key = keys[k];
    if (!key) throw bad(`unknown setting "redfish_events.${k}": expected mode, push_url or overdue_ms`);
    (out as unknown as Record<string, unknown>)[key] = val;
  }
  if (!['auto', 'sse', 'push', 'off'].includes(out.mode as string)) throw bad(`invalid redfish_events.mode "${String(out.mode)}": expected auto, sse, push or off`);
  if (out.pushUrl !== null) {
    let ok = false;
    try {
      const u = new URL(String(out.pushUrl));
      if (u.username || u.password) throw bad('redfish_events.push_url must not carry credentials: BMCs authenticate their posts by the subscription\'s Context');
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '';
    } catch (e) {
      if (isBosError(e)) throw e;
    }
    if (!ok) throw bad(`invalid redfish_events.push_url "${String(out.pushUrl)}": expected the http(s) base URL BMCs reach bosd at, e.g. https://bosd.example:8180`);
  }
  const n = Number(out.overdueMs);
  if (!Number.isInteger(n) || n < 1 || n > 86_400_000) throw bad(`invalid redfish_events.overdue_ms "${String(out.overdueMs)}": expected a positive integer (milliseconds)`);
  out.overdueMs = n;
  return out;
}

/** image_dirs: a list (or a comma-separated string, as --image-dirs gives) of absolute directory paths. */
function imageDirsOf(v: unknown): string[] {
  const list = typeof v === 'string' ? v.split(',').map((d) => d.trim()).filter((d) => d !== '') : v;
  if (!Array.isArray(list)) throw bad(`invalid image_dirs: expected a list of absolute directory paths, e.g. [/srv/images]`);
  return list.map((d) => {
    if (typeof d !== 'string' || !d.startsWith('/') || /[\x00-\x1f\x7f]/.test(d)) {
      throw bad(`invalid image_dirs entry ${JSON.stringify(d)}: expected an absolute directory path, e.g. /srv/images`);
    }
    return d;
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) > 65535) throw bad(`invalid listen address "${text}": expected HOST:PORT, e.g. 127.0.0.1:8180 (port 0 picks one)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Reads the Redfish credentials file. It must be readable by its owner only: a file others
 * can read is refused, because it holds every BMC's password.
 */
export async function loadCredentials(path: string): Promise<CredentialsBook> {
  let st;
  try { st = statSync(path); } catch (e) {
    throw bad(`cannot read credentials file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw bad(`credentials file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${path}`);
  }
  const raw = await parseFile(path, 'credentials file');
  const entry = (v: unknown, where: string, oneBmc = false): BmcCredentials => {
    const o = v as { username?: unknown; password?: unknown; allow_insecure_http?: unknown };
    if (!o || typeof o.username !== 'string' || typeof o.password !== 'string') {
      throw bad(`credentials file ${path}: ${where} needs a username and a password`);
    }
    const allow = o.allow_insecure_http;
    if (allow !== undefined && typeof allow !== 'boolean') throw bad(`credentials file ${path}: ${where}.allow_insecure_http must be true or false`);
    // Allowed one BMC at a time, so that plain HTTP is a choice made for each BMC named.
    if (allow !== undefined && !oneBmc) throw bad(`credentials file ${path}: ${where}.allow_insecure_http is allowed only in a bmcs: entry (one BMC), or for all BMCs as allow_insecure_bmc_http in bosd.yaml`);
    return { username: o.username, password: o.password, ...(allow === true ? { allowInsecureHttp: true } : {}) };
  };
  const def = raw.default === undefined ? undefined : entry(raw.default, 'default');
  const refs = new Map(Object.entries((raw.refs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, entry(v, `refs.${k}`)]));
  const bmcs = new Map(Object.entries((raw.bmcs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, entry(v, `bmcs.${k}`, true)]));
  const unknown = Object.keys(raw).filter((k) => !['default', 'refs', 'bmcs'].includes(k));
  if (unknown.length) throw bad(`credentials file ${path}: unknown key "${unknown[0]}": expected default, refs or bmcs`);
  if (!def && refs.size === 0 && bmcs.size === 0) throw bad(`credentials file ${path} holds no credentials: add a default entry`);
  return {
    lookup(ref, bmcXname) {
      const c = bmcs.get(bmcXname) ?? (ref ? refs.get(ref) : undefined) ?? def;
      if (!c) throw new Error(`no Redfish credentials for BMC ${bmcXname}${ref ? ` (reference "${ref}")` : ''} in ${path}`);
      return c;
    },
    secrets: () => [def, ...refs.values(), ...bmcs.values()].filter((c): c is BmcCredentials => !!c).map((c) => c.password),
  };
}
