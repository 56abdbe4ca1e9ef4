// The fake clock drives every time-based test of supervision; these pin what those tests assume.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';

describe('FakeClock', () => {
  it('fires due timers in time order, ties in the order they were set, reading each due time', () => {
    const clock = new FakeClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 50);
    clock.setTimeout(() => fired.push(`early@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`tie@${clock.now()}`), 10);
    clock.advance(49);
    expect(fired).toEqual(['early@110', 'tie@110']);
    expect(clock.now()).toBe(149);
    clock.advance(1);
    expect(fired).toEqual(['early@110', 'tie@110', 'late@150']);
  });

  it('fires timers set by a firing timer within the same advance', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 20);
    }, 10);
    clock.advance(30);
    expect(fired).toEqual([10, 30]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not fire a cleared timer, and fires a zero delay on the next advance', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const handle = clock.setTimeout(() => fired.push('cleared'), 10);
    clock.setTimeout(() => fired.push('zero'), 0);
    clock.clearTimeout(handle);
    expect(clock.nextDue()).toBe(0);
    clock.advance(0);
    clock.advance(100);
    expect(fired).toEqual(['zero']);
  });

  it('refuses to go back in time', () => {
    expect(() => new FakeClock().advance(-1)).toThrow('cannot go back in time');
  });
});
