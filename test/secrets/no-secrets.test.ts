/**
 * Secrets: a whole scenario with verbose logging (bosd at debug level as a child process,
 * bosctl with -v over a database and over the API, every list/describe in json, yaml and
 * wide, API problem bodies for bad and revoked tokens, doctor with a wrong BMC password, S3
 * with a secret key the server refuses), and every byte of it grepped for every secret:
 * BMC passwords (also as HTTP Basic credentials), API tokens, the S3 secret key.
 * Controls prove the grep finds a planted secret, and that the vitest reporter
 * (test/secrets/reporter.ts) fails a run whose test prints one.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { waitFor } from '../../src/testbed/index.js';
import { startCluster, type Cluster } from '../chaos/cluster.js';
import { bosctl, ROOT } from '../cli/helpers.js';
import { startS3, type TestS3 } from '../manifest/helpers.js';
import { BMC_CREDENTIALS, findSecrets, S3_CREDENTIALS } from '../secrets.js';

let cluster: Cluster | undefined;
let s3: TestS3 | undefined;
afterAll(async () => { await cluster?.close(); await s3?.close(); });

/** Everything the scenario printed, logged or answered, by where it came from. */
const outputs: Array<{ where: string; text: string }> = [];
const collect = (where: string, text: string) => { outputs.push({ where, text }); };

const READS = [
  ['inventory', 'list'], ['inventory', 'describe', 'nid000001'], ['component', 'list'], ['component', 'describe', 'nid000001'],
  ['component', 'describe', 'nid000003'], ['component', 'history', 'nid000003'], ['session', 'list'], ['session', 'describe', 'rollout'],
  ['session', 'status', 'rollout'], ['session', 'history', 'rollout'], ['sessiontemplate', 'list'], ['sessiontemplate', 'describe', 'v2'],
  ['options', 'list'], ['token', 'list'],
];

describe('no secret in any output or log', () => {
  it('a verbose scenario with failures: nothing printed, logged or answered holds a secret', async () => {
    const bad = 'x1000c0s1b0';
    cluster = await startCluster({
      sim: { nodes: 8, timeScale: 0.01, faults: [{ kind: 'bmc_5xx', xnames: [bad] }] },
      options: { max_boot_wait_time: 60, default_retry_policy: 1 },
      bosdArgs: ['--log-level', 'debug', '--power-poll-ms', '100', '--cfs-poll-ms', '100', '--retry-backoff-ms', '100'],
    });
    const c = cluster;
    const bosd = await c.startBosd();
    const made = async (role: string) => (await c.backend.createToken({ role })).secret;
    const admin = await made('admin');
    const wlm = await made('wlm');
    const revoked = await made('admin');
    const tokens = [c.nodeToken, admin, wlm, revoked];
    await c.backend.revokeToken(revoked.split('_')[1]);
    const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config', PATH: process.env.PATH, ...extra });
    const cli = async (argv: string[], e: NodeJS.ProcessEnv) => {
      const io = createTestIo();
      const code = await run(argv, io, e);
      collect(`bosctl ${argv.join(' ')} (exit ${code}) stdout`, io.stdout);
      collect(`bosctl ${argv.join(' ')} stderr`, io.stderr);
      return code;
    };
    const overApi = env({ BOSCTL_TOKEN: admin });

    // The rollout, applied as Slurm would (wlm token, over the API), with two nodes failing.
    expect(await cli(['--server', bosd.url, '-v', 'apply-staged', 'nid[000001-000008]'], env({ BOSCTL_TOKEN: wlm }))).toBe(0);
    await waitFor('the rollout to settle', async () => (await c.backend.listComponents({ ids: c.nodes })).every((x) => !x.enabled || x.status.status === 'failed'), 60_000);
    const failed = (await c.backend.listComponents({ ids: c.nodes })).filter((x) => x.status.status === 'failed');
    expect(failed.map((x) => x.id).sort()).toEqual([`${bad}n0`, `${bad}n1`]);

    // Every read, in every format, verbose, from the database and over the API.
    for (const argv of READS) {
      for (const o of ['json', 'yaml', 'wide']) {
        expect(await cli(['--db', c.db, '-v', '-o', o, ...argv], env()), argv.join(' ')).toBe(0);
        expect(await cli(['--server', bosd.url, '-v', '-o', o, ...argv], overApi), `${argv.join(' ')} over the API`).toBe(0);
      }
    }
    // Bad, revoked and missing tokens: CLI errors and the API's problem bodies.
    const forged = `bos_${revoked.split('_')[1]}_${'A'.repeat(43)}`;
    tokens.push(forged);
    for (const t of [forged, revoked, 'not-a-token']) {
      expect(await cli(['--server', bosd.url, '-v', 'component', 'list'], env({ BOSCTL_TOKEN: t }))).not.toBe(0);
      for (const [method, path, body] of [['GET', '/v2/components', undefined], ['POST', '/v2/applystaged', '{"xnames":["x1000c0s0b0n0"]}'], ['PATCH', '/v2/components/x1000c0s0b0n0', '{"actual_state":{}}']] as const) {
        const r = await fetch(`${bosd.url}${path}`, { method, body, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' } });
        expect(r.status).toBe(401);
        collect(`${method} ${path} with a bad token: ${r.status} ${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('; ')}`, await r.text());
      }
    }
    // Doctor with a wrong BMC password (the real one plus a suffix: a leak of either shows).
    const wrongCreds = join(c.dir, 'wrong-redfish.json');
    writeFileSync(wrongCreds, JSON.stringify({ default: { username: 'root', password: `${BMC_CREDENTIALS.password}-wrong` } }), { mode: 0o600 });
    const bosdYaml = join(c.dir, 'bosd.yaml');
    writeFileSync(bosdYaml, `bss_url: ${c.sim.bssUrl}\ncfs_url: ${c.sim.cfsUrl}\ncredentials_file: ${wrongCreds}\n`);
    for (const o of ['table', 'json']) expect(await cli(['--db', c.db, '-v', '-o', o, 'doctor', '--config', bosdYaml, '--bmc-sample', '3', '--timeout', '3'], env())).not.toBe(0);
    expect(outputs.at(-2)!.text + outputs.at(-1)!.text, 'doctor says the credentials were refused').toMatch(/401|credential|password|unauthori/i);

    // S3 with a secret key the server refuses.
    s3 = await startS3();
    const s3Config = join(c.dir, 's3.yaml');
    writeFileSync(s3Config, `endpoint: ${s3.endpoint}\naccess_key: ${S3_CREDENTIALS.accessKey}\nsecret_key: ${S3_CREDENTIALS.secretKey}\n`, { mode: 0o600 });
    const tpl = join(c.dir, 'tpl.json');
    writeFileSync(tpl, JSON.stringify({ boot_sets: { c: { path: 's3://boot-images/abc/manifest.json', type: 's3', node_roles_groups: ['Compute'] } } }));
    const withS3 = env({ BOSCTL_S3_CONFIG: s3Config });
    expect(await cli(['--db', c.db, '-v', 'image', 'inspect', 's3://boot-images/abc/manifest.json'], withS3)).not.toBe(0);
    expect(outputs.at(-1)!.text).toMatch(/s3|S3|403|access/);
    expect(await cli(['--db', c.db, '-v', '-o', 'json', 'sessiontemplate', 'validate', '--file', tpl], withS3)).not.toBe(0);
    expect(await cli(['--db', c.db, '-v', 'sessiontemplate', 'create', 'from-s3', '--file', tpl], withS3)).toBe(0);
    expect(await cli(['--db', c.db, '-v', 'session', 'create', '--template', 'from-s3', '--operation', 'reboot', '--stage'], withS3)).not.toBe(0);

    // A few of the same as real processes: stderr of the process itself.
    for (const argv of [['-v', '-o', 'json', 'component', 'describe', `${bad}n0`], ['-v', 'image', 'inspect', 's3://boot-images/abc/manifest.json'], ['-v', 'token', 'list', '-o', 'yaml']]) {
      const r = await bosctl(argv, { db: c.db, env: { BOSCTL_S3_CONFIG: s3Config } });
      collect(`process bosctl ${argv.join(' ')} (exit ${r.code})`, r.stdout + r.stderr);
    }
    const server = await bosctl(['-v', 'component', 'list', '-o', 'json'], { env: { BOSCTL_SERVER: bosd.url, BOSCTL_TOKEN: forged } });
    collect('process bosctl --server with a forged token', server.stdout + server.stderr);
    expect(server.code).not.toBe(0);

    // bosd's own log (debug level), after it stopped.
    await c.stopBosd();
    c.logs().forEach((log, i) => collect(`bosd log ${i}`, log));
    expect(c.logs().join('').length).toBeGreaterThan(10_000);
    // The failed nodes' errors said why (in the outputs above), without the password.
    expect(outputs.some((o) => o.text.includes(`BMC ${bad}`) && /500/.test(o.text))).toBe(true);

    const leaks = outputs.flatMap((o) => findSecrets(o.text, o.where, tokens));
    expect(leaks).toEqual([]);
    console.log(`secrets: ${outputs.length} outputs, ${(outputs.reduce((n, o) => n + o.text.length, 0) / 1024).toFixed(0)} KiB grepped for ${tokens.length} tokens, the BMC password (plain and Basic), the S3 secret key: no leak`);

    // Controls: the same grep finds each secret when one is planted in the same text.
    const corpus = outputs.map((o) => o.text).join('\n');
    const planted = [BMC_CREDENTIALS.password, Buffer.from(`root:${BMC_CREDENTIALS.password}`).toString('base64'), S3_CREDENTIALS.secretKey, admin, c.nodeToken];
    for (const p of planted) expect(findSecrets(`${corpus.slice(0, 5000)} ${p} ${corpus.slice(5000, 10_000)}`, 'control', tokens).length, `planted ${p.slice(0, 8)}…`).toBeGreaterThan(0);
  }, 180_000);

  it('the reporter fails a vitest run whose tests print a secret, or fail with one, and says where', () => {
    // Runs of their own over fixture files (not part of the suite), with the same reporter.
    const vitest = (fixture: string) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join(ROOT, 'test', 'secrets', 'fixtures', 'leak.config.ts')], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LEAK_FIXTURE: fixture }, timeout: 60_000,
      });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    // Every test of this one passes: only the reporter can fail the run.
    const printed = vitest('leak');
    expect(printed.out, printed.out).toMatch(/Tests {2}3 passed \(3\)/);
    expect(printed.status, printed.out).toBe(1);
    expect(printed.out).toMatch(/secrets reporter: 2 leaks/);
    expect(printed.out).toMatch(/bmc-pw… in console.stdout of "prints the BMC password"/);
    expect(printed.out).toMatch(/a token \(bos_…\) in console.stderr of "prints a token"/);
    expect(printed.out).not.toMatch(/of "prints nothing secret"/);
    // The reporter masks what it found.
    expect(printed.out.split('secrets reporter:')[1]).not.toContain(BMC_CREDENTIALS.password);

    const failure = vitest('failure');
    expect(failure.out).toMatch(/secrets reporter: 1 leak of a test secret:\n {2}s3-sk-… in its failure of "fails with the S3 secret key in its message"/);
  }, 90_000);
});
