/**
 * Image manifests as IMS writes them and BOS reads them: a JSON object whose `artifacts`
 * list holds, per artifact, a MIME-like `type` and a `link {path, etag, type}`. A boot set
 * names one by `path` (and `type: "s3"`); its kernel, initrd, root filesystem and the
 * image's own kernel parameters are found here. Pure: the caller reads the bytes.
 *
 * The rules are BOS's (Cray-HPE/bos, src/bos/common/clients/s3/s3.py S3BootArtifacts and
 * boot_image_meta_data.py BootImageMetadata):
 * - the manifest is JSON and a JSON object (manifest_json), at most 1 MiB
 *   (MAX_MANIFEST_SIZE_BYTES);
 * - it has an `artifacts` list, and every artifact has a `type` (_get_artifact reads
 *   artifact['type'] of each);
 * - exactly one kernel: none fails the session (artifact_summary has no 'kernel'), two or
 *   more fail it too (TooManyArtifacts);
 * - at most one initrd, rootfs and boot-parameters artifact (TooManyArtifacts); a missing
 *   initrd is a warning (validate_boot_artifacts raises BootSetWarning for it), and a
 *   missing rootfs or boot-parameters artifact is not a problem by itself;
 * - the artifacts used need `link.path`; the rootfs and boot-parameters artifacts need a
 *   `link.etag` key too (BootImageMetadata reads link['etag'] of both), which may be null.
 */
import { bosError, type BosError, type ErrorCode } from './errors.js';
import { describeJsonSyntaxError } from './json-syntax.js';

export const ARTIFACT_TYPES = {
  kernel: 'application/vnd.cray.image.kernel',
  initrd: 'application/vnd.cray.image.initrd',
  rootfs: 'application/vnd.cray.image.rootfs.squashfs',
  bootParameters: 'application/vnd.cray.image.parameters.boot',
} as const;

export type ArtifactRole = keyof typeof ARTIFACT_TYPES;

/** BOS's MAX_MANIFEST_SIZE_BYTES: anything bigger is not a manifest. */
export const MAX_MANIFEST_BYTES = 1_048_576;

/** Where an artifact is: `link` of a manifest artifact. */
export interface ManifestLink {
  path: string;
  /** The object's entity tag; absent when the manifest has none (or null). */
  etag?: string;
  /** The link's storage type (IMS writes "s3"). */
  type?: string;
}

/** One entry of `artifacts`, as the manifest has it (only `type` is checked). */
export interface ManifestArtifact {
  type: string;
  link?: unknown;
  md5?: unknown;
  [field: string]: unknown;
}

export interface ImageManifest {
  version?: unknown;
  created?: unknown;
  artifacts: ManifestArtifact[];
  [field: string]: unknown;
}

/** What a boot set takes from a manifest. */
export interface BootImage {
  kernel: ManifestLink;
  /** Absent when the manifest has no initrd: BOS warns and goes on (see warnings). */
  initrd?: ManifestLink;
  rootfs?: ManifestLink;
  bootParameters?: ManifestLink;
  /** One line each, naming the boot set and the manifest. */
  warnings: string[];
}

/** Which manifest is being read, and for which boot set: every message names both. */
export interface ManifestSource {
  /** The manifest's path as the boot set (or the user) gave it. */
  path: string;
  /** The boot set's name; absent for `bosctl image inspect`. */
  bootSet?: string;
}

/** `boot set "compute": image manifest s3://...` or `image manifest s3://...`. */
export function manifestSubject(src: ManifestSource): string {
  return `${src.bootSet === undefined ? '' : `boot set "${src.bootSet}": `}image manifest ${src.path}`;
}

/**
 * A one-line error about a manifest's content: BOS_TEMPLATE_INVALID for a boot set (its
 * template cannot be used as it is), BOS_FILE_INVALID for a manifest read on its own.
 */
export function manifestError(src: ManifestSource, problem: string, code?: ErrorCode): BosError {
  const kind: ErrorCode = code ?? (src.bootSet === undefined ? 'BOS_FILE_INVALID' : 'BOS_TEMPLATE_INVALID');
  return bosError(kind, `${manifestSubject(src)} ${problem}`,
    `an image manifest is JSON: {"artifacts": [{"type": "${ARTIFACT_TYPES.kernel}", "link": {"path": "s3://BUCKET/KEY", "etag": "..."}}, ...]}; see it with "bosctl image inspect ${src.path}"`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Parses the manifest's text: JSON, an object, with an `artifacts` list of typed objects. */
export function parseManifestJson(text: string, src: ManifestSource): ImageManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Never the text itself: the file may be one the caller may not read (see json-syntax.ts).
    const why = text.trim() === '' ? 'it is empty' : describeJsonSyntaxError(text);
    throw manifestError(src, `is not a valid image manifest (JSON): ${why}`);
  }
  if (!isRecord(value)) throw manifestError(src, `is ${describeJsonType(value)}, not a JSON object`);
  if (!('artifacts' in value)) throw manifestError(src, 'has no "artifacts" list');
  const artifacts = value.artifacts;
  if (!Array.isArray(artifacts)) throw manifestError(src, `has "artifacts" that is ${describeJsonType(artifacts)}, not a list`);
  artifacts.forEach((a, i) => {
    if (!isRecord(a)) throw manifestError(src, `has artifact ${i + 1} that is ${describeJsonType(a)}, not an object`);
    if (typeof a.type !== 'string') throw manifestError(src, `has artifact ${i + 1} without a "type"`);
  });
  return value as ImageManifest;
}

/** The artifacts of one type (BOS's _get_artifact, before its one-only check). */
export function artifactsOfType(manifest: ImageManifest, type: string): ManifestArtifact[] {
  return manifest.artifacts.filter((a) => a.type === type);
}

function linkOf(a: ManifestArtifact, role: ArtifactRole, src: ManifestSource, needEtagKey: boolean): ManifestLink {
  const type = ARTIFACT_TYPES[role];
  const link = a.link;
  if (!isRecord(link)) throw manifestError(src, `has an artifact of type ${type} without a "link"`);
  if (typeof link.path !== 'string' || link.path === '') throw manifestError(src, `has an artifact of type ${type} without a "link.path"`);
  if (needEtagKey && !('etag' in link)) throw manifestError(src, `has an artifact of type ${type} without a "link.etag" (BOS needs it, even if null)`);
  if (link.etag !== undefined && link.etag !== null && typeof link.etag !== 'string') {
    throw manifestError(src, `has an artifact of type ${type} whose "link.etag" is ${describeJsonType(link.etag)}, not a string`);
  }
  const out: ManifestLink = { path: link.path };
  if (typeof link.etag === 'string') out.etag = link.etag;
  if (typeof link.type === 'string') out.type = link.type;
  return out;
}

function atMostOne(manifest: ImageManifest, role: ArtifactRole, src: ManifestSource): ManifestArtifact | undefined {
  const found = artifactsOfType(manifest, ARTIFACT_TYPES[role]);
  if (found.length > 1) throw manifestError(src, `has ${found.length} ${ARTIFACT_TYPES[role]} artifacts: expected one`);
  return found[0];
}

/** The kernel, initrd, rootfs and boot parameters of a parsed manifest, by BOS's rules. */
export function bootImageOf(manifest: ImageManifest, src: ManifestSource): BootImage {
  const kernel = atMostOne(manifest, 'kernel', src);
  if (!kernel) throw manifestError(src, `has no kernel artifact (type ${ARTIFACT_TYPES.kernel})`);
  const initrd = atMostOne(manifest, 'initrd', src);
  const rootfs = atMostOne(manifest, 'rootfs', src);
  const params = atMostOne(manifest, 'bootParameters', src);
  const image: BootImage = { kernel: linkOf(kernel, 'kernel', src, false), warnings: [] };
  if (initrd) image.initrd = linkOf(initrd, 'initrd', src, false);
  else image.warnings.push(`${manifestSubject(src)} has no initrd artifact (type ${ARTIFACT_TYPES.initrd}): the nodes get an empty initrd`);
  if (rootfs) image.rootfs = linkOf(rootfs, 'rootfs', src, true);
  if (params) image.bootParameters = linkOf(params, 'bootParameters', src, true);
  return image;
}

/** parseManifestJson, then bootImageOf. */
export function parseManifest(text: string, src: ManifestSource): BootImage {
  return bootImageOf(parseManifestJson(text, src), src);
}

/** One row per artifact, for display: strings, '' where the manifest has nothing. */
export interface ArtifactRow {
  type: string;
  path: string;
  etag: string;
  linkType: string;
  md5: string;
}

export function artifactRows(manifest: ImageManifest): ArtifactRow[] {
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return manifest.artifacts.map((a) => {
    const link = isRecord(a.link) ? a.link : {};
    return { type: a.type, path: s(link.path), etag: s(link.etag), linkType: s(link.type), md5: s(a.md5) };
  });
}
