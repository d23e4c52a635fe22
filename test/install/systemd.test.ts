/**
 * contrib/systemd: the unit has what running bosd as a service needs (its own user, state,
 * runtime and configuration directories, restart on failure, hardening without breaking
 * Node's JIT), agrees with bosd (no sd_notify, no SIGHUP reload, the socket under
 * RuntimeDirectory), the example bosd.yaml is one bosd accepts, and systemd-analyze verifies
 * the unit and rates its exposure low. Needs dist/ (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bosError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/daemon/config.js';
import { bosdExitCode, EXIT_STATUS } from '../../src/daemon/exit-code.js';
import { ROOT } from '../cli/helpers.js';

const DIR = join(ROOT, 'contrib', 'systemd');
const unitText = readFileSync(join(DIR, 'bosd.service'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'bosctl-systemd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The unit's settings: section → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const head = /^\[(\w+)\]$/.exec(t);
    if (head) { section = new Map(); out.set(head[1]!, section); continue; }
    const kv = /^(\w+)=(.*)$/.exec(t);
    if (!kv || !section) throw new Error(`not a unit line: ${line}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  }
  return out;
}

const service = parseUnit(unitText).get('Service')!;
const one = (key: string) => service.get(key)?.at(-1);

/** Source files of the daemon, to compare the unit with what bosd does. */
const daemonSource = (readdirSync(join(ROOT, 'src', 'daemon'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(ROOT, 'src', 'daemon', f), 'utf8')).join('\n');

describe('contrib/systemd/bosd.service', () => {
  it('runs bosd as its own user with state, runtime and configuration directories', () => {
    expect(one('User')).toBe('bosd');
    expect(one('Group')).toBe('bosd');
    expect(one('StateDirectory')).toBe('bosd');
    expect(one('RuntimeDirectory')).toBe('bosd');
    expect(one('ConfigurationDirectory')).toBe('bosd');
    // systemd leaves /etc/bosd root's: user bosd must be able to enter it to read its files
    expect(one('ConfigurationDirectoryMode')).toBe('0755');
    expect(one('ExecStart')).toBe('bosd --config /etc/bosd/bosd.yaml');
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')).toBe('2');
    expect(one('UMask')).toBe('0027');
    expect(parseUnit(unitText).get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('restarts on exactly the exit codes bosd uses for what a restart may fix', () => {
    // bosd --help and bosd(8) say: 1 may pass on a restart, 2 cannot be fixed by one.
    const permanent = EXIT_STATUS.filter((x) => /restart cannot fix/.test(x.meaning)).map((x) => String(x.code));
    expect(permanent).toEqual(['2']);
    expect(service.get('RestartPreventExitStatus')).toEqual(permanent);
    expect(bosdExitCode(bosError('BOS_DB_CORRUPT', 'x'))).toBe(2);
    expect(bosdExitCode(bosError('BOS_DB_TOO_NEW', 'x'))).toBe(2);
  });

  it('matches bosd: Type=notify only with sd_notify, ExecReload only with a SIGHUP handler', () => {
    const notifies = /NOTIFY_SOCKET|sd_notify/.test(daemonSource);
    expect(one('Type')).toBe(notifies ? 'notify' : 'exec');
    expect(service.has('ExecReload')).toBe(/SIGHUP/.test(daemonSource));
  });

  it('is hardened, and leaves Node\'s JIT alone (no MemoryDenyWriteExecute)', () => {
    for (const [k, v] of Object.entries({
      NoNewPrivileges: 'yes', CapabilityBoundingSet: '', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectKernelLogs: 'yes', ProtectControlGroups: 'yes', LockPersonality: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6', RestrictNamespaces: 'yes', RestrictSUIDSGID: 'yes', SystemCallArchitectures: 'native',
    })) expect(one(k), k).toBe(v);
    expect(service.get('SystemCallFilter')).toContain('@system-service');
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('the example bosd.yaml is accepted by bosd and puts the database and socket in the unit\'s directories', async () => {
    const config = await loadConfig(join(DIR, 'bosd.yaml.example'), {}, '/nonexistent/default.db');
    expect(config.db.startsWith('/var/lib/bosd/')).toBe(true);
    expect(config.socket?.startsWith('/run/bosd/')).toBe(true);
    expect(config.credentialsFile?.startsWith('/etc/bosd/')).toBe(true);
    expect(unitText).toContain(`BOSCTL_SERVER=unix://${config.socket} bosctl`);
  });

  it('bosd.sysusers declares the bosd user', () => {
    const lines = readFileSync(join(DIR, 'bosd.sysusers'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines).toEqual(['u bosd - "bosd, the bosctl daemon" /var/lib/bosd /usr/sbin/nologin']);
  });
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const hasAnalyze = !analyze.error;

describe('systemd-analyze', () => {
  it('is installed (in CI: apt-get install systemd)', () => {
    if (hasAnalyze) return;
    if (process.env.CI) throw new Error('systemd-analyze is not installed: CI must install the systemd package to verify contrib/systemd/bosd.service');
    console.warn('systemd-analyze is not available: contrib/systemd/bosd.service was not verified (install the systemd package)');
  });

  // verify resolves ExecStart: a copy points it at this checkout's bin/bosd.js.
  const copy = join(tmp, 'bosd.service');
  writeFileSync(copy, unitText.replace(/^ExecStart=bosd /m, `ExecStart=${join(ROOT, 'bin', 'bosd.js')} `));

  it.skipIf(!hasAnalyze)('systemd-analyze verify finds nothing to say about it', () => {
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasAnalyze)('systemd-analyze verify would catch a typo (the check can fail)', () => {
    const bad = join(tmp, 'typo.service');
    writeFileSync(bad, readFileSync(copy, 'utf8').replace('ProtectSystem=strict', 'ProtectSystm=strict'));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', bad], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/Unknown key 'ProtectSystm'/);
  });

  it.skipIf(!hasAnalyze)('systemd-analyze security rates its exposure at most 2.0 (of 10)', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=20', copy], { encoding: 'utf8' });
    if (/unrecognized option|unknown option/i.test(r.stderr)) {
      console.warn(`systemd-analyze ${analyze.stdout.split('\n')[0]} has no security --offline: exposure not rated`);
      return;
    }
    expect(r.stdout).toMatch(/Overall exposure level for bosd\.service: [01]\.\d/);
    expect(r.status).toBe(0);
  });
});
