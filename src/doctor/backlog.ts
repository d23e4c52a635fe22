import { readFileSync } from 'node:fs';
import { LISTEN_BACKLOG } from '../daemon/config.js';
import type { CheckResult } from './types.js';

export const SOMAXCONN_FILE = '/proc/sys/net/core/somaxconn';

/**
 * Whether the kernel keeps bosd's listen queue (LISTEN_BACKLOG connections not yet accepted):
 * it cuts it to net.core.somaxconn, and a connection dropped from a full queue is tried again by
 * its client only after a second (a fleet's boot reports, a Slurm burst of reboot programs).
 */
export function backlogCheck(somaxconn: () => string = () => readFileSync(SOMAXCONN_FILE, 'utf8')): CheckResult {
  const check = 'backlog';
  let text: string;
  try {
    text = somaxconn().trim();
  } catch (e) {
    return { check, status: 'skip', detail: `cannot read ${SOMAXCONN_FILE} (${(e as NodeJS.ErrnoException).code ?? 'error'}): the kernel's cap on bosd's listen queue is unknown` };
  }
  const value = Number(text);
  if (!/^\d+$/.test(text)) return { check, status: 'skip', detail: `${SOMAXCONN_FILE} says ${JSON.stringify(text.slice(0, 40))}, not a number` };
  if (value >= LISTEN_BACKLOG) return { check, status: 'pass', detail: `net.core.somaxconn ${value}: bosd queues up to ${LISTEN_BACKLOG} connections` };
  return {
    check, status: 'warn',
    detail: `net.core.somaxconn ${value}: bosd's listen queue is cut from ${LISTEN_BACKLOG} to ${value}; a burst of more connections (a fleet's boot reports) waits a second for each one dropped`,
    fix: `sysctl -w net.core.somaxconn=${LISTEN_BACKLOG}, and the same in /etc/sysctl.d/ to keep it`,
  };
}
