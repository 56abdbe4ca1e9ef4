import { describe, expect, it } from 'vitest';
import { Backoff, type BackoffStep } from '../../src/supervision/backoff.js';

const policy = { initial_ms: 100, factor: 2, max_ms: 1_000, reset_after_ms: 60_000 };

/** A restart decided at `now`: its step, then counted. */
function next(backoff: Backoff, now: number): BackoffStep {
  const step = backoff.preview(now);
  backoff.count(now);
  return step;
}

function delays(backoff: Backoff, count: number, now = 0): number[] {
  return Array.from({ length: count }, () => next(backoff, now).delay_ms);
}

describe('Backoff', () => {
  it('doubles the delay with each restart, up to the maximum', () => {
    expect(delays(new Backoff(policy), 6)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('says which restart the delay is for', () => {
    const backoff = new Backoff(policy);
    expect(delays(backoff, 3)).toEqual([100, 200, 400]);
    expect(next(backoff, 0).reason).toBe('backoff 800ms (4th restart)');
    expect(delays(backoff, 7)).toHaveLength(7);
    expect(next(backoff, 0).reason).toBe('backoff 1s (12th restart)');
    expect(next(backoff, 0).reason).toBe('backoff 1s (13th restart)');
  });

  it('rounds delays of a fractional factor to whole milliseconds', () => {
    expect(delays(new Backoff({ ...policy, initial_ms: 100, factor: 1.5 }), 4)).toEqual([100, 150, 225, 338]);
  });

  it('never overflows: a long crash loop stays at the maximum', () => {
    const backoff = new Backoff({ ...policy, factor: 10 });
    expect(delays(backoff, 2_000).at(-1)).toBe(1_000);
  });

  it('starts over after the appliance stayed up reset_after_ms, and says so', () => {
    const backoff = new Backoff(policy);
    delays(backoff, 4);
    backoff.started(1_000);
    const step = next(backoff, 61_000);
    expect(step).toEqual({ delay_ms: 100, reason: 'backoff 100ms (1st restart after 1m up)' });
    expect(next(backoff, 61_000).delay_ms).toBe(200);
  });

  it('keeps growing when the appliance went down before reset_after_ms', () => {
    const backoff = new Backoff(policy);
    delays(backoff, 2);
    backoff.started(1_000);
    expect(next(backoff, 60_999).delay_ms).toBe(400);
  });

  it('counts an uptime only once: the next restart without a start keeps growing', () => {
    const backoff = new Backoff(policy);
    delays(backoff, 3);
    backoff.started(0);
    expect(next(backoff, 100_000).delay_ms).toBe(100);
    expect(next(backoff, 500_000).delay_ms).toBe(200);
  });

  it('previews the next delay without counting a restart', () => {
    const backoff = new Backoff(policy);
    delays(backoff, 2);
    expect(backoff.preview(0).delay_ms).toBe(400);
    expect(backoff.preview(0).delay_ms).toBe(400);
    backoff.started(0);
    expect(backoff.preview(59_999).delay_ms).toBe(400);
    expect(backoff.preview(60_000).delay_ms).toBe(100);
    expect(next(backoff, 10).delay_ms).toBe(400);
  });

  it('starts over on reset', () => {
    const backoff = new Backoff(policy);
    delays(backoff, 5);
    backoff.reset();
    expect(delays(backoff, 2)).toEqual([100, 200]);
  });
});
