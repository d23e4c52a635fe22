export * from './errors.js';
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, NO_RETRY, RETRYABLE_METHODS, RETRYABLE_STATUSES, parseRetryAfter, retryDelayMs } from './http.js';
export type { RetryPolicy, TimeoutOption, Timeouts, TlsOptions } from './http.js';
export * from './redfish.js';
export * from './bss.js';
export * from './cfs.js';
export type { ServiceClientOptions } from './service.js';
