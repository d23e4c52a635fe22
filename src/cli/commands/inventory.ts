import { Command } from 'commander';
import { bosError } from '../../core/errors.js';
import { parseInventoryRecord } from '../../core/inventory.js';
import { compressHostlist } from '../../core/hostlist.js';
import type { CliDeps, RunDeps } from '../context.js';
import { parseCsv, parseStructured } from '../files.js';
import { readLimitedText } from '../read-limited.js';
import { printListOrNote, printOne, renderFields } from '../output/format.js';
import { printResult } from '../output/result.js';
import { componentView, inventoryView } from '../output/views.js';

export function register(program: Command, deps: CliDeps): void {
  const inv = program.command('inventory').description('the nodes bosctl knows: xname, nid, hostname, role, groups, BMC')
    .addHelpText('after', '\nExamples:\n  bosctl inventory import nodes.csv\n  bosctl inventory list -o wide\n  bosctl inventory describe nid000001');

  defineImport(inv, deps);
  defineList(inv, deps);
  defineDescribe(inv, deps);
}

export interface ImportOptions { file: string; format?: string; replace: boolean }

export function defineImport(parent: Command, deps: CliDeps, run = runImport): Command {
  return parent.command('import')
    .description('add or update nodes from a JSON, YAML or CSV file (upsert by xname)')
    .argument('<file>', 'the file; "-" reads JSON or YAML from stdin')
    .option('--format <format>', 'json, yaml or csv (default: from the file name)')
    .option('--replace', 'each record replaces its whole node: fields it does not give are emptied')
    .addHelpText('after', `
Each record has: xname (required), nid, hostname, aliases, role, subrole, groups,
enabled, arch, bmc_address, redfish_system_id, credentials_ref. HSM's spellings
(ID, NID, Role, SubRole, Enabled, Arch) are accepted too. Any other field is an
error naming it, and nothing is imported. In CSV, lists (groups, aliases) are
separated by ";". A JSON or YAML file holds a list of records or {"nodes": [...]}.

A record for a node already in the inventory changes only the fields it gives;
the others keep their stored values. In CSV an empty cell gives nothing (the
stored value stays); in JSON or YAML, null or "" clears a field (an empty list
for groups and aliases, true for enabled). --replace makes each record the whole
node instead, as if the node were new.

Limits: hostnames and aliases are RFC 1123 host names (at most 253 characters);
role, subrole and group names use letters, digits, "-", "_" and "." (at most 64);
bmc_address, redfish_system_id and credentials_ref are printable without spaces
(at most 255); the file is at most 16 MiB.

Examples:
  bosctl inventory import nodes.csv
  bosctl inventory import bmcs.csv            # xname,bmc_address: other fields kept
  bosctl inventory import nodes.yaml --replace -o json`)
    .action(async (file: string, opts: { format?: string; replace?: boolean }, cmd: Command) => {
      await run({ file, format: opts.format, replace: opts.replace === true }, deps.forCommand(cmd));
    });
}

export async function runImport(opts: ImportOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const file = opts.file;
  const text = await readLimitedText(file, deps.io);
  const format = (opts.format ?? (file.endsWith('.csv') ? 'csv' : 'structured')).toLowerCase();
  let records: unknown;
  if (format === 'csv') records = parseCsv(text, file);
  else if (['structured', 'json', 'yaml', 'yml'].includes(format)) records = await parseStructured(text, file);
  else throw bosError('BOS_VALUE_INVALID', `unknown --format "${opts.format}": expected json, yaml or csv`);
  if (records && typeof records === 'object' && !Array.isArray(records) && Array.isArray((records as { nodes?: unknown }).nodes)) {
    records = (records as { nodes: unknown[] }).nodes;
  }
  if (!Array.isArray(records)) throw bosError('BOS_FILE_INVALID', `${file} holds no list of nodes: expected a list of records or {"nodes": [...]}`);
  const unit = format === 'csv' ? 'data row' : 'record';
  const nodes = records.map((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw bosError('BOS_INVENTORY_INVALID', `${file} ${unit} ${i + 1} is not an object`);
    return parseInventoryRecord(r as Record<string, unknown>, `${file} ${unit} ${i + 1}`, { csv: format === 'csv' });
  });
  const report = await (await deps.backend()).importInventory(nodes, { replace: opts.replace });
  await printResult(deps.io, g.output, report, () => {
    if (g.quiet) return;
    const line = (label: string, xs: string[]) => `${label}: ${xs.length}${xs.length ? `  ${compressHostlist(xs)}` : ''}\n`;
    deps.io.out(line('added', report.added) + line('updated', report.updated) + line('unchanged', report.unchanged));
  });
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list the nodes of the inventory')
    .addHelpText('after', '\nExamples:\n  bosctl inventory list\n  bosctl inventory list -o wide\n  bosctl inventory list -o name')
    .action(async (_opts: unknown, cmd: Command) => {
      await run({}, deps.forCommand(cmd));
    });
}

export async function runList(_o: Record<string, never>, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const nodes = await (await deps.backend()).listInventory();
  await printListOrNote(deps.io, inventoryView, nodes, { format: g.output, noHeaders: !g.headers }, 'No nodes in the inventory. Add some with "bosctl inventory import FILE".');
}

export function defineDescribe(parent: Command, deps: CliDeps, run = runDescribe): Command {
  return parent.command('describe')
    .alias('show')
    .description('show one node and its component state')
    .argument('<node>', 'xname, nid or hostname')
    .addHelpText('after', '\nExamples:\n  bosctl inventory describe nid000001\n  bosctl inventory describe x1000c0s0b0n0 -o json')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runDescribe(o: { name: string }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const d = await (await deps.backend()).describeNode(o.name);
  await printResult(deps.io, g.output, d, () => printOne(deps.io, inventoryView, d.node, { format: g.output }, (n) => {
    let text = renderFields({ ...n });
    if (d.component) text += '\n' + renderFields({ component: componentView.api(d.component) as Record<string, unknown> });
    return text;
  }));
}
