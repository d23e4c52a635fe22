/**
 * JSON Schemas (draft-07, as ajv 8 reads them) for the BOS v2 request and response bodies.
 *
 * Written from the structural facts of the BOS v2 OpenAPI document (types, enums, patterns,
 * length and range limits, required keys, additionalProperties); OpenAPI's `nullable: true`
 * is written the draft-07 way, as a type list that includes 'null' (and null in the enum).
 * Each leaf fact is written once, as a constant below, and reused wherever BOS reuses it.
 *
 * Our extensions are marked "EXTENSION" and listed in EXTENSIONS: the reference test
 * (test/schemas/reference.test.ts) allows exactly those differences from the spec.
 *
 * This module imports only the vocabulary (types.ts) and the option ranges (options.ts): it is plain data, cheap to load. Validation lives in
 * validate-body.ts, which is the only module that loads ajv.
 */

import { optionIntegerRange } from './options.js';
import { ACTIONS, OPERATIONS, PHASES, SESSION_STATUSES } from './types.js';

/** A JSON Schema: plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

// ---------------------------------------------------------------------------------------------
// Leaf facts
// ---------------------------------------------------------------------------------------------

/** Template, session and boot set names: letters, digits, . - _, begin and end alphanumeric. */
export const NAME_PATTERN = '^[a-zA-Z0-9](?:[-._a-zA-Z0-9]{0,125}[a-zA-Z0-9])?$';
/** Ages and TTLs: 0, or a count with a unit of minutes, hours, days or weeks. */
export const AGE_PATTERN = '^(0|0[mMhHdDwW]|[1-9][0-9]*[mMhHdDwW])$';
/** component_actual_state_ttl: a positive count of hours, days or weeks. */
export const ACTUAL_STATE_TTL_PATTERN = '^[1-9][0-9]*[hHdDwW]$';
/** logging_level: a Python logging level name, any letter case. */
export const LOGGING_LEVEL_PATTERN =
  '^([dD][eE][bB][uU][gG]|[iI][nN][fF][oO]|[wW][aA][rR][nN][iI][nN][gG]|[eE][rR][rR][oO][rR]|[cC][rR][iI][tT][iI][cC][aA][lL])$';
/** Version numbers are decimal strings without leading zeros. */
const VERSION_NUMBER_PATTERN = '^(0|[1-9][0-9]*)$';

export const OPERATIONS_ENUM = OPERATIONS;
export const SESSION_STATUS_ENUM = SESSION_STATUSES;
export const ARCH_ENUM = ['X86', 'ARM', 'Other', 'Unknown'] as const;
export const COMPONENT_PHASE_ENUM = PHASES;
export const COMPONENT_ACTION_ENUM = ACTIONS;

/** The most a BOS counter, retry policy or wait time may be. */
const COUNT_MAX = 1048576;
/** Most characters in a name, an xname or a configuration name. */
const NAME_MAX = 127;
/** Most characters in a boot artifact path. */
const PATH_MAX = 4095;
/** Most characters in an error text, an etag or a status override. */
const TEXT_MAX = 65536;
/** Most characters in a session limit or a session's component list. */
const NODE_TEXT_MAX = 524288;

const STRING: JsonSchema = { type: 'string' };
const BOOLEAN: JsonSchema = { type: 'boolean' };
const INTEGER: JsonSchema = { type: 'integer' };
const NUMBER: JsonSchema = { type: 'number' };

function stringOf(limits: { minLength?: number; maxLength?: number; pattern?: string }): JsonSchema {
  return { type: 'string', ...limits };
}

function integerIn(minimum: number, maximum: number): JsonSchema {
  return { type: 'integer', minimum, maximum };
}

/** Template and session names (SessionTemplateName, V2SessionName). */
const NAME: JsonSchema = stringOf({ minLength: 1, maxLength: NAME_MAX, pattern: NAME_PATTERN });
/** A boot set's own `name` key: a name, accepted on input and not necessarily returned. */
const BOOT_SET_NAME: JsonSchema = { ...NAME, writeOnly: true };
/** A template's `name` in its body: a name, set from the URL, so read-only. */
const TEMPLATE_NAME_IN_BODY: JsonSchema = { ...NAME, readOnly: true };

const EMPTY_STRING: JsonSchema = { type: 'string', enum: [''], maxLength: 0 };
const EMPTY_STRING_OR_NULL: JsonSchema = { type: ['string', 'null'], enum: ['', null], maxLength: 0 };
/** A session name, or '' for none. */
const SESSION_NAME_OR_EMPTY: JsonSchema = { oneOf: [NAME, EMPTY_STRING] };

const OPERATION: JsonSchema = { type: 'string', enum: OPERATIONS_ENUM };
const SESSION_STATUS_LABEL: JsonSchema = { type: 'string', enum: SESSION_STATUS_ENUM };
const COMPONENT_PHASE: JsonSchema = { type: 'string', enum: COMPONENT_PHASE_ENUM };
const COMPONENT_ACTION: JsonSchema = { type: 'string', enum: COMPONENT_ACTION_ENUM };

const TENANT: JsonSchema = { type: ['string', 'null'], maxLength: NAME_MAX, readOnly: true };
const SESSION_LIMIT: JsonSchema = { type: ['string', 'null'], maxLength: NODE_TEXT_MAX, default: '' };
const NODE_TEXT: JsonSchema = stringOf({ maxLength: NODE_TEXT_MAX });
const TEMPLATE_DESCRIPTION: JsonSchema = stringOf({ minLength: 1, maxLength: 1023 });
const ENABLE_CFS: JsonSchema = { type: 'boolean', default: true };
const CFS_CONFIGURATION: JsonSchema = stringOf({ maxLength: NAME_MAX });

const KERNEL_PATH: JsonSchema = stringOf({ maxLength: PATH_MAX });
const INITRD_PATH: JsonSchema = stringOf({ maxLength: PATH_MAX });
/**
 * A boot set's own kernel or initrd (bosctl's extension): an s3:// or http(s):// URL or an
 * absolute path, no ".." segment, no spaces or control characters.
 */
export const ARTIFACT_PATH_PATTERN =
  '^(?!(?:.*/)?\\.\\.(?:/|$))(?:(?:[sS]3|[hH][tT][tT][pP][sS]?)://[^\\u0000-\\u0020\\u007f/]+(?:/[^\\u0000-\\u0020\\u007f]*)?|/[^\\u0000-\\u0020\\u007f]*)$';
const BOOT_SET_ARTIFACT_PATH: JsonSchema = stringOf({ minLength: 1, maxLength: PATH_MAX, pattern: ARTIFACT_PATH_PATTERN });
const MANIFEST_PATH: JsonSchema = stringOf({ minLength: 1, maxLength: PATH_MAX });
/** Text that goes on a kernel command line: no control characters (no newline, CR, tab or NUL). */
export const NO_CONTROL_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';
/** A component's boot artifacts' parameters, as nodes and BSS report them: length only, as BOS. */
const KERNEL_PARAMETERS: JsonSchema = stringOf({ maxLength: 4096 });
// EXTENSION: a boot set's parameters may not hold a newline or NUL: they would end up in BSS's boot script.
const BOOT_SET_KERNEL_PARAMETERS: JsonSchema = stringOf({ maxLength: 4096, pattern: NO_CONTROL_PATTERN });
const BOOT_SET_TYPE: JsonSchema = stringOf({ minLength: 1, maxLength: NAME_MAX });
const BOOT_SET_ETAG: JsonSchema = stringOf({ maxLength: TEXT_MAX });
/** The root filesystem providers BOS has had (core/kernel-params.ts ROOTFS_PROTOCOLS). */
export const ROOTFS_PROVIDER_ENUM = ['sbps', 'cpss3'] as const;
// EXTENSION: BOS takes any text here and fails the session later; we refuse it up front.
const ROOTFS_PROVIDER: JsonSchema = { type: 'string', minLength: 1, maxLength: 511, enum: ROOTFS_PROVIDER_ENUM };
const ROOTFS_PROVIDER_PASSTHROUGH: JsonSchema = stringOf({ maxLength: 4096, pattern: NO_CONTROL_PATTERN });

/**
 * A node_list entry: an xname, or a node name the inventory maps (nid000001, a host name):
 * letters, digits, "-", "_" and ".", beginning and ending with a letter or digit.
 */
export const NODE_NAME_PATTERN = '^[a-zA-Z0-9](?:[-._a-zA-Z0-9]*[a-zA-Z0-9])?$';
/** An HSM group or role name: letters, digits, "-", "_" and ".", beginning with a letter or digit. */
export const HSM_NAME_PATTERN = '^[a-zA-Z0-9][-._a-zA-Z0-9]*$';
// EXTENSION (both): BOS only caps the length; "bad!" or a newline can name no node or group.
const XNAME: JsonSchema = stringOf({ minLength: 1, maxLength: NAME_MAX, pattern: NODE_NAME_PATTERN });
const HSM_NAME: JsonSchema = stringOf({ minLength: 1, maxLength: NAME_MAX, pattern: HSM_NAME_PATTERN });
const NODE_LIST: JsonSchema = { type: 'array', minItems: 1, maxItems: 65535, items: XNAME };
const NODE_ROLE_LIST: JsonSchema = { type: 'array', minItems: 1, maxItems: 1023, items: HSM_NAME };
const NODE_GROUP_LIST: JsonSchema = { type: 'array', minItems: 1, maxItems: 4095, items: HSM_NAME };

const COMPONENT_ID: JsonSchema = stringOf({ minLength: 1, maxLength: NAME_MAX });
const COMPONENT_ID_LIST: JsonSchema = { type: 'array', maxItems: 32768, items: COMPONENT_ID };
const BSS_TOKEN: JsonSchema = stringOf({ maxLength: 65535 });
const LAST_UPDATED: JsonSchema = { type: 'string', format: 'date-time', readOnly: true };
const ERROR_TEXT: JsonSchema = stringOf({ maxLength: TEXT_MAX });
const COUNT: JsonSchema = integerIn(0, COUNT_MAX);

const START_TIME: JsonSchema = stringOf({ maxLength: NAME_MAX });
const END_TIME: JsonSchema = { type: ['string', 'null'], maxLength: NAME_MAX };

const LINK: JsonSchema = {
  type: 'object',
  properties: { href: STRING, rel: STRING },
  additionalProperties: false,
};
const LINK_LIST: JsonSchema = { type: 'array', items: LINK };
const LINK_LIST_READ_ONLY: JsonSchema = { ...LINK_LIST, readOnly: true };

const CFS_PARAMETERS: JsonSchema = {
  type: 'object',
  properties: { configuration: CFS_CONFIGURATION },
  additionalProperties: false,
};

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

export const V2BootArtifacts: JsonSchema = {
  type: 'object',
  properties: { kernel: KERNEL_PATH, kernel_parameters: KERNEL_PARAMETERS, initrd: INITRD_PATH },
  additionalProperties: false,
};

export const V2ComponentActualState: JsonSchema = {
  type: 'object',
  properties: { boot_artifacts: V2BootArtifacts, bss_token: BSS_TOKEN, last_updated: LAST_UPDATED },
  additionalProperties: false,
};

export const V2ComponentDesiredState: JsonSchema = {
  type: 'object',
  properties: {
    boot_artifacts: V2BootArtifacts,
    configuration: CFS_CONFIGURATION,
    bss_token: BSS_TOKEN,
    last_updated: LAST_UPDATED,
  },
  additionalProperties: false,
};

export const V2ComponentStagedState: JsonSchema = {
  type: 'object',
  properties: {
    boot_artifacts: V2BootArtifacts,
    configuration: CFS_CONFIGURATION,
    session: SESSION_NAME_OR_EMPTY,
    last_updated: LAST_UPDATED,
  },
  additionalProperties: false,
};

export const V2ComponentLastAction: JsonSchema = {
  type: 'object',
  properties: { last_updated: LAST_UPDATED, action: COMPONENT_ACTION, failed: BOOLEAN },
  additionalProperties: false,
};

export const V2ComponentEventStats: JsonSchema = {
  type: 'object',
  properties: {
    power_on_attempts: COUNT,
    power_off_graceful_attempts: COUNT,
    power_off_forceful_attempts: COUNT,
  },
  additionalProperties: false,
};

export const V2ComponentStatus: JsonSchema = {
  type: 'object',
  properties: {
    phase: COMPONENT_PHASE,
    status: { type: 'string', readOnly: true },
    status_override: ERROR_TEXT,
  },
  additionalProperties: false,
};

const COMPONENT_PROPERTIES = {
  id: COMPONENT_ID,
  actual_state: V2ComponentActualState,
  desired_state: V2ComponentDesiredState,
  staged_state: V2ComponentStagedState,
  last_action: V2ComponentLastAction,
  event_stats: V2ComponentEventStats,
  status: V2ComponentStatus,
  enabled: BOOLEAN,
  error: ERROR_TEXT,
  session: SESSION_NAME_OR_EMPTY,
  retry_policy: COUNT,
} as const;

/** One component, as read or patched (PATCH /v2/components/{id}): at least one key. */
export const V2Component: JsonSchema = {
  type: 'object',
  properties: COMPONENT_PROPERTIES,
  additionalProperties: false,
  minProperties: 1,
};

/** One component with its id (PUT /v2/components/{id}, the items of PUT/PATCH /v2/components). */
export const V2ComponentWithId: JsonSchema = {
  type: 'object',
  properties: COMPONENT_PROPERTIES,
  additionalProperties: false,
  required: ['id'],
};

export const V2ComponentArray: JsonSchema = { type: 'array', items: V2Component };
export const V2ComponentArrayWithIds: JsonSchema = { type: 'array', items: V2ComponentWithId };

const COMPONENTS_FILTER_BY_IDS: JsonSchema = {
  type: 'object',
  properties: {
    ids: stringOf({ minLength: 1, maxLength: 65535 }),
    session: EMPTY_STRING_OR_NULL,
  },
  required: ['ids'],
  additionalProperties: false,
};

const COMPONENTS_FILTER_BY_SESSION: JsonSchema = {
  type: 'object',
  properties: { ids: EMPTY_STRING_OR_NULL, session: NAME },
  required: ['session'],
  additionalProperties: false,
};

/** PATCH /v2/components with a patch and a filter: either a list of ids or a session name. */
export const V2ComponentsUpdate: JsonSchema = {
  type: 'object',
  properties: {
    patch: V2Component,
    filters: { oneOf: [COMPONENTS_FILTER_BY_IDS, COMPONENTS_FILTER_BY_SESSION] },
  },
  required: ['patch', 'filters'],
  additionalProperties: false,
};

export const V2ApplyStagedComponents: JsonSchema = {
  type: 'object',
  properties: { xnames: COMPONENT_ID_LIST },
  additionalProperties: false,
};

export const V2ApplyStagedStatus: JsonSchema = {
  type: 'object',
  properties: { succeeded: COMPONENT_ID_LIST, failed: COMPONENT_ID_LIST, ignored: COMPONENT_ID_LIST },
  additionalProperties: false,
};

// ---------------------------------------------------------------------------------------------
// Session templates
// ---------------------------------------------------------------------------------------------

export const V2BootSet: JsonSchema = {
  type: 'object',
  properties: {
    name: BOOT_SET_NAME,
    path: MANIFEST_PATH,
    cfs: CFS_PARAMETERS,
    type: BOOT_SET_TYPE,
    etag: BOOT_SET_ETAG,
    // EXTENSION: the kernel and initrd may be given directly instead of a manifest path+type.
    kernel: BOOT_SET_ARTIFACT_PATH,
    initrd: BOOT_SET_ARTIFACT_PATH,
    kernel_parameters: BOOT_SET_KERNEL_PARAMETERS,
    node_list: NODE_LIST,
    node_roles_groups: NODE_ROLE_LIST,
    node_groups: NODE_GROUP_LIST,
    arch: { type: 'string', enum: ARCH_ENUM, default: 'X86' },
    rootfs_provider: ROOTFS_PROVIDER,
    rootfs_provider_passthrough: ROOTFS_PROVIDER_PASSTHROUGH,
  },
  additionalProperties: false,
  // EXTENSION: the spec requires [path, type]; we require that or [kernel, initrd].
  anyOf: [{ required: ['path', 'type'] }, { required: ['kernel', 'initrd'] }],
};

/** Boot set names map to boot sets: 1 to 127 of them. */
const BOOT_SETS: JsonSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 127,
  additionalProperties: V2BootSet,
};

/** A session template, as created (PUT) and read. `name` in the body is accepted and ignored. */
export const V2SessionTemplate: JsonSchema = {
  type: 'object',
  properties: {
    name: TEMPLATE_NAME_IN_BODY,
    tenant: TENANT,
    description: TEMPLATE_DESCRIPTION,
    enable_cfs: ENABLE_CFS,
    cfs: CFS_PARAMETERS,
    boot_sets: BOOT_SETS,
    links: LINK_LIST_READ_ONLY,
  },
  additionalProperties: false,
  required: ['boot_sets'],
};

export const V2SessionTemplateArray: JsonSchema = { type: 'array', items: V2SessionTemplate };

export const V2SessionTemplatePatch: JsonSchema = {
  type: 'object',
  properties: {
    description: TEMPLATE_DESCRIPTION,
    enable_cfs: ENABLE_CFS,
    cfs: CFS_PARAMETERS,
    boot_sets: BOOT_SETS,
  },
  additionalProperties: false,
};

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

export const V2SessionCreate: JsonSchema = {
  type: 'object',
  properties: {
    name: NAME,
    operation: OPERATION,
    template_name: NAME,
    limit: SESSION_LIMIT,
    stage: { type: 'boolean', default: false },
    include_disabled: { type: 'boolean', default: false },
  },
  required: ['operation', 'template_name'],
  additionalProperties: false,
};

const SESSION_STATUS: JsonSchema = {
  type: 'object',
  properties: {
    start_time: START_TIME,
    end_time: END_TIME,
    status: SESSION_STATUS_LABEL,
    error: { type: ['string', 'null'], maxLength: TEXT_MAX },
  },
  additionalProperties: false,
};

export const V2Session: JsonSchema = {
  type: 'object',
  properties: {
    name: NAME,
    tenant: TENANT,
    operation: OPERATION,
    template_name: NAME,
    limit: SESSION_LIMIT,
    stage: BOOLEAN,
    components: NODE_TEXT,
    include_disabled: BOOLEAN,
    status: SESSION_STATUS,
  },
  additionalProperties: false,
  required: ['name', 'operation', 'template_name'],
};

export const V2SessionArray: JsonSchema = { type: 'array', items: V2Session };

export const V2SessionUpdate: JsonSchema = {
  type: 'object',
  properties: { components: NODE_TEXT, status: SESSION_STATUS },
  additionalProperties: false,
};

export const V2SessionExtendedStatus: JsonSchema = {
  type: 'object',
  properties: {
    status: SESSION_STATUS_LABEL,
    managed_components_count: INTEGER,
    phases: {
      type: 'object',
      properties: {
        percent_complete: NUMBER,
        percent_powering_on: NUMBER,
        percent_powering_off: NUMBER,
        percent_configuring: NUMBER,
      },
      additionalProperties: false,
    },
    percent_successful: NUMBER,
    percent_failed: NUMBER,
    percent_staged: NUMBER,
    error_summary: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { count: INTEGER, list: STRING },
        additionalProperties: false,
      },
    },
    timing: {
      type: 'object',
      properties: { start_time: START_TIME, end_time: END_TIME, duration: STRING },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

// ---------------------------------------------------------------------------------------------
// Options, errors, version
// ---------------------------------------------------------------------------------------------

const READ_TIMEOUT: JsonSchema = integerIn(10, 86400);

/** The service-wide options. Unknown keys are allowed (as in BOS), so the set can grow. */
export const V2Options: JsonSchema = {
  type: 'object',
  properties: {
    bss_read_timeout: READ_TIMEOUT,
    cfs_read_timeout: READ_TIMEOUT,
    cleanup_completed_session_ttl: stringOf({ minLength: 1, maxLength: 8, pattern: AGE_PATTERN }),
    clear_stage: BOOLEAN,
    component_actual_state_ttl: stringOf({ minLength: 2, maxLength: 8, pattern: ACTUAL_STATE_TTL_PATTERN }),
    // EXTENSION: narrower than BOS's ranges (docs/bos-compatibility.md); options.ts holds them.
    default_retry_policy: { type: 'integer', ...optionIntegerRange('default_retry_policy') },
    discovery_frequency: integerIn(0, 33554432),
    hsm_read_timeout: READ_TIMEOUT,
    ims_errors_fatal: BOOLEAN,
    ims_images_must_exist: BOOLEAN,
    ims_read_timeout: READ_TIMEOUT,
    logging_level: stringOf({ pattern: LOGGING_LEVEL_PATTERN }),
    max_boot_wait_time: { type: 'integer', ...optionIntegerRange('max_boot_wait_time') },
    max_component_batch_size: integerIn(0, 131071),
    max_power_off_wait_time: { type: 'integer', ...optionIntegerRange('max_power_off_wait_time') },
    max_power_on_wait_time: { type: 'integer', ...optionIntegerRange('max_power_on_wait_time') },
    pcs_read_timeout: READ_TIMEOUT,
    polling_frequency: COUNT,
    reject_nids: BOOLEAN,
    session_limit_required: BOOLEAN,
    // EXTENSION: bosd's power throttles (the spec allows extra keys; these are ours, typed).
    max_concurrent_power_operations: COUNT,
    max_power_operations_per_chassis: COUNT,
  },
  additionalProperties: true,
  minProperties: 1,
  maxProperties: 1024,
};

/** An RFC 7807 problem (application/problem+json). `type` and `instance` may be relative. */
export const ProblemDetails: JsonSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', format: 'uri', default: 'about:blank' },
    title: STRING,
    status: INTEGER,
    instance: { type: 'string', format: 'uri' },
    detail: STRING,
  },
  additionalProperties: false,
};

export const Version: JsonSchema = {
  type: 'object',
  properties: {
    major: stringOf({ pattern: VERSION_NUMBER_PATTERN }),
    minor: stringOf({ pattern: VERSION_NUMBER_PATTERN }),
    patch: stringOf({ pattern: VERSION_NUMBER_PATTERN }),
    links: LINK_LIST,
  },
  additionalProperties: false,
};

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

/** Every schema by its BOS v2 (components.schemas) name. */
export const SCHEMAS = {
  V2BootArtifacts,
  V2ComponentActualState,
  V2ComponentDesiredState,
  V2ComponentStagedState,
  V2ComponentLastAction,
  V2ComponentEventStats,
  V2ComponentStatus,
  V2Component,
  V2ComponentWithId,
  V2ComponentArray,
  V2ComponentArrayWithIds,
  V2ComponentsUpdate,
  V2ApplyStagedComponents,
  V2ApplyStagedStatus,
  V2BootSet,
  V2SessionTemplate,
  V2SessionTemplateArray,
  V2SessionTemplatePatch,
  V2SessionCreate,
  V2Session,
  V2SessionArray,
  V2SessionUpdate,
  V2SessionExtendedStatus,
  V2Options,
  ProblemDetails,
  Version,
} as const satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof SCHEMAS;

export const SCHEMA_NAMES = Object.keys(SCHEMAS) as SchemaName[];

/**
 * Where our schemas knowingly differ from the BOS v2 spec, as the reference test names a
 * difference: `<spec schema name>.<keyword path>`. Each is marked EXTENSION above.
 */
export const EXTENSIONS = [
  // A boot set may name its kernel and initrd directly, instead of a manifest path and type.
  'V2BootSet.properties.kernel',
  'V2BootSet.properties.initrd',
  'V2BootSet.required',
  'V2BootSet.anyOf',
  // bosd's power throttles, typed (the spec's V2Options already allows unknown keys).
  'V2Options.properties.max_concurrent_power_operations',
  'V2Options.properties.max_power_operations_per_chassis',
  // Input limits stricter than BOS (each with its reason in docs/bos-compatibility.md).
  'BootKernelParameters.pattern',
  'BootSetRootfsProviderPassthrough.pattern',
  'BootSetRootfsProvider.enum',
  'HardwareComponentName.pattern',
  'NodeRoleList.items.pattern',
  'NodeGroupList.items.pattern',
  'V2Options.properties.default_retry_policy.minimum',
  'V2Options.properties.default_retry_policy.maximum',
  'V2Options.properties.max_boot_wait_time.minimum',
  'V2Options.properties.max_boot_wait_time.maximum',
  'V2Options.properties.max_power_off_wait_time.minimum',
  'V2Options.properties.max_power_off_wait_time.maximum',
  'V2Options.properties.max_power_on_wait_time.minimum',
  'V2Options.properties.max_power_on_wait_time.maximum',
] as const;
