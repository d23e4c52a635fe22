import { Command, Option } from 'commander';
import { bosError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { DoctorReport } from '../../doctor/index.js';
import { configPath as cliConfigPath } from '../config-file.js';
import { remoteSettingsOf, type CliDeps, type RemoteSettings, type RunDeps } from '../context.js';
import { CommandFailed } from '../exit.js';
import type { Io } from '../io.js';
import { renderTable } from '../output/format.js';
import { printResult } from '../output/result.js';

const DEFAULT_CONFIG = '/etc/bosd/bosd.yaml';

export interface DoctorOptions {
  config: string;
  /** Whether --config was given (a missing default file is then no failure of its own). */
  configExplicit: boolean;
  bmcSample: number;
  /** Milliseconds. */
  timeout: number;
  /** bosd's API when bosctl works remotely, and where that came from. */
  remote?: RemoteSettings & { source: string };
}

function bmcCount(v: string): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || n > 1000) throw bosError('BOS_VALUE_INVALID', `invalid --bmc-sample "${v}": expected a whole number of BMCs from 0 to 1000`);
  return n;
}

/** --timeout in milliseconds: 500ms, 5s, 2m; a bare number is seconds (the old spelling). */
function timeoutMs(v: string): number {
  return parseDuration(v, { name: '--timeout', bare: 's', max: 600_000, fractions: true, expected: 'seconds, more than 0 and at most 600 (e.g. 5, 0.5, 500ms or 2m)' });
}

export function register(program: Command, deps: CliDeps): void {
  define(program, deps);
}

export function define(parent: Command, deps: CliDeps, run = runDoctorCommand): Command {
  return parent.command('doctor')
    .description('check the installation: database, bosd, BSS, CFS and a sample of BMCs; print what failed and how to fix it')
    .addOption(new Option('--config <file>', 'bosd\'s configuration file, for the BSS and CFS URLs, the credentials file and the CA bundle').default(DEFAULT_CONFIG))
    .addOption(new Option('--bmc-sample <n>', 'how many BMCs to check, spread over the chassis (0: none)').argParser(bmcCount).default(5))
    .addOption(new Option('--timeout <duration>', 'time-out of each check: a peer that does not answer in time fails (500ms, 5s; a bare number is seconds)').argParser(timeoutMs).default(5000, '5s'))
    .addHelpText('after', `
Checks: config (bosd.yaml reads and is valid), credentials (the Redfish credentials file
is owner-only and well formed), database (opens, schema current, quick_check, WAL, not
readable by others; PostgreSQL: connection, login, TLS, schema), backlog (with bosd.yaml
here: net.core.somaxconn keeps bosd's listen queue of 4096; a lower value warns), daemon
(bosd's API answers: version, health, the token), bss and cfs
(answer at their URLs), and per sampled BMC: tcp, certificate (expired, not yet valid,
untrusted by ca_bundle, expiring within 30 days), redfish (service root) and credentials
(a Systems resource read with them). Nothing is changed; no password or token is printed.

Exit codes: 0 when no check failed (warnings allowed), 1 when any failed, 2 bad input.

Examples:
  bosctl doctor
  bosctl doctor --config /etc/bosd/bosd.yaml --bmc-sample 20 --timeout 3
  bosctl doctor -o json`)
    .action(async (flags: { config: string; bmcSample: number; timeout: number }, cmd: Command) => {
      const d = deps.forCommand(cmd);
      const remote = remoteSettingsOf(cmd, deps.env);
      const source = cmd.getOptionValueSourceWithGlobals('server') === 'cli' ? '--server'
        : deps.env.BOSCTL_SERVER?.trim() ? 'BOSCTL_SERVER' : `server: in ${cliConfigPath(deps.env)}`;
      await run({
        config: flags.config, configExplicit: cmd.getOptionValueSource('config') === 'cli', bmcSample: flags.bmcSample, timeout: flags.timeout,
        ...(remote ? { remote: { ...remote, source } } : {}),
      }, d);
    });
}

export async function runDoctorCommand(o: DoctorOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const { runDoctor } = await import('../../doctor/index.js');
  const report = await runDoctor({
    configPath: o.config,
    configExplicit: o.configExplicit,
    ...(g.db !== undefined ? { db: g.db } : {}),
    ...(g.dbPasswordFile !== undefined ? { dbPasswordFile: g.dbPasswordFile } : {}),
    ...(o.remote ? { remote: o.remote } : {}),
    bmcSample: o.bmcSample,
    timeoutMs: o.timeout,
    now: deps.now(),
    env: deps.env,
  });
  await printResult(deps.io, g.output, report, async () => {
    if (g.output === 'name') for (const c of report.checks) deps.io.out(`${c.check}\n`);
    else await printTable(deps.io, report, g.output === 'wide', g.headers);
  });
  const { fail, warn } = report.summary;
  if (fail > 0) throw new CommandFailed('BOS_DOCTOR_FAILED', `${fail} of ${report.checks.length} checks failed${warn ? `, ${warn} warned` : ''}`);
}

async function printTable(io: Io, report: DoctorReport, wide: boolean, headers: boolean): Promise<void> {
  const p = await io.paint();
  const paint = { pass: p.green, warn: p.yellow, fail: p.red, skip: p.dim };
  const rows: string[][] = [];
  for (const c of report.checks) {
    rows.push([c.check, paint[c.status](c.status), c.detail, c.fix ?? '']);
    if (wide) for (const s of c.steps ?? []) rows.push([`  ${s.step}`, paint[s.status](s.status), s.detail, s.fix ?? '']);
  }
  io.out(renderTable(headers ? [['CHECK', 'STATUS', 'DETAIL', 'FIX'].map((h) => p.bold(h)), ...rows] : rows));
}
