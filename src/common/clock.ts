/**
 * Time, randomness and timers, injected into every piece of code that decides by them, so that
 * policies stay pure and tests drive a fake clock instead of sleeping. Only the agent's wiring
 * uses the `system*` values below; everything else takes them as parameters.
 */

/** Wall-clock time in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A uniform random number in [0, 1), as `Math.random` gives. */
export type Random = () => number;

export const systemRandom: Random = () => Math.random();

/**
 * One-shot timers. The handle is opaque to callers: they only hand it back to `clearTimeout`,
 * which must accept a handle whose timer has already fired or been cleared.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Real timers, left ref'd on purpose: a pending restart is work the agent still has to do, so
 * it must keep the event loop alive rather than let the process slip away before it.
 */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
