/** The domain vocabulary, in BOS v2's words and field names. */

export const OPERATIONS = ['boot', 'reboot', 'shutdown'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const PHASES = ['configuring', 'powering_off', 'powering_on', ''] as const;
export type Phase = (typeof PHASES)[number];

export const STATUSES = [
  'power_off_pending',
  'power_off_gracefully_called',
  'power_off_forcefully_called',
  'power_on_pending',
  'power_on_called',
  'configuring',
  'stable',
  'failed',
  'on_hold',
] as const;
export type ComponentStatusName = (typeof STATUSES)[number];

export const ACTIONS = [
  'actual_state_cleanup',
  'apply_staged',
  'newly_discovered',
  'powering_off_forcefully',
  'powering_off_gracefully',
  'powering_on',
  'session_setup',
] as const;
export type Action = (typeof ACTIONS)[number];

export const SESSION_STATUSES = ['pending', 'running', 'complete'] as const;
export type SessionStatusLabel = (typeof SESSION_STATUSES)[number];

export interface BootArtifacts {
  kernel: string;
  kernel_parameters: string;
  initrd: string;
}

export interface ActualState {
  boot_artifacts?: BootArtifacts;
  bss_token?: string;
  last_updated?: string;
}

export interface DesiredState {
  boot_artifacts?: BootArtifacts;
  configuration?: string;
  bss_token?: string;
  last_updated?: string;
}

export interface StagedState {
  boot_artifacts?: BootArtifacts;
  configuration?: string;
  session?: string;
  last_updated?: string;
}

export interface LastAction {
  action?: Action;
  failed?: boolean;
  last_updated?: string;
}

export interface EventStats {
  power_on_attempts: number;
  power_off_graceful_attempts: number;
  power_off_forceful_attempts: number;
}

export interface ComponentStatus {
  phase: Phase;
  status: ComponentStatusName;
  status_override: string;
}

export interface Component {
  id: string;
  enabled: boolean;
  actual_state: ActualState;
  desired_state: DesiredState;
  staged_state: StagedState;
  last_action: LastAction;
  event_stats: EventStats;
  status: ComponentStatus;
  error: string;
  session: string;
  retry_policy?: number;
}

export interface CfsParameters {
  configuration?: string;
}

export interface BootSet {
  name?: string;
  path?: string;
  type?: string;
  etag?: string;
  kernel?: string;
  initrd?: string;
  kernel_parameters?: string;
  node_list?: string[];
  node_roles_groups?: string[];
  node_groups?: string[];
  arch?: 'X86' | 'ARM' | 'Other' | 'Unknown';
  rootfs_provider?: string;
  rootfs_provider_passthrough?: string;
  cfs?: CfsParameters;
}

export interface SessionTemplate {
  name: string;
  tenant?: string | null;
  description?: string;
  enable_cfs?: boolean;
  cfs?: CfsParameters;
  boot_sets: Record<string, BootSet>;
}

export interface SessionStatus {
  status: SessionStatusLabel;
  start_time: string;
  end_time: string | null;
  error: string | null;
}

export interface Session {
  name: string;
  tenant?: string | null;
  operation: Operation;
  template_name: string;
  limit: string;
  stage: boolean;
  components: string;
  include_disabled: boolean;
  status: SessionStatus;
}

export interface InventoryNode {
  xname: string;
  nid: number | null;
  hostname: string | null;
  aliases: string[];
  role: string | null;
  subrole: string | null;
  groups: string[];
  enabled: boolean;
  arch: string | null;
  bmc_address: string | null;
  redfish_system_id: string | null;
  credentials_ref: string | null;
}

export interface ApplyStagedResult {
  succeeded: string[];
  failed: string[];
  ignored: string[];
}

/** Who made a change, for the events table. */
export interface Actor {
  user: string;
  via: string;
}
