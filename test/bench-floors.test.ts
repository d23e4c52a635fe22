import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The floor benchmarks (bench/RESULTS.md "Session 6") at tiny sizes, so that they cannot rot:
// each must still run and print its figures. No timing is asserted.
function bench(script: string, args: string[], nodeArgs: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(`../bench/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // A guard against a hang, not a speed limit.
    const guard = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }); });
  });
}

describe('floor benchmarks', () => {
  it('redfish-floor.js: the client\'s CPU per request and the floor it gives', async () => {
    const r = await bench('redfish-floor.js', ['--nodes', '20', '--requests', '200', '--concurrency', '8']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^power reads \(GET system\): 200 in [\d.]+ s = \d+\/s, 0 failed; client CPU \d+ µs per request/m);
    expect(r.stdout).toMatch(/^floor: 20 nodes × 5\.5 Redfish requests each × \d+ µs = [\d.]+ s/m);
  }, 70_000);

  it('sse-memory.js: one event stream per BMC, their live heap each', async () => {
    const r = await bench('sse-memory.js', ['--nodes', '20'], ['--expose-gc']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^10 streams open: RSS [\d.]+ MB/m);
    expect(r.stdout).toMatch(/^per stream: heap used -?[\d.]+ KB/m);
  }, 70_000);

  it('sse-memory.js says how to run it without --expose-gc', async () => {
    const r = await bench('sse-memory.js', ['--nodes', '20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/node --expose-gc bench\/sse-memory\.js/);
  });

  it('apply-staged-floor.js: bosctl beside the same work in raw SQL', async () => {
    const r = await bench('apply-staged-floor.js', ['--nodes', '30', '--runs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bosctl apply-staged of 30 nodes \(process wall\): \d+ ms/m);
    expect(r.stdout).toMatch(/^raw SQL, same rows and events \(process wall\): \d+ ms/m);
  }, 70_000);
});
