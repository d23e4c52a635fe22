/**
 * The real bosctl against a real bosd: the staged workflow over HTTP with a token and over
 * bosd's unix socket without one, each compared with the same commands on a local database
 * (stdout, stderr and exit codes, after masking times and UUIDs); roles, a wrong token, the
 * secret never printed, and bosd down.
 *
 * bosd's BMCs are a TCP port that never answers, so bosd (which reads a node's power first,
 * and writes nothing before that answer) leaves the components alone while they are compared.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bosctl, cleanEnv, mask, removeTmpDirs, startBlackhole, startBosd, startBssStub, tmpDir, type BosdProcess, type RunResult,
} from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  removeTmpDirs();
});

let bss: Awaited<ReturnType<typeof startBssStub>>;
let bmc: Awaited<ReturnType<typeof startBlackhole>>;
let inventory = '';
let template = '';
/** Every secret a test made: none may appear in any output but `token create`'s own. */
const secrets: string[] = [];
const outputs: RunResult[] = [];

beforeAll(async () => {
  bss = await startBssStub();
  cleanups.push(() => bss.close());
  bmc = await startBlackhole();
  cleanups.push(() => bmc.close());
  const d = tmpDir();
  inventory = join(d, 'nodes.csv');
  writeFileSync(inventory, [
    'xname,nid,hostname,role,groups,bmc_address',
    ...[0, 1, 2, 3].map((i) => `x1000c0s${i >> 1}b0n${i & 1},${i + 1},nid00000${i + 1},Compute,compute,${bmc.address}`),
  ].join('\n') + '\n');
  template = join(d, 'compute-v2.json');
  writeFileSync(template, JSON.stringify({
    description: 'compute on v2', enable_cfs: true, cfs: { configuration: 'cfg-v2' },
    boot_sets: { compute: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'console=ttyS0', node_roles_groups: ['Compute'] } },
  }));
});

async function newBosd(): Promise<BosdProcess> {
  const d = tmpDir('bosctl-bosd-');
  const b = await startBosd({ db: join(d, 'bosd.db'), bssUrl: bss.url, dir: d });
  cleanups.push(() => b.stop());
  return b;
}

async function cli(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const r = await bosctl(args, { env });
  outputs.push(r);
  return r;
}

/** The staged workflow and a few errors, as an admin types them. */
const WORKFLOW: string[][] = [
  ['inventory', 'import', '<inventory>'],
  ['sessiontemplate', 'create', 'compute-v2', '--file', '<template>'],
  ['sessiontemplate', 'create', 'compute-v2', '--file', '<template>'],
  ['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage'],
  ['session', 'describe', 'no-such-session'],
  ['apply-staged', 'nid[000001-000002]'],
  ['apply-staged', 'nid000002', 'nid000099'],
  ['apply-staged'],
  ['component', 'list', '-o', 'json'],
  ['component', 'describe', 'nid000003', '-o', 'yaml'],
  ['component', 'list', '--staged-session', 'nope'],
  ['options', 'update', 'max_boot_wait_time=1800'],
  ['options', 'update', 'max_boot_wait_time=soon'],
  ['inventory', 'list', '-o', 'wide'],
];

async function workflow(prefix: string[], env?: NodeJS.ProcessEnv): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of WORKFLOW) {
    const args = cmd.map((a) => (a === '<inventory>' ? inventory : a === '<template>' ? template : a));
    const r = await cli([...prefix, ...args], env);
    out.push(`$ bosctl ${cmd.join(' ')}\nexit ${r.code}\n--- stdout\n${mask(r.stdout)}--- stderr\n${mask(r.stderr)}`);
  }
  return out;
}

let localTranscript: string[] = [];

describe('bosctl --server against bosd', () => {
  let bosd: BosdProcess;
  let adminFile = '';

  beforeAll(async () => {
    localTranscript = await workflow(['--db', join(tmpDir(), 'local.db')]);
    bosd = await newBosd();
    // The first token comes over the unix socket, whose peers are admins.
    const t = await cli(['--server', `unix://${bosd.socket}`, 'token', 'create', '--role', 'admin', '--description', 'test admin']);
    expect(t.code).toBe(0);
    const secret = t.stdout.trim();
    secrets.push(secret);
    adminFile = join(tmpDir(), 'admin-token');
    writeFileSync(adminFile, secret + '\n', { mode: 0o600 });
  });

  it('runs the staged workflow over HTTP with output and exit codes identical to local mode', async () => {
    expect(localTranscript.join('\n')).toContain('exit 4'); // the duplicate template, as a sanity check
    const remote = await workflow(['--server', bosd.url, '--token-file', adminFile]);
    if (process.env.BOSCTL_TEST_SHOW) process.stdout.write(remote.join('\n'));
    for (let i = 0; i < WORKFLOW.length; i++) expect(remote[i]).toBe(localTranscript[i]);
  });

  it('a wlm token may apply-staged and list components; session create is a one-line 403, exit 1', async () => {
    const t = await cli(['--server', bosd.url, '--token-file', adminFile, 'token', 'create', '--role', 'wlm', '--description', 'slurmctld']);
    expect(t.code).toBe(0);
    const wlm = t.stdout.trim();
    secrets.push(wlm);
    const f = join(tmpDir(), 'wlm-token');
    writeFileSync(f, wlm, { mode: 0o600 });
    const env = cleanEnv({ BOSCTL_SERVER: bosd.url, BOSCTL_TOKEN_FILE: f });
    const a = await cli(['apply-staged', 'nid000003'], env);
    expect([a.code, a.stdout]).toEqual([0, 'succeeded: 1  x1000c0s1b0n0\nfailed: 0\nignored: 0\n']);
    const l = await cli(['component', 'list', '--enabled', 'true', '-o', 'name'], env);
    expect([l.code, l.stdout]).toEqual([0, 'x1000c0s0b0n0\nx1000c0s0b0n1\nx1000c0s1b0n0\n']);
    const s = await cli(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage'], env);
    expect(s.code).toBe(1);
    expect(s.stdout).toBe('');
    expect(s.stderr).toMatch(/^bosctl: token:[a-z0-9]{8} \(role wlm\) may not POST \/v2\/sessions \(hint: this token's role may not do this; [^\n]*\)\n$/);
  });

  it('a wrong token is a one-line 401, exit 1', async () => {
    const wrong = 'bos_zzzzzzzz_' + 'Q'.repeat(43);
    secrets.push(wrong);
    const r = await cli(['component', 'list'], cleanEnv({ BOSCTL_SERVER: bosd.url, BOSCTL_TOKEN: wrong }));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bosctl: unknown token: GET \/v2\/components needs a valid bearer token \(hint: [^\n]*\)\n$/);
  });

  it('the same workflow over the unix socket, without a token, is identical to local mode', async () => {
    const other = await newBosd();
    const remote = await workflow(['--server', `unix://${other.socket}`]);
    for (let i = 0; i < WORKFLOW.length; i++) expect(remote[i]).toBe(localTranscript[i]);
  });

  it('no token secret appears in any output, but token create\'s own stdout', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const r of outputs) {
      for (const s of secrets) {
        expect(r.stderr).not.toContain(s);
        if (r.stdout.trim() !== s) expect(r.stdout).not.toContain(s);
      }
    }
  });

  it('bosd down: one line, BOS_SERVER_UNREACHABLE, exit 1', async () => {
    const url = bosd.url;
    await bosd.stop();
    const r = await cli(['-v', '--server', url, '--token-file', adminFile, 'apply-staged', 'nid000001']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`bosctl: bosd at ${url} is not reachable: connection refused (3 attempts) (hint: check --server (or BOSCTL_SERVER) and that bosd is running) [BOS_SERVER_UNREACHABLE]\n`);
    const sock = await cli(['--server', `unix://${bosd.socket}`, 'component', 'list']);
    expect(sock.code).toBe(1);
    expect(sock.stderr).toMatch(/^bosctl: bosd at unix:\/\/\S+ is not reachable: (?:no such socket|connection refused) \(3 attempts\) \(hint: [^\n]*\)\n$/);
  });
});
