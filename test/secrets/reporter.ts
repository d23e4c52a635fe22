/**
 * A vitest reporter that fails the run when any test printed a fixture secret or a token
 * (console output captured by vitest) or failed with one in its error (message, diff,
 * actual and expected values). What it finds is reported masked. It runs beside the default
 * reporter (vitest.config.ts).
 */
import type { Reporter, TestModule, UserConsoleLog } from 'vitest/node';
import { findSecrets, type Leak } from '../secrets.js';

export default class SecretsReporter implements Reporter {
  private readonly found: Array<{ taskId?: string; leak: Leak }> = [];

  onUserConsoleLog(log: UserConsoleLog): void {
    for (const leak of findSecrets(log.content, `console.${log.type}`)) this.found.push({ taskId: log.taskId, leak });
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const names = new Map<string, string>();
    for (const m of modules) {
      names.set(m.id, m.moduleId);
      for (const t of m.children.allTests()) {
        names.set(t.id, t.fullName);
        for (const e of t.result().errors ?? []) {
          for (const leak of findSecrets(JSON.stringify(e), 'its failure')) this.found.push({ taskId: t.id, leak });
        }
      }
    }
    if (this.found.length === 0) return;
    const lines = this.found.map(({ taskId, leak }) => `  ${leak.secret} in ${leak.where} of "${(taskId && names.get(taskId)) ?? 'a test file'}": …${leak.excerpt}…`);
    process.stderr.write(`\nsecrets reporter: ${lines.length} leak${lines.length === 1 ? '' : 's'} of a test secret:\n${lines.join('\n')}\n`);
    process.exitCode = 1;
  }
}
