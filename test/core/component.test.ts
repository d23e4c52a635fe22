import { describe, expect, it } from 'vitest';
import { applyStagedRule, computeStatus, discoveredComponent, newComponent, sessionIsDone, stageTarget } from '../../src/core/component.js';
import type { Component } from '../../src/core/types.js';

const now = '2026-11-25T10:00:00.000Z';
const target = { xname: 'x1', bootSet: 'compute', configuration: 'cfg-v2', boot_artifacts: { kernel: 'k2', initrd: 'i2', kernel_parameters: 'p' } };
const staged = (): Component => {
  const c = newComponent('x1');
  return stageTarget({ ...c, actual_state: { boot_artifacts: { kernel: 'k1', initrd: 'i1', kernel_parameters: '' } } }, target, 'S', now);
};

describe('apply-staged rule', () => {
  it('succeeds: staged becomes desired, node enabled, reboot clears actual state, stage kept', () => {
    const out = applyStagedRule(staged(), { name: 'S', operation: 'reboot' }, { clear_stage: false }, now);
    expect(out.verdict).toBe('succeeded');
    const c = out.next!;
    expect(c.desired_state.boot_artifacts).toEqual(target.boot_artifacts);
    expect(c.desired_state.configuration).toBe('cfg-v2');
    expect(c.enabled).toBe(true);
    expect(c.session).toBe('S');
    expect(c.last_action.action).toBe('apply_staged');
    // BOS's EMPTY_ACTUAL_STATE (common/values.py): every field there, empty.
    expect(c.actual_state).toEqual({ boot_artifacts: { kernel: '', kernel_parameters: '', initrd: '' }, bss_token: '', last_updated: now });
    expect(c.staged_state.session).toBe('S');
  });

  it('a boot keeps the actual state', () => {
    const out = applyStagedRule(staged(), { name: 'S', operation: 'boot' }, { clear_stage: false }, now);
    expect(out.next!.actual_state.boot_artifacts?.kernel).toBe('k1');
  });

  it('clear_stage empties the staged state', () => {
    const out = applyStagedRule(staged(), { name: 'S', operation: 'reboot' }, { clear_stage: true }, now);
    expect(out.next!.staged_state.session).toBeUndefined();
    expect(out.next!.staged_state.boot_artifacts).toBeUndefined();
  });

  it('ignores unknown nodes and nodes with nothing staged, changing nothing', () => {
    for (const c of [undefined, newComponent('x1')]) {
      const out = applyStagedRule(c, undefined, { clear_stage: false }, now);
      expect(out.verdict).toBe('ignored');
      expect(out.next).toBeUndefined();
    }
  });

  it('fails when the staged session is gone: node disabled with the reason', () => {
    const out = applyStagedRule(staged(), undefined, { clear_stage: false }, now);
    expect(out.verdict).toBe('failed');
    expect(out.next!.enabled).toBe(false);
    expect(out.next!.error).toMatch(/staged session S no longer exists/);
  });

  it('fails a shutdown with artifacts and a reboot without them', () => {
    expect(applyStagedRule(staged(), { name: 'S', operation: 'shutdown' }, { clear_stage: false }, now).verdict).toBe('failed');
    const empty = stageTarget(newComponent('x1'), { ...target, boot_artifacts: { kernel: '', initrd: '', kernel_parameters: '' } }, 'S', now);
    expect(applyStagedRule(empty, { name: 'S', operation: 'reboot' }, { clear_stage: false }, now).verdict).toBe('failed');
    expect(applyStagedRule(empty, { name: 'S', operation: 'shutdown' }, { clear_stage: false }, now).verdict).toBe('succeeded');
  });
});

describe('component status', () => {
  const c = newComponent('x1');
  it('follows BOS: override first, then phase and last action', () => {
    expect(computeStatus(c)).toBe('stable');
    expect(computeStatus({ ...c, status: { ...c.status, status_override: 'failed' } })).toBe('failed');
    expect(computeStatus({ ...c, status: { ...c.status, phase: 'powering_off' } })).toBe('power_off_pending');
    expect(computeStatus({ ...c, status: { ...c.status, phase: 'powering_off' }, last_action: { action: 'powering_off_forcefully' } })).toBe('power_off_forcefully_called');
    expect(computeStatus({ ...c, status: { ...c.status, phase: 'powering_on' }, last_action: { action: 'powering_on' } })).toBe('power_on_called');
    expect(computeStatus({ ...c, status: { ...c.status, phase: 'powering_on' }, last_action: { action: 'powering_on', failed: true } })).toBe('power_on_pending');
    expect(computeStatus({ ...c, status: { ...c.status, phase: 'configuring' } })).toBe('configuring');
  });

  it('a session is done when no enabled node works for it and none has it staged', () => {
    expect(sessionIsDone('S', [staged()])).toBe(false);
    expect(sessionIsDone('S', [{ ...newComponent('x'), enabled: true, session: 'S' }])).toBe(false);
    expect(sessionIsDone('S', [{ ...newComponent('x'), enabled: false, session: 'S' }])).toBe(true);
  });

  // BOS: operators/session_completion.py — only nodes still enabled for the session (or with its stage) keep it open.
  it('a session whose failed node was disabled, and whose other node a newer session took, is done', () => {
    const failed: Component = { ...newComponent('x1'), enabled: false, session: 'S', error: 'did not power off', status: { phase: 'powering_off', status: 'failed', status_override: 'failed' } };
    const taken: Component = { ...newComponent('x2'), enabled: true, session: 'NEWER' };
    expect(sessionIsDone('S', [failed, taken])).toBe(true);
    expect(computeStatus(failed)).toBe('failed');
  });
});

// BOS: operators/discovery.py _new_component, with common/values.py's empty states.
describe('a newly discovered component', () => {
  it('has BOS\'s empty states, is disabled, has no error or session, and its last action is newly_discovered', () => {
    const c = discoveredComponent('x1', now);
    const empty = { kernel: '', kernel_parameters: '', initrd: '' };
    expect(c).toMatchObject({
      id: 'x1', enabled: false, error: '', session: '',
      actual_state: { boot_artifacts: empty, bss_token: '', last_updated: now },
      desired_state: { boot_artifacts: empty, configuration: '', bss_token: '', last_updated: now },
      last_action: { action: 'newly_discovered', failed: false, last_updated: now },
    });
  });
});
