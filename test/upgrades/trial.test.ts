import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Trial } from '../../src/upgrades/trial.js';

const timing = { deadline_ms: 10_000, settle_ms: 2_000 };

describe('Trial', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes an unwatched run once it has stayed up for the settle time', async () => {
    const trial = new Trial(timing, false);
    let verdict: unknown;
    void trial.verdict.then((v) => (verdict = v));
    trial.up();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(verdict).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(verdict).toEqual({ passed: true });
  });

  it('fails an unwatched run that ends within the settle time', async () => {
    const trial = new Trial(timing, false);
    trial.up();
    await vi.advanceTimersByTimeAsync(500);
    trial.fail('exit 3');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await trial.verdict).toEqual({ passed: false, reason: 'exit 3' });
  });

  it('passes a watched run when its watchers pass, not merely when it is up', async () => {
    const trial = new Trial(timing, true);
    let verdict: unknown;
    void trial.verdict.then((v) => (verdict = v));
    trial.up();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(verdict).toBeUndefined();
    trial.healthy();
    await vi.advanceTimersByTimeAsync(0);
    expect(verdict).toEqual({ passed: true });
  });

  it('fails at the deadline, and the first verdict stands', async () => {
    const trial = new Trial(timing, true);
    trial.up();
    await vi.advanceTimersByTimeAsync(10_000);
    trial.healthy();
    expect(await trial.verdict).toEqual({ passed: false, reason: 'not healthy within 10 s' });
  });
});
