import { bosError } from '../core/errors.js';
import type { Component } from '../core/types.js';
import { withStatus } from '../core/component.js';
import { isoNow, type ServiceContext } from './context.js';

export interface BootReport {
  bss_token: string;
}

export interface BootReportResult {
  component: Component;
  /** Set when the token is not one bosd wrote: the artifacts stay empty. */
  warning?: string;
}

/**
 * A booted node's report (as Cray-HPE/bos-reporter sends it): the BSS referral token from
 * its kernel command line. bosd knows which artifacts it wrote with each token.
 */
export function recordBootReport(ctx: ServiceContext, id: string, report: BootReport): BootReportResult {
  if (typeof report.bss_token !== 'string' || report.bss_token === '' || report.bss_token.length > 65535) {
    throw bosError('BOS_VALUE_INVALID', 'invalid boot report: actual_state.bss_token must be a non-empty string');
  }
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const v = ctx.store.components.getVersioned(id);
    if (!v) throw bosError('BOS_COMPONENT_NOT_FOUND', `component "${id}" does not exist`);
    const c = v.component;
    const powering = c.enabled && c.status.phase !== '' && c.last_action.action !== 'powering_on';
    if (powering) {
      throw bosError('BOS_CONFLICT', `component ${id} is being powered off by bosd (${c.last_action.action ?? 'pending'}); report again after it boots`);
    }
    const artifacts = ctx.store.bssTokens.get(report.bss_token);
    const next: Component = {
      ...c,
      actual_state: { ...(artifacts ? { boot_artifacts: artifacts } : {}), bss_token: report.bss_token, last_updated: now },
    };
    ctx.store.components.update(next, v.rev);
    ctx.store.events.record(now, 'component', id, 'boot_reported', {
      kernel: artifacts?.kernel ?? '', known_token: artifacts !== undefined,
    }, ctx.actor);
    return {
      component: withStatus(next),
      warning: artifacts ? undefined : `component ${id} reported a BSS token bosd did not write; its boot artifacts are unknown`,
    };
  });
}
