/**
 * Which node this host is, as BOS's own reporter decides it (Cray-HPE/bos
 * src/bos/reporter/node_identity.py): NODE_IDENTITY from the environment, else `xname=` on the
 * kernel command line (BSS puts it there). bosctl then falls back to the short host name, as
 * `apply-staged --self` names the host; a node token reads only its own xname, so the first two
 * are what a node uses.
 */
export interface IdentitySources {
  env: NodeJS.ProcessEnv;
  /** The kernel command line (/proc/cmdline), or undefined when it cannot be read. */
  cmdline(): string | undefined;
  /** This host's name (os.hostname()). */
  hostname(): string;
}

export interface NodeIdentity {
  name: string;
  from: 'NODE_IDENTITY' | '/proc/cmdline' | 'hostname';
}

export function xnameFromCmdline(cmdline: string): string | undefined {
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word.startsWith('xname=') && word.length > 'xname='.length) return word.slice('xname='.length);
  }
  return undefined;
}

export function nodeIdentity(src: IdentitySources): NodeIdentity {
  const fromEnv = src.env.NODE_IDENTITY?.trim();
  if (fromEnv) return { name: fromEnv, from: 'NODE_IDENTITY' };
  const cmdline = src.cmdline();
  const xname = cmdline === undefined ? undefined : xnameFromCmdline(cmdline);
  if (xname) return { name: xname, from: '/proc/cmdline' };
  return { name: src.hostname().split('.')[0], from: 'hostname' };
}
