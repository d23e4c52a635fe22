/**
 * Helpers for the Slurm tests: running contrib/slurm/bosctl-reboot the way Slurm does
 * (stdin, stdout and stderr closed; no environment but SLURM_CONF), free ports, and waiting
 * for child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../cli/helpers.js';

export const REBOOT_PROGRAM = join(ROOT, 'contrib', 'slurm', 'bosctl-reboot');

/** Ports nothing listens on (each bound, then all closed). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export interface ProgramRun {
  code: number | null;
  log: string;
}

/**
 * Runs the reboot program as slurmctld or slurmd would: its three standard descriptors
 * closed and only SLURM_CONF in its environment (plus `env`). `log` is the file it should log to.
 */
export function runRebootProgram(args: string[], o: { slurmConf: string; log: string; env?: Record<string, string> }): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'exec 0<&- 1>&- 2>&-; exec "$0" "$@"', REBOOT_PROGRAM, ...args], {
      env: { SLURM_CONF: o.slurmConf, ...o.env },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      let log = '';
      try { log = readFileSync(o.log, 'utf8'); } catch { /* no log written */ }
      resolve({ code, log });
    });
  });
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** bosd as a child process; resolves with its API URL from its "listening" log line. */
export function startBosdChild(bin: string, args: string[], logTo?: (chunk: Buffer) => void): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    child.stderr!.on('data', (d: Buffer) => {
      logTo?.(d);
      if (done) return;
      buf += d.toString();
      const m = /"msg":"listening","url":"([^"]+)"/.exec(buf);
      if (m) { done = true; resolve({ child, url: m[1] }); }
    });
    child.on('exit', (code) => { if (!done) reject(new Error(`bosd exited ${code} before listening: ${buf}`)); });
  });
}
