/**
 * Token secrets in files: `token create --output-file F` writes F with mode 0600 whatever the
 * umask, refuses to overwrite unless --force (and then replaces F, never writing through a
 * symbolic link); a token file that its group or others can read is refused with a hint.
 */
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { checkDaemon } from '../../src/doctor/daemon.js';
import { Store } from '../../src/store/store.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bosctl-token-file-'));
  dirs.push(dir);
  const db = join(dir, 'bosd.db');
  Store.open(db).close();
  return { dir, db };
}

async function bosctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = createTestIo();
  const code = await run(args, io, { NO_COLOR: '1', HOME: '/nonexistent', ...env });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const tokenIds = (db: string) => {
  const s = Store.open(db);
  try { return s.read(() => s.tokens.list()).map((r) => r.id); } finally { s.close(); }
};

describe('token create --output-file', () => {
  it('writes the secret to a new file of mode 0600 even under umask 0, and prints it nowhere', async () => {
    const { dir, db } = setup();
    const f = join(dir, 'slurm-token');
    const old = process.umask(0);
    let r;
    try {
      r = await bosctl(['--db', db, 'token', 'create', '--role', 'wlm', '--output-file', f]);
    } finally {
      process.umask(old);
    }
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    const secret = readFileSync(f, 'utf8').trim();
    expect(secret).toMatch(/^bos_[a-z0-9]{8}_/);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain(secret);
    expect(r.stderr).toMatch(new RegExp(`its secret is in ${f} \\(mode 0600\\)`));
  });

  it('refuses an existing file (exit 2, no token created, file unchanged); --force replaces it, not the target of a link', async () => {
    const { dir, db } = setup();
    const f = join(dir, 'existing');
    writeFileSync(f, 'keep me\n', { mode: 0o644 });
    const r = await bosctl(['--db', db, 'token', 'create', '--role', 'admin', '--output-file', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(r.stderr).toMatch(/--force/);
    expect(readFileSync(f, 'utf8')).toBe('keep me\n');
    expect(tokenIds(db)).toEqual([]);

    const forced = await bosctl(['--db', db, 'token', 'create', '--role', 'admin', '--output-file', f, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readFileSync(f, 'utf8')).toMatch(/^bos_/);

    const target = join(dir, 'target');
    writeFileSync(target, 'not yours\n', { mode: 0o644 });
    const link = join(dir, 'link');
    symlinkSync(target, link);
    expect((await bosctl(['--db', db, 'token', 'create', '--role', 'admin', '--output-file', link])).code).toBe(2);
    expect((await bosctl(['--db', db, 'token', 'create', '--role', 'admin', '--output-file', link, '--force'])).code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('not yours\n');
    expect(lstatSync(link).isFile()).toBe(true);
    expect(() => readlinkSync(link)).toThrow();
  });

  it('--force without --output-file is a usage error', async () => {
    const { db } = setup();
    const r = await bosctl(['--db', db, 'token', 'create', '--role', 'admin', '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--force goes with --output-file/);
  });
});

describe('token files readable by others', () => {
  it('are refused before use, with chmod 600 in the message (--token-file and BOSCTL_TOKEN_FILE)', async () => {
    const { dir } = setup();
    const f = join(dir, 'token');
    writeFileSync(f, 'bos_abcdefgh_0123456789012345678901234567890123456789012\n');
    chmodSync(f, 0o644);
    for (const [args, env] of [
      [['--server', 'http://127.0.0.1:9', '--token-file', f, 'session', 'list'], {}],
      [['session', 'list'], { BOSCTL_SERVER: 'http://127.0.0.1:9', BOSCTL_TOKEN_FILE: f }],
    ] as const) {
      const r = await bosctl([...args], env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`token file ${f} is open to others (mode 644)`);
      expect(r.stderr).toContain(`chmod 600 ${f}`);
      expect(r.stderr).not.toContain('bos_abcdefgh');
    }
    chmodSync(f, 0o640);
    const group = await bosctl(['--server', 'http://127.0.0.1:9', '--token-file', f, 'session', 'list']);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('is open to its group (mode 640)');
  });

  it('doctor fails the daemon check on such a file', async () => {
    const { dir } = setup();
    const f = join(dir, 'token');
    writeFileSync(f, 'bos_abcdefgh_0123456789012345678901234567890123456789012\n', { mode: 0o644 });
    chmodSync(f, 0o644);
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/v2/version' ? '{"major":"0","minor":"1","patch":"0"}' : '{"dbStatus":"ok","apiStatus":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await checkDaemon({ server: `http://127.0.0.1:${port}`, tokenFile: f, source: 'test' }, 2000);
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/open to others/);
      expect(r.fix).toBe(`chmod 600 ${f}`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
