/**
 * contrib/slurm/bosctl-reboot run as Slurm runs it: standard descriptors closed, no
 * environment but SLURM_CONF, settings in bosctl-reboot.conf next to slurm.conf. Both modes
 * (argument from slurmctld, none from slurmd), bad input, and bosd unreachable or hung.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { startSimulator } from '../../src/sim/index.js';
import { ROOT, json, lines, ok, removeTmpDirs, seeded, tmpDb } from '../cli/helpers.js';
import { exited, freePorts, runRebootProgram, startBosdChild } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  removeTmpDirs();
});

const STAMPED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ bosctl-reboot\[\d+\]: /;

interface Setup { dir: string; db: string; slurmConf: string; log: string; conf(extra?: string): void }

/** A seeded database with nid000001-000004 staged by session `up`, and a Slurm-like config dir. */
async function setup(settings?: (s: { db: string; log: string }) => string): Promise<Setup> {
  const t = await seeded();
  await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'nid[000001-000004]', '--name', 'up'], { db: t.db });
  const slurmConf = t.file('etc/slurm.conf', '# not read by the reboot program\n');
  const log = join(t.dir, 'log', 'bosctl-reboot.log');
  mkdirSync(join(t.dir, 'log'), { recursive: true });
  const s: Setup = {
    dir: t.dir, db: t.db, slurmConf, log,
    conf(extra = '') {
      writeFileSync(join(t.dir, 'etc', 'bosctl-reboot.conf'), `# bosctl-reboot settings\ndb = ${t.db}\nlog="${log}"\nnode=${process.execPath}\n${extra}`);
    },
  };
  s.conf(settings?.({ db: t.db, log }));
  return s;
}

describe.concurrent('the reboot program, as slurmctld runs it (controller mode)', () => {
  it('applies the comma-separated nodes, logs each step with a time stamp, exits 0', async () => {
    const s = await setup();
    const r = await runRebootProgram(['nid000001,nid000002'], s);
    expect(r.code, r.log).toBe(0);
    const l = lines(r.log);
    for (const line of l) expect(line).toMatch(STAMPED);
    const text = l.map((x) => x.replace(STAMPED, ''));
    expect(text[0]).toMatch(/^called by slurmctld \(controller mode\) as \S+ for: nid000001,nid000002$/);
    expect(text).toContain('succeeded 2: nid[000001-000002]: bosd reboots them into their staged state');
    expect(text.at(-1)).toBe('done: every node will be rebooted by bosd');
    const h = await json(['component', 'history', 'nid000002'], { db: s.db });
    expect(h.at(-1)).toMatchObject({ action: 'apply_staged', via: 'bosctl slurm reboot-program' });
  });

  it('takes a hostlist too', async () => {
    const s = await setup();
    const r = await runRebootProgram(['nid[000003-000004]'], s);
    expect(r.code, r.log).toBe(0);
    expect(r.log).toMatch(/succeeded 2: nid\[000003-000004\]: /);
  });

  it('unknown or unstaged nodes: a line each, and exit 1 so that slurmctld logs it', async () => {
    const s = await setup();
    const r = await runRebootProgram(['nid000001,bogus,nid000012'], s);
    expect(r.code).toBe(1);
    // Named as Slurm names them (the xname after), each with what to run next.
    expect(r.log).toMatch(/: succeeded 1: nid000001: /);
    expect(r.log).toMatch(/: ignored bogus: not a known node name: bosd does not reboot it; add it to bosctl's inventory, then retry with: scontrol update nodename=bogus state=resume && scontrol reboot ASAP nextstate=resume bogus$/m);
    expect(r.log).toMatch(/: ignored nid000012 \(x1000c1s1b0n1\): nothing is staged for it: bosd does not reboot it; return it as it is: scontrol update nodename=nid000012 state=resume$/m);
    // No Slurm here: the reason could not be set, and the log says so.
    expect(r.log).toMatch(/: could not set the Slurm reason of nid000012: /);
    // The known node that was ignored has it in its history.
    const h = await json(['component', 'history', 'nid000012'], { db: s.db });
    expect(h.at(-1)).toMatchObject({ action: 'apply_staged_ignored', via: 'bosctl slurm reboot-program', detail: { reason: 'nothing is staged for it' } });
    expect(r.log).toMatch(/: error: exit status 1: see the lines above; Slurm does not retry$/m);
  });

  it('an empty node list: one error line, exit 2, nothing run', async () => {
    const s = await setup();
    for (const arg of ['', ' ']) {
      const r = await runRebootProgram([arg], s);
      expect(r.code).toBe(2);
      expect(r.log).toMatch(/: error: slurmctld passed an empty node list: nothing was applied/);
      expect(r.log).not.toMatch(/running:/);
    }
  });

  it('bosd unreachable: retries, then one error line and exit 1', async () => {
    const [dead] = await freePorts(1);
    const s = await setup();
    const token = join(s.dir, 'token');
    writeFileSync(token, 'bos_abcdefgh_' + 'x'.repeat(43) + '\n', { mode: 0o600 });
    // server wins over db.
    s.conf(`server=http://127.0.0.1:${dead}\ntoken_file=${token}\nattempts=3\nretry_delay=0.2\n`);
    const started = Date.now();
    const r = await runRebootProgram(['nid000001'], s);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.log).toMatch(new RegExp(`running: bosctl --no-color --server http://127.0.0.1:${dead} --token-file ${token} slurm reboot-program`));
    expect(r.log).toMatch(/bosctl: try 1 of 3: bosd at \S+ is not reachable: connection refused; trying again in 0.2 s/);
    expect(r.log).toMatch(/bosctl: try 2 of 3: .*; trying again in 0.4 s/);
    expect(r.log).toMatch(/bosctl: bosd at .* is not reachable: connection refused; gave up after 3 tries/);
    // What to run once bosd is back, in the log (and as the node's Slurm reason: real-slurm.test.ts).
    expect(r.log).toMatch(/: nothing was applied to nid000001: bosd unreachable; when bosd answers again, retry with: scontrol update nodename=nid000001 state=resume && scontrol reboot ASAP nextstate=resume nid000001$/m);
    expect(r.log).toMatch(/error: exit status 1/);
  });

  it('bosd hung (accepts, never answers): stopped after timeout=, exit 124', async () => {
    const sockets: Socket[] = [];
    const hang: Server = createServer((sock) => { sockets.push(sock); });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => { for (const x of sockets) x.destroy(); return new Promise((r) => hang.close(r)); });
    const port = (hang.address() as { port: number }).port;
    const s = await setup();
    writeFileSync(join(s.dir, 'etc', 'bosctl-reboot.conf'), `log=${s.log}\nnode=${process.execPath}\nserver=http://127.0.0.1:${port}\ntimeout=2\n`);
    const r = await runRebootProgram(['nid000001'], s);
    expect(r.code).toBe(124);
    expect(r.log).toMatch(/error: bosctl did not finish within 2 s and was stopped: is bosd hung\?/);
  });

  it('bad settings: an unknown key, a bad number, an unreadable token, a missing bosctl', async () => {
    const s = await setup();
    const cases: Array<[string, number, RegExp]> = [
      ['sever=http://x\n', 2, /error: settings file .*bosctl-reboot.conf: line 5: unknown key "sever"/],
      ['attempts=many\n', 2, /error: attempts="many" in .* is not a whole number/],
      ['bosctl=/nonexistent/bosctl\n', 1, /error: bosctl not found at \/nonexistent\/bosctl/],
      ['server=http://127.0.0.1:9\ntoken_file=/nonexistent/token\n', 1, /error: cannot read the token file \/nonexistent\/token as user \S+: nothing was applied/],
    ];
    for (const [extra, code, re] of cases) {
      writeFileSync(s.log, '');
      s.conf(extra);
      const r = await runRebootProgram(['nid000001'], s);
      expect(r.code, extra).toBe(code);
      expect(r.log, extra).toMatch(re);
    }
  });

  it('logs to $TMPDIR when its log file cannot be written', async () => {
    const s = await setup();
    const tmp = tmpDb().dir;
    s.conf('log=/nonexistent/dir/bosctl-reboot.log\n');
    const r = await runRebootProgram(['nid000001'], { ...s, log: join(tmp, `bosctl-reboot.${process.getuid?.() ?? 0}.log`), env: { TMPDIR: tmp } });
    expect(r.code, r.log).toBe(0);
    expect(r.log).toMatch(/warning: cannot write \/nonexistent\/dir\/bosctl-reboot.log as user \S+; logging here instead/);
  });
});

describe('the reboot program, as slurmd runs it (no arguments)', () => {
  it('applies this host\'s node (bosctl --self), with a shorter retry budget', async () => {
    const t = await seeded();
    const host = hostname().split('.')[0];
    const f = t.file('self.csv', `xname,nid,hostname,aliases,role\nx1000c0s0b0n0,1,nid000001,${host},Compute\n`);
    await ok(['inventory', 'import', f], { db: t.db });
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'nid000001', '--name', 'up'], { db: t.db });
    const slurmConf = t.file('etc/slurm.conf', '');
    const log = join(t.dir, 'reboot.log');
    t.file('etc/bosctl-reboot.conf', `db=${t.db}\nlog=${log}\nnode=${process.execPath}\n`);
    const r = await runRebootProgram([], { slurmConf, log });
    expect(r.code, r.log).toBe(0);
    expect(r.log).toMatch(/: called by slurmd \(slurmd mode\) as \S+ on /);
    expect(r.log).toMatch(/: running: bosctl --no-color --db \S+ slurm reboot-program --attempts 3 --retry-delay 1 --set-reason --self /);
    expect(r.log).toMatch(new RegExp(`: slurmd mode: applying the staged state of this host, ${host}$`, 'm'));
    expect(r.log).toMatch(new RegExp(`: succeeded 1: ${host}: `));
  });
});

describe('the reboot program through bosd\'s API with a wlm token', () => {
  it('applies through the API: events name the token, bosd reboots the node', async () => {
    const t = tmpDb();
    const sim = await startSimulator({ nodes: 2, timeScale: 0.005 });
    cleanups.push(() => sim.close());
    const backend = new LocalBackend(t.db, { user: 'test', via: 'test' });
    cleanups.push(() => backend.close());
    await backend.importInventory(sim.inventory().map((r, i) => normalizeInventoryRecord(r as unknown as Record<string, unknown>, `n${i}`)));
    await backend.createTemplate('v2', { boot_sets: { c: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', node_roles_groups: ['Compute'] } } });
    await backend.createSession({ template_name: 'v2', operation: 'reboot', stage: true, name: 'up' });
    const wlm = await backend.createToken({ role: 'wlm', description: 'slurmctld' });
    const nodeToken = (await backend.createToken({ role: 'node' })).secret;
    const cred = t.file('cred.json', JSON.stringify({ refs: { sim: sim.credentials } }));
    chmodSync(cred, 0o600);
    const bosd = await startBosdChild(join(ROOT, 'bin', 'bosd.js'), ['--db', t.db, '--bss-url', sim.bssUrl, '--credentials-file', cred, '--listen', '127.0.0.1:0', '--power-poll-ms', '50', '--retry-backoff-ms', '100']);
    cleanups.push(async () => { stop(bosd.child); await exited(bosd.child); });
    sim.setBosUrl(bosd.url, nodeToken);
    const token = t.file('bosd-token', wlm.secret + '\n');
    chmodSync(token, 0o600);
    const slurmConf = t.file('etc/slurm.conf', '');
    const log = join(t.dir, 'reboot.log');
    t.file('etc/bosctl-reboot.conf', `server=${bosd.url}\ntoken_file=${token}\nlog=${log}\nnode=${process.execPath}\n`);
    const r = await runRebootProgram(['nid000002'], { slurmConf, log });
    expect(r.code, r.log).toBe(0);
    expect(r.log).toMatch(/: succeeded 1: nid000002: /);
    const h = await backend.componentHistory('nid000002');
    expect(h.find((e) => e.action === 'apply_staged')).toMatchObject({ actor: `token:${wlm.token.id}`, via: expect.stringMatching(/^POST \/v2\/applystaged \(bosctl\/[\d.]+ \(.+@.+; bosctl slurm reboot-program\)\)$/) });
    const deadline = Date.now() + 30_000;
    while (sim.node('x1000c0s0b0n1').booted?.kernel !== 's3://img/v2/kernel' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(sim.node('x1000c0s0b0n1').booted?.kernel).toBe('s3://img/v2/kernel');
    expect(sim.node('x1000c0s0b0n0').resets).toEqual(Object.fromEntries(Object.keys(sim.node('x1000c0s0b0n0').resets).map((k) => [k, 0])));
  });
});

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
