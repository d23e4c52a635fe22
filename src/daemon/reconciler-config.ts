/** The reconciler's timings and bounds (bosd.yaml sets some; tests shorten them). */
export interface ReconcilerConfig {
  /** How often a node's power is re-read while bosd waits for it to change (ms). */
  powerPollMs: number;
  /** How often CFS is asked about nodes being configured (ms). */
  cfsPollMs: number;
  /** First wait after a failed call out; doubles per attempt (ms). */
  retryBackoffMs: number;
  /** Redfish calls in flight at most. */
  maxInFlight: number;
  /** How often the database is checked for changes by other processes (ms). */
  watchMs: number;
  /** How often sessions are checked for completion (ms). */
  sweepMs: number;
  /** How long BSS and CFS calls wait for others to join their batch (ms). */
  batchWindowMs: number;
  /** How often expired actual states and old complete sessions are cleaned up (ms; default 60 s). */
  housekeepingMs?: number;
}

export const DEFAULT_RECONCILER_CONFIG: ReconcilerConfig = {
  powerPollMs: 2000, cfsPollMs: 5000, retryBackoffMs: 2000, maxInFlight: 64, watchMs: 5, sweepMs: 1000, batchWindowMs: 20,
};
