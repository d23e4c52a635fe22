import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs the benchmarks at tiny sizes so they cannot rot: each must still run and print its
// figures. No timing is asserted (a missed goal is reported by the benchmark, never failed here).
function runBench(script: string, args: string[], nodeArgs: string[] = [], guardMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(`../bench/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // A guard against a hang, not a speed limit: the benchmarks kill their children on SIGTERM.
    const guard = setTimeout(() => child.kill('SIGTERM'), guardMs);
    child.once('error', reject);
    child.once('close', (code, signal) => { clearTimeout(guard); resolve({ code, signal, stdout, stderr }); });
  });
}

describe('bench/run.js --quick', () => {
  it('runs every benchmark and prints each one\'s row', async () => {
    const r = await runBench('run.js', ['--quick'], [], 50_000);
    expect(r.code, `exit ${r.code ?? r.signal}\n${r.stderr.slice(-4000)}`).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    const expected = [
      'apply-staged, one call (process wall time)',
      'node -e 0 (baseline)',
      'bosctl --version cold start',
      'bosctl apply-staged NODE cold start',
      'reaction: `bosctl apply-staged NODE` → first power-off at the BMC (end to end)',
      'reaction: in-process applyStaged → first power-off at the BMC (bosd alone)',
      'API: concurrent single-node POST /v2/applystaged (wlm token)',
      'bosctl --server URL apply-staged NODE cold start',
      'rollout: wall time, apply-staged → every node settled',
      'rollout: overhead over hardware time',
      'rollout: failed nodes',
      'rollout: bosd peak RSS (VmHWM)',
      'rollout: bosd CPU (user + sys)',
    ];
    for (const name of expected) {
      const line = rows.find((l) => l.startsWith(`| ${name} |`));
      expect(line, `row "${name}" in:\n${r.stdout}`).toBeDefined();
      // A figure, not an error: every row has a non-empty result cell.
      expect(line!.split(' | ')[2]?.trim()).not.toBe('');
    }
    expect(r.stdout).not.toMatch(/FAILED/);
    // The failed-node count of the quick rollout is a number (0 expected, but not asserted).
    expect(rows.find((l) => l.startsWith('| rollout: failed nodes |'))).toMatch(/\| \d+ \|/);
  }, 60_000);
});

// The floor benchmarks of bench/RESULTS.md "Session 6".
describe('floor benchmarks', () => {
  it('redfish-floor.js: the client\'s CPU per request and the floor it gives', async () => {
    const r = await runBench('redfish-floor.js', ['--nodes', '20', '--requests', '200', '--concurrency', '8']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^power reads \(GET system\): 200 in [\d.]+ s = \d+\/s, 0 failed; client CPU \d+ µs per request/m);
    expect(r.stdout).toMatch(/^floor: 20 nodes × 5\.5 Redfish requests each × \d+ µs = [\d.]+ s/m);
  }, 70_000);

  it('sse-memory.js: one event stream per BMC, their live heap each', async () => {
    const r = await runBench('sse-memory.js', ['--nodes', '20'], ['--expose-gc']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^10 streams open: RSS [\d.]+ MB/m);
    expect(r.stdout).toMatch(/^per stream: heap used -?[\d.]+ KB/m);
  }, 70_000);

  it('sse-memory.js says how to run it without --expose-gc', async () => {
    const r = await runBench('sse-memory.js', ['--nodes', '20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/node --expose-gc bench\/sse-memory\.js/);
  });

  it('apply-staged-floor.js: bosctl beside the same work in raw SQL', async () => {
    const r = await runBench('apply-staged-floor.js', ['--nodes', '30', '--runs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bosctl apply-staged of 30 nodes \(process wall\): \d+ ms/m);
    expect(r.stdout).toMatch(/^raw SQL, same rows and events \(process wall\): \d+ ms/m);
  }, 70_000);
});
