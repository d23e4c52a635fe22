/**
 * bosctl's own configuration file: $XDG_CONFIG_HOME/bosctl/config.yaml (default
 * ~/.config/bosctl/config.yaml). A flat mapping of a few settings:
 *
 *   server: https://bosd.example:8180     # or unix:///run/bosd/bosd.sock
 *   token_file: ~/.config/bosctl/token    # relative paths are relative to this file
 *   ca_bundle: /etc/pki/bosd-ca.pem
 *   output: wide                          # the default of -o
 *
 * It is read on every command (for `output`), so it is parsed here without the yaml
 * package (tens of milliseconds to import); only a file this small parser does not
 * understand is handed to the yaml package.
 */
import { MAX_CONFIG_FILE_BYTES, readBoundedSync } from '../core/bounded-read.js';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { bosError } from '../core/errors.js';
import { parseYamlText } from '../core/yaml.js';

export const CONFIG_KEYS = ['server', 'token_file', 'ca_bundle', 'output'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** What each setting holds and means: bosctl-config(5) is generated from this. */
export const CONFIG_HELP: Record<ConfigKey, { value: string; help: string }> = {
  server: {
    value: 'URL',
    help: 'bosd\'s API, http://HOST:PORT, https://HOST:PORT or unix:///run/bosd/bosd.sock (several bosd on one database: URL1,URL2, the next tried when one is unreachable): bosctl then works through it instead of a database file. --server and BOSCTL_SERVER win over it; --db or BOSCTL_DB turn it off.',
  },
  token_file: {
    value: 'path',
    help: 'a file holding the API token (the secret "bosctl token create" printed), readable by you only. A relative path is relative to this file, ~ is your home directory. --token-file, BOSCTL_TOKEN and BOSCTL_TOKEN_FILE win over it; the unix socket needs no token.',
  },
  ca_bundle: {
    value: 'path',
    help: 'CA certificates (PEM) that verify the certificate of an https server. Relative paths and ~ as for token_file. --ca-bundle and BOSCTL_CA_BUNDLE win over it.',
  },
  output: {
    value: 'format',
    help: 'the default of -o: table, wide, json, yaml or name. -o and BOSCTL_OUTPUT win over it.',
  },
};

export interface CliConfig {
  /** The file it came from (whether or not it exists). */
  path: string;
  server?: string;
  /** Absolute: a relative path in the file is taken relative to the file's directory. */
  token_file?: string;
  ca_bundle?: string;
  output?: string;
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

/** $XDG_CONFIG_HOME/bosctl/config.yaml, else ~/.config/bosctl/config.yaml. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homeOf(env), '.config');
  return join(base, 'bosctl', 'config.yaml');
}

const cache = new Map<string, CliConfig>();

/** The configuration file's settings; none when it does not exist. Read once per path. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const path = configPath(env);
  const hit = cache.get(path);
  if (hit) return hit;
  let text: string;
  try {
    text = readBoundedSync(path, MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const none = { path };
      cache.set(path, none);
      return none;
    }
    throw bosError('BOS_FILE_UNREADABLE', `cannot read bosctl's configuration file ${path}: ${(e as Error).message}`);
  }
  const config = parseCliConfig(text, path, env);
  cache.set(path, config);
  return config;
}

/** For tests: forget what was read. */
export function clearCliConfigCache(): void {
  cache.clear();
}

function invalid(path: string, what: string): Error {
  return bosError('BOS_FILE_INVALID', `${path}: ${what}`,
    `the file holds "key: value" lines; keys: ${CONFIG_KEYS.join(', ')}`);
}

/** Parses the file's text: flat `key: value` lines, comments, quoted or plain scalars. */
export function parseCliConfig(text: string, path: string, env: NodeJS.ProcessEnv = process.env): CliConfig {
  const raw = parseFlat(text) ?? parseWithYaml(text, path);
  const out: CliConfig = { path };
  for (const [key, value] of Object.entries(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw invalid(path, `unknown setting "${key}": expected ${CONFIG_KEYS.join(', ')}`);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') throw invalid(path, `"${key}" must be text`);
    const v = String(value).trim();
    if (v === '') continue;
    if (key === 'token_file' || key === 'ca_bundle') out[key] = filePath(v, path, env);
    else out[key as 'server' | 'output'] = v;
  }
  return out;
}

/** ~ is the home directory; a relative path is relative to the configuration file. */
function filePath(v: string, configFile: string, env: NodeJS.ProcessEnv): string {
  if (v === '~' || v.startsWith('~/')) return join(homeOf(env), v.slice(1));
  return resolve(dirname(configFile), v);
}

const LINE = /^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(.*))?$/;

/** The common case without the yaml package; undefined when the text needs a real YAML parser. */
function parseFlat(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    const t = line.trimEnd();
    if (t === '' || /^[ \t]*#/.test(t) || t === '---' || t === '...') continue;
    const m = LINE.exec(t);
    if (!m) return undefined;
    const key = m[1];
    if (Object.prototype.hasOwnProperty.call(out, key)) return undefined;
    const value = scalar(m[2] ?? '');
    if (value === NOT_PLAIN) return undefined;
    out[key] = value;
  }
  return out;
}

const NOT_PLAIN = Symbol('not plain');

function scalar(text: string): string | null | typeof NOT_PLAIN {
  let v = text.trim();
  if (v.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*")[ \t]*(?:#.*)?$/.exec(v);
    if (!m) return NOT_PLAIN;
    try { return JSON.parse(m[1]) as string; } catch { return NOT_PLAIN; }
  }
  if (v.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'[ \t]*(?:#.*)?$/.exec(v);
    return m ? m[1].replace(/''/g, "'") : NOT_PLAIN;
  }
  v = v.replace(/[ \t]+#.*$/, '');
  if (v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  // Anything YAML gives a meaning beyond plain text goes to the real parser.
  if (/^[[\]{}&*!|>%@`]/.test(v) || /^-(?:\s|$)/.test(v) || /:\s/.test(v)) return NOT_PLAIN;
  return v;
}

function parseWithYaml(text: string, path: string): Record<string, unknown> {
  const doc = parseYamlText(text, path, (why) => invalid(path, `not valid YAML: ${why}`));
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid(path, 'expected "key: value" settings');
  return doc as Record<string, unknown>;
}
