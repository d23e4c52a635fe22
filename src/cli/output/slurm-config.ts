import type { SlurmConfig } from '../../services/slurm-config.js';

/** The slurm.conf lines, each explained in a comment above it. */
export function renderSlurmConfig(c: SlurmConfig): string {
  const r = c.resume_timeout;
  const sum = r.max_power_off_wait_time + r.max_boot_wait_time + r.configure_allowance;
  return [
    '# Rolling upgrades with bosctl staged sessions: add these lines to slurm.conf, then run',
    '# "scontrol reconfigure". See bosctl-slurm(1) and docs/slurm.md.',
    '#',
    '# When a node drained by "scontrol reboot ASAP nextstate=resume" is idle, Slurm runs this',
    '# program; it calls "bosctl slurm reboot-program" (apply-staged), and bosd reboots the node',
    '# into its staged image. Its log: /var/log/bosctl-reboot.log; its settings (server,',
    '# token_file, log, ...): bosctl-reboot.conf next to slurm.conf.',
    ...(c.reboot_program_exists ? [] : [`# WARNING: ${c.RebootProgram} does not exist on this host: install bosctl here or give --reboot-program.`]),
    `RebootProgram=${c.RebootProgram}`,
    '#',
    '# slurmctld runs the program once per batch with the node list as its argument (as',
    '# SlurmUser), instead of slurmd running it on each node. If SlurmctldParameters is set',
    '# already, add reboot_from_controller to its comma-separated list.',
    `SlurmctldParameters=${c.SlurmctldParameters}`,
    '#',
    '# A rebooting node must be back (slurmd started) within ResumeTimeout, else Slurm marks it',
    '# DOWN. bosd may wait max_power_off_wait_time before forcing the power off and',
    '# max_boot_wait_time for the boot; configuration (CFS) follows:',
    `#   ${r.max_power_off_wait_time} s + ${r.max_boot_wait_time} s + ${r.configure_allowance} s configuration allowance = ${sum} s, rounded up to whole minutes.`,
    '# Run "bosctl slurm config" again after changing those options.',
    `ResumeTimeout=${c.ResumeTimeout}`,
    '',
  ].join('\n');
}
