import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Options } from '../core/options.js';

/** The slurm.conf lines bosctl needs (DESIGN.md §9): RebootProgram, SlurmctldParameters, ResumeTimeout. */

/** contrib/slurm/bosctl-reboot of this installation (src/ and dist/ sit at the same depth). */
export function rebootProgramPath(): string {
  return fileURLToPath(new URL('../../contrib/slurm/bosctl-reboot', import.meta.url));
}

/** Seconds allowed for configuration after the boot, unless --configure-allowance says otherwise. */
export const DEFAULT_CONFIGURE_ALLOWANCE = 600;

export interface ResumeTimeoutParts {
  max_power_off_wait_time: number;
  max_boot_wait_time: number;
  configure_allowance: number;
  /** The sum, rounded up to whole minutes: what ResumeTimeout is set to. */
  resume_timeout: number;
}

/**
 * How long Slurm must wait for a rebooted node: the graceful power-off may take up to
 * max_power_off_wait_time before it is forced, the node then has max_boot_wait_time from
 * power-on to report its boot, and configuration (CFS) runs after that.
 */
export function resumeTimeout(o: Pick<Options, 'max_power_off_wait_time' | 'max_boot_wait_time'>, allowance = DEFAULT_CONFIGURE_ALLOWANCE): ResumeTimeoutParts {
  const sum = o.max_power_off_wait_time + o.max_boot_wait_time + allowance;
  return {
    max_power_off_wait_time: o.max_power_off_wait_time,
    max_boot_wait_time: o.max_boot_wait_time,
    configure_allowance: allowance,
    resume_timeout: Math.max(60, Math.ceil(sum / 60) * 60),
  };
}

export interface SlurmConfig {
  RebootProgram: string;
  SlurmctldParameters: string;
  ResumeTimeout: number;
  resume_timeout: ResumeTimeoutParts;
  reboot_program_exists: boolean;
}

export function slurmConfig(o: Options, allowance: number, program = rebootProgramPath()): SlurmConfig {
  return {
    RebootProgram: program,
    SlurmctldParameters: 'reboot_from_controller',
    ResumeTimeout: resumeTimeout(o, allowance).resume_timeout,
    resume_timeout: resumeTimeout(o, allowance),
    reboot_program_exists: existsSync(program),
  };
}
