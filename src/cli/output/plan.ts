import { compressHostlist } from '../../core/hostlist.js';
import type { ChangeGroup } from '../../core/plan-diff.js';
import type { Paint } from '../io.js';

const FIELDS = ['kernel', 'initrd', 'kernel_parameters', 'configuration'] as const;
const LABEL: Record<(typeof FIELDS)[number], string> = { kernel: 'kernel', initrd: 'initrd', kernel_parameters: 'params', configuration: 'configuration' };

/** A plan, for a terminal: each group of nodes with the same change, then what changes. */
export function renderPlan(groups: ChangeGroup[], p: Paint): string {
  let out = '';
  for (const g of groups) {
    const head = `${g.nodes.length} node(s) ${compressHostlist(g.nodes)}`;
    if (g.change.current) {
      out += `  ${head}: ${p.green('already current')}, not rebooted (--force reboots them)\n`;
      continue;
    }
    out += `  ${head}:\n`;
    const changed = FIELDS.filter((f) => g.change[f][0] !== g.change[f][1]);
    if (changed.length === 0) out += '    no change of artifacts or configuration (rebooted: BOS reboots on request)\n';
    for (const f of changed) {
      const [from, to] = g.change[f];
      out += `    ${LABEL[f].padEnd(13)} ${from === '' ? p.dim('(none)') : from} → ${to === '' ? p.dim('(none)') : p.bold(to)}\n`;
    }
  }
  return out;
}
