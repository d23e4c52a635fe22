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
import { waitFor as waitUntil } from '../../src/testbed/wait.js';
import { BIN, ROOT } from '../cli/helpers.js';
import { exited, freePorts, REBOOT_PROGRAM, startBosdChild } from './helpers.js';

const TOOLS = ['munged', 'slurmctld', 'slurmd', 'scontrol', 'sinfo', 'sbatch', 'squeue', 'runuser'] as const;
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
    /** Nodes whose slurmd starts only once "bosctl component wait --self --stable" returns. */
    const gated = new Set<string>();
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
      nodeToken: join(dir, 'node-token'),
      jobOut: join(dir, 'job.out'),
      gate: join(logs, 'gate.log'),
    };
    const diag = () => [
      `--- ${f.rebootLog}`, tail(f.rebootLog), `--- ${f.ctldLog}`, tail(f.ctldLog, 40), `--- ${f.bosdLog}`, tail(f.bosdLog, 15),
      ...NODES.map((n) => `--- slurmd ${n}\n${tail(join(logs, `slurmd-${n}.log`), 8)}`),
    ].join('\n');
    const waitFor = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number) =>
      waitUntil(what, cond, timeoutMs, 100).catch((e: Error) => { throw new Error(`${e.message}\n${diag()}`); });

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
        // Configuration (CFS) takes 2 s: long enough for a job to land on a node Slurm thinks is back.
        nodes: 4, timeScale: 0.01, timings: { configure: 200 },
        // A booted node starts its slurmd, which tells slurmctld it rebooted (-b here: the
        // slurmd of a real node sees a new boot time by itself). A node in `gated` runs
        // slurmd as the systemd drop-in of docs/slurm.md does: component wait first.
        onBoot: (xname) => {
          if (closing) return;
          const name = sim!.node(xname).hostname;
          const p = restartSlurmd(name, true, gated.has(name) ? xname : undefined);
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
      writeFileSync(f.nodeToken, nodeToken + '\n', { mode: 0o600 });
      const startBosd = async () => {
        bosd = await startBosdChild(join(ROOT, 'bin', 'bosd.js'), ['--db', f.db, '--bss-url', sim!.bssUrl, '--cfs-url', sim!.cfsUrl,
          '--credentials-file', cred, '--listen', '127.0.0.1:0', '--power-poll-ms', '50', '--cfs-poll-ms', '50', '--retry-backoff-ms', '100'],
        (d) => writeFileSync(f.bosdLog, d, { flag: 'a' }));
        sim!.setBosUrl(bosd.url, nodeToken);
        return bosd;
      };
      bosd = await startBosd();

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
      const rebootConf = (extra: string[] = []) => writeFileSync(f.rebootConf, [
        '# bosctl-reboot settings (test)',
        `server=${bosd!.url}`,
        `token_file=${f.token}`,
        `log=${f.rebootLog}`,
        `node=${process.execPath}`,
        ...extra,
        '',
      ].join('\n'), { mode: 0o644 });
      rebootConf();

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
      /** The node's Slurm reason (the last field of "scontrol -o show node"), without Slurm's [user@time]. */
      const reasonOf = async (name: string) => (/\bReason=(.*)$/m.exec((await scontrol('-o', 'show', 'node', name)).stdout)?.[1] ?? '').replace(/ \[[^\]]*\]\s*$/, '').trim();
      const inService = async (names: string[]) => {
        const s = await states();
        return names.every((n) => s.get(n) === 'IDLE');
      };

      async function restartSlurmd(name: string, rebooted: boolean, waitFor?: string): Promise<void> {
        const old = slurmds.get(name);
        if (old) await daemons.stop(old);
        if (closing) return;
        const slurmd = [paths.slurmd!, '-D', ...(rebooted ? ['-b'] : []), '-N', name, '-f', f.slurmConf];
        if (!waitFor) {
          slurmds.set(name, daemons.start(slurmd[0], slurmd.slice(1), slurmEnv, join(logs, `slurmd-${name}.out`)));
          return;
        }
        // ExecStartPre=bosctl component wait --self --stable, then ExecStart=slurmd, as systemd
        // runs them (the node knows itself by NODE_IDENTITY here; on a real node: /proc/cmdline).
        const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
        const script = [
          `${q(process.execPath)} ${q(BIN)} --server ${q(bosd!.url)} --token-file ${q(f.nodeToken)} component wait --self --stable --interval 100 --timeout 60 || exit 1`,
          `if [ -e ${q(f.jobOut)} ]; then echo "${name}: a job ran before the wait returned"; fi`,
          `echo "${name}: wait returned, starting slurmd"`,
          `exec ${slurmd.map(q).join(' ')}`,
        ].join('\n');
        slurmds.set(name, daemons.start('/bin/sh', ['-c', script], { ...cliEnv, NODE_IDENTITY: waitFor }, f.gate));
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
      expect(rebootLog).toMatch(/: succeeded 2: nid\[000001-000002\]: bosd reboots them/);
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
      expect(read(f.rebootLog)).toMatch(new RegExp(`: ignored nid000004 \\(${xname('nid000004')}\\): nothing is staged for it: bosd does not reboot it; return it as it is: scontrol update nodename=nid000004 state=resume$`, 'm'));
      // The same advice as the node's Slurm reason, and the ignored node has an event.
      expect(await reasonOf('nid000004')).toMatch(/^bosctl-reboot: ignored: nothing is staged for it; return it as it is: scontrol update nodename=nid000004 state=resume/);
      expect((await backend.componentHistory('nid000004')).at(-1)).toMatchObject({ action: 'apply_staged_ignored', actor: `token:${wlm.token.id}` });
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
      expect(log3).toMatch(/: running: bosctl --no-color --server \S+ --token-file \S+ slurm reboot-program --attempts 3 --retry-delay 1 --set-reason --self /);
      expect(log3).toMatch(new RegExp(`: slurmd mode: applying the staged state of this host, ${host}$`, 'm'));
      expect(log3).toMatch(new RegExp(`: succeeded 1: ${host}: bosd reboots them`));
      expect(read(join(logs, 'slurmd-nid000003.log'))).not.toMatch(/system\(.*\) returned/);
      expect(read(f.ctldLog)).toMatch(/Node nid000003 rebooted/);
      expect(Object.values(sim.node(xname('nid000004')).resets).reduce((a, b) => a + b, 0), 'nid000004 resets').toBe(0);
      expect((await backend.componentHistory('nid000003')).find((e) => e.action === 'apply_staged')).toMatchObject({ actor: `token:${wlm.token.id}` });

      // --- 4. slurmd waits for bosd (the drop-in): no job lands on a node still configuring ---
      writeFileSync(f.slurmConf, slurmConf(true));
      expect((await scontrol('reconfigure')).code).toBe(0);
      await waitFor('slurmctld to take reboot_from_controller again', async () => /reboot_from_controller/.test((await scontrol('show', 'config')).stdout), 15_000);
      await sleep(1000);
      for (const n of NODES) gated.add(n);
      const boots1 = sim.node(xname('nid000001')).bootCount;
      // Configuration is held until the gate has said it waits, so the wait is seen whatever
      // the machine's load (slurmd's stop and bosctl's start can outlast the 2 s configure).
      sim.setFault('cfs_held', [xname('nid000001')], true);
      expect((await scontrol('reboot', 'ASAP', 'nextstate=resume', 'reason=bosctl real-slurm test, gated', 'nid000001')).code).toBe(0);
      // A job for exactly that node, submitted while it reboots: it records what bosd says of
      // the node at the moment it starts.
      const job = await run(paths.sbatch!, ['--parsable', '-w', 'nid000001', '-J', 'gated', '-o', f.jobOut, '--wrap',
        `${process.execPath} ${BIN} --server ${bosd.url} --token-file ${f.adminToken} -o json component describe ${xname('nid000001')}`], cliEnv);
      expect(job.code, job.stderr).toBe(0);
      const jobId = job.stdout.trim().split(';')[0];
      expect((await run(paths.squeue!, ['-h', '-j', jobId, '-o', '%T'], slurmEnv)).stdout.trim()).toBe('PENDING');
      await waitFor('the gate of nid000001 to wait for bosd', () => new RegExp(`${xname('nid000001')}: waiting: `).test(read(f.gate)), 60_000);
      expect((await run(paths.squeue!, ['-h', '-j', jobId, '-o', '%T'], slurmEnv)).stdout.trim(), 'the job while nid000001 is configuring').toBe('PENDING');
      sim.setFault('cfs_held', [xname('nid000001')], false);
      await waitFor('the job to run on nid000001 and finish', () => /"id"/.test(read(f.jobOut)) && /}\s*$/.test(read(f.jobOut)), 60_000);
      const seen = JSON.parse(read(f.jobOut)) as { enabled: boolean; status: { status: string; phase: string }; actual_state: { boot_artifacts: { kernel: string } } };
      expect(seen, 'bosd\'s view of nid000001 when the job started').toMatchObject({ enabled: false, status: { status: 'stable', phase: '' }, actual_state: { boot_artifacts: { kernel: V2_KERNEL } } });
      expect(sim.node(xname('nid000001')).bootCount).toBe(boots1 + 1);
      const gate = read(f.gate);
      expect(gate, diag()).toMatch(new RegExp(`bosctl: this node is ${xname('nid000001')} \\(from NODE_IDENTITY\\)`));
      expect(gate).toMatch(new RegExp(`${xname('nid000001')}: waiting: `));
      expect(gate).toMatch(new RegExp(`${xname('nid000001')}: stable on ${V2_KERNEL}`));
      expect(gate).toMatch(/nid000001: wait returned, starting slurmd/);
      expect(gate).not.toMatch(/a job ran before the wait returned/);

      // --- 5. bosd down: the program says what to run, in its log and as the Slurm reason -----
      const failures = () => (read(f.ctldLog).match(/RebootProgram exit status of 1/g) ?? []).length;
      bosd.child.kill('SIGTERM');
      await exited(bosd.child);
      rebootConf(['attempts=2', 'retry_delay=0.2']);
      const before5 = failures();
      expect((await scontrol('reboot', 'ASAP', 'nextstate=resume', 'reason=bosctl real-slurm test, bosd down', 'nid000002')).code).toBe(0);
      await waitFor('the reboot program to give up on bosd', () => failures() > before5, 30_000);
      const retry2 = 'scontrol update nodename=nid000002 state=resume && scontrol reboot ASAP nextstate=resume nid000002';
      expect(read(f.rebootLog)).toMatch(new RegExp(`: nothing was applied to nid000002: bosd unreachable; when bosd answers again, retry with: ${retry2}$`, 'm'));
      expect(await reasonOf('nid000002')).toBe(`bosctl-reboot: bosd unreachable, nothing applied; retry: ${retry2}`);
      expect((await states()).get('nid000002')).toMatch(/REBOOT_ISSUED/);
      // Slurm ignores another reboot request for a node in REBOOT_ISSUED (state=down does not
      // clear it either): the retry first takes it out of that state, then asks again.
      const ignored = await scontrol('reboot', 'ASAP', 'nextstate=resume', 'nid000002');
      expect(ignored.code, ignored.stderr).toBe(0);
      await sleep(2000);
      expect(read(f.ctldLog).match(/Issuing reboot request for nodes nid000002/g)?.length, 'reboot requests for nid000002').toBe(1);
      // The recipe: bring bosd back, then run what the reason says.
      await startBosd();
      rebootConf();
      const boots2 = sim.node(xname('nid000002')).bootCount;
      for (const step of retry2.split(' && ')) {
        const r = await scontrol(...step.split(' ').slice(1));
        expect(r.code, `${step}: ${r.stderr}`).toBe(0);
      }
      await waitFor('slurmctld to run the reboot program again', () => (read(f.ctldLog).match(/Issuing reboot request for nodes nid000002/g)?.length ?? 0) === 2, 15_000);
      await waitFor('the retried nid000002 back in service', () => inService(['nid000002']), 60_000);
      expect(sim.node(xname('nid000002')).bootCount).toBe(boots2 + 1);
      expect((await backend.getComponent('nid000002')).status.status).toBe('stable');

      // --- 6. a DOWN node: scontrol reboot ASAP nextstate=resume again ------------------------
      expect((await scontrol('update', 'nodename=nid000003', 'state=down', 'reason=bosctl real-slurm test, down')).code).toBe(0);
      await waitFor('nid000003 DOWN', async () => /^DOWN/.test((await states()).get('nid000003') ?? ''), 10_000);
      const boots3 = sim.node(xname('nid000003')).bootCount;
      const fromDown = await scontrol('reboot', 'ASAP', 'nextstate=resume', 'nid000003');
      expect(fromDown.code, fromDown.stderr).toBe(0);
      await waitFor('nid000003 back in service from DOWN', () => inService(['nid000003']), 60_000);
      expect(sim.node(xname('nid000003')).bootCount).toBe(boots3 + 1);
      expect((await backend.getComponent('nid000003')).status.status).toBe('stable');

      // --- 7. a node still rebooting: wait for bosd (as SlurmUser, with its wlm token) -------
      const boots7 = sim.node(xname('nid000003')).bootCount;
      expect((await scontrol('reboot', 'ASAP', 'nextstate=resume', 'nid000003')).code).toBe(0);
      await waitFor('bosd to take nid000003', async () => (await backend!.getComponent('nid000003')).enabled, 15_000);
      const asSlurm = slurmUser ? [paths.runuser!, '-u', 'slurm', '--'] : [];
      const waitArgs = [process.execPath, BIN, '--server', bosd.url, '--token-file', f.token, 'component', 'wait', 'nid000003', '--stable', '--interval', '100', '--timeout', '60'];
      const waited = await run([...asSlurm, ...waitArgs][0], [...asSlurm, ...waitArgs].slice(1), cliEnv, 70_000);
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stdout).toBe(`${xname('nid000003')}: stable on ${V2_KERNEL}\n`);
      expect(sim.node(xname('nid000003')).bootCount).toBe(boots7 + 1);
      await waitFor('nid000003 back in service by itself', () => inService(['nid000003']), 30_000);

      // --- 8. a bad token: nothing applied, the log and the reason say so ----------------------
      const goodToken = read(f.token);
      const past = new LocalBackend(f.db, { user: 'test', via: 'real-slurm test' }, () => new Date(Date.now() - 5 * 60_000));
      const expired = (await past.createToken({ role: 'wlm', expires: '1m', description: 'expired' })).secret;
      past.close();
      const retry4 = 'scontrol update nodename=nid000004 state=resume && scontrol reboot ASAP nextstate=resume nid000004';
      const badTokens: Array<[string, string, RegExp]> = [
        ['malformed', 'not-a-token', /malformed token/],
        ['unknown', 'bos_abcdefgh_' + 'x'.repeat(43), /unknown token/],
        ['expired', expired, /token \S+ expired/],
      ];
      for (const [what, secret, says] of badTokens) {
        writeFileSync(f.token, secret + '\n');
        const before = failures();
        // The first from IDLE (state=resume would refuse it), then the retry from REBOOT_ISSUED.
        const steps = what === 'malformed' ? retry4.split(' && ').slice(1) : retry4.split(' && ');
        for (const step of steps) expect((await scontrol(...step.split(' ').slice(1))).code, `${what}: ${step}`).toBe(0);
        await waitFor(`the reboot program to fail with the ${what} token`, () => failures() > before, 20_000);
        const lines = read(f.rebootLog).split('\n');
        const last = lines.slice(lines.findLastIndex((l) => /called by slurmctld/.test(l)));
        expect(last.join('\n'), what).toMatch(says);
        expect(last.join('\n'), what).toMatch(new RegExp(`: nothing was applied to nid000004: bosd refused the token; once that is fixed, retry with: ${retry4}$`, 'm'));
        expect(await reasonOf('nid000004'), what).toBe(`bosctl-reboot: bosd refused the token, nothing applied; retry: ${retry4}`);
        expect(Object.values(sim.node(xname('nid000004')).resets).reduce((a, b) => a + b, 0), 'nid000004 resets').toBe(0);
      }
      writeFileSync(f.token, goodToken);
      expect((await scontrol('update', 'nodename=nid000004', 'state=resume')).code).toBe(0);
      await waitFor('nid000004 back in service', () => inService(['nid000004']), 20_000);
      expect(Date.now() - started, 'the whole test').toBeLessThan(180_000);
    } finally {
      closing = true;
      await Promise.allSettled([...restarts]);
      await daemons.stopAll();
      if (bosd) { bosd.child.kill('SIGTERM'); await Promise.race([exited(bosd.child), sleep(5000)]); bosd.child.kill('SIGKILL'); }
      await sim?.close();
      backend?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
