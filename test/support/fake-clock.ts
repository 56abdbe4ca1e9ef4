/**
 * A clock and timers that move only when a test says so, so time-driven code is tested without
 * sleeping. `advance` fires every timer that falls due, in time order (ties in the order they
 * were set), with `now()` reading each timer's due time while it runs; timers set by a firing
 * timer fire in the same advance when they fall due within it.
 */
import type { Clock, Timers } from '../../src/common/clock.js';

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

export class FakeClock implements Clock, Timers {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Like Node, a negative or missing delay means "as soon as possible": the next advance. */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms || 0), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers on the way; advance(0) fires those due now. */
  advance(ms: number): void {
    if (ms < 0) throw new Error(`cannot go back in time (${ms}ms)`);
    const target = this.time + ms;
    for (;;) {
      const timer = this.earliest();
      if (!timer || timer.due > target) break;
      this.timers.delete(timer.id);
      this.time = timer.due;
      timer.fn();
    }
    this.time = target;
  }

  /** Timers set and not yet fired or cleared. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** When the next timer falls due, if any. */
  nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  private earliest(): FakeTimer | undefined {
    let first: FakeTimer | undefined;
    for (const timer of this.timers.values()) {
      if (!first || timer.due < first.due || (timer.due === first.due && timer.id < first.id)) first = timer;
    }
    return first;
  }
}
