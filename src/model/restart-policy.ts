/**
 * What spew does when something happens to an appliance: each kind of event is bound to an
 * action, and restarts are limited, spaced and retried. Every field is resolved (no optional
 * bindings): a policy read from config or built from a shorthand looks the same.
 */

/** What an event can make spew do. `destroy` = stop and remove. Default for every event: ignore. */
export type Action = 'restart' | 'stop' | 'destroy' | 'ignore';
export const ACTIONS: readonly Action[] = ['restart', 'stop', 'destroy', 'ignore'];

export type RestartShorthand = 'always' | 'crash' | 'never';

export interface EventBindings {
  /** A normal exit (code 0) that spew did not ask for. */
  stop: Action;
  /** A non-zero exit, or death by a signal spew did not send. */
  crash: Action;
  watcher: { down: Action; timeout: Action };
  /** Per dependency name; `_` binds every dependency not named. */
  dependency: Record<string, Action>;
}

/**
 * `{n}`: at most n restarts ever (until reset); `{n, within}`: at most n in any window that
 * long; `wait`: a pause before each restart, fixed (min = max) or random in [min, max].
 */
export interface RestartLimit {
  n: number;
  within_ms?: number;
  wait?: { min_ms: number; max_ms: number };
}

/** Exponential spacing of restarts, reset once the appliance has stayed up `reset_after_ms`. */
export interface Backoff {
  initial_ms: number;
  factor: number;
  max_ms: number;
  reset_after_ms: number;
}

export interface RestartPolicy {
  /** How it was written, for `spew status` and `spew explain`: a shorthand, or `custom`. */
  form: RestartShorthand | 'custom';
  bindings: EventBindings;
  limit?: RestartLimit;
  backoff?: Backoff;
  /** After `failed`, try again once this long has passed (what operators otherwise cron). */
  retry_after_ms?: number;
}

const SHORTHAND_BINDINGS: Record<RestartShorthand, EventBindings> = {
  always: { stop: 'restart', crash: 'restart', watcher: { down: 'restart', timeout: 'restart' }, dependency: { _: 'ignore' } },
  crash: { stop: 'ignore', crash: 'restart', watcher: { down: 'ignore', timeout: 'ignore' }, dependency: { _: 'ignore' } },
  never: { stop: 'ignore', crash: 'ignore', watcher: { down: 'ignore', timeout: 'ignore' }, dependency: { _: 'ignore' } },
};

export function shorthandPolicy(shorthand: RestartShorthand): RestartPolicy {
  return { form: shorthand, bindings: structuredClone(SHORTHAND_BINDINGS[shorthand]) };
}
