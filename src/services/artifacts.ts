/**
 * Resolving boot sets to the boot artifacts BOS would write: kernel, initrd and the kernel
 * command line (src/core/kernel-params.ts), plus the root filesystem and the manifest read.
 *
 * Two kinds of boot set:
 * - BOS's: `path` names an image manifest and `type` says how to read it. `type: "s3"` with
 *   an `s3://BUCKET/KEY` path, as CSM writes them; as bosctl's extension also `type: "http"`
 *   (an http:// or https:// URL) and `type: "file"` (a file:// URL or an absolute path).
 *   The manifest is read, its ETag checked against the boot set's `etag` when one is given,
 *   the image's boot-parameters object read, and the parameters assembled as BOS does.
 * - bosctl's: `kernel` and `initrd` given directly. No I/O: the kernel parameters are
 *   assembled the same way without image parameters (so bos_update_frequency is there too).
 *   When a boot set has both, kernel and initrd win and the manifest is not read.
 *
 * Every failure is one line naming the boot set and the path.
 */
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoundedReadError, readBounded } from '../core/bounded-read.js';
import { BosError, bosError, isBosError } from '../core/errors.js';
import { assembleKernelParameters } from '../core/kernel-params.js';
import {
  MAX_MANIFEST_BYTES,
  bootImageOf,
  manifestSubject,
  parseManifestJson,
  type BootImage,
  type ImageManifest,
  type ManifestSource,
} from '../core/manifest.js';
import type { BootArtifacts, BootSet, Operation, SessionTemplate } from '../core/types.js';
import { S3_CONFIG_HINT, isS3Error, parseS3Url, type S3Client } from '../integrations/s3.js';

/** An S3 client, or a function that makes one when the first s3:// path needs it. */
export type S3Source = S3Client | (() => Promise<S3Client>);

export interface ResolveOptions {
  /** Needed only for s3:// paths. Never closed here: its owner closes it. */
  s3?: S3Source;
  /** The option component_actual_state_ttl ("4h"), for bos_update_frequency. */
  actualStateTtl: string;
  /** For http(s) manifests (default: the global fetch). */
  fetchImpl?: typeof fetch;
  /** Timeout of one http(s) read, in ms (default 10 s). */
  httpTimeoutMs?: number;
  /** Directories file:// paths must be in (ServiceContext.imageDirs); undefined: anywhere. */
  imageDirs?: readonly string[];
}

export interface ResolveTemplateOptions extends ResolveOptions {
  /**
   * Only these boot sets (default: all). BOS resolves a boot set only when it has nodes to
   * act on (session_setup.py _setup_components skips the others), so a session passes the
   * boot sets its plan uses.
   */
  bootSets?: Iterable<string>;
}

export interface ResolvedBootSet {
  /** kernel, initrd and kernel_parameters = the assembled command line. */
  boot_artifacts: BootArtifacts;
  /** The image's root filesystem (the rootfs artifact's path), when it has one. */
  rootfs?: string;
  /** The manifest's path, for manifest boot sets. */
  manifest?: string;
  /** The manifest object's ETag as read (quotes stripped), when it had one. */
  manifest_etag?: string;
  /** Things to show that do not stop the boot set (e.g. no initrd), one line each. */
  warnings: string[];
}

/** Boot-parameter objects are kernel command lines: BOS reads them whole; we cap them too. */
export const MAX_PARAMETERS_BYTES = 1_048_576;
const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** How a path is read. */
export type PathScheme = 's3' | 'http' | 'file';

/** The boot set `type` values and which paths each takes. */
export const MANIFEST_TYPES: Record<string, PathScheme> = { s3: 's3', http: 'http', https: 'http', file: 'file' };

/** The scheme of a path by its form: s3://, http(s)://, file:// or an absolute path. */
export function schemeOf(path: string): PathScheme | undefined {
  if (/^s3:\/\//i.test(path)) return 's3';
  if (/^https?:\/\//i.test(path)) return 'http';
  if (/^file:\/\//i.test(path) || isAbsolute(path)) return 'file';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading objects

interface FetchedObject {
  body: Buffer;
  /** Entity tag, quotes (and a weak W/ prefix) stripped. */
  etag?: string;
  tooLarge?: boolean;
  size?: number;
}

/** The raw failures of a read, before they are put in words for one boot set. */
class ReadFailure extends Error {
  constructor(
    readonly kind: 'missing' | 'config' | 'credentials' | 'unreachable' | 'other',
    readonly detail: string,
    readonly code?: 'BOS_FILE_UNREADABLE' | 'BOS_SERVER_UNREACHABLE',
    readonly hint?: string,
  ) {
    super(detail);
  }
}

function stripEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  // BOS strips the double quotes S3 puts around an ETag (s3.py: .strip('"')).
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}

/** Memoizes an S3Source: one client per resolve call, made only when an s3:// path needs it. */
function s3Getter(source: S3Source | undefined): () => Promise<S3Client> {
  let pending: Promise<S3Client> | undefined;
  return () => {
    if (source === undefined) {
      return Promise.reject(new ReadFailure('config', 'no S3 configuration was given', 'BOS_FILE_UNREADABLE', S3_CONFIG_HINT));
    }
    if (typeof source !== 'function') return Promise.resolve(source);
    pending ??= source();
    return pending;
  };
}

interface Reader {
  s3: () => Promise<S3Client>;
  fetchImpl: typeof fetch;
  httpTimeoutMs: number;
  imageDirs?: readonly string[];
}

/** The bosd.yaml setting that lists the directories file:// manifests may be read from. */
const IMAGE_DIRS_HINT = 'list the directories bosd may read image manifests from in "image_dirs" in bosd.yaml, or use an s3:// or http(s):// path';

async function readS3(reader: Reader, path: string, maxBytes: number): Promise<FetchedObject> {
  let loc;
  try {
    loc = parseS3Url(path);
  } catch (e) {
    throw new ReadFailure('other', (e as Error).message, 'BOS_FILE_UNREADABLE');
  }
  let client: S3Client;
  try {
    client = await reader.s3();
  } catch (e) {
    if (e instanceof ReadFailure) throw e;
    if (isBosError(e)) throw new ReadFailure('config', e.message, e.code === 'BOS_SERVER_UNREACHABLE' ? e.code : 'BOS_FILE_UNREADABLE', e.hint);
    throw e;
  }
  try {
    const obj = await client.getObject(loc.bucket, loc.key, { maxBytes });
    const etag = stripEtag(obj.etag);
    return { body: obj.body, ...(etag === undefined ? {} : { etag }), ...(obj.tooLarge ? { tooLarge: true } : {}), ...(obj.size === undefined ? {} : { size: obj.size }) };
  } catch (e) {
    if (!isS3Error(e)) throw e;
    if (e.notFound) throw new ReadFailure('missing', e.message);
    if (e.badCredentials) {
      throw new ReadFailure('credentials', `S3 refused bosctl's credentials: ${e.message}`, 'BOS_FILE_UNREADABLE',
        'check access_key and secret_key in the S3 configuration file (BOSCTL_S3_CONFIG, $XDG_CONFIG_HOME/bosctl/s3.yaml or /etc/bosd/s3.yaml)');
    }
    if (e.unreachable) {
      throw new ReadFailure('unreachable', `S3 is unreachable: ${e.message}`, 'BOS_SERVER_UNREACHABLE',
        'check "endpoint" in the S3 configuration file and that the S3 service answers there');
    }
    throw new ReadFailure('other', e.message, 'BOS_FILE_UNREADABLE');
  }
}

function netReason(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  const c = (cause ?? e) as { code?: unknown; message?: unknown };
  const code = typeof c.code === 'string' ? c.code : undefined;
  const msg = typeof c.message === 'string' ? c.message : String(cause ?? e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

async function readHttp(reader: Reader, path: string, maxBytes: number): Promise<FetchedObject> {
  let res: Response;
  try {
    res = await reader.fetchImpl(path, { signal: AbortSignal.timeout(reader.httpTimeoutMs), redirect: 'follow' });
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
    throw new ReadFailure('unreachable', timedOut ? `no answer within ${reader.httpTimeoutMs} ms` : `cannot connect (${netReason(e)})`,
      'BOS_SERVER_UNREACHABLE', 'check the URL and that its server answers');
  }
  const etag = stripEtag(res.headers.get('etag') ?? undefined);
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => undefined);
    throw new ReadFailure('missing', `GET ${path} answered ${res.status}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new ReadFailure('other', `GET ${path} answered ${res.status}${text ? `: ${text}` : ''}`, 'BOS_FILE_UNREADABLE');
  }
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return { body: Buffer.alloc(0), tooLarge: true, size: length, ...(etag === undefined ? {} : { etag }) };
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body) {
    const r = res.body.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await r.cancel().catch(() => undefined);
        return { body: Buffer.alloc(0), tooLarge: true, size: total, ...(etag === undefined ? {} : { etag }) };
      }
      chunks.push(Buffer.from(value));
    }
  }
  return { body: Buffer.concat(chunks), ...(etag === undefined ? {} : { etag }) };
}

/**
 * A local file. Its "ETag" is the MD5 of its bytes in hex, which is what S3 gives an object
 * uploaded in one part, so a boot set's etag works the same for a copied manifest.
 * Regular files only, read with a bounded read; through bosd's API only inside image_dirs.
 * No byte of the file ever reaches a message.
 */
async function readFileObject(reader: Reader, path: string, maxBytes: number): Promise<FetchedObject> {
  let file: string;
  try {
    file = /^file:/i.test(path) ? fileURLToPath(path) : path;
  } catch (e) {
    throw new ReadFailure('other', `it is not a valid file URL (${(e as Error).message})`, 'BOS_FILE_UNREADABLE');
  }
  try {
    const body = await readBounded(file, { maxBytes, ...(reader.imageDirs === undefined ? {} : { allowedDirs: reader.imageDirs }) });
    return { body, etag: createHash('md5').update(body).digest('hex') };
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    switch (e.kind) {
      case 'missing': throw new ReadFailure('missing', `no such file ${file}`);
      case 'too-large': return { body: Buffer.alloc(0), tooLarge: true, ...(e.size === undefined ? {} : { size: e.size }) };
      case 'outside': {
        const why = reader.imageDirs?.length
          ? `bosd reads files only inside its image directories (${reader.imageDirs.join(', ')})`
          : 'bosd reads no local files for API callers: image_dirs is not set';
        throw new ReadFailure('other', `refused: ${why}`, 'BOS_FILE_UNREADABLE', IMAGE_DIRS_HINT);
      }
      default: throw new ReadFailure('other', e.detail, 'BOS_FILE_UNREADABLE');
    }
  }
}

async function readObject(reader: Reader, scheme: PathScheme, path: string, maxBytes: number): Promise<FetchedObject> {
  switch (scheme) {
    case 's3': return readS3(reader, path, maxBytes);
    case 'http': return readHttp(reader, path, maxBytes);
    case 'file': return readFileObject(reader, path, maxBytes);
  }
}

/** A read failure in one line: `<subject> does not exist: ...` / `<subject> cannot be read: ...`. */
function explain(subject: string, e: unknown): BosError {
  if (e instanceof ReadFailure) {
    if (e.kind === 'missing') {
      return bosError('BOS_FILE_UNREADABLE', `${subject} does not exist (${e.detail})`, 'check the path; "bosctl image inspect PATH" reads a manifest');
    }
    if (e.kind === 'config') return bosError(e.code ?? 'BOS_FILE_UNREADABLE', `${subject} is in S3, and ${e.detail}`, e.hint);
    return bosError(e.code ?? 'BOS_FILE_UNREADABLE', `${subject} cannot be read: ${e.detail}`, e.hint);
  }
  if (isBosError(e)) return new BosError(e.code, `${subject}: ${e.message}`, e.hint);
  return bosError('BOS_FILE_UNREADABLE', `${subject} cannot be read: ${(e as Error)?.message ?? String(e)}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(subject: string, body: Buffer, code: 'BOS_TEMPLATE_INVALID' | 'BOS_FILE_INVALID'): string {
  try {
    return utf8.decode(body);
  } catch {
    // BOS decodes with .decode('utf-8') and fails on anything else.
    throw bosError(code, `${subject} is not UTF-8 text`);
  }
}

// ---------------------------------------------------------------------------------------------
// Manifests

export interface ReadManifestOptions {
  s3?: S3Source;
  fetchImpl?: typeof fetch;
  httpTimeoutMs?: number;
  /** The boot set it is read for (named in every message). */
  bootSet?: string;
  /** The boot set's `type`; without it the scheme follows the path's form. */
  type?: string;
  /** Directories file:// paths must be in (ServiceContext.imageDirs); undefined: anywhere. */
  imageDirs?: readonly string[];
}

export interface ReadManifestResult {
  manifest: ImageManifest;
  /** The manifest object's ETag (quotes stripped), when it has one. */
  etag?: string;
  /** s3, http or file. */
  scheme: PathScheme;
}

function reader(opts: { s3?: S3Source; fetchImpl?: typeof fetch; httpTimeoutMs?: number; imageDirs?: readonly string[] }): Reader {
  return {
    s3: s3Getter(opts.s3),
    fetchImpl: opts.fetchImpl ?? fetch,
    httpTimeoutMs: opts.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
    ...(opts.imageDirs === undefined ? {} : { imageDirs: opts.imageDirs }),
  };
}

/** Which scheme a boot set's type and path name, or a one-line error. */
function manifestScheme(path: string, type: string | undefined, at: string | undefined): PathScheme {
  const prefix = at ? `${at}: ` : '';
  const form = schemeOf(path);
  if (type === undefined) {
    if (!form) {
      throw bosError(at ? 'BOS_TEMPLATE_INVALID' : 'BOS_VALUE_INVALID',
        `${prefix}image manifest path "${path}" is not an s3://, http(s)://, file:// URL or an absolute path`);
    }
    return form;
  }
  const scheme = Object.prototype.hasOwnProperty.call(MANIFEST_TYPES, type) ? MANIFEST_TYPES[type] : undefined;
  if (!scheme) {
    throw bosError('BOS_TEMPLATE_INVALID',
      `${prefix}unknown type "${type}" of image manifest ${path}: use "s3" (an s3://BUCKET/KEY path), or bosctl's "http" (an http(s):// URL) or "file" (a file:// URL or an absolute path)`);
  }
  if (form !== scheme) {
    const want = scheme === 's3' ? 'an s3://BUCKET/KEY URL' : scheme === 'http' ? 'an http:// or https:// URL' : 'a file:// URL or an absolute path';
    const better = form ? `, or set "type" to "${form}"` : '';
    throw bosError('BOS_TEMPLATE_INVALID', `${prefix}image manifest path "${path}" does not fit "type": "${type}": it must be ${want}${better}`);
  }
  return scheme;
}

/** The manifest in a read object: at most 1 MiB, UTF-8, JSON with an artifacts list. */
function manifestOf(obj: FetchedObject, src: ManifestSource): ImageManifest {
  const subject = manifestSubject(src);
  const code = src.bootSet === undefined ? 'BOS_FILE_INVALID' : 'BOS_TEMPLATE_INVALID';
  if (obj.tooLarge) {
    throw bosError(code, `${subject} is ${obj.size ?? `more than ${MAX_MANIFEST_BYTES}`} bytes, too big for an image manifest (at most ${MAX_MANIFEST_BYTES}): is the path that of the manifest?`);
  }
  return parseManifestJson(decodeUtf8(subject, obj.body, code), src);
}

/** Reads and parses a manifest (JSON with an artifacts list); does not apply the boot rules. */
export async function readManifest(path: string, opts: ReadManifestOptions = {}): Promise<ReadManifestResult> {
  const at = opts.bootSet === undefined ? undefined : `boot set "${opts.bootSet}"`;
  const scheme = manifestScheme(path, opts.type, at);
  const src: ManifestSource = { path, ...(opts.bootSet === undefined ? {} : { bootSet: opts.bootSet }) };
  let obj: FetchedObject;
  try {
    obj = await readObject(reader(opts), scheme, path, MAX_MANIFEST_BYTES);
  } catch (e) {
    throw explain(manifestSubject(src), e);
  }
  return { manifest: manifestOf(obj, src), scheme, ...(obj.etag === undefined ? {} : { etag: obj.etag }) };
}

// ---------------------------------------------------------------------------------------------
// Boot sets

/** Settled reads of manifests, shared by the boot sets of one template. */
type ManifestCache = Map<string, Promise<SettledRead>>;
type SettledRead = { obj: FetchedObject; error?: undefined } | { obj?: undefined; error: unknown };

function settle(p: Promise<FetchedObject>): Promise<SettledRead> {
  return p.then((obj) => ({ obj }), (error: unknown) => ({ error }));
}

async function resolveOne(name: string, bs: BootSet, opts: ResolveOptions, rd: Reader, cache?: ManifestCache): Promise<ResolvedBootSet> {
  const at = `boot set "${name}"`;
  const base = {
    kernelParameters: bs.kernel_parameters,
    rootfsProvider: bs.rootfs_provider,
    rootfsProviderPassthrough: bs.rootfs_provider_passthrough,
    actualStateTtl: opts.actualStateTtl,
    at,
  };
  if (bs.kernel && bs.initrd) {
    return {
      boot_artifacts: { kernel: bs.kernel, initrd: bs.initrd, kernel_parameters: assembleKernelParameters(base) },
      warnings: [],
    };
  }
  if (!bs.path) {
    throw bosError('BOS_TEMPLATE_INVALID', `${at} has no image manifest "path" (with "type": "s3") and no "kernel" and "initrd"`);
  }
  if (!bs.type) {
    // BOS: BootImageMetadataUnknown "No path type set in boot set".
    throw bosError('BOS_TEMPLATE_INVALID', `${at}: image manifest path ${bs.path} has no "type": add "type": "s3"`);
  }
  const path = bs.path;
  const scheme = manifestScheme(path, bs.type, at);
  const src: ManifestSource = { path, bootSet: name };
  const subject = manifestSubject(src);

  // The read is shared by boot sets naming the same manifest; the messages are each one's.
  const cacheKey = `${scheme} ${path}`;
  let read = cache?.get(cacheKey);
  if (!read) {
    read = settle(readObject(rd, scheme, path, MAX_MANIFEST_BYTES));
    cache?.set(cacheKey, read);
  }
  const settled = await read;
  if (settled.obj === undefined) throw explain(subject, settled.error);
  const obj = settled.obj;

  // The boot set's etag pins the manifest's version. BOS only logs a warning on a mismatch
  // (s3.py S3Object.object_header); bosctl refuses it, so a changed image is never booted
  // unnoticed. Quotes are stripped from S3's ETag first, as BOS does.
  if (bs.etag && obj.etag !== undefined && obj.etag !== bs.etag) {
    throw bosError('BOS_TEMPLATE_INVALID',
      `${subject} has ETag "${obj.etag}", and the boot set's etag is "${bs.etag}": the manifest changed since the template was written`,
      'set the boot set\'s etag to the manifest\'s current ETag ("bosctl image inspect PATH" shows it), or remove etag from the boot set');
  }

  const image: BootImage = bootImageOf(manifestOf(obj, src), src);
  const warnings = [...image.warnings];
  if (bs.etag && obj.etag === undefined) warnings.push(`${subject} has no ETag to check the boot set's etag "${bs.etag}" against`);

  // The image's own parameters: BOS reads them only when the artifact has an etag
  // (session_setup.py _base_boot_param_pieces: boot_parameters_etag is None → none).
  let imageParameters: string | undefined;
  const params = image.bootParameters;
  if (params && params.etag !== undefined) {
    const what = `${at}: the image's boot parameters ${params.path} (from image manifest ${path})`;
    const pscheme = schemeOf(params.path);
    if (!pscheme) throw bosError('BOS_TEMPLATE_INVALID', `${what} is not an s3://, http(s)://, file:// URL or an absolute path`);
    let pobj: FetchedObject;
    try {
      pobj = await readObject(rd, pscheme, params.path, MAX_PARAMETERS_BYTES);
    } catch (e) {
      throw explain(what, e);
    }
    if (pobj.tooLarge) throw bosError('BOS_TEMPLATE_INVALID', `${what} is ${pobj.size ?? `more than ${MAX_PARAMETERS_BYTES}`} bytes, too big for kernel parameters (at most ${MAX_PARAMETERS_BYTES})`);
    imageParameters = decodeUtf8(what, pobj.body, 'BOS_TEMPLATE_INVALID');
  }

  const kernel_parameters = assembleKernelParameters({
    ...base,
    ...(imageParameters === undefined ? {} : { imageParameters }),
    ...(image.rootfs ? { rootfs: image.rootfs } : {}),
  });
  const out: ResolvedBootSet = {
    boot_artifacts: { kernel: image.kernel.path, initrd: image.initrd?.path ?? '', kernel_parameters },
    manifest: path,
    warnings,
  };
  if (image.rootfs) out.rootfs = image.rootfs.path;
  if (obj.etag !== undefined) out.manifest_etag = obj.etag;
  return out;
}

/**
 * One boot set's artifacts, as BOS's session setup computes them for a boot or reboot
 * (session_setup.py _get_boot_artifacts_from_boot_set).
 */
export async function resolveBootSet(name: string, bootSet: BootSet, opts: ResolveOptions): Promise<ResolvedBootSet> {
  return resolveOne(name, bootSet, opts, reader(opts));
}

/**
 * Every boot set of a template (or those named in opts.bootSets), concurrently, sharing one
 * S3 client and one read per manifest. A shutdown needs no artifacts: every boot set gets
 * empty ones, and nothing is read (BOS's _generate_target_state). The first failing boot
 * set, in the template's order, is the error.
 */
export async function resolveTemplate(template: SessionTemplate, operation: Operation, opts: ResolveTemplateOptions): Promise<Map<string, ResolvedBootSet>> {
  const wanted = opts.bootSets === undefined ? undefined : new Set(opts.bootSets);
  const entries = Object.entries(template.boot_sets ?? {}).filter(([n]) => !wanted || wanted.has(n));
  const out = new Map<string, ResolvedBootSet>();
  if (operation === 'shutdown') {
    for (const [n] of entries) out.set(n, { boot_artifacts: { kernel: '', kernel_parameters: '', initrd: '' }, warnings: [] });
    return out;
  }
  const rd = reader(opts);
  const cache: ManifestCache = new Map();
  const results = await Promise.allSettled(entries.map(([n, bs]) => resolveOne(n, bs, opts, rd, cache)));
  results.forEach((r, i) => {
    if (r.status === 'rejected') throw r.reason;
    out.set(entries[i][0], r.value);
  });
  return out;
}
