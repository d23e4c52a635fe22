import { Command } from 'commander';
import { bosError } from '../../core/errors.js';
import { countNames, hostnames, parseHostlist, rangedString, sortRanges, uniqueRanges, type HostRange } from '../../core/hostlist.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printResult } from '../output/result.js';

type Verb = 'expand' | 'compress' | 'count';

export interface HostlistOptions {
  verb: Verb;
  exprs: string[];
  sort: boolean;
  unique: boolean;
}

const HELP: Record<Verb, { what: string; examples: string }> = {
  expand: {
    what: 'print the names of hostlists, one a line (scontrol show hostnames)',
    examples: `
  bosctl hostlist expand 'nid[000001-000004,000010]'
  sinfo -h -o %N | bosctl hostlist expand
  bosctl hostlist expand -o json 'x1000c0s0b0n[0-1]'`,
  },
  compress: {
    what: 'print names and hostlists as one hostlist (scontrol show hostlist; --sort: hostlistsorted)',
    examples: `
  bosctl hostlist compress nid000001 nid000002 nid000003
  bosctl component list -o name | bosctl hostlist compress --sort`,
  },
  count: {
    what: 'print how many names hostlists hold',
    examples: `
  bosctl hostlist count 'nid[000001-000512]'
  bosctl hostlist count --unique 'nid[1-8],nid[5-12]'`,
  },
};

export function register(program: Command, deps: CliDeps): void {
  const hostlist = program
    .command('hostlist')
    .description('expand, compress and count Slurm hostlists, as scontrol does, without Slurm')
    .addHelpText('after', `
Examples:
  bosctl hostlist expand 'nid[000001-000004,000010]'
  sinfo -h -N -o %n | bosctl hostlist compress --sort
  bosctl hostlist count 'x1000c0s[0-7]b0n[0-1]'

Hostlists are read and written as Slurm 22.05 reads and writes them: items separated by
commas or whitespace, only a trailing number bracketed, repeated names kept unless --unique.
With no EXPR, or "-", hostlists are read from stdin. The rules, and where bosctl is stricter
than Slurm: docs/hostlist.md.`);
  for (const verb of ['expand', 'compress', 'count'] as const) define(hostlist, deps, verb);
}

export function define(parent: Command, deps: CliDeps, verb: Verb, run = runHostlist): Command {
  return parent
    .command(verb)
    .description(HELP[verb].what)
    .argument('[expr...]', 'hostlists or names, e.g. nid[000001-000004]; none or "-" reads stdin')
    .option('--sort', 'sort as scontrol show hostlistsorted does')
    .option('-u, --unique', 'drop repeated names, keeping the first')
    .addHelpText('after', `\nExamples:${HELP[verb].examples}`)
    .action(async (exprs: string[], opts: { sort?: boolean; unique?: boolean }, cmd: Command) => {
      await run({ verb, exprs, sort: opts.sort === true, unique: opts.unique === true }, deps.forCommand(cmd));
    });
}

async function readExpressions(exprs: string[], deps: Pick<RunDeps, 'io'>): Promise<string[]> {
  if (exprs.length === 0 && deps.io.stdinIsTTY) {
    throw bosError('BOS_USAGE', 'no hostlist given: name hostlists, e.g. bosctl hostlist expand nid[1-4], or pipe them in');
  }
  const out: string[] = [];
  for (const e of exprs.length === 0 ? ['-'] : exprs) out.push(e === '-' ? await deps.io.readStdin() : e);
  return out;
}

export async function runHostlist(opts: HostlistOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  // Arguments and stdin are items of one hostlist, so a1 a2 compresses to a[1-2].
  let list: HostRange[] = parseHostlist((await readExpressions(opts.exprs, deps)).join(','));
  if (opts.unique) list = uniqueRanges(list);
  if (opts.sort) list = sortRanges(list);
  if (opts.verb === 'count') {
    const n = countNames(list);
    await printResult(deps.io, g.output, n, () => deps.io.out(`${n}\n`));
    return;
  }
  if (opts.verb === 'compress') {
    const text = rangedString(list);
    await printResult(deps.io, g.output, text, () => deps.io.out(`${text}\n`));
    return;
  }
  const names = hostnames(list);
  await printResult(deps.io, g.output, names, () => {
    // One write per many names: a million names stay fast.
    for (let i = 0; i < names.length; i += 65_536) deps.io.out(`${names.slice(i, i + 65_536).join('\n')}\n`);
  });
}
