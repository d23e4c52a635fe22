import type { PowerState } from '../core/reconcile.js';

/** What bosd needs of a node's BMC (the Redfish client provides it; tests may fake it). */
export interface PowerTarget {
  nodeXname: string;
  bmcXname: string;
  address: string;
  systemId?: string | null;
  credentialsRef?: string | null;
  /** Asked right before a power request is written to the BMC's connection (leadership.ts); false: not sent. */
  mayCall?: () => boolean;
}

export interface PowerDriver {
  powerState(t: PowerTarget): Promise<PowerState>;
  powerOff(t: PowerTarget, mode: 'graceful' | 'forceful'): Promise<{ resetType: string }>;
  powerOn(t: PowerTarget): Promise<{ resetType: string }>;
  close?(): Promise<void>;
}

export interface BootParamsDriver {
  putBootParameters(p: { hosts: string[]; kernel: string; initrd: string; params: string }): Promise<{ token: string }>;
  close?(): Promise<void>;
}

export interface CfsState {
  desired_config: string;
  enabled: boolean;
  configuration_status: string;
}

export interface ConfigDriver {
  patchComponents(ids: string[], patch: { desired_config?: string; enabled?: boolean; state?: unknown[]; tags?: Record<string, string> }): Promise<void>;
  getComponents(ids: string[]): Promise<Map<string, CfsState>>;
  close?(): Promise<void>;
}
