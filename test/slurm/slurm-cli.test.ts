/**
 * bosctl slurm config | reboot-staged | reboot-program, as spawned CLI commands on real
 * SQLite files; scontrol is a fake script here (test/slurm/real-slurm.test.ts runs the real one).
 */
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { bosctl, json, lines, ok, removeTmpDirs, seeded, tmpDb, XNAMES } from '../cli/helpers.js';
import { planRebootStaged } from '../../src/services/slurm-reboot-staged.js';
import { resumeTimeout } from '../../src/services/slurm-config.js';
import { shellQuote } from '../../src/services/scontrol.js';
import { REBOOT_PROGRAM } from './helpers.js';

afterAll(removeTmpDirs);

/** A seeded database with the Compute nodes nid000001-000006 staged for compute-v2 by session `up`. */
async function staged(): Promise<string> {
  const t = await seeded();
  await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'nid[000001-000006]', '--name', 'up'], { db: t.db });
  return t.db;
}

/** A fake scontrol that records its arguments (one per line) and answers as told. */
function fakeScontrol(t: ReturnType<typeof tmpDb>, body: string): { path: string; calls: () => string[][] } {
  const record = t.file('scontrol-calls', '');
  const path = t.file('scontrol', `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${record}'\necho --- >> '${record}'\n${body}\n`);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => readFileSync(record, 'utf8').split('---\n').filter((c) => c !== '').map((c) => c.replace(/\n$/, '').split('\n')),
  };
}

describe.concurrent('bosctl slurm config', () => {
  it('prints RebootProgram, SlurmctldParameters and ResumeTimeout = power-off wait + boot wait + 600 s, with comments', async () => {
    const t = tmpDb();
    const r = await ok(['slurm', 'config'], { db: t.db });
    const settings = lines(r.stdout).filter((l) => !l.startsWith('#'));
    expect(settings).toEqual([`RebootProgram=${REBOOT_PROGRAM}`, 'SlurmctldParameters=reboot_from_controller', 'ResumeTimeout=2100']);
    expect(r.stdout).toMatch(/^#   300 s \+ 1200 s \+ 600 s configuration allowance = 2100 s/m);
    expect(r.stdout).not.toMatch(/WARNING/);
    // The program it names is the one shipped, and it can be run.
    expect(existsSync(REBOOT_PROGRAM)).toBe(true);
    expect(statSync(REBOOT_PROGRAM).mode & 0o111).toBe(0o111);
  });

  it('follows the options, rounds up to whole minutes, and -o json gives the values', async () => {
    const t = tmpDb();
    await ok(['options', 'update', 'max_power_off_wait_time=601', 'max_boot_wait_time=1800'], { db: t.db });
    const c = await json(['slurm', 'config', '--configure-allowance', '900'], { db: t.db });
    expect(c).toEqual({
      RebootProgram: REBOOT_PROGRAM,
      SlurmctldParameters: 'reboot_from_controller',
      ResumeTimeout: 3360,
      resume_timeout: { max_power_off_wait_time: 601, max_boot_wait_time: 1800, configure_allowance: 900, resume_timeout: 3360 },
      reboot_program_exists: true,
    });
    const text = await ok(['slurm', 'config', '--configure-allowance', '900'], { db: t.db });
    expect(text.stdout).toMatch(/^ResumeTimeout=3360$/m);
  });

  it('--reboot-program names another path, and says when it does not exist', async () => {
    const t = tmpDb();
    const r = await ok(['slurm', 'config', '--reboot-program', '/opt/nowhere/bosctl-reboot'], { db: t.db });
    expect(r.stdout).toMatch(/^RebootProgram=\/opt\/nowhere\/bosctl-reboot$/m);
    expect(r.stdout).toMatch(/^# WARNING: \/opt\/nowhere\/bosctl-reboot does not exist/m);
  });

  it('refuses a relative --reboot-program and a bad allowance: one line, exit 2', async () => {
    const t = tmpDb();
    for (const args of [['--reboot-program', 'bosctl-reboot'], ['--configure-allowance', '-5'], ['--configure-allowance', 'soon']]) {
      const r = await bosctl(['slurm', 'config', ...args], { db: t.db });
      expect(r.code, args.join(' ')).toBe(2);
      expect(lines(r.stderr), r.stderr).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  it('resumeTimeout: at least a minute, whole minutes', () => {
    expect(resumeTimeout({ max_power_off_wait_time: 0, max_boot_wait_time: 0 }, 0).resume_timeout).toBe(60);
    expect(resumeTimeout({ max_power_off_wait_time: 300, max_boot_wait_time: 1200 }).resume_timeout).toBe(2100);
    expect(resumeTimeout({ max_power_off_wait_time: 300, max_boot_wait_time: 1201 }).resume_timeout).toBe(2160);
  });
});

describe.concurrent('bosctl slurm reboot-staged', () => {
  it('--dry-run prints the one scontrol line for the session\'s nodes, by their Slurm names', async () => {
    const db = await staged();
    const r = await ok(['slurm', 'reboot-staged', '--session', 'up', '--dry-run'], { db });
    expect(r.stdout).toBe('scontrol reboot ASAP nextstate=resume reason="bosctl session up" \'nid[000001-000006]\'\n');
    expect(r.stderr).toBe('');
  });

  it('--dry-run --batch splits the hostlists; --reason and --scontrol show in the lines', async () => {
    const db = await staged();
    const r = await ok(['slurm', 'reboot-staged', '--session', 'up', '--dry-run', '--batch', '4', '--reason', 'image v2 (it\'s time)', '--scontrol', '/usr/bin/scontrol'], { db });
    expect(lines(r.stdout)).toEqual([
      '/usr/bin/scontrol reboot ASAP nextstate=resume reason="image v2 (it\'s time)" \'nid[000001-000004]\'',
      '/usr/bin/scontrol reboot ASAP nextstate=resume reason="image v2 (it\'s time)" \'nid[000005-000006]\'',
    ]);
    const plan = await json(['slurm', 'reboot-staged', '--session', 'up', '--dry-run', '--batch', '4'], { db });
    expect(plan.dry_run).toBe(true);
    expect(plan.nodes).toEqual(['nid000001', 'nid000002', 'nid000003', 'nid000004', 'nid000005', 'nid000006']);
    expect(plan.batches.map((b: any) => b.command)).toEqual([
      ['scontrol', 'reboot', 'ASAP', 'nextstate=resume', 'reason=bosctl session up', 'nid[000001-000004]'],
      ['scontrol', 'reboot', 'ASAP', 'nextstate=resume', 'reason=bosctl session up', 'nid[000005-000006]'],
    ]);
  });

  it('leaves out nodes the session already applied, unless --include-applied', async () => {
    const db = await staged();
    await ok(['apply-staged', 'nid[000001-000002]'], { db });
    const r = await ok(['slurm', 'reboot-staged', '--session', 'up', '--dry-run'], { db });
    expect(r.stdout).toBe('scontrol reboot ASAP nextstate=resume reason="bosctl session up" \'nid[000003-000006]\'\n');
    expect(r.stderr).toMatch(/2 node\(s\) already applied by this session, left out: x1000c0s0b0n\[0-1\]/);
    const all = await ok(['slurm', 'reboot-staged', '--session', 'up', '--dry-run', '--include-applied'], { db });
    expect(all.stdout).toMatch(/'nid\[000001-000006\]'$/m);
  });

  it('runs scontrol with exactly those arguments, one call per batch', async () => {
    const db = await staged();
    const t = tmpDb();
    const sc = fakeScontrol(t, 'exit 0');
    const r = await ok(['slurm', 'reboot-staged', '--session', 'up', '--batch', '5', '--reason', 'v2 "now"', '--scontrol', sc.path], { db });
    expect(sc.calls()).toEqual([
      ['reboot', 'ASAP', 'nextstate=resume', 'reason=v2 "now"', 'nid[000001-000005]'],
      ['reboot', 'ASAP', 'nextstate=resume', 'reason=v2 "now"', 'nid000006'],
    ]);
    expect(lines(r.stdout)).toEqual([
      'nid[000001-000005]: Slurm reboots these 5 nodes as soon as idle (batch 1 of 2)',
      'nid000006: Slurm reboots it as soon as idle (batch 2 of 2)',
    ]);
    // Nothing was applied by bosctl itself: Slurm's RebootProgram does that.
    const c = await json(['component', 'describe', 'nid000001'], { db });
    expect(c.session).toBe('');
  });

  it('when scontrol refuses: exit 1, one line with the first line of its stderr and what was sent', async () => {
    const db = await staged();
    const t = tmpDb();
    const sc = fakeScontrol(t, [
      'n=$(cat "$0.n" 2>/dev/null || echo 0); echo $((n + 1)) > "$0.n"',
      'if [ "$n" -ge 1 ]; then echo "scontrol: error: Invalid node name specified" >&2; echo "second line" >&2; exit 1; fi',
    ].join('\n'));
    const r = await bosctl(['slurm', 'reboot-staged', '--session', 'up', '--batch', '3', '--scontrol', sc.path], { db });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'bosctl: scontrol refused to reboot nid[000004-000006]: scontrol: error: Invalid node name specified (batch 2 of 2; batch 1 was sent)',
    ]);
    expect(sc.calls()).toHaveLength(2);
  });

  it('when scontrol is missing: exit 1, one line naming it', async () => {
    const db = await staged();
    const r = await bosctl(['slurm', 'reboot-staged', '--session', 'up', '--scontrol', '/nonexistent/scontrol'], { db });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['bosctl: scontrol not found ("/nonexistent/scontrol"): install Slurm\'s client commands (slurm-client) or give --scontrol PATH']);
    const onPath = await bosctl(['slurm', 'reboot-staged', '--session', 'up'], { db, env: { PATH: '/nonexistent' } });
    expect(onPath.code).toBe(1);
    expect(onPath.stderr).toMatch(/^bosctl: scontrol not found \("scontrol"\)/);
  });

  it('bad input: unknown session exit 3, a non-staged session and a bad --batch exit 2', async () => {
    const db = await staged();
    const unknown = await bosctl(['slurm', 'reboot-staged', '--session', 'nope', '--dry-run'], { db });
    expect(unknown.code).toBe(3);
    expect(lines(unknown.stderr)).toHaveLength(1);
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--limit', 'nid000010', '--name', 'direct'], { db });
    const direct = await bosctl(['slurm', 'reboot-staged', '--session', 'direct', '--dry-run'], { db });
    expect(direct.code).toBe(2);
    expect(direct.stderr).toMatch(/session direct is not a staged session/);
    for (const b of ['0', 'x', '1.5']) {
      const r = await bosctl(['slurm', 'reboot-staged', '--session', 'up', '--batch', b, '--dry-run'], { db });
      expect(r.code, b).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
    }
    const missing = await bosctl(['slurm', 'reboot-staged', '--dry-run'], { db });
    expect(missing.code).toBe(2);
  });

  it('planRebootStaged: nodes without a hostname are reported, names are short host names', () => {
    const comp = (id: string, session = '') => ({ id, session, staged_state: { session: 's' } }) as any;
    const inv = [
      { xname: XNAMES[0], hostname: 'nid000001.cluster' },
      { xname: XNAMES[1], hostname: null },
      { xname: XNAMES[2], hostname: 'nid000003' },
    ] as any;
    const p = planRebootStaged('s', [comp(XNAMES[0]), comp(XNAMES[1]), comp(XNAMES[2], 's')], inv, { reason: 'r' });
    expect(p.nodes).toEqual(['nid000001']);
    expect(p.unnamed).toEqual([XNAMES[1]]);
    expect(p.applied).toEqual([XNAMES[2]]);
  });

  it('shellQuote keeps words a shell gives back unchanged', () => {
    expect(shellQuote('nid000001')).toBe('nid000001');
    expect(shellQuote('nid[000001-000002]')).toBe('\'nid[000001-000002]\'');
    expect(shellQuote('reason=a b')).toBe('reason="a b"');
    expect(shellQuote('reason=$HOME')).toBe('\'reason=$HOME\'');
    expect(shellQuote('it\'s $x')).toBe('\'it\'\\\'\'s $x\'');
  });
});

describe.concurrent('bosctl slurm reboot-program', () => {
  it('applies the nodes Slurm names (a comma list), and events name the command', async () => {
    const db = await staged();
    const r = await ok(['slurm', 'reboot-program', 'nid000001,nid000004'], { db });
    expect(lines(r.stdout)).toEqual([
      'controller mode: applying the staged state of nid000001,nid000004',
      'succeeded 2: nid[000001,000004]: bosd reboots them into their staged state',
    ]);
    const h = await json(['component', 'history', 'nid000004'], { db });
    expect(h.at(-1)).toMatchObject({ action: 'apply_staged', via: 'bosctl slurm reboot-program' });
  });

  it('unknown and unstaged nodes: a line each and exit 1; nothing given or an empty list: exit 2', async () => {
    const db = await staged();
    const r = await bosctl(['slurm', 'reboot-program', 'nid[000005-000006],nid000010,bogus'], { db });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      'controller mode: applying the staged state of nid[000005-000006],nid000010,bogus',
      'succeeded 2: nid[000005-000006]: bosd reboots them into their staged state',
      'ignored nid000010 (x1000c1s0b0n1): nothing is staged for it: bosd does not reboot it; return it as it is: scontrol update nodename=nid000010 state=resume',
      'ignored bogus: not a known node name: bosd does not reboot it; add it to bosctl\'s inventory, then retry with: scontrol update nodename=bogus state=resume && scontrol reboot ASAP nextstate=resume bogus',
    ]);
    expect(lines(r.stderr)).toEqual(['bosctl: 2 ignored of 4 node(s) (bogus,nid000010): Slurm waits ResumeTimeout for them, then marks them DOWN; see the lines above for what to run']);
    // Without --set-reason nothing asks Slurm anything; the known ignored node has an event.
    expect(await json(['component', 'history', 'nid000010', '--last', '1'], { db })).toMatchObject([{ action: 'apply_staged_ignored', via: 'bosctl slurm reboot-program' }]);
    for (const args of [[], [''], ['  '], ['--self', 'nid000001']]) {
      const e = await bosctl(['slurm', 'reboot-program', ...args], { db });
      expect(e.code, JSON.stringify(args)).toBe(2);
      expect(lines(e.stderr)).toHaveLength(1);
    }
  });

  it('--self applies this host (by its short name)', async () => {
    const t = await seeded();
    const host = hostname().split('.')[0];
    const f = t.file('self.csv', `xname,nid,hostname,aliases,role\nx1000c0s0b0n0,1,nid000001,${host},Compute\n`);
    await ok(['inventory', 'import', f], { db: t.db });
    await ok(['session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'nid000001', '--name', 'up'], { db: t.db });
    const r = await ok(['slurm', 'reboot-program', '--self'], { db: t.db });
    expect(lines(r.stdout)).toEqual([`slurmd mode: applying the staged state of this host, ${host}`, `succeeded 1: ${host}: bosd reboots them into their staged state`]);
  });
});
