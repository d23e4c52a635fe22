/** The learned time of a change: from the last read that did not see it and the first that did. */
import { describe, expect, it } from 'vitest';
import { ChangeTimes, FINE_MS } from '../../src/daemon/steps/poll-plan.js';

describe('ChangeTimes', () => {
  it('knows nothing before a change was seen', () => {
    expect(new ChangeTimes().expected('off')).toBeUndefined();
  });

  it('a late first sighting does not make the estimate late: it stays just after the last read that missed', () => {
    const t = new ChangeTimes();
    // Changed after 29.9 s, but first seen only at 45 s (a read backed off).
    t.observe('off', 29_900, 45_000);
    expect(t.expected('off')).toBe(29_900 + FINE_MS);
  });

  it('precise sightings give the quickest typical time; kinds are learned apart', () => {
    const t = new ChangeTimes();
    for (let i = 0; i < 10; i++) t.observe('cfs', 59_900, 60_100);
    t.observe('on', 9_800, 10_000);
    expect(t.expected('cfs')).toBe(60_100);
    expect(t.expected('on')).toBe(10_000);
    expect(t.expected('off')).toBeUndefined();
  });

  it('follows a change that got slower (recent sightings only)', () => {
    const t = new ChangeTimes();
    for (let i = 0; i < 40; i++) t.observe('off', 9_900, 10_000);
    for (let i = 0; i < 40; i++) t.observe('off', 19_900, 20_000);
    expect(t.expected('off')).toBe(20_000);
  });
});
