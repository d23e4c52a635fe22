import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { CommandFailed } from '../exit.js';

/** The bundled example cluster: 16 nodes in inventory.csv and two templates. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

export function register(program: Command, deps: CliDeps): void {
  program.command('demo')
    .description('run the staged rolling-upgrade flow on the bundled 16-node example cluster, in a temporary database')
    .option('--keep', 'keep the temporary database and print its path')
    .addHelpText('after', `
Runs, and prints, the commands an admin and Slurm would run:
inventory import, two templates, boot on v1, stage v2, apply-staged to 4 nodes
and then 4 more. bosd (which would power-cycle the nodes) is not part of this demo
yet: it shows the state bosctl hands to it.

Examples:
  bosctl demo
  npm run demo`)
    .action(async (o: { keep?: boolean }) => {
      const { run } = await import('../main.js');
      const dir = mkdtempSync(join(tmpdir(), 'bosctl-demo-'));
      const db = join(dir, 'demo.db');
      const p = await deps.io.paint();
      const step = async (title: string, ...argv: string[]) => {
        deps.io.out(`${title ? `\n${p.bold('# ' + title)}` : ''}\n${p.cyan('$ bosctl ' + argv.map((a) => (/[\s[\]!&]/.test(a) ? `'${a}'` : a)).join(' '))}\n`);
        const code = await run(['--db', db, ...argv], deps.io, deps.env);
        if (code !== 0) throw new CommandFailed(`demo step "${title}" exited ${code}`);
      };
      try {
        await step('Import the inventory (16 compute nodes)', 'inventory', 'import', join(EXAMPLES_DIR, 'inventory.csv'));
        await step('Create two session templates', 'sessiontemplate', 'create', 'compute-v1', '--file', join(EXAMPLES_DIR, 'compute-v1.yaml'));
        await step('', 'sessiontemplate', 'create', 'compute-v2', '--file', join(EXAMPLES_DIR, 'compute-v2.json'));
        await step('Boot every node on v1 (desired state set now)', 'session', 'create', '--template', 'compute-v1', '--operation', 'boot', '--name', 'boot-v1');
        await step('Stage v2 for every node: nothing reboots', 'session', 'create', '--template', 'compute-v2', '--operation', 'reboot', '--stage', '--limit', 'Compute', '--name', 'upgrade-v2');
        await step('Slurm drains 4 nodes and runs RebootProgram', 'apply-staged', 'nid[000001-000004]');
        await step('Later, 4 more, named by xname', 'apply-staged', 'x1000c0s2b0n[0-1],x1000c0s3b0n[0-1]');
        await step('An unknown node is reported, not fatal', 'apply-staged', 'nid000099');
        await step('Where every node stands', 'component', 'list', '-o', 'wide');
        await step('Progress of the upgrade session', 'session', 'status', 'upgrade-v2');
        await step('History of one node', 'component', 'history', 'nid000001');
        deps.io.out(`\n${p.green('Demo complete.')} 8 of 16 nodes now have v2 as their desired state; 8 still have it staged.\n`);
        deps.io.out('bosd, the daemon that will power-cycle them into it, comes next.\n');
        if (o.keep) deps.io.out(`database kept: ${db}\n`);
      } finally {
        if (!o.keep) rmSync(dir, { recursive: true, force: true });
      }
    });
}
