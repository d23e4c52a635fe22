import { applyStagedRule } from '../core/component.js';
import { resolveNodeArgs, requireSomeNodes } from '../core/node-names.js';
import type { ApplyStagedResult, Session } from '../core/types.js';
import { isoNow, type ServiceContext } from './context.js';

export interface ApplyStagedReport extends ApplyStagedResult {
  /** Why each failed or ignored entry is so. */
  reasons: Record<string, string>;
}

/**
 * Applies the staged state of the given xnames in one transaction (BOS writes node by node;
 * one transaction is both faster and all-or-nothing on a crash).
 */
export function applyStaged(ctx: ServiceContext, xnames: string[]): ApplyStagedReport {
  const now = isoNow(ctx);
  const report: ApplyStagedReport = { succeeded: [], failed: [], ignored: [], reasons: {} };
  ctx.store.write(() => {
    const options = ctx.store.options.get();
    const sessions = new Map<string, Session | undefined>();
    const sessionOf = (name: string) => {
      if (!sessions.has(name)) sessions.set(name, ctx.store.sessions.get(name));
      return sessions.get(name);
    };
    for (const x of xnames) {
      const c = ctx.store.components.get(x);
      const staged = c?.staged_state.session;
      const outcome = applyStagedRule(c, staged ? sessionOf(staged) : undefined, options, now);
      report[outcome.verdict].push(x);
      if (outcome.reason) report.reasons[x] = outcome.reason;
      if (outcome.next) {
        ctx.store.components.put(outcome.next);
        ctx.store.events.record(now, 'component', x, outcome.verdict === 'succeeded' ? 'apply_staged' : 'apply_staged_failed', {
          session: staged, ...(outcome.reason ? { reason: outcome.reason } : {}),
        }, ctx.actor);
      }
    }
  });
  return report;
}

/** apply-staged by the names an admin or Slurm gives: xnames, nids, hostnames, hostlists. */
export function applyStagedByNames(ctx: ServiceContext, args: string[]): ApplyStagedReport {
  requireSomeNodes(args);
  const resolved = ctx.store.read(() => resolveNodeArgs(args, ctx.store.inventory));
  const report = applyStaged(ctx, resolved.xnames);
  for (const name of resolved.unknown) {
    report.ignored.push(name);
    report.reasons[name] = 'not a known node name';
  }
  return report;
}
