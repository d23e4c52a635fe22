/**
 * Spinners (src/cli/progress.ts): on stderr, only on a terminal, only for waits a person
 * would notice, cleared when done; and session create --wait, which follows a session with
 * the same loop as status --watch. No assertion here depends on how long anything takes:
 * slow work waits for the spinner to be drawn, and quick work is done before any timer runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestIo, type TestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { startSpinner, withCallSpinners, withSpinner } from '../../src/cli/progress.js';
import { startTestbed, waitFor, type Testbed } from '../../src/testbed/index.js';
import type { SimOptions } from '../../src/sim/index.js';
import { BIN } from './helpers.js';

const ENV = { XDG_CONFIG_HOME: '/nonexistent-bosctl-test-config', NO_COLOR: '1' };
const ANSI = /\u001b/;

/** What a terminal shows after `text`: cursor moves, line clears and screen clears applied. */
function screen(text: string): string {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => (lines[row] ??= []);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\u001b' && text[i + 1] === '[') {
      const m = /^\u001b\[([?\d;]*)([A-Za-z])/.exec(text.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      const n = m[1].startsWith('?') ? 0 : Number(m[1] || '0');
      switch (m[2]) {
        case 'G': col = Math.max(0, (n || 1) - 1); break;
        case 'A': row = Math.max(0, row - (n || 1)); break;
        case 'B': row += n || 1; break;
        case 'C': col += n || 1; break;
        case 'D': col = Math.max(0, col - (n || 1)); break;
        case 'H': row = 0; col = 0; break;
        case 'J': if (n === 2) lines.splice(0); break;
        case 'K': {
          const l = line();
          if (n === 0) l.splice(col);
          else if (n === 1) for (let k = 0; k <= col && k < l.length; k++) l[k] = ' ';
          else lines[row] = [];
          break;
        }
        default: break; // colours, cursor visibility, synchronized output
      }
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') { row++; col = 0; line(); }
    else { const l = line(); while (l.length < col) l.push(' '); l[col++] = ch; }
  }
  return Array.from(lines, (l) => (l ?? []).join('').trimEnd()).join('\n').trim();
}

/** Resolves once `io`'s stderr shows `text` (a spinner drawn); the guard only ends a broken test. */
async function drawn(io: TestIo, text: string): Promise<void> {
  for (let i = 0; i < 2000 && !io.stderr.includes(text); i++) await new Promise((r) => setTimeout(r, 5));
  if (!io.stderr.includes(text)) throw new Error(`"${text}" was never drawn; stderr: ${JSON.stringify(io.stderr)}`);
}

describe('spinners', () => {
  it('off a terminal nothing is written, however long the wait', async () => {
    const io = createTestIo();
    const spinner = startSpinner(io, 'waiting for bosd', 0);
    await new Promise((r) => setTimeout(r, 50));
    spinner.stop();
    await withSpinner(io, 'again', () => new Promise((r) => setTimeout(r, 50)), 0);
    expect(io.stderr).toBe('');
    expect(io.stdout).toBe('');
  });

  it('on a terminal, a wait shows the spinner\'s text on stderr and leaves the line clear', async () => {
    const io = createTestIo({ tty: true });
    const result = await withSpinner(io, 'loading things', async () => { await drawn(io, 'loading things'); return 42; }, 0);
    expect(result).toBe(42);
    expect(io.stderr).toMatch(/\u001b\[\?25l/); // cursor hidden while it spins
    expect(io.stderr).toMatch(/\u001b\[\?25h$/); // and shown again at the end
    expect(screen(io.stderr)).toBe('');
    expect(io.stdout).toBe('');
  });

  it('a terminal 0 columns wide (an unsized pseudo-terminal) gets no spinner', async () => {
    const io = createTestIo({ tty: true });
    Object.defineProperty(io.errStream, 'columns', { value: 0 });
    await withSpinner(io, 'nowhere', () => new Promise((r) => setTimeout(r, 50)), 0);
    expect(io.stderr).toBe('');
  });

  it('a quick answer draws nothing: the spinner waits for SPINNER_DELAY_MS first', async () => {
    const io = createTestIo({ tty: true });
    await withSpinner(io, 'quick', async () => 1);
    expect(io.stderr).toBe('');
  });

  it('the text can change while it spins; no colour when the Io has none', async () => {
    const io = createTestIo({ tty: true });
    const spinner = startSpinner(io, 'first', 0);
    await drawn(io, 'first');
    spinner.text('second label');
    await drawn(io, 'second label');
    spinner.stop();
    expect(screen(io.stderr)).toBe('');
    expect(io.stderr).not.toMatch(/\u001b\[3\dm/);
  });

  it('one spinner at a time: a wait inside a wait draws none of its own', async () => {
    const io = createTestIo({ tty: true });
    await withSpinner(io, 'outer', async () => {
      await drawn(io, 'outer');
      await withSpinner(io, 'inner', () => new Promise((r) => setTimeout(r, 20)), 0);
    }, 0);
    expect(io.stderr).not.toMatch(/inner/);
    // Once the outer one is gone, the next wait has its spinner again.
    await withSpinner(io, 'next', () => drawn(io, 'next'), 0);
  });

  it('withCallSpinners: each backend call says what it waits for; off a terminal the backend is untouched', async () => {
    const backend = {
      gate: undefined as undefined | (() => void),
      async listComponents(n: number) { await new Promise<void>((r) => { this.gate = r; }); return n * 2; },
      close() { return 'closed'; },
    };
    expect(withCallSpinners(backend, createTestIo(), 'bosd (http://h)')).toBe(backend);
    const io = createTestIo({ tty: true });
    const wrapped = withCallSpinners(backend, io, 'bosd (http://127.0.0.1:1)', 0);
    const answer = wrapped.listComponents(21);
    await drawn(io, 'bosd (http://127.0.0.1:1): list components');
    backend.gate!();
    expect(await answer).toBe(42);
    expect(wrapped.close()).toBe('closed');
    expect(screen(io.stderr)).toBe('');
  });
});

describe('session create --wait', () => {
  let tb: Testbed | undefined;
  afterEach(async () => { await tb?.close(); tb = undefined; });

  async function bed(sim: Partial<SimOptions> = {}, options: Record<string, unknown> = {}): Promise<Testbed> {
    tb = await startTestbed({ sim: { nodes: 4, timeScale: 0.002, ...sim }, options: { max_boot_wait_time: 30, ...options } });
    await tb.backend.createTemplate('v2', { boot_sets: { compute: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', node_roles_groups: ['Compute'] } } });
    return tb;
  }
  const create = (t: Testbed, io: TestIo, ...extra: string[]) =>
    run(['--db', t.dbPath, ...extra, 'session', 'create', '--template', 'v2', '--operation', 'reboot', '--name', 'w', '--yes', '--wait', '--interval', '100'], io, ENV);

  it('off a terminal: progress lines on stdout, exit 0 when every node is stable, no escape codes', async () => {
    const t = await bed();
    const io = createTestIo();
    expect(await create(t, io), io.stderr).toBe(0);
    const lines = io.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^session w created: reboot set to 4 node\(s\)/);
    expect(lines.slice(1, -1).every((l) => /^\d\d:\d\d:\d\d (pending|running|complete)/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('session w complete: 4 node(s) stable');
    expect(io.stdout + io.stderr).not.toMatch(ANSI);
    expect(io.stderr).toBe('');
    expect((await t.backend.listComponents({ session: 'w' })).every((c) => c.status.status === 'stable')).toBe(true);
  });

  it('on a terminal: a spinner on stderr says how far the session is, and is gone at the end', async () => {
    // Slower hardware: the reboot lasts seconds, far longer than the spinner's delay.
    const t = await bed({ timeScale: 0.01 });
    const io = createTestIo({ tty: true });
    expect(await create(t, io), io.stderr).toBe(0);
    expect(io.stderr).toMatch(/session w: [\d.]+% complete, \d stable, 0 failed of 4 node\(s\)/);
    expect(screen(io.stderr)).toBe('');
    expect(io.stdout).toMatch(/session w complete: 4 node\(s\) stable\n$/);
  });

  it('-o json prints the finished session; a failed node makes it exit 1 with one line', async () => {
    const t = await bed({ faults: [{ kind: 'never_boots', xnames: ['x1000c0s0b0n0'] }] }, { max_boot_wait_time: 1, default_retry_policy: 1 });
    const io = createTestIo();
    expect(await create(t, io, '-o', 'json')).toBe(1);
    const session = JSON.parse(io.stdout);
    expect(session.name).toBe('w');
    expect(session.components.split(',')).toHaveLength(4);
    expect(io.stderr).toBe('bosctl: session w: 1 of 4 node(s) failed; see "bosctl session status w"\n');
    const failed = (await t.backend.listComponents({ session: 'w', status: ['failed'] })).map((c) => c.id);
    expect(failed).toEqual(['x1000c0s0b0n0']);
  });

  it('status --watch ends once every node is stable or failed, exit 1 naming the failures', async () => {
    const t = await bed({ faults: [{ kind: 'never_boots', xnames: ['x1000c0s0b0n0'] }] }, { max_boot_wait_time: 1, default_retry_policy: 1 });
    await t.backend.createSession({ template_name: 'v2', operation: 'reboot', name: 'w' });
    const io = createTestIo();
    expect(await run(['--db', t.dbPath, 'session', 'status', 'w', '--watch', '--interval', '100'], io, ENV)).toBe(1);
    expect(io.stderr).toBe('bosctl: session w: 1 of 4 node(s) failed; see "bosctl session status w"\n');
    expect(io.stdout).toMatch(/failed x1000c0s0b0n0: /);
    // The session completes: its failed node is disabled, as BOS does (operators/status.py).
    await waitFor('session complete', async () => (await t.backend.getSession('w')).status.status === 'complete', 10_000);
  });

  it('--wait with --stage or --dry-run is bad input (exit 2), nothing created', async () => {
    const t = await bed();
    for (const extra of [['--stage'], ['--dry-run']]) {
      const io = createTestIo();
      const code = await run(['--db', t.dbPath, 'session', 'create', '--template', 'v2', '--operation', 'reboot', '--yes', '--wait', ...extra], io, ENV);
      expect(code).toBe(2);
      expect(io.stderr).toMatch(/^bosctl: --wait /);
    }
    expect(await t.backend.listSessions({})).toEqual([]);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.runIf(hasScript)('on a real terminal (script -qfec)', () => {
  let tb: Testbed | undefined;
  afterEach(async () => { await tb?.close(); tb = undefined; });

  /** Runs bin/bosctl.js on a pseudo-terminal; `answer` is typed once `question` shows. */
  function onPty(args: string[], question?: string, answer?: string): Promise<{ code: number | null; out: string }> {
    // A terminal of a known size: `script` alone makes one 0 columns wide.
    const command = 'stty cols 100 rows 40; ' + ['node', BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...ENV, TERM: 'xterm' } });
    let out = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (question && !typed && out.includes(question)) { typed = true; child.stdin.write(answer); }
    });
    // A guard for a broken test: a hung bosctl is killed and its screen shown.
    const guard = setTimeout(() => child.kill(), 60_000);
    return new Promise((resolve) => child.on('close', (code) => { clearTimeout(guard); resolve({ code, out }); }));
  }

  it('asks, takes "y", then follows the session with a spinner that is cleared', async () => {
    tb = await startTestbed({ sim: { nodes: 4, timeScale: 0.01 }, options: { max_boot_wait_time: 30 } });
    await tb.backend.createTemplate('v2', { boot_sets: { compute: { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', node_roles_groups: ['Compute'] } } });
    const r = await onPty(['--db', tb.dbPath, 'session', 'create', '--template', 'v2', '--operation', 'reboot', '--name', 'p', '--wait', '--interval', '100'],
      'Reboot 4 nodes now (session create, template v2)?', 'y\r');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/session p: [\d.]+% complete/);
    const shown = screen(r.out.replace(/\r\n/g, '\n'));
    expect(shown).toMatch(/Reboot 4 nodes now \(session create, template v2\)\? Yes/);
    expect(shown).toMatch(/session p complete: 4 node\(s\) stable$/);
    expect(shown).not.toMatch(/% complete, \d stable/);
  });
});
