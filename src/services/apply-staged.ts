import { applyStagedRule } from '../core/component.js';
import { resolveNodeArgs, requireSomeNodes } from '../core/node-names.js';
import type { ApplyStagedResult, Component, Session } from '../core/types.js';
import type { NewEvent } from '../store/events.js';
import { groupChanges, nodeChange, type ChangeGroup, type NodeChange } from '../core/plan-diff.js';
import { isoNow, tenantScope, type ServiceContext } from './context.js';
import { ownsNode } from '../core/tenant.js';

export interface ApplyStagedReport extends ApplyStagedResult {
  /** Why each failed or ignored entry is so (and which succeeded ones are already current). */
  reasons: Record<string, string>;
  /** With dry_run: what each succeeding node would change, grouped; nothing was written. */
  plan?: ChangeGroup[];
}

export interface ApplyStagedOptions {
  /** Leave nodes that already run the staged state as they are (bosctl's default). */
  skipCurrent?: boolean;
  dryRun?: boolean;
}

/**
 * Applies the staged state of the given xnames in one transaction (BOS writes node by node;
 * one transaction is both faster and all-or-nothing on a crash).
 */
export function applyStaged(ctx: ServiceContext, xnames: string[], o: ApplyStagedOptions = {}): ApplyStagedReport {
  const now = isoNow(ctx);
  const report: ApplyStagedReport = { succeeded: [], failed: [], ignored: [], reasons: {} };
  const changes: NodeChange[] = [];
  const scope = tenantScope(ctx);
  const run = () => {
    const options = ctx.store.options.get();
    const skipCurrent = o.skipCurrent ?? options.skip_current_nodes;
    const sessions = new Map<string, (Session & { halted: boolean }) | undefined>();
    const sessionOf = (name: string) => {
      if (!sessions.has(name)) {
        const s = ctx.store.sessions.get(name);
        sessions.set(name, s && { ...s, halted: ctx.store.sessions.control(name).halted_at !== null });
      }
      return sessions.get(name);
    };
    // Every named row in one query, not one per node (one round trip on PostgreSQL).
    const rows = ctx.store.components.getManyVersioned(xnames);
    const updates: Array<{ component: Component; rev: number }> = [];
    const events: NewEvent[] = [];
    for (const x of xnames) {
      // Another tenant's node is ignored (BOS: _apply_tenant_limit).
      if (!ownsNode(scope, x)) {
        report.ignored.push(x);
        report.reasons[x] = `not a node of tenant ${scope!.name}`;
        continue;
      }
      const row = rows.get(x);
      const c = row?.component;
      const staged = c?.staged_state.session;
      const outcome = applyStagedRule(c, staged ? sessionOf(staged) : undefined, { clear_stage: options.clear_stage, skipCurrent }, now);
      report[outcome.verdict].push(x);
      if (outcome.reason) report.reasons[x] = outcome.reason;
      if (o.dryRun) {
        if (outcome.verdict === 'succeeded' && c) {
          changes.push(nodeChange(c, { boot_artifacts: outcome.next!.desired_state.boot_artifacts!, configuration: outcome.next!.desired_state.configuration ?? '' }));
        }
        continue;
      }
      if (outcome.next) {
        // A node named twice: its second outcome is decided on its first one's row.
        if (row) { updates.push({ component: outcome.next, rev: row.rev }); row.rev += 1; row.component = outcome.next; } else ctx.store.components.put(outcome.next);
        events.push({ at: now, kind: 'component', subject: x, action: outcome.verdict === 'succeeded' ? 'apply_staged' : 'apply_staged_failed', detail: {
          session: staged, ...(outcome.reason ? { reason: outcome.reason } : {}),
        }, actor: ctx.actor });
      } else if (outcome.verdict === 'ignored' && c) {
        // Nothing changes, but who asked and why it was not applied belongs in its history.
        events.push({ at: now, kind: 'component', subject: x, action: 'apply_staged_ignored', detail: { reason: outcome.reason }, actor: ctx.actor });
      }
    }
    // Every node's row and event in a statement each on PostgreSQL, not two per node.
    ctx.store.components.updateMany(updates);
    ctx.store.events.recordMany(events);
  };
  if (o.dryRun) {
    ctx.store.read(run);
    report.plan = groupChanges(changes);
  } else ctx.store.write(run);
  return report;
}

/** apply-staged by the names an admin or Slurm gives: xnames, nids, hostnames, hostlists. */
export function applyStagedByNames(ctx: ServiceContext, args: string[], o: ApplyStagedOptions = {}): ApplyStagedReport {
  requireSomeNodes(args);
  const resolved = ctx.store.read(() => resolveNodeArgs(args, ctx.store.inventory));
  const report = applyStaged(ctx, resolved.xnames, o);
  for (const name of resolved.unknown) {
    report.ignored.push(name);
    report.reasons[name] = 'not a known node name';
  }
  return report;
}
