import { spawn } from 'node:child_process';

/** Running Slurm's scontrol, and writing its command lines as an operator would type them. */

export interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs scontrol; a program that cannot be started rejects with its spawn error (ENOENT, EACCES). */
export function runScontrol(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

export function scontrolRebootArgs(hostlist: string, reason: string): string[] {
  return ['reboot', 'ASAP', 'nextstate=resume', `reason=${reason}`, hostlist];
}

/** A word as a POSIX shell needs it to come back unchanged (KEY="VALUE" as scontrol users write it). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  const key = /^[A-Za-z_][A-Za-z0-9_]*=/.exec(word)?.[0];
  const rest = key ? word.slice(key.length) : word;
  const doubleOk = !/[\\$`!"]/.test(rest);
  if (key && doubleOk) return `${key}"${rest}"`;
  if (!word.includes("'")) return `'${word}'`;
  if (doubleOk) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(program: string, args: string[]): string {
  return [program, ...args].map(shellQuote).join(' ');
}
