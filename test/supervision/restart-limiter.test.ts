import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Random } from '../../src/common/clock.js';
import { RestartLimiter, type RestartVerdict } from '../../src/supervision/restart-limiter.js';
import type { RestartPolicy } from '../../src/model/restart-policy.js';
import { FakeClock } from '../support/fake-clock.js';

type LimiterPolicy = Pick<RestartPolicy, 'limit' | 'backoff' | 'retry_after_ms'>;

function limiter(policy: LimiterPolicy, random: Random = () => 0.5): { clock: FakeClock; limiter: RestartLimiter } {
  const clock = new FakeClock(1_000_000);
  return { clock, limiter: new RestartLimiter(policy, clock, random) };
}

/** The delay of a verdict that must be a restart. */
function delayOf(verdict: RestartVerdict): number {
  if (verdict.verdict !== 'restart') throw new Error(`expected a restart, got ${JSON.stringify(verdict)}`);
  return verdict.delay_ms;
}

/** What the appliance does with a restart-bound event: asks, then counts the restart it was allowed. */
function decide(l: RestartLimiter): RestartVerdict {
  const verdict = l.preview();
  if (verdict.verdict === 'restart') l.count();
  return verdict;
}

function verdicts(l: RestartLimiter, count: number): string[] {
  return Array.from({ length: count }, () => decide(l).verdict);
}

describe('RestartLimiter', () => {
  it('always restarts at once without a limit, wait or backoff', () => {
    const { limiter: l } = limiter({});
    for (let i = 1; i <= 100; i++) {
      expect(decide(l)).toEqual({ verdict: 'restart', delay_ms: 0, reason: `restart ${i}` });
    }
    expect(l.usage()).toEqual({ used: 100, limit: null, window_ms: null });
  });

  it('restarts n times with {n}, then fails for good, however long it waits', () => {
    const { clock, limiter: l } = limiter({ limit: { n: 3 } });
    expect(verdicts(l, 3)).toEqual(['restart', 'restart', 'restart']);
    clock.advance(365 * 86_400_000);
    expect(decide(l)).toEqual({ verdict: 'fail', reason: '3 restarts, the limit' });
    expect(l.usage()).toEqual({ used: 3, limit: 3, window_ms: null });
  });

  it('says which restart of the limit this is', () => {
    const { limiter: l } = limiter({ limit: { n: 5, within_ms: 60_000 } });
    expect(decide(l).reason).toBe('restart 1 of 5 in 1m');
    expect(decide(l).reason).toBe('restart 2 of 5 in 1m');
    const ever = limiter({ limit: { n: 2 } }).limiter;
    expect(decide(ever).reason).toBe('restart 1 of 2');
  });

  it('fails the restart that would be the n+1th within the window, naming the limit', () => {
    const { clock, limiter: l } = limiter({ limit: { n: 5, within_ms: 60_000 } });
    for (let i = 0; i < 5; i++) {
      expect(decide(l).verdict).toBe('restart');
      clock.advance(10_000);
    }
    expect(decide(l)).toEqual({ verdict: 'fail', reason: '5 restarts in 1m' });
  });

  it('allows a restart again once the oldest one has left the sliding window', () => {
    const { clock, limiter: l } = limiter({ limit: { n: 2, within_ms: 60_000 } });
    decide(l); // t = 0
    clock.advance(30_000);
    decide(l); // t = 30s
    clock.advance(29_999);
    expect(decide(l).verdict).toBe('fail');
    expect(l.usage().used).toBe(2);
    clock.advance(1); // t = 60s: the first restart is exactly one window old
    expect(l.usage().used).toBe(1);
    expect(decide(l).verdict).toBe('restart');
    expect(decide(l).verdict).toBe('fail');
  });

  it('does not count a failed decision as a restart', () => {
    const { clock, limiter: l } = limiter({ limit: { n: 1, within_ms: 1_000 } });
    decide(l);
    clock.advance(500);
    expect(verdicts(l, 10)).toEqual(Array(10).fill('fail'));
    clock.advance(500);
    expect(decide(l).verdict).toBe('restart');
  });

  it('fails at once with a limit of zero', () => {
    const { limiter: l } = limiter({ limit: { n: 0 } });
    expect(decide(l)).toEqual({ verdict: 'fail', reason: '0 restarts, the limit' });
  });

  it('speaks of one restart in the singular', () => {
    const { limiter: l } = limiter({ limit: { n: 1, within_ms: 5_000 } });
    decide(l);
    expect(decide(l).reason).toBe('1 restart in 5s');
  });

  it('tells when to try again after failing when the policy has retry_after', () => {
    const { limiter: l } = limiter({ limit: { n: 1 }, retry_after_ms: 300_000 });
    decide(l);
    expect(decide(l)).toEqual({ verdict: 'fail', reason: '1 restart, the limit', retry_in_ms: 300_000 });
  });

  it('starts counting afresh on reset', () => {
    const { limiter: l } = limiter({ limit: { n: 2 } });
    verdicts(l, 3);
    l.reset();
    expect(l.usage().used).toBe(0);
    expect(verdicts(l, 3)).toEqual(['restart', 'restart', 'fail']);
    const windowed = limiter({ limit: { n: 1, within_ms: 60_000 } }).limiter;
    decide(windowed);
    windowed.reset();
    expect(decide(windowed).verdict).toBe('restart');
  });

  it('waits a fixed pause before each restart when min and max are equal, without drawing', () => {
    const random = () => {
      throw new Error('a fixed wait needs no randomness');
    };
    const { limiter: l } = limiter({ limit: { n: 5, wait: { min_ms: 1_000, max_ms: 1_000 } } }, random);
    expect(decide(l)).toEqual({ verdict: 'restart', delay_ms: 1_000, reason: 'restart 1 of 5, wait 1s' });
  });

  it('waits a random pause in [min, max] otherwise, both ends included', () => {
    const wait = { min_ms: 1_000, max_ms: 2_000 };
    expect(delayOf(decide(limiter({ limit: { n: 5, wait } }, () => 0).limiter))).toBe(1_000);
    expect(delayOf(decide(limiter({ limit: { n: 5, wait } }, () => 0.5).limiter))).toBe(1_500);
    expect(delayOf(decide(limiter({ limit: { n: 5, wait } }, () => 0.999_999_9).limiter))).toBe(2_000);
    expect(decide(limiter({ limit: { n: 5, wait } }, () => 0.5).limiter).reason).toBe(
      'restart 1 of 5, wait 1s (random in 1s-2s)',
    );
  });

  it('adds the backoff to the wait and gives both reasons', () => {
    const { limiter: l } = limiter({
      limit: { n: 10, within_ms: 600_000, wait: { min_ms: 1_000, max_ms: 1_000 } },
      backoff: { initial_ms: 100, factor: 2, max_ms: 10_000, reset_after_ms: 60_000 },
    });
    expect(delayOf(decide(l))).toBe(1_100);
    expect(delayOf(decide(l))).toBe(1_200);
    expect(delayOf(decide(l))).toBe(1_400);
    expect(decide(l)).toEqual({
      verdict: 'restart',
      delay_ms: 1_800,
      reason: 'restart 4 of 10 in 10m, wait 1s, backoff 800ms (4th restart)',
    });
  });

  it('spaces restarts by the backoff alone when there is no limit', () => {
    const { limiter: l } = limiter({ backoff: { initial_ms: 50, factor: 3, max_ms: 1_000, reset_after_ms: 1_000 } });
    expect([1, 2, 3, 4, 5].map(() => delayOf(decide(l)))).toEqual([50, 150, 450, 1_000, 1_000]);
  });

  it('resets the backoff when the appliance had stayed up reset_after_ms before going down', () => {
    const { clock, limiter: l } = limiter({ backoff: { initial_ms: 100, factor: 2, max_ms: 10_000, reset_after_ms: 60_000 } });
    expect([1, 2, 3].map(() => delayOf(decide(l)))).toEqual([100, 200, 400]);
    l.started();
    clock.advance(59_999);
    expect(delayOf(decide(l))).toBe(800);
    l.started();
    clock.advance(60_000);
    expect(decide(l)).toMatchObject({ delay_ms: 100, reason: 'restart 5, backoff 100ms (1st restart after 1m up)' });
  });

  it('resets the backoff for an uptime once: a restart with no start since keeps growing', () => {
    const { clock, limiter: l } = limiter({ backoff: { initial_ms: 100, factor: 2, max_ms: 10_000, reset_after_ms: 1_000 } });
    l.started();
    clock.advance(5_000);
    expect(delayOf(decide(l))).toBe(100);
    clock.advance(5_000);
    // No start since the last restart: the appliance never came up, so nothing resets.
    expect(delayOf(decide(l))).toBe(200);
  });

  it('clears the backoff on reset', () => {
    const { limiter: l } = limiter({ backoff: { initial_ms: 100, factor: 2, max_ms: 10_000, reset_after_ms: 60_000 } });
    verdicts(l, 4);
    l.reset();
    expect(delayOf(decide(l))).toBe(100);
  });

  it('reports the least delay of the next restart, and none when it would fail or is not spaced', () => {
    const { clock, limiter: l } = limiter({
      limit: { n: 3, within_ms: 60_000, wait: { min_ms: 1_000, max_ms: 5_000 } },
      backoff: { initial_ms: 100, factor: 2, max_ms: 10_000, reset_after_ms: 30_000 },
    });
    expect(l.usage()).toEqual({ used: 0, limit: 3, window_ms: 60_000, next_delay_ms: 1_100 });
    decide(l);
    decide(l);
    expect(l.usage().next_delay_ms).toBe(1_400);
    l.started();
    clock.advance(30_000);
    expect(l.usage().next_delay_ms).toBe(1_100);
    decide(l);
    expect(l.usage()).toEqual({ used: 3, limit: 3, window_ms: 60_000 });
    expect(limiter({ limit: { n: 3 } }).limiter.usage()).toEqual({ used: 0, limit: 3, window_ms: null });
  });
});

/** One step of a random history of an appliance's restarts. */
type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'decide' }
  | { kind: 'started' }
  | { kind: 'reset' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20_000 }) }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'decide' as const }), weight: 4 },
  { arbitrary: fc.constant({ kind: 'started' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reset' as const }), weight: 1 },
);

const waitArb = fc
  .tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 5_000 }))
  .map(([a, b]) => ({ min_ms: Math.min(a, b), max_ms: Math.max(a, b) }));

const backoffArb = fc.record({
  initial_ms: fc.integer({ min: 0, max: 2_000 }),
  factor: fc.double({ min: 1, max: 4, noNaN: true }),
  max_ms: fc.integer({ min: 0, max: 60_000 }),
  reset_after_ms: fc.integer({ min: 0, max: 60_000 }),
});

const policyArb: fc.Arbitrary<LimiterPolicy> = fc.record(
  {
    limit: fc.record(
      { n: fc.integer({ min: 0, max: 6 }), within_ms: fc.integer({ min: 1, max: 100_000 }), wait: waitArb },
      { requiredKeys: ['n'] },
    ),
    backoff: backoffArb,
    retry_after_ms: fc.integer({ min: 0, max: 600_000 }),
  },
  { requiredKeys: [] },
);

interface Decision {
  at: number;
  verdict: RestartVerdict;
  /** Restarts allowed since the last reset, before this decision. */
  since: number[];
}

/** Plays `steps` against a limiter and records every decision with what preceded it. */
function play(policy: LimiterPolicy, steps: Step[], randoms: number[]): Decision[] {
  const clock = new FakeClock();
  let draw = 0;
  const random = () => randoms[draw++ % randoms.length]!;
  const l = new RestartLimiter(policy, clock, random);
  const decisions: Decision[] = [];
  let since: number[] = [];
  for (const step of steps) {
    if (step.kind === 'advance') clock.advance(step.ms);
    else if (step.kind === 'started') l.started();
    else if (step.kind === 'reset') {
      l.reset();
      since = [];
    } else {
      const verdict = decide(l);
      decisions.push({ at: clock.now(), verdict, since: [...since] });
      if (verdict.verdict === 'restart') since.push(clock.now());
    }
  }
  return decisions;
}

const randomsArb = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 });

describe('RestartLimiter, for any history of restarts', () => {
  it('never allows more than n restarts in any window of within_ms, nor more than n between resets without one', () => {
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { maxLength: 120 }), randomsArb, (policy, steps, randoms) => {
        const limit = policy.limit;
        for (const { since, verdict, at } of play(policy, steps, randoms)) {
          if (verdict.verdict !== 'restart' || !limit) continue;
          const counted = limit.within_ms === undefined ? since : since.filter((t) => at - t < limit.within_ms!);
          expect(counted.length + 1).toBeLessThanOrEqual(limit.n);
        }
      }),
    );
  });

  it('fails only when the limit is reached, with retry_after when the policy has one', () => {
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { maxLength: 120 }), randomsArb, (policy, steps, randoms) => {
        for (const { since, verdict, at } of play(policy, steps, randoms)) {
          const limit = policy.limit;
          const counted = !limit ? since.length
            : limit.within_ms === undefined ? since.length
              : since.filter((t) => at - t < limit.within_ms!).length;
          const reached = limit !== undefined && counted >= limit.n;
          expect(verdict.verdict).toBe(reached ? 'fail' : 'restart');
          if (verdict.verdict === 'fail') expect(verdict.retry_in_ms).toBe(policy.retry_after_ms);
        }
      }),
    );
  });

  it('keeps every delay between the least wait plus the least backoff and the longest of both', () => {
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { maxLength: 120 }), randomsArb, (policy, steps, randoms) => {
        const wait = policy.limit?.wait ?? { min_ms: 0, max_ms: 0 };
        const backoff = policy.backoff;
        const least = wait.min_ms + (backoff ? Math.min(backoff.initial_ms, backoff.max_ms) : 0);
        const most = wait.max_ms + (backoff ? backoff.max_ms : 0);
        for (const { verdict } of play(policy, steps, randoms)) {
          if (verdict.verdict !== 'restart') continue;
          expect(Number.isInteger(verdict.delay_ms)).toBe(true);
          expect(verdict.delay_ms).toBeGreaterThanOrEqual(least);
          expect(verdict.delay_ms).toBeLessThanOrEqual(most);
        }
      }),
    );
  });
});
