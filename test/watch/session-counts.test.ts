/**
 * Session status counts each node once (src/core/session-status.ts): a node staged and
 * applied is an applied node, a node not yet applied is staged, a node bosd has not
 * finished is never stable; and the watch's line (src/cli/output/session-watch.ts) has no
 * negative rate, no rate before a node finished, and a total time on a complete session.
 */
import { describe, expect, it } from 'vitest';
import { newComponent } from '../../src/core/component.js';
import { countsSummary, extendedStatus, nodeState, sessionCounts, unsettledCount } from '../../src/core/session-status.js';
import type { Component, Session } from '../../src/core/types.js';
import { progressLine, RateMeter } from '../../src/cli/output/session-watch.js';
import type { SessionStatusReport } from '../../src/services/sessions.js';

const S = 'up';
const session = (status: Session['status']['status'] = 'running', end: string | null = null): Session => ({
  name: S, operation: 'reboot', template_name: 'v2', limit: '', stage: true, components: '', include_disabled: false,
  status: { status, start_time: '2025-01-01T00:00:00.000Z', end_time: end, error: null },
});
const staged = { session: S, boot_artifacts: { kernel: 'k2', initrd: 'i2', kernel_parameters: '' } };
/** A node S staged that bosd took stable (disabled), keeping its stage (clear_stage false). */
const appliedStable = (id: string): Component => ({ ...newComponent(id), session: S, staged_state: staged });
const stagedOnly = (id: string): Component => ({ ...newComponent(id), staged_state: staged });
const inPhase = (id: string, phase: string): Component => ({ ...newComponent(id), enabled: true, session: S, staged_state: staged, status: { phase, status: '', status_override: '' } });

function report(comps: Component[], status: Session['status']['status'] = 'running', end: string | null = null): SessionStatusReport {
  const s = session(status, end);
  return { session: s, control: { max_failures: null, halted_at: null }, counts: sessionCounts(S, comps), extended: extendedStatus(s, comps, new Date('2025-01-01T00:02:00.000Z')) } as SessionStatusReport;
}

describe('a node counts once in a session', () => {
  it('4 nodes staged and applied, all stable: 4 node(s), 100% complete, nothing staged, nothing left to watch', () => {
    const comps = ['n0', 'n1', 'n2', 'n3'].map(appliedStable);
    const r = report(comps);
    expect(r.counts).toEqual({ staged: 0, powering_off: 0, powering_on: 0, configuring: 0, on_hold: 0, stable: 4, failed: 0 });
    expect(countsSummary(r.counts)).toEqual({ nodes: 4, percentComplete: 100 });
    // The API keeps BOS's arithmetic (session_status.py): session nodes + staged nodes.
    expect(r.extended.managed_components_count).toBe(8);
    expect(r.extended.percent_staged).toBe(50);
    expect(unsettledCount(r.counts, false)).toBe(0);
  });

  it('2 applied and stable, 2 still staged: the staged ones are waiting, not done', () => {
    const r = report([appliedStable('n0'), appliedStable('n1'), stagedOnly('n2'), stagedOnly('n3')]);
    expect(r.counts).toMatchObject({ staged: 2, stable: 2 });
    expect(countsSummary(r.counts)).toEqual({ nodes: 4, percentComplete: 50 });
    expect(r.extended).toMatchObject({ managed_components_count: 6, percent_staged: 66.67 });
    expect(unsettledCount(r.counts, false)).toBe(2);
    // A halted session applies no more: its staged nodes no longer keep a watch going.
    expect(unsettledCount(r.counts, true)).toBe(0);
  });

  it('on_hold is on_hold: a cap wait or a hung BMC (override), and a node bosd has not finished, are not stable', () => {
    const capWait: Component = { ...inPhase('n0', 'powering_off'), status: { phase: 'powering_off', status: 'on_hold', status_override: 'on_hold' } };
    const notTakenUp: Component = { ...newComponent('n1'), enabled: true, session: S };
    expect(nodeState(S, capWait)).toBe('on_hold');
    expect(nodeState(S, notTakenUp)).toBe('on_hold');
    const r = report([capWait, notTakenUp, inPhase('n2', 'configuring')]);
    expect(r.counts).toMatchObject({ on_hold: 2, configuring: 1, stable: 0 });
    expect(countsSummary(r.counts).percentComplete).toBe(0);
    // BOS's phase percentages leave held nodes out.
    expect(r.extended.phases.percent_powering_off).toBe(0);
    expect(unsettledCount(r.counts, false)).toBe(3);
  });

  it('a node of another session that S staged earlier is staged for S; nodes of neither are not counted', () => {
    const other: Component = { ...stagedOnly('n0'), session: 'older' };
    expect(nodeState(S, other)).toBe('staged');
    expect(nodeState(S, newComponent('n1'))).toBeUndefined();
  });
});

describe('the watch line', () => {
  it('no rate until a node finished; never negative when nodes go back to work', () => {
    const m = new RateMeter();
    m.observe(0, 0);
    expect(m.perMinute(30_000)).toBeUndefined();
    const running = report([inPhase('n0', 'powering_on'), appliedStable('n1')]);
    expect(progressLine(running, m.perMinute(30_000))).not.toMatch(/nodes\/min/);
    m.observe(2, 60_000);
    expect(m.perMinute(60_000)).toBe(2);
    // Done goes down (a node re-applied): the rate keeps what was seen finishing.
    m.observe(0, 90_000);
    expect(m.perMinute(120_000)).toBe(1);
    expect(progressLine(running, m.perMinute(120_000))).toMatch(/; 1\.0 nodes\/min, ETA 1 min$/);
    expect(progressLine(running, -6)).not.toMatch(/-\d/);
  });

  it('a complete session shows its total time and average rate, no live rate', () => {
    const done = report(['n0', 'n1', 'n2', 'n3'].map(appliedStable), 'complete', '2025-01-01T00:02:00.000Z');
    const line = progressLine(done, 0);
    expect(line).toBe('complete: staged 0, powering_off 0, powering_on 0, configuring 0, on_hold 0, stable 4, failed 0; took 0:02:00, 2.0 nodes/min on average');
    expect(line).not.toMatch(/running for|0\.0 nodes\/min/);
  });
});

describe('--retry-for', () => {
  it('takes seconds or 90s, 5m, 1h; anything else is exit 2 naming what is accepted', async () => {
    const { parseRetryFor } = await import('../../src/cli/commands/session.js');
    expect([parseRetryFor('0'), parseRetryFor('90'), parseRetryFor('90s'), parseRetryFor('5m'), parseRetryFor('1h')]).toEqual([0, 90_000, 90_000, 300_000, 3_600_000]);
    for (const bad of ['', '-1', '5 min', '1.5m', 'forever']) {
      expect(() => parseRetryFor(bad)).toThrow(expect.objectContaining({ code: 'BOS_VALUE_INVALID', exitCode: 2, message: expect.stringMatching(/expected seconds or a duration such as 90s, 5m or 1h/) }));
    }
  });
});
