import { isBosError, type ErrorCode } from '../core/errors.js';

/**
 * The registry code of each error bosd records on a node. The message stays the one the user
 * reads (decide's reasons are kept word for word); the code says which kind it is.
 */

/** decide()'s failure reasons, by how they begin (src/core/reconcile.ts). */
const FAILURES: Array<[RegExp, ErrorCode]> = [
  [/^could not read the power state/, 'BOS_NODE_POWER_UNREADABLE'],
  [/^(could not power off|did not power off)/, 'BOS_NODE_POWER_OFF_FAILED'],
  [/^(did not come up|booted kernel|did not report booting)/, 'BOS_NODE_BOOT_FAILED'],
  [/^could not set boot parameters/, 'BOS_NODE_BOOT_PARAMS_FAILED'],
  [/^(could not set configuration|CFS failed to apply)/, 'BOS_NODE_CONFIGURATION_FAILED'],
];

export function failureCode(reason: string): ErrorCode {
  for (const [re, code] of FAILURES) if (re.test(reason)) return code;
  return 'BOS_INTERNAL';
}

/** An error a step threw that no rule expected: the store's own code, else a bug. */
export function unexpectedCode(e: unknown): ErrorCode {
  return isBosError(e) ? e.code : 'BOS_INTERNAL';
}
