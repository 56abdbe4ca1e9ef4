/**
 * An appliance as the agent reports it (`spew status`, the API), and the records of what
 * happened to it (`spew events`, events.log).
 */
import type { ApplianceState } from './appliance-state.js';

/** One appliance as `spew status` shows it. Times are ISO 8601 strings, durations milliseconds. */
export interface ApplianceStatus {
  name: string;
  ref: string;
  type: string;
  state: ApplianceState;
  /** Why the appliance is in this state, in words ("exit 1", "stopped on request"). */
  reason: string;
  /** Whether the operator wants it running. */
  desired: 'running' | 'stopped';
  pid: number | null;
  /** Starts made after the first one, caused by the restart policy. */
  restarts: number;
  /** Every start since the appliance was created. */
  starts: number;
  started_at: string | null;
  uptime_ms: number | null;
  last_exit: string | null;
  /** Restarts used in the current window (or ever) against the limit; null without a limit. */
  restart_limit: { used: number; limit: number; window_ms: number | null } | null;
  /** While a start is scheduled (a restart's delay, a retry after `failed`): how soon. */
  next_start_in_ms: number | null;
  /** Each watcher and monitor with what it last saw. */
  watchers: { watcher: string; state: 'unknown' | 'up' | 'down' }[];
  command: string | string[];
  file: string | null;
  /** Docker: the image it runs (`registry/name:tag`), or will run once its `vsn` is resolved. */
  image: string | null;
  /** The version of its definition (see `spew history`). */
  version: number;
  /** The version its process was started on, while one runs; older than `version` means changed but not restarted. */
  running_version: number | null;
}

/**
 * One transition, as events.log keeps it and the API's event stream sends it (one record a
 * line; a follower gets new records as they happen).
 */
export interface EventRecord {
  time: string;
  ref: string;
  name: string;
  event: Record<string, unknown> & { kind: string };
  state: ApplianceState | 'removed';
}

/**
 * What a host publishes of each of its appliances to the cluster (on transitions, coalesced):
 * the status without what changes by itself with time (uptime, the next start's countdown),
 * which a reader works out from `started_at` and `published_at`.
 */
export type PublishedStatus = Pick<ApplianceStatus,
  'name' | 'ref' | 'type' | 'state' | 'reason' | 'desired' | 'pid' | 'restarts' | 'started_at' | 'last_exit' | 'restart_limit' | 'image' | 'version'
> & {
  /** When the host wrote it: how old the word of an unreachable host is. */
  published_at: string;
};

/** What is published of an appliance: no command line, environment or files (they stay on the host). */
export function publishedOf(status: ApplianceStatus, publishedAt: string): PublishedStatus {
  const { name, ref, type, state, reason, desired, pid, restarts, started_at, last_exit, restart_limit, image, version } = status;
  return { name, ref, type, state, reason, desired, pid, restarts, started_at, last_exit, restart_limit, image, version, published_at: publishedAt };
}
