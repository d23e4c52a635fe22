import { Command } from 'commander';
import { bosError } from '../../core/errors.js';
import { OPTION_KEYS, OPTION_SPECS, describeOptionRange, type OptionKey } from '../../core/options.js';
import type { CliDeps, RunDeps } from '../context.js';
import { renderTable } from '../output/format.js';
import { printResult } from '../output/result.js';

/** One line per non-boolean option: its range, from the one table in core/options.ts. */
function rangeLines(): string {
  return OPTION_KEYS.filter((k) => OPTION_SPECS[k].type !== 'boolean').map((k) => `  ${k}: ${describeOptionRange(k)}`).join('\n');
}

export function register(program: Command, deps: CliDeps): void {
  const opt = program.command('options').description('bosd\'s knobs (BOS v2 options), stored in the database')
    .addHelpText('after', '\nExamples:\n  bosctl options list -o wide\n  bosctl options update max_boot_wait_time=1800');

  defineList(opt, deps);
  defineUpdate(opt, deps);
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list every option with its value, default and range')
    .addHelpText('after', '\nExamples:\n  bosctl options list\n  bosctl options list -o json')
    .action(async (_o: unknown, cmd: Command) => {
      await run({}, deps.forCommand(cmd));
    });
}

export async function runList(_o: Record<string, never>, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const options = await (await deps.backend()).getOptions();
  await printResult(deps.io, g.output, options, async () => {
    if (g.output === 'name') { for (const k of OPTION_KEYS) deps.io.out(k + '\n'); return; }
    const p = await deps.io.paint();
    const rows = OPTION_KEYS.map((k: OptionKey) => {
      const v = String(options[k]);
      const d = String(OPTION_SPECS[k].default);
      const row = [k, v === d ? v : p.bold(v), d];
      if (g.output === 'wide') row.push(describeOptionRange(k), OPTION_SPECS[k].help);
      return row;
    });
    const headers = g.output === 'wide' ? ['KEY', 'VALUE', 'DEFAULT', 'RANGE', 'MEANING'] : ['KEY', 'VALUE', 'DEFAULT'];
    deps.io.out(renderTable(g.headers ? [headers.map((h) => p.bold(h)), ...rows] : rows));
  });
}

export function defineUpdate(parent: Command, deps: CliDeps, run = runUpdate): Command {
  return parent.command('update')
    .alias('set')
    .description('change options; every KEY=VALUE is checked before any is stored')
    .argument('<key=value...>', 'e.g. max_boot_wait_time=1800 clear_stage=true')
    .addHelpText('after', `\nRanges (the API's PATCH /v2/options checks the same):\n${rangeLines()}\n\nExamples:\n  bosctl options update max_power_off_wait_time=600\n  bosctl options update clear_stage=true default_retry_policy=2`)
    .action(async (pairs: string[], _o: unknown, cmd: Command) => {
      const patch: Record<string, unknown> = {};
      for (const pair of pairs) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw bosError('BOS_OPTION_INVALID', `"${pair}" is not KEY=VALUE: write e.g. max_boot_wait_time=1800`);
        patch[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
      }
      await run({ patch }, deps.forCommand(cmd));
    });
}

export async function runUpdate(o: { patch: Record<string, unknown> }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const options = await (await deps.backend()).updateOptions(o.patch);
  await printResult(deps.io, g.output, options, () => {
    if (!g.quiet) for (const k of Object.keys(o.patch)) deps.io.out(`${k} set to ${String(options[k as OptionKey])}\n`);
  });
}
