/**
 * bosctl doctor against the simulator (BSS, CFS, Redfish BMCs), a testbed bosd and a real
 * database: every check passes on a healthy installation, and each kind of failure is
 * reported on its own row with a fix, bounded in time, without printing a password or token.
 * TLS certificates (expired, not yet valid, self-signed, expiring soon) are made with openssl
 * for a small HTTPS Redfish service.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import type { InventoryNode } from '../../src/core/types.js';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { freePorts } from '../slurm/helpers.js';
import { bosctl } from './helpers.js';
import { backlogCheck } from '../../src/doctor/backlog.js';
import { judgeCertificate, type CertificateFacts } from '../../src/doctor/certificate.js';
import type { CheckResult, DoctorReport } from '../../src/doctor/index.js';
import { sampleBmcs } from '../../src/doctor/sample.js';
import { LocalBackend } from '../../src/services/local-backend.js';
import { startTestbed, type Testbed } from '../../src/testbed/index.js';
import { startSimulator } from '../../src/sim/index.js';

const dirs: string[] = [];
function tmp(prefix = 'bosctl-doctor-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tmp('bosctl-doctor-home-');
  return { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.state'), NO_COLOR: '1', ...extra };
}

async function doctor(args: string[], e: NodeJS.ProcessEnv = env()): Promise<{ code: number; stdout: string; stderr: string; report: DoctorReport }> {
  const io = createTestIo();
  const code = await run(['doctor', '-o', 'json', ...args], io, e);
  let report: DoctorReport = { checks: [], summary: { pass: 0, warn: 0, fail: 0, skip: 0 } };
  try { report = JSON.parse(io.stdout) as DoctorReport; } catch { /* the test says what it expected */ }
  return { code, stdout: io.stdout, stderr: io.stderr, report };
}

const row = (r: DoctorReport, check: string): CheckResult => {
  const found = r.checks.find((c) => c.check === check);
  if (!found) throw new Error(`no check "${check}" in ${r.checks.map((c) => c.check).join(', ')}`);
  return found;
};
const statuses = (r: DoctorReport) => Object.fromEntries(r.checks.map((c) => [c.check, c.status]));

/** A port nothing listens on. */
const deadPort = async (): Promise<number> => (await freePorts(1))[0]!;

/** bosd.yaml for the testbed: what bosd would be started with. */
function writeBosdConfig(tb: Testbed, over: Record<string, string> = {}): string {
  const dir = tmp();
  const listen = new URL(tb.bosd!.url).host;
  const settings: Record<string, string> = {
    db: tb.dbPath, listen, bss_url: tb.sim.bssUrl, cfs_url: tb.sim.cfsUrl, credentials_file: tb.credentialsFile, ...over,
  };
  const file = join(dir, 'bosd.yaml');
  writeFileSync(file, Object.entries(settings).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
  return file;
}

function ownerOnly(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try { chmodSync(f, 0o600); } catch { /* not there */ }
  }
}

describe('bosctl doctor on the simulator', () => {
  let tb: Testbed;
  beforeAll(async () => {
    // x1000c0s0b0 is a sushy-tools-like BMC (UUID Ids, hostnames as Names); the others are Cray EX.
    const profile = (bmc: string) => (bmc === 'x1000c0s0b0' ? 'sushy' as const : 'cray-ex' as const);
    tb = await startTestbed({ sim: { nodes: 16, timeScale: 0.002, profile, credentials: { username: 'root', password: 'Sim-Secret-pw1' } } });
    ownerOnly(tb.dbPath);
  });
  afterAll(async () => { await tb?.close(); });
  afterEach(() => {
    for (const kind of ['bmc_hang', 'bmc_5xx'] as const) tb.sim.setFault(kind, tb.sim.faults()[kind], false);
    ownerOnly(tb.dbPath);
  });

  it('passes every check of a healthy installation, exit 0, in a table with fixes column', async () => {
    const config = writeBosdConfig(tb);
    const r = await doctor(['--config', config, '--timeout', '5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.report.checks.map((c) => c.check)).toEqual([
      'config', 'credentials', 'database', 'backlog', 'daemon', 'bss', 'cfs',
      'bmc x1000c0s0b0', 'bmc x1000c0s1b0', 'bmc x1000c0s3b0', 'bmc x1000c0s4b0', 'bmc x1000c0s6b0',
    ]);
    // The listen queue is this machine's kernel setting: what /proc says, not what the test wants.
    expect(row(r.report, 'backlog')).toEqual(backlogCheck());
    for (const c of r.report.checks.filter((x) => x.check !== 'backlog')) expect(c.status, `${c.check}: ${c.detail}`).toBe('pass');
    expect(r.report.summary.fail).toBe(0);
    expect(row(r.report, 'database').detail).toMatch(/16 nodes, WAL, mode 600/);
    expect(row(r.report, 'daemon').detail).toMatch(/^bosd \d+\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+/);
    const bmc = row(r.report, 'bmc x1000c0s0b0');
    expect(bmc.steps!.map((s) => [s.step, s.status])).toEqual([['tcp', 'pass'], ['redfish', 'pass'], ['credentials', 'pass']]);
    expect(bmc.detail).toMatch(/Redfish 1\.\d+\.\d+; credentials of root accepted \(x1000c0s0b0n0 is (On|Off)\)/);
    expect(r.stdout).not.toContain('Sim-Secret-pw1');

    const io = createTestIo();
    expect(await run(['doctor', '--config', config, '--bmc-sample', '1'], io, env())).toBe(0);
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CHECK +STATUS +DETAIL +FIX$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['config', 'credentials', 'database', 'backlog', 'daemon', 'bss', 'cfs', 'bmc']);
    expect(lines.slice(1).filter((l) => !l.startsWith('backlog')).every((l) => / pass /.test(l))).toBe(true);
  });

  it('-o yaml gives the same report; -o wide adds a row per BMC step', async () => {
    const config = writeBosdConfig(tb);
    const io = createTestIo();
    expect(await run(['doctor', '--config', config, '--bmc-sample', '2', '-o', 'yaml'], io, env())).toBe(0);
    const report = parseYaml(io.stdout) as DoctorReport;
    expect(report.summary.pass).toBe(backlogCheck().status === 'pass' ? 9 : 8);
    const wide = createTestIo();
    expect(await run(['doctor', '--config', config, '--bmc-sample', '1', '-o', 'wide', '--no-headers'], wide, env())).toBe(0);
    expect(wide.stdout.split('\n').filter((l) => /^ {2}(tcp|redfish|credentials) /.test(l))).toHaveLength(3);
  });

  it('wrong BMC credentials: each sampled BMC fails "refused (401)", the password is never printed', async () => {
    const dir = tmp();
    const creds = join(dir, 'redfish.yaml');
    writeFileSync(creds, 'default: {username: root, password: Wrong-pw-777}\n', { mode: 0o600 });
    const r = await doctor(['--config', writeBosdConfig(tb, { credentials_file: creds }), '--bmc-sample', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bosctl: 3 of 10 checks failed\n');
    const bmcs = r.report.checks.filter((c) => c.check.startsWith('bmc '));
    expect(bmcs).toHaveLength(3);
    for (const b of bmcs) {
      expect(b.status).toBe('fail');
      expect(b.detail).toBe('credentials of root refused (401)');
      expect(b.fix).toMatch(/correct the password for x1000c0s\db0 in the credentials file/);
    }
    expect(row(r.report, 'credentials').status).toBe('pass');
    expect(r.stdout + r.stderr).not.toContain('Wrong-pw-777');
    expect(r.stdout + r.stderr).not.toContain('Sim-Secret-pw1');
  });

  it('a hanging BMC fails "no answer in N s" and doctor still finishes; a BMC answering 500 fails too', async () => {
    tb.sim.setFault('bmc_hang', ['x1000c0s0b0'], true);
    tb.sim.setFault('bmc_5xx', ['x1000c0s2b0'], true);
    const r = await doctor(['--config', writeBosdConfig(tb), '--timeout', '2', '--bmc-sample', '3']);
    expect(r.code).toBe(1);
    const hung = row(r.report, 'bmc x1000c0s0b0');
    expect(hung.status).toBe('fail');
    expect(hung.detail).toBe('GET /bmc/x1000c0s0b0/redfish/v1/: no answer in 2 s');
    expect(hung.steps!.map((s) => s.status)).toEqual(['pass', 'fail', 'skip']);
    const broken = row(r.report, 'bmc x1000c0s2b0');
    expect(broken.status).toBe('fail');
    expect(broken.detail).toBe('GET /bmc/x1000c0s2b0/redfish/v1/ answered 500');
    expect(broken.fix).toMatch(/reset the BMC/);
    expect(row(r.report, 'bmc x1000c0s5b0').status).toBe('pass');
    expect(r.stderr).toBe('bosctl: 2 of 10 checks failed\n');

    // the real program exits by itself: nothing (a held request, a timer) keeps it alive
    const spawned = await bosctl(['doctor', '--config', writeBosdConfig(tb), '--timeout', '1', '--bmc-sample', '1']);
    expect(spawned.code).toBe(1);
    expect(spawned.stdout).toMatch(/^bmc x1000c0s0b0 +fail +GET \/bmc\/x1000c0s0b0\/redfish\/v1\/: no answer in 1 s +the BMC accepts connections/m);
  });

  it('a BMC nobody listens for fails at tcp: "connection refused"', async () => {
    const dir = tmp();
    const db = join(dir, 'bosd.db');
    const backend = new LocalBackend(db, { user: 'test', via: 'test' });
    const records = tb.sim.inventory().slice(0, 2);
    const port = await deadPort();
    await backend.importInventory(records.map((r, i) => normalizeInventoryRecord({ ...r, bmc_address: `127.0.0.1:${port}` } as unknown as Record<string, unknown>, `node ${i}`)));
    backend.close();
    ownerOnly(db);
    const r = await doctor(['--config', writeBosdConfig(tb, { db })]);
    expect(r.code).toBe(1);
    const bmc = row(r.report, 'bmc x1000c0s0b0');
    expect(bmc.detail).toBe(`127.0.0.1:${port}: connection refused`);
    // host:port means https, as bosd reads it: tcp, certificate, redfish, credentials
    expect(bmc.steps!.map((s) => s.status)).toEqual(['fail', 'skip', 'skip', 'skip']);
    expect(bmc.fix).toMatch(/bmc_address/);
  });

  /** A database holding the simulator's inventory, changed per record by `edit`. */
  async function inventoryDb(edit: (r: Record<string, unknown>) => Record<string, unknown>, count = 16): Promise<string> {
    const db = join(tmp(), 'bosd.db');
    const backend = new LocalBackend(db, { user: 'test', via: 'test' });
    const records = tb.sim.inventory().slice(0, count).map((r) => edit({ ...r }));
    await backend.importInventory(records.map((r, i) => normalizeInventoryRecord(r, `node ${i}`)));
    backend.close();
    ownerOnly(db);
    return db;
  }

  it('lists every node behind a sampled BMC that maps to no single system, with the candidates and the fix', async () => {
    // sushy-like x1000c0s0b0: neither its Ids nor its Names are xnames; Cray EX x1000c0s4b0: Node1 is n1 by Cray's naming
    const db = await inventoryDb((r) => {
      if (String(r.xname).startsWith('x1000c0s0b0') || r.xname === 'x1000c0s4b0n1') delete r.redfish_system_id;
      return r;
    });
    const r = await doctor(['--config', writeBosdConfig(tb, { db }), '--bmc-sample', '2']);
    expect(r.code).toBe(1);
    const both = row(r.report, 'bmc x1000c0s0b0');
    expect(both.steps!.map((s) => [s.step, s.status])).toEqual([['tcp', 'pass'], ['redfish', 'pass'], ['credentials', 'pass'], ['systems', 'fail']]);
    expect(both.status).toBe('fail');
    expect(both.detail).toMatch(/^2 of 2 node\(s\) match no single system by Id or Name, so bosd will not power them: x1000c0s0b0n0, x1000c0s0b0n1; the BMC lists \S+ \(Name "nid000001"\), \S+ \(Name "nid000002"\)$/);
    expect(both.fix).toMatch(/^set redfish_system_id for each in the inventory \(e\.g\. redfish_system_id: \S+ for the node that is that system\), then bosctl inventory import FILE$/);
    expect(both.steps![2]!.detail).toBe('credentials of root accepted (the BMC listed its systems)');
    const one = row(r.report, 'bmc x1000c0s4b0');
    expect(one.status).toBe('pass');
    expect(r.stdout).not.toContain('Sim-Secret-pw1');
  });

  it('a node without redfish_system_id on a BMC with one system passes the systems step', async () => {
    const single = await startSimulator({ nodes: 1, timeScale: 0.002, credentials: tb.sim.credentials });
    try {
      const db = join(tmp(), 'bosd.db');
      const backend = new LocalBackend(db, { user: 'test', via: 'test' });
      const { redfish_system_id: _id, ...record } = single.inventory()[0]!;
      await backend.importInventory([normalizeInventoryRecord(record, 'node 1')]);
      backend.close();
      ownerOnly(db);
      const r = await doctor(['--config', writeBosdConfig(tb, { db }), '--bmc-sample', '1']);
      const bmc = row(r.report, 'bmc x1000c0s0b0');
      expect(bmc.steps!.map((s) => [s.step, s.status])).toEqual([['tcp', 'pass'], ['redfish', 'pass'], ['credentials', 'pass'], ['systems', 'pass']]);
      expect(bmc.steps![3]!.detail).toBe('1 node(s) without redfish_system_id match one system each: x1000c0s0b0n0 → Node0');
    } finally {
      await single.close();
    }
  });

  it('plain http:// to a BMC that is not on this machine: fail (bosd refuses it) unless allowed, then warn', async () => {
    // 192.0.2.0/24 is for documentation: nothing answers there
    const db = await inventoryDb((r) => ({ ...r, bmc_address: `http://192.0.2.10:8000/bmc/${String(r.xname).slice(0, -2)}` }), 2);
    const refused = await doctor(['--config', writeBosdConfig(tb, { db }), '--bmc-sample', '1', '--timeout', '1']);
    const b = row(refused.report, 'bmc x1000c0s0b0');
    expect(b.steps!.map((s) => [s.step, s.status])).toEqual([['plain-http', 'fail'], ['tcp', 'skip'], ['redfish', 'skip'], ['credentials', 'skip']]);
    expect(b.detail).toBe('bosd will refuse http://192.0.2.10:8000: plain HTTP to a BMC that is not on this machine');
    expect(b.fix).toBe('give the BMC an https address, or allow plain HTTP with allow_insecure_http: true under bmcs: x1000c0s0b0 in the credentials file, or allow_insecure_bmc_http: true in bosd.yaml');

    const global = await doctor(['--config', writeBosdConfig(tb, { db, allow_insecure_bmc_http: 'true' }), '--bmc-sample', '1', '--timeout', '1']);
    const g = row(global.report, 'bmc x1000c0s0b0');
    expect(g.steps![0]).toMatchObject({ step: 'plain-http', status: 'warn', detail: 'http://192.0.2.10:8000 is plain HTTP (allowed by allow_insecure_bmc_http in bosd.yaml): the BMC password crosses the network in clear' });
    expect(g.steps![1]).toMatchObject({ step: 'tcp', status: 'fail' });

    const creds = join(tmp(), 'redfish.yaml');
    writeFileSync(creds, 'refs: {sim: {username: root, password: Sim-Secret-pw1}}\nbmcs: {x1000c0s0b0: {username: root, password: Sim-Secret-pw1, allow_insecure_http: true}}\n', { mode: 0o600 });
    const perBmc = await doctor(['--config', writeBosdConfig(tb, { db, credentials_file: creds }), '--bmc-sample', '1', '--timeout', '1']);
    expect(row(perBmc.report, 'bmc x1000c0s0b0').steps![0]).toMatchObject({ step: 'plain-http', status: 'warn', detail: expect.stringContaining('(allowed by allow_insecure_http for x1000c0s0b0 in the credentials file)') });
    expect(perBmc.stdout).not.toContain('Sim-Secret-pw1');
  });

  it('BSS and CFS that do not answer fail with their URL; a stopped bosd fails the daemon check', async () => {
    const port = await deadPort();
    const r = await doctor(['--config', writeBosdConfig(tb, { bss_url: `http://127.0.0.1:${port}`, cfs_url: `http://127.0.0.1:${port}/apis` }), '--bmc-sample', '0']);
    expect(r.code).toBe(1);
    expect(statuses(r.report)).toMatchObject({ bss: 'fail', cfs: 'fail', daemon: 'pass', bmcs: 'skip' });
    expect(row(r.report, 'bss').detail).toMatch(new RegExp(`^BSS: GET http://127\\.0\\.0\\.1:${port}/boot/v1/service/status failed: cannot connect`));
    expect(row(r.report, 'bss').fix).toMatch(/check bss_url in bosd\.yaml/);
    expect(row(r.report, 'cfs').detail).toMatch(/^CFS: GET .*\/apis\/cfs\/healthz failed: cannot connect/);

    const down = writeBosdConfig(tb, { listen: `127.0.0.1:${port}` });
    const d = await doctor(['--config', down, '--bmc-sample', '0']);
    expect(d.code).toBe(1);
    expect(row(d.report, 'daemon').detail).toBe(`bosd at http://127.0.0.1:${port} is not reachable: connection refused (from listen: in ${down})`);
    expect(row(d.report, 'daemon').fix).toMatch(/systemctl enable --now bosd/);
  });

  it('--server with a wrong token: the daemon check fails "refused (401)" without printing the token', async () => {
    const r = await doctor(['--server', tb.bosd!.url, '--config', writeBosdConfig(tb), '--bmc-sample', '0'], env({ BOSCTL_TOKEN: 'bos_not-a-real-token-123' }));
    expect(r.code).toBe(1);
    expect(row(r.report, 'daemon').detail).toMatch(/; the token was refused \(401\)$/);
    expect(r.stdout + r.stderr).not.toContain('bos_not-a-real-token-123');
    const secret = (await tb.backend.createToken({ role: 'wlm' })).secret;
    const ok = await doctor(['--server', tb.bosd!.url, '--config', writeBosdConfig(tb), '--bmc-sample', '0'], env({ BOSCTL_TOKEN: secret }));
    expect(row(ok.report, 'daemon')).toMatchObject({ status: 'pass' });
    expect(row(ok.report, 'daemon').detail).toMatch(/; token accepted$/);
    expect(ok.stdout).not.toContain(secret);
  });

  it('database problems: readable by others, newer schema, missing file', async () => {
    chmodSync(tb.dbPath, 0o644);
    const open = await doctor(['--config', writeBosdConfig(tb), '--bmc-sample', '0']);
    expect(open.code).toBe(1);
    expect(row(open.report, 'database')).toMatchObject({ status: 'fail', detail: `${tb.dbPath} can be read by any user (it holds node boot tokens)` });
    expect(row(open.report, 'database').fix).toBe(`chmod o-rwx ${tb.dbPath} ${tb.dbPath}-wal ${tb.dbPath}-shm`);

    const dir = tmp();
    const newer = join(dir, 'newer.db');
    new LocalBackend(newer, { user: 't', via: 't' }).close();
    const raw = new Database(newer);
    raw.pragma('user_version = 999');
    raw.close();
    ownerOnly(newer);
    const n = await doctor(['--config', writeBosdConfig(tb, { db: newer }), '--bmc-sample', '0']);
    expect(row(n.report, 'database').status).toBe('fail');
    expect(row(n.report, 'database').detail).toMatch(/has schema version 999, newer than this bosctl's \d+$/);
    expect(row(n.report, 'database').fix).toBe('upgrade bosctl to the version bosd runs');

    const missing = join(dir, 'nope.db');
    const m = await doctor(['--db', missing, '--config', writeBosdConfig(tb), '--bmc-sample', '0']);
    expect(row(m.report, 'database')).toMatchObject({ status: 'fail', detail: `no database at ${missing}` });
    expect(row(m.report, 'bmcs').status).toBe('skip');
  });

  it('configuration problems: missing (explicit: fail; default: skip), unknown key, credentials file readable by others', async () => {
    const dir = tmp();
    const r = await doctor(['--config', join(dir, 'none.yaml'), '--db', tb.dbPath, '--bmc-sample', '0']);
    expect(row(r.report, 'config')).toMatchObject({ status: 'fail' });
    expect(row(r.report, 'config').detail).toMatch(/cannot read config file .*none\.yaml: no such file/);
    expect(statuses(r.report)).toMatchObject({ bss: 'skip', cfs: 'skip' });
    if (!existsSync('/etc/bosd/bosd.yaml')) {
      // the default file, absent: nothing to check there, which is not a failure
      const d = await doctor(['--db', tb.dbPath, '--bmc-sample', '1']);
      expect(row(d.report, 'config')).toMatchObject({ status: 'skip', detail: 'no /etc/bosd/bosd.yaml: BSS, CFS and BMC credentials not checked' });
      expect(row(d.report, 'bmc x1000c0s0b0').steps!.at(-1)).toMatchObject({ step: 'credentials', status: 'skip' });
    }

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `bss_url: ${tb.sim.bssUrl}\ncredentials_file: ${tb.credentialsFile}\nbss_ulr: typo\n`);
    const b = await doctor(['--config', bad, '--db', tb.dbPath, '--bmc-sample', '0']);
    expect(b.code).toBe(1);
    expect(row(b.report, 'config').detail).toMatch(/^unknown setting "bss_ulr"/);

    const creds = join(dir, 'redfish.yaml');
    writeFileSync(creds, 'default: {username: root, password: Leaky-pw-5}\n');
    chmodSync(creds, 0o644);
    const c = await doctor(['--config', writeBosdConfig(tb, { credentials_file: creds }), '--bmc-sample', '1']);
    expect(row(c.report, 'credentials').status).toBe('fail');
    expect(row(c.report, 'credentials').detail).toMatch(/readable by others \(mode 644\): run chmod 600/);
    expect(row(c.report, 'bmc x1000c0s0b0').steps!.at(-1)).toMatchObject({ step: 'credentials', status: 'skip' });
    expect(c.stdout).not.toContain('Leaky-pw-5');
  });

  it('bad flags are one line, exit 2', async () => {
    for (const [args, msg] of [
      [['--bmc-sample', 'five'], /^bosctl: invalid --bmc-sample "five": expected a whole number of BMCs from 0 to 1000/],
      [['--timeout', '0'], /^bosctl: invalid --timeout "0": expected seconds, more than 0/],
    ] as const) {
      const io = createTestIo();
      expect(await run(['doctor', ...args], io, env())).toBe(2);
      expect(io.stderr).toMatch(msg);
      expect(io.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('which BMCs doctor samples', () => {
  const node = (xname: string): InventoryNode => ({
    xname, nid: null, hostname: null, aliases: [], role: 'Compute', subrole: null, groups: [], enabled: true, arch: null,
    bmc_address: null, redfish_system_id: null, credentials_ref: null,
  });
  const fleet = [0, 1, 2].flatMap((c) => Array.from({ length: c === 2 ? 2 : 8 }, (_, s) => [`x1000c${c}s${s}b0n0`, `x1000c${c}s${s}b0n1`]).flat()).map(node);

  it('spreads the sample over the chassis, evenly within each, one node per BMC', () => {
    expect(sampleBmcs(fleet, 5).map((b) => b.bmcXname)).toEqual(['x1000c0s0b0', 'x1000c0s4b0', 'x1000c1s0b0', 'x1000c1s4b0', 'x1000c2s0b0']);
    expect(sampleBmcs(fleet, 3).map((b) => b.node.xname)).toEqual(['x1000c0s0b0n0', 'x1000c1s0b0n0', 'x1000c2s0b0n0']);
    expect(sampleBmcs(fleet, 100)).toHaveLength(18);
    expect(new Set(sampleBmcs(fleet, 100).map((b) => b.bmcXname)).size).toBe(18);
    expect(sampleBmcs(fleet, 0)).toEqual([]);
  });
});

describe('judging a certificate', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const cert = (over: Partial<CertificateFacts> = {}): CertificateFacts => ({
    subject: 'bmc', issuer: 'site CA', validFrom: new Date('2026-01-01T00:00:00Z'), validTo: new Date('2027-01-01T00:00:00Z'), selfSigned: false, ...over,
  });
  const verify = { verify: true, warnDays: 30 };

  it('passes a trusted certificate valid for long, naming its expiry and issuer', () => {
    expect(judgeCertificate(cert(), now, verify)).toEqual({ step: 'certificate', status: 'pass', detail: 'certificate valid until 2027-01-01 (214 days), issued by site CA' });
  });

  it('fails expired, not yet valid, untrusted and misnamed ones; warns near expiry or when bosd does not verify', () => {
    expect(judgeCertificate(cert({ validTo: new Date('2026-05-01T00:00:00Z'), untrusted: 'CERT_HAS_EXPIRED' }), now, verify)).toMatchObject({ status: 'fail', detail: 'certificate expired on 2026-05-01' });
    expect(judgeCertificate(cert({ validFrom: new Date('2026-07-01T00:00:00Z') }), now, verify)).toMatchObject({ status: 'fail', detail: 'certificate not valid before 2026-07-01' });
    expect(judgeCertificate(cert({ untrusted: 'DEPTH_ZERO_SELF_SIGNED_CERT', selfSigned: true }), now, verify))
      .toMatchObject({ status: 'fail', detail: 'certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT, self-signed)' });
    expect(judgeCertificate(cert({ wrongName: 'IP: 10.0.0.1 is not in the cert\'s list' }), now, verify)).toMatchObject({ status: 'fail' });
    expect(judgeCertificate(cert({ validTo: new Date('2026-06-11T00:00:00Z') }), now, verify)).toMatchObject({ status: 'warn', detail: 'certificate expires in 10 days (2026-06-11)' });
    expect(judgeCertificate(cert({ untrusted: 'DEPTH_ZERO_SELF_SIGNED_CERT', selfSigned: true }), now, { verify: false, warnDays: 30 }))
      .toMatchObject({ status: 'warn', detail: expect.stringMatching(/bosd does not verify it \(insecure_skip_tls_verify\)$/) });
  });
});

let hasOpenssl = true;
try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); } catch { hasOpenssl = false; }

describe.skipIf(!hasOpenssl && !process.env.CI)('bosctl doctor: BMC certificates over HTTPS', () => {
  let dir = '';
  let server: HttpsServer;
  let port = 0;
  let db = '';
  let config = '';
  const pem = (f: string) => readFileSync(join(dir, f));

  beforeAll(async () => {
    dir = tmp('bosctl-doctor-tls-');
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=doctor test CA');
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'bmc.key', '-out', 'bmc.csr', '-subj', '/CN=127.0.0.1');
    mkdirSync(join(dir, 'ca'));
    writeFileSync(join(dir, 'ca', 'index.txt'), '');
    writeFileSync(join(dir, 'ca', 'serial'), '01\n');
    writeFileSync(join(dir, 'ca.cnf'), [
      '[ca]', 'default_ca = c', '[c]', 'database = ca/index.txt', 'new_certs_dir = ca', 'serial = ca/serial', 'default_md = sha256',
      'policy = p', 'unique_subject = no', 'x509_extensions = ext', '[p]', 'commonName = supplied', '[ext]', 'subjectAltName = IP:127.0.0.1', '',
    ].join('\n'));
    const sign = (out: string, ...dates: string[]) => ossl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'bmc.csr', '-out', out, ...dates);
    sign('good.pem', '-days', '365');
    sign('soon.pem', '-days', '10');
    sign('expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z');
    sign('future.pem', '-startdate', '20990101000000Z', '-enddate', '20991231000000Z');
    ossl('req', '-x509', '-key', 'bmc.key', '-out', 'self.pem', '-days', '365', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');

    server = createHttpsServer({ key: pem('bmc.key'), cert: pem('good.pem') }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/redfish/v1/') return res.end(JSON.stringify({ RedfishVersion: '1.17.0' }));
      if (req.headers.authorization !== `Basic ${Buffer.from('admin:Tls-pw-9').toString('base64')}`) {
        res.statusCode = 401;
        return res.end('{}');
      }
      if (req.url === '/redfish/v1/Systems/Node0') return res.end(JSON.stringify({ PowerState: 'On' }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;

    db = join(dir, 'bosd.db');
    const backend = new LocalBackend(db, { user: 'test', via: 'test' });
    await backend.importInventory([normalizeInventoryRecord({ xname: 'x3000c0s0b0n0', bmc_address: `127.0.0.1:${port}`, redfish_system_id: 'Node0' }, 'node 1')]);
    backend.close();
    ownerOnly(db);
    writeFileSync(join(dir, 'redfish.yaml'), 'default: {username: admin, password: Tls-pw-9}\n', { mode: 0o600 });
    config = join(dir, 'bosd.yaml');
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  /** Doctor with bosd.yaml's ca_bundle (or insecure), the BMC serving `cert`. */
  async function withCert(cert: string, settings: string): Promise<CheckResult> {
    server.setSecureContext({ key: pem('bmc.key'), cert: pem(cert) });
    const dead = await deadPort();
    writeFileSync(config, `db: ${db}\nlisten: 127.0.0.1:${dead}\nbss_url: http://127.0.0.1:${dead}\ncredentials_file: ${join(dir, 'redfish.yaml')}\n${settings}\n`);
    const r = await doctor(['--config', config, '--timeout', '5']);
    expect(r.stdout).not.toContain('Tls-pw-9');
    return row(r.report, 'bmc x3000c0s0b0');
  }
  const certStep = (c: CheckResult) => c.steps!.find((s) => s.step === 'certificate')!;

  it('a certificate from the CA in ca_bundle passes all four steps', async () => {
    const c = await withCert('good.pem', `ca_bundle: ${join(dir, 'ca.pem')}`);
    expect(c.steps!.map((s) => [s.step, s.status])).toEqual([['tcp', 'pass'], ['certificate', 'pass'], ['redfish', 'pass'], ['credentials', 'pass']]);
    expect(certStep(c).detail).toMatch(/^certificate valid until \d{4}-\d\d-\d\d \(36[45] days\), issued by doctor test CA$/);
    expect(c.detail).toMatch(/credentials of admin accepted \(x3000c0s0b0n0 is On\)$/);
  });

  it('expired and not yet valid certificates fail, and the Redfish steps are skipped', async () => {
    const expired = await withCert('expired.pem', `ca_bundle: ${join(dir, 'ca.pem')}`);
    expect(expired).toMatchObject({ status: 'fail', detail: 'certificate expired on 2020-02-01', fix: 'renew the BMC\'s certificate' });
    expect(expired.steps!.map((s) => s.status)).toEqual(['pass', 'fail', 'skip', 'skip']);
    const future = await withCert('future.pem', `ca_bundle: ${join(dir, 'ca.pem')}`);
    expect(future).toMatchObject({ status: 'fail', detail: 'certificate not valid before 2099-01-01' });
  });

  it('a self-signed certificate fails without the CA and warns when bosd does not verify', async () => {
    const strict = await withCert('self.pem', `ca_bundle: ${join(dir, 'ca.pem')}`);
    expect(strict.status).toBe('fail');
    expect(strict.detail).toBe('certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT, self-signed)');
    expect(strict.fix).toMatch(/add the CA that signed it to ca_bundle/);
    const lax = await withCert('self.pem', 'insecure_skip_tls_verify: true');
    expect(lax.status).toBe('warn');
    expect(lax.steps!.map((s) => s.status)).toEqual(['pass', 'warn', 'pass', 'pass']);
  });

  it('a certificate that expires within 30 days warns with its date', async () => {
    const c = await withCert('soon.pem', `ca_bundle: ${join(dir, 'ca.pem')}`);
    expect(c.status).toBe('warn');
    expect(certStep(c).detail).toMatch(/^certificate expires in (9|10) days \(\d{4}-\d\d-\d\d\)$/);
  });
});

describe('doctor\'s backlog check (net.core.somaxconn against bosd\'s listen queue)', () => {
  it('passes at 4096 and above, warns below with the sysctl to run, skips what it cannot read', () => {
    expect(backlogCheck(() => '4096\n')).toEqual({ check: 'backlog', status: 'pass', detail: 'net.core.somaxconn 4096: bosd queues up to 4096 connections' });
    expect(backlogCheck(() => '65535')).toMatchObject({ status: 'pass' });
    const low = backlogCheck(() => '128\n');
    expect(low).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^net\.core\.somaxconn 128: bosd's listen queue is cut from 4096 to 128; /) });
    expect(low.fix).toBe('sysctl -w net.core.somaxconn=4096, and the same in /etc/sysctl.d/ to keep it');
    const gone = backlogCheck(() => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); });
    expect(gone).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^cannot read \/proc\/sys\/net\/core\/somaxconn \(ENOENT\)/) });
    expect(backlogCheck(() => 'lots')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/says "lots", not a number$/) });
  });
});
