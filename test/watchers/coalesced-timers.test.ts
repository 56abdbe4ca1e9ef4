import { describe, expect, it } from 'vitest';
import { CoalescedTimers } from '../../src/watchers/coalesced-timers.js';
import { waitFor } from '../support/wait-for.js';

describe('coalesced timers', () => {
  it('fires timers due within one grid slot together, never before their delay', async () => {
    const timers = new CoalescedTimers(200);
    const scheduled = Date.now();
    const fired: number[] = [];
    // Deadlines 210, 240 and 270 ms into the current slot: all within the next one.
    const delay = scheduled - (scheduled % 200) + 210 - scheduled;
    for (const extra of [0, 30, 60]) timers.setTimeout(() => fired.push(Date.now() - scheduled), delay + extra);
    await waitFor('all three', () => fired.length === 3);
    expect(Math.max(...fired) - Math.min(...fired)).toBeLessThan(5);
    expect(Math.min(...fired)).toBeGreaterThanOrEqual(delay + 60 - 1);
  });

  it('does not fire a cleared timer, and keeps firing the rest of its slot', async () => {
    const timers = new CoalescedTimers(50);
    const fired: string[] = [];
    const cleared = timers.setTimeout(() => fired.push('cleared'), 10);
    timers.setTimeout(() => {
      throw new Error('a failing loop');
    }, 10);
    timers.setTimeout(() => fired.push('kept'), 10);
    timers.clearTimeout(cleared);
    await waitFor('the slot', () => fired.length > 0);
    expect(fired).toEqual(['kept']);
  });

  it('holds one process timer per slot, and none once the slot is cleared', () => {
    const active = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = active();
    const timers = new CoalescedTimers(10_000);
    const handles = [timers.setTimeout(() => undefined, 1), timers.setTimeout(() => undefined, 2)];
    expect(active()).toBe(before + 1);
    for (const handle of handles) timers.clearTimeout(handle);
    expect(active()).toBe(before);
  });
});
