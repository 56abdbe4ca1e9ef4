/**
 * Answers, for one appliance, the question every restart-bound event asks: restart now, restart
 * later, or give up? It combines the policy's limit (how many restarts, in what window), its
 * wait (a pause before each restart) and its backoff (a growing pause), and says why.
 *
 * Asking is not counting: `preview` answers without changing anything, and the appliance calls
 * `count` when the restart it allowed is decided on (an effect of its state machine).
 *
 * Invariants: only `count` counts a restart, and only after a `restart` verdict; with
 * `{n, within_ms}` no two restarts n apart are less than within_ms apart, so no window of that
 * length holds more than n; with `{n}` at most n restarts are allowed between resets; `fail`
 * is answered only when one more restart would break the limit.
 */
import type { Clock, Random } from '../common/clock.js';
import { formatDuration } from '../common/duration.js';
import { Backoff, type BackoffStep } from './backoff.js';
import type { RestartLimit, RestartPolicy } from '../model/restart-policy.js';

export type RestartVerdict =
  | { verdict: 'restart'; delay_ms: number; reason: string }
  /** `retry_in_ms`: the policy's retry_after, when it has one: when to reset and try again. */
  | { verdict: 'fail'; reason: string; retry_in_ms?: number };

/** For `spew status`. */
export interface LimiterUsage {
  /** Restarts in the current window, or since the last reset when the limit has no window. */
  used: number;
  limit: number | null;
  window_ms: number | null;
  /**
   * The least delay the next restart would get if the appliance went down now (the wait's
   * minimum plus the backoff); absent when restarts are not spaced or the next would fail.
   */
  next_delay_ms?: number;
}

export class RestartLimiter {
  private readonly limit: RestartLimit | undefined;
  private readonly backoff: Backoff | undefined;
  private readonly retryAfterMs: number | undefined;
  /** With a window: when each restart inside it happened, oldest first (so at most n). */
  private recent: number[] = [];
  /** Without a window: restarts since the last reset (a count, so a crash loop costs no memory). */
  private total = 0;

  constructor(
    policy: Pick<RestartPolicy, 'limit' | 'backoff' | 'retry_after_ms'>,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.limit = policy.limit;
    this.backoff = policy.backoff && new Backoff(policy.backoff);
    this.retryAfterMs = policy.retry_after_ms;
  }

  /** The answer for an event bound to `restart` now: restart (after what delay) or fail. Counts nothing. */
  preview(): RestartVerdict {
    const now = this.clock.now();
    const limit = this.limit;
    if (limit && this.used(now) >= limit.n) {
      const reason = limit.within_ms === undefined
        ? `${restartCount(limit.n)}, the limit`
        : `${restartCount(limit.n)} in ${formatDuration(limit.within_ms)}`;
      return this.retryAfterMs === undefined
        ? { verdict: 'fail', reason }
        : { verdict: 'fail', reason, retry_in_ms: this.retryAfterMs };
    }
    const spacing = [this.pause(), this.backoff?.preview(now)].filter((step) => step !== undefined);
    const delay_ms = spacing.reduce((sum, step) => sum + step.delay_ms, 0);
    const reasons = [this.countReason(now), ...spacing.map((step) => step.reason)];
    return { verdict: 'restart', delay_ms, reason: reasons.join(', ') };
  }

  /** The restart that a `restart` verdict allowed is decided on: it counts from now. */
  count(): void {
    const now = this.clock.now();
    if (this.limit?.within_ms === undefined) this.total += 1;
    else this.recent.push(now);
    this.backoff?.count(now);
  }

  /** The appliance came up now: a long enough uptime resets the backoff at the next restart. */
  started(): void {
    this.backoff?.started(this.clock.now());
  }

  /** `spew start`, `spew reset` or retry_after: forget every restart and the backoff with them. */
  reset(): void {
    this.recent = [];
    this.total = 0;
    this.backoff?.reset();
  }

  usage(): LimiterUsage {
    const now = this.clock.now();
    const used = this.used(now);
    const usage: LimiterUsage = {
      used,
      limit: this.limit?.n ?? null,
      window_ms: this.limit?.within_ms ?? null,
    };
    const spaced = this.limit?.wait !== undefined || this.backoff !== undefined;
    const wouldFail = this.limit !== undefined && used >= this.limit.n;
    if (spaced && !wouldFail) {
      usage.next_delay_ms = (this.limit?.wait?.min_ms ?? 0) + (this.backoff?.preview(now).delay_ms ?? 0);
    }
    return usage;
  }

  /**
   * Restarts that count against the limit at `now`. A restart leaves the window once
   * within_ms has passed: the window is (now - within_ms, now].
   */
  private used(now: number): number {
    const within = this.limit?.within_ms;
    if (within === undefined) return this.total;
    const firstInside = this.recent.findIndex((at) => now - at < within);
    this.recent = firstInside === -1 ? [] : this.recent.slice(firstInside);
    return this.recent.length;
  }

  /** The limit's wait before a restart: fixed when min = max (nothing drawn), else random. */
  private pause(): BackoffStep | undefined {
    const wait = this.limit?.wait;
    if (!wait) return undefined;
    if (wait.min_ms === wait.max_ms) return { delay_ms: wait.min_ms, reason: `wait ${formatDuration(wait.min_ms)}` };
    const delay_ms = randomIn(wait.min_ms, wait.max_ms, this.random);
    const range = `${formatDuration(wait.min_ms)}-${formatDuration(wait.max_ms)}`;
    return { delay_ms, reason: `wait ${formatDuration(delay_ms)} (random in ${range})` };
  }

  /** The restart about to count: "restart 3 of 5 in 1m", "restart 3 of 5", or "restart 3" without a limit. */
  private countReason(now: number): string {
    const used = this.used(now) + 1;
    if (!this.limit) return `restart ${used}`;
    const within = this.limit.within_ms === undefined ? '' : ` in ${formatDuration(this.limit.within_ms)}`;
    return `restart ${used} of ${this.limit.n}${within}`;
  }
}

function restartCount(n: number): string {
  return n === 1 ? '1 restart' : `${n} restarts`;
}

/** A whole number of ms, uniform over [min, max] when both are whole: max is reachable too. */
function randomIn(min: number, max: number, random: Random): number {
  return Math.min(max, min + Math.floor(random() * (max - min + 1)));
}
