import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs the benchmarks at tiny sizes so they cannot rot: each must still run and print its
// row. No timing is asserted (a missed goal is reported by the benchmark, never failed here).
const RUN = fileURLToPath(new URL('../bench/run.js', import.meta.url));

function runQuick(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, '--quick'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // A guard against a hang, not a speed limit: bench/run.js kills its children on SIGTERM.
    const guard = setTimeout(() => child.kill('SIGTERM'), 50_000);
    child.once('error', reject);
    child.once('close', (code, signal) => { clearTimeout(guard); resolve({ code, signal, stdout, stderr }); });
  });
}

describe('bench/run.js --quick', () => {
  it('runs every benchmark and prints each one\'s row', async () => {
    const r = await runQuick();
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
