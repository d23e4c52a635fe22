import { bosError } from './errors.js';

/** BOS v2 options: the daemon's knobs, stored in the database. Defaults as BOS ships them. */
export interface Options {
  bss_read_timeout: number;
  cfs_read_timeout: number;
  cleanup_completed_session_ttl: string;
  clear_stage: boolean;
  component_actual_state_ttl: string;
  default_retry_policy: number;
  discovery_frequency: number;
  hsm_read_timeout: number;
  ims_errors_fatal: boolean;
  ims_images_must_exist: boolean;
  ims_read_timeout: number;
  logging_level: string;
  max_boot_wait_time: number;
  max_component_batch_size: number;
  max_power_off_wait_time: number;
  max_power_on_wait_time: number;
  pcs_read_timeout: number;
  polling_frequency: number;
  reject_nids: boolean;
  session_limit_required: boolean;
  max_concurrent_power_operations: number;
  max_power_operations_per_chassis: number;
  skip_current_nodes: boolean;
}

export type OptionKey = keyof Options;

type OptionSpec =
  | { type: 'integer'; min: number; max: number; default: number; unit?: string; help: string }
  | { type: 'boolean'; default: boolean; help: string }
  | { type: 'string'; pattern: RegExp; example: string; default: string; help: string; maxSeconds?: number; max?: string };

/**
 * The ranges below are the one table of what each option may be: the API (PATCH /v2/options,
 * whose schema takes its integer ranges from here), `bosctl options update` and the man page
 * all use it. Where a range is narrower than BOS's, docs/bos-compatibility.md says why.
 */
const DAY = 86400;
/** The longest a TTL option may be: a year. */
const TTL_MAX = { maxSeconds: 365 * DAY, max: '365d' } as const;

const timeout = (help: string): OptionSpec => ({ type: 'integer', min: 10, max: 86400, default: 20, unit: 's', help });

export const OPTION_SPECS: Record<OptionKey, OptionSpec> = {
  bss_read_timeout: timeout('seconds to wait for BSS to answer'),
  cfs_read_timeout: timeout('seconds to wait for CFS to answer'),
  cleanup_completed_session_ttl: {
    type: 'string', pattern: /^(0|0[mhdw]|[1-9][0-9]*[mhdw])$/i, example: '7d', default: '7d',
    help: 'delete complete sessions older than this (m, h, d, w); 0 keeps them', ...TTL_MAX,
  },
  clear_stage: { type: 'boolean', default: false, help: 'clear a node\'s staged state when it is applied' },
  component_actual_state_ttl: {
    type: 'string', pattern: /^[1-9][0-9]*[hdw]$/i, example: '4h', default: '4h',
    help: 'how long a node\'s reported actual state stays valid (h, d, w)', ...TTL_MAX,
  },
  default_retry_policy: { type: 'integer', min: 1, max: 100, default: 3, help: 'attempts per step before a node is failed' },
  discovery_frequency: { type: 'integer', min: 0, max: 33554432, default: 300, unit: 's', help: 'seconds between inventory discoveries' },
  hsm_read_timeout: timeout('seconds to wait for HSM to answer'),
  ims_errors_fatal: { type: 'boolean', default: false, help: 'treat image lookup errors as fatal' },
  ims_images_must_exist: { type: 'boolean', default: false, help: 'require boot set images to exist' },
  ims_read_timeout: timeout('seconds to wait for IMS to answer'),
  logging_level: {
    type: 'string', pattern: /^(debug|info|warning|error|critical)$/i, example: 'INFO', default: 'INFO',
    help: 'bosd log level: DEBUG, INFO, WARNING, ERROR, CRITICAL',
  },
  max_boot_wait_time: { type: 'integer', min: 1, max: 7 * DAY, default: 1200, unit: 's', help: 'seconds to wait for a node to report its boot' },
  max_component_batch_size: { type: 'integer', min: 0, max: 131071, default: 2800, help: 'most nodes bosd acts on in one batch' },
  max_power_off_wait_time: { type: 'integer', min: 1, max: DAY, default: 300, unit: 's', help: 'seconds to wait after a graceful power-off before forcing it' },
  max_power_on_wait_time: { type: 'integer', min: 1, max: DAY, default: 120, unit: 's', help: 'seconds to wait for a node to power on' },
  pcs_read_timeout: timeout('seconds to wait for a power call to answer'),
  polling_frequency: { type: 'integer', min: 0, max: 1048576, default: 15, unit: 's', help: 'seconds between bosd\'s full sweeps (it also reacts to every change at once)' },
  reject_nids: { type: 'boolean', default: false, help: 'refuse sessions and templates that name nodes by nid' },
  session_limit_required: { type: 'boolean', default: false, help: 'require --limit on every session' },
  max_concurrent_power_operations: { type: 'integer', min: 0, max: 1048576, default: 0, help: 'bosctl: most nodes powering off or on at once, cluster-wide (0: no cap)' },
  max_power_operations_per_chassis: { type: 'integer', min: 0, max: 1048576, default: 0, help: 'bosctl: most nodes powering off or on at once in one chassis (0: no cap)' },
  skip_current_nodes: { type: 'boolean', default: false, help: 'bosctl: API requests skip nodes already running the target (the CLI always does unless --force)' },
};

export const OPTION_KEYS = Object.keys(OPTION_SPECS) as OptionKey[];

export function defaultOptions(): Options {
  const out: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) out[key] = OPTION_SPECS[key].default;
  return out as unknown as Options;
}

export function isOptionKey(key: string): key is OptionKey {
  return Object.prototype.hasOwnProperty.call(OPTION_SPECS, key);
}

export function describeOptionRange(key: OptionKey): string {
  const spec = OPTION_SPECS[key];
  switch (spec.type) {
    case 'integer': return `an integer from ${spec.min} to ${spec.max}`;
    case 'boolean': return 'true or false';
    case 'string': return `a value like "${spec.example}"${spec.max ? `, at most ${spec.max}` : ''}`;
  }
}

/**
 * Checks one option value. `value` may be typed (from JSON) or text (from the command line);
 * text is converted. Returns the typed value or throws BOS_OPTION_INVALID.
 */
export function parseOptionValue(key: string, value: unknown): Options[OptionKey] {
  if (!isOptionKey(key)) {
    throw bosError('BOS_OPTION_INVALID', `unknown option "${key}": expected one of ${OPTION_KEYS.join(', ')}`);
  }
  const spec = OPTION_SPECS[key];
  const bad = () => bosError('BOS_OPTION_INVALID', `invalid value ${shownValue(value)} for option ${key}: expected ${describeOptionRange(key)}`);
  switch (spec.type) {
    case 'integer': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < spec.min || n > spec.max) throw bad();
      return n;
    }
    case 'boolean': {
      const b = parseBooleanWord(value);
      if (b === undefined) throw bad();
      return b;
    }
    case 'string': {
      if (typeof value !== 'string' || value.length > 16 || !spec.pattern.test(value)) throw bad();
      if (spec.maxSeconds !== undefined && durationSeconds(value) > spec.maxSeconds) throw bad();
      return value;
    }
  }
}

/** A value for a message: JSON, cut short (a bad value may be huge). */
function shownValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}... (${text.length} characters)` : text;
}

/** The integer range of an option, for the API's schema. */
export function optionIntegerRange(key: OptionKey): { minimum: number; maximum: number } {
  const spec = OPTION_SPECS[key];
  if (spec.type !== 'integer') throw new Error(`option ${key} is not an integer`);
  return { minimum: spec.min, maximum: spec.max };
}

/** Validates a whole patch at once, so nothing is written when any key is wrong. */
export function parseOptionsPatch(patch: Record<string, unknown>): Partial<Options> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) out[key] = parseOptionValue(key, value);
  return out as Partial<Options>;
}

/** Accepts what BOS clients send: true/True/false/False, also yes/no, 1/0. */
export function parseBooleanWord(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  switch (value.trim().toLowerCase()) {
    case 'true': case 'yes': case '1': case 'on': return true;
    case 'false': case 'no': case '0': case 'off': return false;
    default: return undefined;
  }
}

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86400, w: 604800 };

/** "7d" → seconds; "0" → 0. The pattern was checked when the option was set. */
export function durationSeconds(text: string): number {
  if (text === '0') return 0;
  const unit = text.slice(-1).toLowerCase();
  return Number(text.slice(0, -1)) * (UNIT_SECONDS[unit] ?? 0);
}
