import { bosError } from '../core/errors.js';

/** Where bosd's API is: a TCP origin (http or https) with an optional path prefix, or a unix socket. */
export interface Endpoint {
  scheme: 'http' | 'https' | 'unix';
  /** TCP host (brackets removed from IPv6); 'localhost' for a unix socket (the Host header). */
  host: string;
  port: number;
  /** Unix socket path (absolute). */
  socketPath?: string;
  /** Prefix in front of /v2, e.g. /apis/bos behind CSM's API gateway; '' for bosd itself. */
  basePath: string;
  /** The URL as messages show it: never credentials, query or fragment. */
  display: string;
}

function bad(text: string, what: string): Error {
  return bosError('BOS_VALUE_INVALID', `invalid server URL ${JSON.stringify(redactUrl(text))}: ${what}`,
    'give http://HOST:PORT, https://HOST:PORT or unix:///run/bosd/bosd.sock (--server, BOSCTL_SERVER or server: in ~/.config/bosctl/config.yaml)');
}

/** Hides a URL's user:password@ part (for messages about a URL someone typed). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@');
}

/** Parses --server. Credentials in the URL are refused: bosd takes a bearer token. */
export function parseServerUrl(text: string): Endpoint {
  const t = text.trim();
  if (t === '') throw bad(text, 'it is empty');
  if (/^unix:/i.test(t)) {
    // unix:///run/bosd/bosd.sock (also unix:/run/bosd/bosd.sock)
    const rest = /^unix:\/\//i.test(t) ? t.slice(7) : t.slice(5);
    if (!rest.startsWith('/') || rest.startsWith('//')) throw bad(text, 'a unix socket URL names an absolute path: unix:///run/bosd/bosd.sock');
    let socketPath: string;
    try { socketPath = decodeURIComponent(rest); } catch { throw bad(text, 'the socket path is not valid percent-encoding'); }
    return { scheme: 'unix', host: 'localhost', port: 0, socketPath, basePath: '', display: `unix://${socketPath}` };
  }
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    throw bad(text, 'not a URL');
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw bad(text, `unsupported scheme "${scheme}"`);
  if (u.username || u.password) throw bad(text, 'it holds credentials; bosd takes a bearer token: use --token-file FILE (or BOSCTL_TOKEN_FILE)');
  if (u.search || u.hash) throw bad(text, 'it has a query or fragment');
  if (!u.hostname) throw bad(text, 'no host');
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  const basePath = u.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { scheme, host, port, basePath, display: `${scheme}://${u.host}${basePath}` };
}
