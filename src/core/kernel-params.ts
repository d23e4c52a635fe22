/**
 * The kernel command line BOS writes to BSS for a boot set, built as BOS's session setup
 * builds it (Cray-HPE/bos, src/bos/operators/session_setup.py,
 * BaseSession.assemble_kernel_boot_parameters and _base_boot_param_pieces; the root
 * filesystem pieces from src/bos/operators/utils/rootfs/: factory.get_provider,
 * RootfsProvider.__str__ and nmd_field of the providers). Pure: the caller has read the
 * image's parameters object.
 *
 * Pieces, joined by one space, empty pieces left out:
 * 1. the image's own parameters: the parameters object's text split on whitespace (Python's
 *    str.split()), only when the manifest has a boot-parameters artifact with an etag;
 * 2. the boot set's `kernel_parameters`, verbatim, when not empty;
 * 3. `root=<protocol>:<rootfs path>:<rootfs etag>[:<passthrough>]` from `rootfs_provider`,
 *    then `nmd_data=url=<rootfs path>,etag=<rootfs etag>` (Node Memory Dump) for the
 *    providers that have a rootfs;
 * 4. `bos_update_frequency=<component_actual_state_ttl>`.
 */
import { bosError } from './errors.js';

/** The providers BOS has had, and the protocol each writes into root=. */
export const ROOTFS_PROTOCOLS = {
  /** Scalable Boot Provisioning Service (BOS's SBPSProvider). */
  sbps: 'sbps-s3',
  /** Content Projection Service over S3 (BOS's CPSS3Provider, removed in BOS 2.45 with CPS/DVS). */
  cpss3: 'craycps-s3',
} as const;

export type RootfsProviderName = keyof typeof ROOTFS_PROTOCOLS;

export function isRootfsProvider(name: string): name is RootfsProviderName {
  return Object.prototype.hasOwnProperty.call(ROOTFS_PROTOCOLS, name);
}

/** The image's root filesystem: the rootfs artifact's link. */
export interface RootfsLink {
  path: string;
  etag?: string;
}

/**
 * Python's str.isspace() characters: what str.split() with no argument splits on. (JavaScript's
 * \s differs: it lacks U+001C..U+001F and U+0085 and has U+FEFF.)
 */
const PY_WHITESPACE = /[\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Python's `text.split()`: words between runs of whitespace, no empty words. */
export function splitWords(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((w) => w !== '');
}

/**
 * The root-filesystem parameters of a boot set: '' or `root=...`, followed by
 * ` nmd_data=...` for sbps and cpss3.
 *
 * - No provider (`rootfs_provider` absent): BOS's base RootfsProvider has no protocol and no
 *   rootfs, so its fields are ['', ''] plus the passthrough when there is one: nothing
 *   without a passthrough, else `root=::<passthrough>`.
 * - sbps / cpss3: `root=sbps-s3:<path>:<etag>` (craycps-s3 for cpss3), `:<passthrough>`
 *   appended when there is one; an absent etag leaves its field empty. The image must have a
 *   rootfs artifact (BOS fails on artifact_info['rootfs']).
 * - Any other provider fails, as BOS's get_provider does (ProviderNotImplemented).
 *
 * `at` prefixes messages (e.g. `boot set "compute"`).
 */
export function rootfsParameters(
  provider: string | undefined,
  passthrough: string | undefined,
  rootfsLink: RootfsLink | undefined,
  at?: string,
): string {
  const prefix = at ? `${at}: ` : '';
  if (provider === undefined) {
    const fields = ['', ''];
    if (passthrough) fields.push(passthrough);
    return fields.some((f) => f !== '') ? `root=${fields.join(':')}` : '';
  }
  if (!isRootfsProvider(provider)) {
    throw bosError('BOS_TEMPLATE_INVALID',
      `${prefix}unsupported rootfs_provider "${provider}": use ${Object.keys(ROOTFS_PROTOCOLS).map((p) => `"${p}"`).join(' or ')}, or leave rootfs_provider out`,
      'sbps serves the image\'s squashfs root filesystem (BOS\'s only provider since 2.45); cpss3 is the older CPS/DVS one');
  }
  if (!rootfsLink) {
    throw bosError('BOS_TEMPLATE_INVALID',
      `${prefix}rootfs_provider "${provider}" needs the image's root filesystem, and the boot set's image has no rootfs artifact (type application/vnd.cray.image.rootfs.squashfs)`,
      'use an image manifest with a squashfs rootfs artifact, or leave rootfs_provider out');
  }
  const fields: string[] = [ROOTFS_PROTOCOLS[provider], rootfsLink.path || '', rootfsLink.etag || ''];
  if (passthrough) fields.push(passthrough);
  const root = `root=${fields.join(':')}`;
  const nmd: string[] = [];
  if (rootfsLink.path) nmd.push(`url=${rootfsLink.path}`);
  if (rootfsLink.etag) nmd.push(`etag=${rootfsLink.etag}`);
  return nmd.length > 0 ? `${root} nmd_data=${nmd.join(',')}` : root;
}

export interface KernelParameterInput {
  /**
   * The text of the image's boot-parameters object; undefined when the image has none (or
   * its artifact has no etag: BOS then skips it).
   */
  imageParameters?: string;
  /** The boot set's `kernel_parameters`. */
  kernelParameters?: string;
  /** The boot set's `rootfs_provider` (absent: no provider). */
  rootfsProvider?: string;
  /** The boot set's `rootfs_provider_passthrough`. */
  rootfsProviderPassthrough?: string;
  /** The image's rootfs artifact link. */
  rootfs?: RootfsLink;
  /** The option component_actual_state_ttl, e.g. "4h". */
  actualStateTtl: string;
  /** Prefix for messages, e.g. `boot set "compute"`. */
  at?: string;
}

/** The kernel command line for BSS, in BOS's order (see the top of this file). */
export function assembleKernelParameters(input: KernelParameterInput): string {
  const pieces: string[] = [];
  if (input.imageParameters !== undefined) pieces.push(...splitWords(input.imageParameters));
  if (input.kernelParameters) pieces.push(input.kernelParameters);
  const rootfs = rootfsParameters(input.rootfsProvider, input.rootfsProviderPassthrough, input.rootfs, input.at);
  if (rootfs) pieces.push(rootfs);
  pieces.push(`bos_update_frequency=${input.actualStateTtl}`);
  return pieces.join(' ');
}
