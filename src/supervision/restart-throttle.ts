/**
 * One per agent: spaces out restarts across all appliances, so that a crashing dependency
 * under many dependents (or a host-wide hiccup) cannot start a storm of restarts at once.
 *
 * A scheduled run first waits its own delay (the limiter's verdict), then *arrives*. It begins
 * at once when the budget allows and nobody is waiting before it; otherwise it waits in a FIFO
 * queue. The queue's head waits for a slot to free (the oldest begin leaving the window) plus a
 * random jitter in [0, jitter_ms], so runs freed together do not all begin at the same instant.
 *
 * Invariants: no more than `max` runs begin in any window of `window_ms` (the window at t is
 * (t - window_ms, t]); runs that arrive begin in arrival order; a run is begun at most once and
 * never after it was cancelled; only the queue's head holds a timer.
 *
 * Contract: `run` must not throw. It is called from timers, where nobody could catch it.
 */
import type { Clock, Random, Timers } from '../common/clock.js';

export interface RestartThrottleOptions {
  /** At most this many runs begin (at least 1)... */
  max: number;
  /** ...in any window this long. */
  window_ms: number;
  /** A run that had to wait for a slot waits up to this much longer, at random. */
  jitter_ms: number;
}

interface Entry {
  run: () => void;
  state: 'delayed' | 'waiting' | 'done';
  /** While delayed: the timer of its own delay. */
  delayTimer?: unknown;
  /** Once it is the queue's head: when it begins. */
  due?: number;
}

export class RestartThrottle {
  /** When recent runs began, oldest first; only those inside the window are kept. */
  private begins: number[] = [];
  private readonly queue: Entry[] = [];
  private delayed = 0;
  /** The queue head's timer, if the head has to wait. */
  private headTimer: unknown;

  constructor(
    private readonly opts: RestartThrottleOptions,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly timers: Timers,
  ) {}

  /**
   * Runs `run` after `delay_ms`, within the budget. With no delay and budget to spare, `run` is
   * called before `schedule` returns: a restart that is not throttled costs no timer hop.
   * Returns a cancel function: idempotent, a no-op once `run` began, and cancelling a waiting
   * run frees its place in the queue.
   */
  schedule(delay_ms: number, run: () => void): () => void {
    const entry: Entry = { run, state: 'delayed' };
    if (delay_ms > 0) {
      this.delayed += 1;
      entry.delayTimer = this.timers.setTimeout(() => {
        entry.delayTimer = undefined;
        this.delayed -= 1;
        this.arrive(entry);
      }, delay_ms);
    } else {
      this.arrive(entry);
    }
    return () => this.cancel(entry);
  }

  /** Runs scheduled and neither begun nor cancelled: still in their delay, or queued. */
  pending(): number {
    return this.delayed + this.queue.length;
  }

  private arrive(entry: Entry): void {
    const now = this.clock.now();
    if (this.queue.length === 0 && this.hasSlot(now)) {
      this.begin(entry, now);
      return;
    }
    entry.state = 'waiting';
    this.queue.push(entry);
    if (this.queue.length === 1) this.drain();
  }

  private cancel(entry: Entry): void {
    if (entry.state === 'delayed') {
      this.timers.clearTimeout(entry.delayTimer);
      entry.delayTimer = undefined;
      this.delayed -= 1;
    } else if (entry.state === 'waiting') {
      const wasHead = this.queue[0] === entry;
      this.queue.splice(this.queue.indexOf(entry), 1);
      if (wasHead) {
        this.clearHeadTimer();
        this.drain();
      }
    }
    entry.state = 'done';
  }

  /**
   * Begins queued runs, head first, while they are due; arms the head's timer otherwise.
   * A head's due time is fixed once, when it becomes the head: nothing else can begin before
   * it (arrivals queue behind it), so the slot it was promised is still free when it is due.
   */
  private drain(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const now = this.clock.now();
      head.due ??= this.slotAt(now) + this.jitter();
      if (head.due > now) {
        this.clearHeadTimer();
        this.headTimer = this.timers.setTimeout(() => {
          this.headTimer = undefined;
          this.drain();
        }, head.due - now);
        return;
      }
      this.queue.shift();
      // `run` may schedule again re-entrantly: the state above is already consistent for it.
      this.begin(head, now);
    }
  }

  private begin(entry: Entry, now: number): void {
    entry.state = 'done';
    this.begins.push(now);
    entry.run();
  }

  /** Whether one more run may begin at `now`. */
  private hasSlot(now: number): boolean {
    return this.slotAt(now) <= now;
  }

  /** The earliest time from `now` on when fewer than `max` begins lie inside the window. */
  private slotAt(now: number): number {
    const { max, window_ms } = this.opts;
    this.begins = this.begins.filter((at) => now - at < window_ms);
    const excess = this.begins.length - max;
    // begins[excess] is the begin whose leaving brings the count under max.
    return excess < 0 ? now : this.begins[excess]! + window_ms;
  }

  private jitter(): number {
    return Math.floor(this.random() * (this.opts.jitter_ms + 1));
  }

  private clearHeadTimer(): void {
    if (this.headTimer === undefined) return;
    this.timers.clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }
}
