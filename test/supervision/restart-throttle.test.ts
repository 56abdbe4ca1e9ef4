import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RestartThrottle } from '../../src/supervision/restart-throttle.js';
import { FakeClock } from '../support/fake-clock.js';

function throttle(opts: { max: number; window_ms: number; jitter_ms: number }, random: () => number = () => 0) {
  const clock = new FakeClock();
  const began: Array<{ name: string; at: number }> = [];
  const t = new RestartThrottle(opts, clock, random, clock);
  const schedule = (name: string, delay = 0) => t.schedule(delay, () => began.push({ name, at: clock.now() }));
  return { clock, began, throttle: t, schedule };
}

describe('RestartThrottle', () => {
  it('runs an undelayed run synchronously while the budget allows, with no timer', () => {
    const { clock, began, throttle: t, schedule } = throttle({ max: 3, window_ms: 1_000, jitter_ms: 100 });
    schedule('a');
    expect(began).toEqual([{ name: 'a', at: 0 }]);
    expect(clock.pendingTimers()).toBe(0);
    expect(t.pending()).toBe(0);
  });

  it('runs a delayed run once its delay has passed', () => {
    const { clock, began, throttle: t, schedule } = throttle({ max: 3, window_ms: 1_000, jitter_ms: 0 });
    schedule('a', 500);
    expect(t.pending()).toBe(1);
    clock.advance(499);
    expect(began).toEqual([]);
    clock.advance(1);
    expect(began).toEqual([{ name: 'a', at: 500 }]);
    expect(t.pending()).toBe(0);
  });

  it('holds runs over the budget until the oldest run leaves the window', () => {
    const { clock, began, throttle: t, schedule } = throttle({ max: 2, window_ms: 1_000, jitter_ms: 0 });
    schedule('a');
    clock.advance(100);
    schedule('b');
    schedule('c');
    schedule('d');
    expect(began.map((b) => b.name)).toEqual(['a', 'b']);
    expect(t.pending()).toBe(2);
    clock.advance(899);
    expect(began).toHaveLength(2);
    clock.advance(1);
    expect(began.at(-1)).toEqual({ name: 'c', at: 1_000 });
    clock.advance(100);
    expect(began.at(-1)).toEqual({ name: 'd', at: 1_100 });
    expect(t.pending()).toBe(0);
  });

  it('adds a random jitter in [0, jitter_ms] to a run that waited for a slot', () => {
    const { clock, began, schedule } = throttle({ max: 1, window_ms: 1_000, jitter_ms: 200 }, () => 0.5);
    schedule('a');
    schedule('b');
    clock.advance(1_099);
    expect(began).toHaveLength(1);
    clock.advance(1);
    expect(began.at(-1)).toEqual({ name: 'b', at: 1_100 });
  });

  it('reaches jitter_ms itself with the largest random number', () => {
    const { clock, began, schedule } = throttle({ max: 1, window_ms: 1_000, jitter_ms: 200 }, () => 0.999_999);
    schedule('a');
    schedule('b');
    clock.advance(10_000);
    expect(began.at(-1)).toEqual({ name: 'b', at: 1_200 });
  });

  it('does not jitter a run that found budget to spare', () => {
    const { began, schedule } = throttle({ max: 5, window_ms: 1_000, jitter_ms: 200 }, () => 0.9);
    schedule('a');
    schedule('b');
    expect(began).toEqual([{ name: 'a', at: 0 }, { name: 'b', at: 0 }]);
  });

  it('keeps waiting runs in arrival order, even when a slot is free as a newcomer arrives', () => {
    const { clock, began, schedule } = throttle({ max: 2, window_ms: 1_000, jitter_ms: 300 }, () => 0.5);
    schedule('a');
    schedule('b');
    schedule('c'); // waits for a's slot, at 1000, plus 150 of jitter
    clock.advance(1_050);
    schedule('d'); // a slot is free, but c is still waiting for it
    expect(began.map((b) => b.name)).toEqual(['a', 'b']);
    clock.advance(10_000);
    expect(began.map((b) => b.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('orders runs by when their delay ended, not by when they were scheduled', () => {
    const { clock, began, schedule } = throttle({ max: 1, window_ms: 1_000, jitter_ms: 0 });
    schedule('first');
    schedule('late', 300);
    schedule('early', 100);
    clock.advance(5_000);
    expect(began.map((b) => b.name)).toEqual(['first', 'early', 'late']);
  });

  it('cancels a run still in its delay', () => {
    const { clock, began, throttle: t, schedule } = throttle({ max: 3, window_ms: 1_000, jitter_ms: 0 });
    const cancel = schedule('a', 500);
    cancel();
    expect(t.pending()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(1_000);
    expect(began).toEqual([]);
  });

  it('cancels a waiting run and gives its place to the next one', () => {
    const { clock, began, throttle: t, schedule } = throttle({ max: 1, window_ms: 1_000, jitter_ms: 0 });
    schedule('a');
    const cancelB = schedule('b');
    schedule('c');
    expect(t.pending()).toBe(2);
    cancelB();
    expect(t.pending()).toBe(1);
    clock.advance(1_000);
    expect(began).toEqual([{ name: 'a', at: 0 }, { name: 'c', at: 1_000 }]);
  });

  it('cancels a waiting run in the middle of the queue, once however often asked, without disturbing the others', () => {
    const { clock, began, schedule } = throttle({ max: 1, window_ms: 1_000, jitter_ms: 0 });
    schedule('a');
    schedule('b');
    const cancelC = schedule('c');
    schedule('d');
    cancelC();
    cancelC();
    clock.advance(5_000);
    expect(began).toEqual([{ name: 'a', at: 0 }, { name: 'b', at: 1_000 }, { name: 'd', at: 2_000 }]);
  });

  it('makes cancel idempotent, and a no-op once the run began', () => {
    const { clock, began, throttle: t, schedule } = throttle({ max: 1, window_ms: 1_000, jitter_ms: 0 });
    const cancelA = schedule('a');
    cancelA();
    const cancelB = schedule('b');
    cancelB();
    cancelB();
    schedule('c');
    expect(t.pending()).toBe(1);
    clock.advance(1_000);
    expect(began.map((b) => b.name)).toEqual(['a', 'c']);
  });

  it('lets a run schedule another from inside itself', () => {
    const clock = new FakeClock();
    const began: string[] = [];
    const t = new RestartThrottle({ max: 2, window_ms: 1_000, jitter_ms: 0 }, clock, () => 0, clock);
    t.schedule(0, () => {
      began.push('parent');
      t.schedule(0, () => began.push('child'));
      t.schedule(0, () => began.push('grandchild'));
    });
    expect(began).toEqual(['parent', 'child']);
    clock.advance(1_000);
    expect(began).toEqual(['parent', 'child', 'grandchild']);
  });

  it('lets a run that began from the queue schedule another behind the rest', () => {
    const clock = new FakeClock();
    const began: string[] = [];
    const t = new RestartThrottle({ max: 1, window_ms: 100, jitter_ms: 0 }, clock, () => 0, clock);
    t.schedule(0, () => began.push('a'));
    t.schedule(0, () => {
      began.push('b');
      t.schedule(0, () => began.push('d'));
    });
    t.schedule(0, () => began.push('c'));
    clock.advance(1_000);
    expect(began).toEqual(['a', 'b', 'c', 'd']);
    expect(t.pending()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

/** A run scheduled in a random history: when, with what delay, and whether and when it is cancelled. */
interface Plan {
  gap: number;
  delay: number;
  cancelAfter: number | null;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  gap: fc.integer({ min: 0, max: 300 }),
  delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 })),
  cancelAfter: fc.option(fc.integer({ min: 0, max: 3_000 }), { freq: 4 }),
});

const optsArb = fc.record({
  max: fc.integer({ min: 1, max: 4 }),
  window_ms: fc.integer({ min: 1, max: 1_000 }),
  jitter_ms: fc.integer({ min: 0, max: 200 }),
});

describe('RestartThrottle, for any schedule', () => {
  it('never begins more than max runs in any window, and begins every run not cancelled, in arrival order', () => {
    fc.assert(
      fc.property(
        optsArb,
        fc.array(planArb, { maxLength: 40 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (opts, plans, randoms) => {
          const clock = new FakeClock();
          let draw = 0;
          const t = new RestartThrottle(opts, clock, () => randoms[draw++ % randoms.length]!, clock);
          const began: Array<{ index: number; at: number }> = [];
          const cancelled = new Set<number>();
          const arrival: Array<{ index: number; at: number }> = [];
          plans.forEach((plan, index) => {
            clock.advance(plan.gap);
            arrival.push({ index, at: clock.now() + plan.delay });
            const cancel = t.schedule(plan.delay, () => began.push({ index, at: clock.now() }));
            if (plan.cancelAfter !== null) {
              // A cancel races the run: it counts as cancelled only if the run had not begun.
              clock.setTimeout(() => {
                if (!began.some((b) => b.index === index)) cancelled.add(index);
                cancel();
              }, plan.cancelAfter);
            }
          });
          clock.advance(1_000_000);

          expect(t.pending()).toBe(0);
          expect(clock.pendingTimers()).toBe(0);
          for (let i = opts.max; i < began.length; i++) {
            expect(began[i]!.at - began[i - opts.max]!.at).toBeGreaterThanOrEqual(opts.window_ms);
          }
          // Arrival order: by when the delay ended, ties in the order of scheduling.
          const expected = arrival
            .filter(({ index }) => !cancelled.has(index))
            .sort((a, b) => a.at - b.at || a.index - b.index)
            .map(({ index }) => index);
          expect(began.map((b) => b.index)).toEqual(expected);
          for (const b of began) expect(b.at).toBeGreaterThanOrEqual(arrival[b.index]!.at);
        },
      ),
    );
  });
});
