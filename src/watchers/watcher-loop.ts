/**
 * Runs one watcher's check on its timing and reports edges, not results: `up` when the
 * appliance is first seen working (after a start, or after being down), `down` or `timeout`
 * once `retries` checks in a row have failed, then silence until the next success.
 *
 *   unknown --success--> up --`retries` failures in a row--> down --success--> up
 *   unknown --`retries` failures in a row (past the start period)--> down
 *
 * As with Kubernetes and Docker probes: the first check runs right at start; checks never
 * overlap (the interval runs from the end of one to the start of the next); failures of
 * checks begun within `start_period_ms` of the start don't count, and a success ends that
 * grace early, so the appliance is then judged like any other.
 */
import { CoalescedTimers } from './coalesced-timers.js';
import type { LoopTimers } from './loop-timers.js';
import type { CheckResult, WatcherCheck } from './watcher-check.js';
import type { WatchTiming } from '../model/watcher-spec.js';

export type WatchVerdict = { kind: 'up' } | { kind: 'down'; detail: string } | { kind: 'timeout'; detail: string };

export type WatchState = 'unknown' | 'up' | 'down';

/**
 * All loops share one set of timers on a 100 ms grid, so at scale checks due together start
 * on one wake-up (see coalesced-timers.ts); an interval is thus met or exceeded by < 100 ms.
 */
const SHARED_TIMERS = new CoalescedTimers(100);

export class WatcherLoop {
  private current: WatchState = 'unknown';
  private running = false;
  /** Bumped by start and stop, so the result of a check begun before them is dropped. */
  private generation = 0;
  private checking = false;
  private timer: unknown;
  private failures = 0;
  private graceEnds = 0;

  constructor(
    private readonly timing: WatchTiming,
    private readonly check: WatcherCheck,
    /** Called for each edge; it must not throw (a throw is dropped so watching goes on). */
    private readonly onVerdict: (verdict: WatchVerdict) => void,
    private readonly timers: LoopTimers = SHARED_TIMERS,
  ) {}

  get state(): WatchState {
    return this.current;
  }

  /** The appliance just (re)started: forget what was known and check right away. */
  start(): void {
    this.halt();
    this.running = true;
    this.graceEnds = this.timers.now() + this.timing.start_period_ms;
    // A check still out from before keeps its slot; the fresh one follows as soon as it ends.
    if (!this.checking) this.next();
  }

  /** No more checks and no more verdicts, not even from a check still out; state is `unknown`. */
  stop(): void {
    this.halt();
  }

  private halt(): void {
    this.running = false;
    this.generation += 1;
    this.current = 'unknown';
    this.failures = 0;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private next(): void {
    this.timer = undefined;
    const generation = this.generation;
    const begun = this.timers.now();
    this.checking = true;
    this.check
      .run(this.timing.timeout_ms)
      .catch((err: unknown): CheckResult => ({ outcome: 'down', detail: `check failed: ${String(err)}` }))
      .then((result) => {
        this.checking = false;
        if (!this.running) return;
        if (generation !== this.generation) {
          // Restarted while this check was out: its answer is about the old run.
          this.next();
          return;
        }
        this.record(result, begun);
        // The listener may have stopped or restarted the loop; then that call has taken over.
        if (generation === this.generation) this.timer = this.timers.setTimeout(() => this.next(), this.timing.interval_ms);
      });
  }

  private record(result: CheckResult, begun: number): void {
    if (result.outcome === 'up') {
      this.failures = 0;
      this.graceEnds = 0;
      if (this.current !== 'up') this.emit('up', { kind: 'up' });
      return;
    }
    if (begun < this.graceEnds) return;
    this.failures += 1;
    // A spec with retries = 0 would never fail; one failure is the least that can count.
    if (this.failures >= Math.max(this.timing.retries, 1) && this.current !== 'down') {
      this.emit('down', { kind: result.outcome, detail: result.detail });
    }
  }

  private emit(state: WatchState, verdict: WatchVerdict): void {
    this.current = state;
    try {
      this.onVerdict(verdict);
    } catch {
      // The listener's failure is its own; the appliance still needs watching.
    }
  }
}
