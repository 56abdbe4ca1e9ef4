/**
 * Exponential spacing of restarts: the k-th restart since the last reset (k counted from 0)
 * waits min(initial * factor^k, max). The spacing forgets itself once the appliance has stayed
 * up `reset_after_ms`, so a service that crashes once a week is not punished for last week.
 *
 * Contract: factor >= 1, so delays never shrink between resets and initial..max bounds them.
 */
import { formatDuration } from '../common/duration.js';
import type { Backoff as BackoffPolicy } from '../model/restart-policy.js';

export interface BackoffStep {
  delay_ms: number;
  reason: string;
}

export class Backoff {
  /** Restarts since the last reset: the exponent of the next delay. */
  private restarts = 0;
  /** When the appliance last came up, until the next restart consumes it. */
  private upSince: number | undefined;

  constructor(private readonly policy: BackoffPolicy) {}

  /** The appliance came up at `now`: its uptime from here decides whether the spacing resets. */
  started(now: number): void {
    this.upSince = now;
  }

  /** The delay a restart decided at `now` would wait, and why; counts nothing (see `count`). */
  preview(now: number): BackoffStep {
    const uptime = this.stableUptime(now);
    const k = uptime === undefined ? this.restarts : 0;
    const delay_ms = this.delayAt(k);
    const after = uptime === undefined ? '' : ` after ${formatDuration(uptime)} up`;
    return { delay_ms, reason: `backoff ${formatDuration(delay_ms)} (${ordinal(k + 1)} restart${after})` };
  }

  /** A restart decided at `now` happens: the next one waits longer (or the spacing resets first). */
  count(now: number): void {
    if (this.stableUptime(now) !== undefined) this.restarts = 0;
    // The appliance is down from here on: its uptime must not reset a later restart too.
    this.upSince = undefined;
    this.restarts += 1;
  }

  /** Forget every restart: the next one waits `initial_ms` again. */
  reset(): void {
    this.restarts = 0;
  }

  /** The uptime so far when it is long enough to reset the spacing, else undefined. */
  private stableUptime(now: number): number | undefined {
    if (this.upSince === undefined) return undefined;
    const uptime = now - this.upSince;
    return uptime >= this.policy.reset_after_ms ? uptime : undefined;
  }

  private delayAt(k: number): number {
    const { initial_ms, factor, max_ms } = this.policy;
    // factor ** k reaches Infinity for large k, which the min turns back into max_ms.
    return Math.round(Math.min(initial_ms * factor ** k, max_ms));
  }
}

/** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st. */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
