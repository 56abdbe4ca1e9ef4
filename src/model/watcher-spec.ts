/**
 * Watchers poll an appliance to tell whether it is alive and working; monitors hold a
 * connection and report the moment it breaks. Both are parsed from `[[NAME.watchers]]` and
 * `[[NAME.monitors]]`; every field is resolved (defaults filled) by the config reader.
 */
import type { Command } from './command.js';

export interface WatchTiming {
  /** Between the end of one check and the start of the next. Default 10 s. */
  interval_ms: number;
  /** A check that has not answered by then counts as a timeout. Default 1 s. */
  timeout_ms: number;
  /** Failed checks in a row before the appliance is `down`. Default 3. */
  retries: number;
  /** Grace after a start during which failures don't count. Default 0. */
  start_period_ms: number;
}

export type WatcherSpec = WatchTiming &
  (
    | {
        type: 'http';
        url: string;
        /** Default GET. */
        method: string;
        /** Inclusive range of good status codes. Default [200, 399]. */
        status: [number, number];
        /** When set, the body must contain this text. */
        body?: string;
      }
    | { type: 'tcp'; /** host:port */ address: string }
    | { type: 'exec'; command: Command }
  );

export interface MonitorSpec {
  type: 'tcp';
  /** host:port */
  address: string;
  /** Write `send` every `interval_ms` on the held connection (line-based heartbeat). */
  heartbeat?: { send: string; interval_ms: number };
}
