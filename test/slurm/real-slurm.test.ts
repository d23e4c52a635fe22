/**
 * The Slurm glue against a real Slurm (Debian's slurmctld, slurmd, slurm-client and munge):
 * munged, slurmctld and four slurmd (nid000001-4, several slurmd on one host with -N) on
 * loopback in a temporary directory, bosd as a child process, and the simulator in this
 * process, whose nodes restart their slurmd with -b when they boot, as a real node would.
 *
 * 1. Controller mode (SlurmctldParameters=reboot_from_controller): `scontrol reboot ASAP
 *    nextstate=resume nid[000001-000002]` makes slurmctld run contrib/slurm/bosctl-reboot as
 *    SlurmUser with the node list; it reaches bosd through the API with a wlm token; bosd
 *    reboots exactly those two nodes into the staged image; Slurm sees them back in service.
 * 2. A node with nothing staged: the program exits 1 and slurmctld logs it; the node gets no
 *    reset; "scontrol update state=resume" (the program's hint) returns it.
 * 3. slurmd mode (without reboot_from_controller): `bosctl slurm reboot-staged` runs the real
 *    scontrol for the rest of the session; nid000003's slurmd runs the program with no
 *    argument (--self, this host's name, an alias of nid000003 here).
 *
 * When the packages are missing it fails in CI (CI set) and is skipped elsewhere, saying why.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { BIN, ROOT } from '../cli/helpers.js';
import { exited, freePorts, REBOOT_PROGRAM, startBosdChild } from './helpers.js';

const TOOLS = ['munged', 'slurmctld', 'slurmd', 'scontrol', 'sinfo'] as const;
const SEARCH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean);
const tool = (name: string) => SEARCH.map((d) => join(d, name)).find((p) => existsSync(p));
const paths = Object.fromEntries(TOOLS.map((t) => [t, tool(t)])) as Record<(typeof TOOLS)[number], string | undefined>;
const missing = TOOLS.filter((t) => !paths[t]);
const isRoot = process.getuid?.() === 0;
const inCi = (() => {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
})();
const whyNot = missing.length > 0
  ? `Slurm is not installed (${missing.join(', ')} not found): apt-get install slurmctld slurmd slurm-client munge`
  : !isRoot ? 'it must run as root (munged and slurmd do)' : undefined;
if (whyNot && !inCi) console.warn(`test/slurm/real-slurm.test.ts skipped: ${whyNot}`);

const V2_KERNEL = 's3://boot-images/compute-v2/kernel';
const NODES = ['nid000001', 'nid000002', 'nid000003', 'nid000004'];

function idOf(user: string): { uid: number; gid: number } | undefined {
  const u = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * SlurmUser as on a real controller: the `slurm` user the packages create, when it can run
 * this checkout's reboot program and bosctl; else root (said on the console).
 */
function slurmUserFor(): { uid: number; gid: number } | undefined {
  const id = idOf('slurm');
  if (!id) {
    console.warn('real-Slurm test: no "slurm" user, so SlurmUser=root');
    return undefined;
  }
  const files = [join(ROOT, 'dist', 'cli', 'main.js'), join(ROOT, 'node_modules', 'commander', 'package.json')];
  const r = spawnSync(process.execPath, ['-e', `for (const f of ${JSON.stringify(files)}) require('fs').accessSync(f, require('fs').constants.R_OK); require('fs').accessSync(${JSON.stringify(REBOOT_PROGRAM)}, require('fs').constants.X_OK)`],
    { uid: id.uid, gid: id.gid, encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn(`real-Slurm test: the "slurm" user cannot read this checkout (${(r.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? r.error?.message}), so SlurmUser=root`);
    return undefined;
  }
  return id;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Daemons in their own process groups, so that stopping one stops what it forked. */
class Daemons {
  private readonly all = new Set<ChildProcess>();

  start(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', fd, fd] });
      child.on('error', () => { /* reported by the waits that follow */ });
      this.all.add(child);
      return child;
    } finally {
      closeSync(fd);
    }
  }

  async stop(child: ChildProcess, graceMs = 3000): Promise<void> {
    const signal = (s: NodeJS.Signals) => { try { process.kill(-child.pid!, s); } catch { /* gone */ } };
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      signal('SIGTERM');
      const done = await Promise.race([exited(child).then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) { signal('SIGKILL'); await exited(child); }
    }
    signal('SIGKILL'); // anything the group forked and left behind
    this.all.delete(child);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.all].map((c) => this.stop(c)));
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : '') });
    });
  });
}

const read = (f: string) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } };
const tail = (f: string, n = 25) => read(f).split('\n').slice(-n).join('\n');

describe.skipIf(whyNot !== undefined && !inCi)('bosctl with a real Slurm (slurmctld, 4 slurmd, munge) on loopback', () => {
  it('scontrol reboot runs the reboot program in both modes; bosd reboots exactly those nodes; Slurm sees them back', async () => {
    if (whyNot) throw new Error(`the real-Slurm test must run in CI but ${whyNot} (.ci/run installs them when missing)`);
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'bosctl-slurm-'));
    chmodSync(dir, 0o755); // munged wants every directory above its socket searchable; SlurmUser reads below
    const daemons = new Daemons();
    let sim: Simulator | undefined;
    let backend: LocalBackend | undefined;
    let bosd: { child: ChildProcess; url: string } | undefined;
    const slurmds = new Map<string, ChildProcess>();
    const restarts = new Set<Promise<void>>();
    let closing = false;

    const etc = join(dir, 'etc');
    const logs = join(dir, 'log');
    const f = {
      slurmConf: join(etc, 'slurm.conf'),
      rebootConf: join(etc, 'bosctl-reboot.conf'),
      token: join(etc, 'bosd-token'),
      adminToken: join(dir, 'admin-token'),
      ctldLog: join(logs, 'slurmctld.log'),
      rebootLog: join(logs, 'bosctl-reboot.log'),
      bosdLog: join(logs, 'bosd.log'),
      db: join(dir, 'bosd.db'),
    };
    const diag = () => [
      `--- ${f.rebootLog}`, tail(f.rebootLog), `--- ${f.ctldLog}`, tail(f.ctldLog, 40), `--- ${f.bosdLog}`, tail(f.bosdLog, 15),
      ...NODES.map((n) => `--- slurmd ${n}\n${tail(join(logs, `slurmd-${n}.log`), 8)}`),
    ].join('\n');
    const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!(await cond())) {
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diag()}`);
        await sleep(100);
      }
    };

    try {
      // --- munge ------------------------------------------------------------------------------
      const munge = join(dir, 'munge');
      mkdirSync(munge, { mode: 0o755 });
      chmodSync(munge, 0o755);
      mkdirSync(etc, { mode: 0o755 });
      mkdirSync(logs, { mode: 0o755 });
      const socket = join(munge, 'munge.socket');
      writeFileSync(join(munge, 'munge.key'), randomBytes(1024), { mode: 0o600 });
      daemons.start(paths.munged!, ['-F', '-f', '--key-file', join(munge, 'munge.key'), '--socket', socket,
        '--log-file', join(munge, 'munged.log'), '--pid-file', join(munge, 'munged.pid'), '--seed-file', join(munge, 'munged.seed')],
      process.env, join(logs, 'munged.log'));
      await waitFor('munged\'s socket', () => existsSync(socket), 10_000);

      // --- the cluster bosd drives: simulator, database, bosd ------------------------------
      sim = await startSimulator({
        nodes: 4, timeScale: 0.01,
        // A booted node starts its slurmd, which tells slurmctld it rebooted (-b here: the
        // slurmd of a real node sees a new boot time by itself).
        onBoot: (xname) => {
          if (closing) return;
          const name = sim!.node(xname).hostname;
          const p = restartSlurmd(name, true);
          restarts.add(p);
          void p.finally(() => restarts.delete(p));
        },
      });
      backend = new LocalBackend(f.db, { user: 'test', via: 'real-slurm test' });
      const host = hostname().split('.')[0];
      // nid000003 is also this host, for slurmd mode: apply-staged --self names the host.
      await backend.importInventory(sim.inventory().map((r, i) => normalizeInventoryRecord(
        { ...r, ...(r.hostname === 'nid000003' ? { aliases: [host] } : {}) } as unknown as Record<string, unknown>, `node ${i + 1}`)));
      const xnameOf = new Map(sim.inventory().map((r) => [r.hostname, r.xname]));
      const xname = (n: string) => xnameOf.get(n)!;
      await backend.updateOptions({ max_power_off_wait_time: 10, max_boot_wait_time: 30 });
      await backend.createTemplate('compute-v2', {
        boot_sets: { compute: { kernel: V2_KERNEL, initrd: 's3://boot-images/compute-v2/initrd', kernel_parameters: 'console=ttyS0', node_roles_groups: ['Compute'] } },
        cfs: { configuration: 'compute-config-v2' },
      });
      const session = await backend.createSession({ template_name: 'compute-v2', operation: 'reboot', stage: true, name: 'rollout' });
      expect(session.nodes.sort()).toEqual(NODES.map(xname).sort());
      const slurmUser = slurmUserFor();
      const wlm = await backend.createToken({ role: 'wlm', description: 'slurmctld' });
      writeFileSync(f.token, wlm.secret + '\n', { mode: 0o600 });
      writeFileSync(f.adminToken, (await backend.createToken({ role: 'admin' })).secret + '\n', { mode: 0o600 });
      const nodeToken = (await backend.createToken({ role: 'node', description: 'simulated nodes' })).secret;
      const cred = join(dir, 'redfish.json');
      writeFileSync(cred, JSON.stringify({ refs: { sim: sim.credentials } }), { mode: 0o600 });
      bosd = await startBosdChild(join(ROOT, 'bin', 'bosd.js'), ['--db', f.db, '--bss-url', sim.bssUrl, '--cfs-url', sim.cfsUrl,
        '--credentials-file', cred, '--listen', '127.0.0.1:0', '--power-poll-ms', '50', '--cfs-poll-ms', '50', '--retry-backoff-ms', '100'],
      (d) => writeFileSync(f.bosdLog, d, { flag: 'a' }));
      sim.setBosUrl(bosd.url, nodeToken);

      // --- Slurm -------------------------------------------------------------------------------
      const [ctldPort, ...nodePorts] = await freePorts(1 + NODES.length);
      const slurmEnv: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: f.slurmConf };
      const cliEnv: NodeJS.ProcessEnv = { ...slurmEnv, NO_COLOR: '1' };
      for (const k of ['BOSCTL_DB', 'BOSCTL_SERVER', 'BOSCTL_TOKEN', 'BOSCTL_TOKEN_FILE']) delete cliEnv[k];
      const cli = (args: string[]) => run(process.execPath, [BIN, ...args], cliEnv);
      const cfg = await cli(['--db', f.db, '-o', 'json', 'slurm', 'config', '--configure-allowance', '20']);
      expect(cfg.code, cfg.stderr).toBe(0);
      const slurmLines = JSON.parse(cfg.stdout) as { RebootProgram: string; SlurmctldParameters: string; ResumeTimeout: number };
      expect(slurmLines).toMatchObject({ RebootProgram: REBOOT_PROGRAM, SlurmctldParameters: 'reboot_from_controller', ResumeTimeout: 60 });
      const state = join(dir, 'state');
      mkdirSync(state, { mode: 0o755 });
      for (const n of NODES) mkdirSync(join(dir, 'spool', n), { recursive: true, mode: 0o755 });
      writeFileSync(f.rebootLog, '', { mode: 0o644 });
      if (slurmUser) for (const p of [state, logs, f.rebootLog, f.token]) chownSync(p, slurmUser.uid, slurmUser.gid);
      const slurmConf = (controller: boolean) => [
        'ClusterName=bosctltest',
        'SlurmctldHost=localhost(127.0.0.1)',
        `SlurmctldPort=${ctldPort}`,
        `SlurmUser=${slurmUser ? 'slurm' : 'root'}`,
        'SlurmdUser=root',
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${socket}`,
        `StateSaveLocation=${state}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}/%n`,
        `SlurmctldPidFile=${join(logs, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'spool')}/%n/slurmd.pid`,
        `SlurmctldLogFile=${f.ctldLog}`,
        `SlurmdLogFile=${logs}/slurmd-%n.log`,
        'SlurmctldDebug=debug',
        'SlurmdDebug=info',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'SelectType=select/linear',
        'SchedulerType=sched/builtin',
        'MpiDefault=none',
        'SwitchType=switch/none',
        'MailProg=/bin/true',
        'ReturnToService=1',
        `RebootProgram=${slurmLines.RebootProgram}`,
        ...(controller ? [`SlurmctldParameters=${slurmLines.SlurmctldParameters}`] : []),
        `ResumeTimeout=${slurmLines.ResumeTimeout}`,
        ...NODES.map((n, i) => `NodeName=${n} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${nodePorts[i]} CPUs=1 RealMemory=1 State=UNKNOWN`),
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
        '',
      ].join('\n');
      writeFileSync(f.slurmConf, slurmConf(true), { mode: 0o644 });
      // The reboot program's settings, next to slurm.conf: bosd's API and the wlm token.
      writeFileSync(f.rebootConf, [
        '# bosctl-reboot settings (test)',
        `server=${bosd.url}`,
        `token_file=${f.token}`,
        `log=${f.rebootLog}`,
        `node=${process.execPath}`,
        '',
      ].join('\n'), { mode: 0o644 });

      const scontrol = (...args: string[]) => run(paths.scontrol!, args, slurmEnv);
      /** NodeName → State (e.g. IDLE, DOWN+DRAIN+REBOOT_ISSUED). */
      const states = async (): Promise<Map<string, string>> => {
        const r = await scontrol('-o', 'show', 'node');
        const out = new Map<string, string>();
        for (const line of r.stdout.split('\n')) {
          const name = /NodeName=(\S+)/.exec(line)?.[1];
          const st = /\bState=(\S+)/.exec(line)?.[1];
          if (name && st) out.set(name, st);
        }
        return out;
      };
      const inService = async (names: string[]) => {
        const s = await states();
        return names.every((n) => s.get(n) === 'IDLE');
      };

      async function restartSlurmd(name: string, rebooted: boolean): Promise<void> {
        const old = slurmds.get(name);
        if (old) await daemons.stop(old);
        if (closing) return;
        slurmds.set(name, daemons.start(paths.slurmd!, ['-D', ...(rebooted ? ['-b'] : []), '-N', name, '-f', f.slurmConf], slurmEnv, join(logs, `slurmd-${name}.out`)));
      }

      daemons.start(paths.slurmctld!, ['-D', '-f', f.slurmConf], slurmEnv, join(logs, 'slurmctld.out'));
      await waitFor('slurmctld to answer', async () => /UP/.test((await scontrol('ping')).stdout), 20_000);
      for (const n of NODES) await restartSlurmd(n, false);
      await waitFor('every slurmd to register (IDLE)', () => inService(NODES), 30_000);

      // --- 1. controller mode -----------------------------------------------------------------
      const reboot = await scontrol('reboot', 'ASAP', 'nextstate=resume', 'reason=bosctl real-slurm test', 'nid[000001-000002]');
      expect(reboot.code, reboot.stderr).toBe(0);
      await waitFor('slurmctld to run the reboot program', () => /called by slurmctld \(controller mode\)/.test(read(f.rebootLog)), 15_000);
      await waitFor('bosd to boot nid000001-2 into v2', () => ['nid000001', 'nid000002'].every((n) => sim!.node(xname(n)).booted?.kernel === V2_KERNEL), 40_000);
      await waitFor('Slurm to see nid000001-2 back in service', () => inService(['nid000001', 'nid000002']), 30_000);

      const rebootLog = read(f.rebootLog);
      const who = slurmUser ? 'slurm' : 'root';
      expect(rebootLog, diag()).toMatch(new RegExp(`: called by slurmctld \\(controller mode\\) as ${who} for: nid000001,nid000002$`, 'm'));
      expect(rebootLog).toMatch(new RegExp(`: running: bosctl --no-color --server ${bosd.url} --token-file ${f.token} slurm reboot-program `));
      expect(rebootLog).toMatch(new RegExp(`: succeeded 2: ${xname('nid000001').replace(/n0$/, 'n')}\\[0-1\\]: bosd reboots them`));
      expect(rebootLog).toMatch(/: done: every node will be rebooted by bosd$/m);
      const ctld = read(f.ctldLog);
      expect(ctld).toMatch(/Issuing reboot request for nodes nid\[000001-000002\]/);
      expect(ctld).toMatch(/Node nid000001 rebooted/);
      expect(ctld).toMatch(/Node nid000002 rebooted/);
      expect(ctld).not.toMatch(/RebootProgram exit status/);
      // Exactly nid000001-2 were rebooted, once each; nid000003-4 got no reset at all.
      for (const n of ['nid000001', 'nid000002']) {
        const v = sim.node(xname(n));
        expect(v.resets.On, `${n} power-on requests`).toBe(1);
        expect((v.resets.Off ?? 0) + (v.resets.ForceOff ?? 0) + (v.resets.GracefulShutdown ?? 0), `${n} power-off requests`).toBe(1);
      }
      for (const n of ['nid000003', 'nid000004']) {
        const v = sim.node(xname(n));
        expect(Object.values(v.resets).reduce((a, b) => a + b, 0), `${n} resets`).toBe(0);
        expect(v.booted?.kernel).not.toBe(V2_KERNEL);
      }
      // The events say Slurm's token applied them, through the API.
      for (const n of ['nid000001', 'nid000002']) {
        const h = await backend.componentHistory(n);
        expect(h.find((e) => e.action === 'apply_staged')).toMatchObject({ actor: `token:${wlm.token.id}`, via: expect.stringMatching(/^POST \/v2\/applystaged \(bosctl\/[\d.]+ \((?:slurm|root)@.+; bosctl slurm reboot-program\)\)$/) });
      }
      await waitFor('bosd to finish nid000001-2 (stable, configured)', async () => {
        const cs = await backend!.listComponents({ ids: [xname('nid000001'), xname('nid000002')] });
        return cs.every((c) => c.status.status === 'stable' && c.actual_state.boot_artifacts?.kernel === V2_KERNEL);
      }, 30_000);

      // --- 2. a node with nothing staged: the program fails, slurmctld logs it -------------
      await backend.updateComponent('nid000004', { clearStaged: true });
      const bad = await scontrol('reboot', 'ASAP', 'nextstate=resume', 'reason=bosctl real-slurm test', 'nid000004');
      expect(bad.code, bad.stderr).toBe(0);
      await waitFor('slurmctld to log the reboot program\'s failure', () => /error: RebootProgram exit status of 1/.test(read(f.ctldLog)), 15_000);
      expect(read(f.rebootLog)).toMatch(new RegExp(`: ignored ${xname('nid000004')}: nothing is staged for it: bosd does not reboot it$`, 'm'));
      expect(read(f.rebootLog)).toMatch(/: error: exit status 1: see the lines above; Slurm does not retry$/m);
      // What the program's message advises: return the node to service without a reboot.
      const resume = await scontrol('update', 'nodename=nid000004', 'state=resume');
      expect(resume.code, resume.stderr).toBe(0);
      await waitFor('nid000004 back in service after state=resume', async () => /^IDLE/.test((await states()).get('nid000004') ?? ''), 20_000);
      expect(Object.values(sim.node(xname('nid000004')).resets).reduce((a, b) => a + b, 0)).toBe(0);

      // --- 3. slurmd mode, started by bosctl slurm reboot-staged -----------------------------
      writeFileSync(f.slurmConf, slurmConf(false));
      const reconf = await scontrol('reconfigure');
      expect(reconf.code, reconf.stderr).toBe(0);
      await waitFor('slurmctld to drop reboot_from_controller', async () => !/reboot_from_controller/.test((await scontrol('show', 'config')).stdout), 15_000);
      await sleep(1000); // the slurmds re-read slurm.conf too
      const staged = await cli(['--server', bosd.url, '--token-file', f.adminToken, 'slurm', 'reboot-staged', '--session', 'rollout', '--scontrol', paths.scontrol!, '--reason', 'bosctl real-slurm test, slurmd mode']);
      expect(staged.code, staged.stderr).toBe(0);
      expect(staged.stdout).toBe('nid000003: Slurm reboots it as soon as idle\n');
      expect(staged.stderr).toMatch(/2 node\(s\) already applied by this session, left out/);
      await waitFor('slurmd to run the reboot program with no argument', () => /called by slurmd \(slurmd mode\)/.test(read(f.rebootLog)), 15_000);
      await waitFor('bosd to boot nid000003 into v2', () => sim!.node(xname('nid000003')).booted?.kernel === V2_KERNEL, 40_000);
      await waitFor('Slurm to see nid000003 back in service', () => inService(['nid000003']), 30_000);
      const log3 = read(f.rebootLog);
      expect(log3).toMatch(/: running: bosctl --no-color --server \S+ --token-file \S+ slurm reboot-program --attempts 3 --retry-delay 1 --self /);
      expect(log3).toMatch(new RegExp(`: slurmd mode: applying the staged state of this host, ${host}$`, 'm'));
      expect(log3).toMatch(new RegExp(`: succeeded 1: ${xname('nid000003')}: bosd reboots them`));
      expect(read(join(logs, 'slurmd-nid000003.log'))).not.toMatch(/system\(.*\) returned/);
      expect(read(f.ctldLog)).toMatch(/Node nid000003 rebooted/);
      expect(Object.values(sim.node(xname('nid000004')).resets).reduce((a, b) => a + b, 0), 'nid000004 resets').toBe(0);
      expect((await backend.componentHistory('nid000003')).find((e) => e.action === 'apply_staged')).toMatchObject({ actor: `token:${wlm.token.id}` });
      expect(Date.now() - started, 'the whole test').toBeLessThan(90_000);
    } finally {
      closing = true;
      await Promise.allSettled([...restarts]);
      await daemons.stopAll();
      if (bosd) { bosd.child.kill('SIGTERM'); await Promise.race([exited(bosd.child), sleep(5000)]); bosd.child.kill('SIGKILL'); }
      await sim?.close();
      backend?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
