/**
 * What the agent keeps of an appliance across its own restarts: its definition, what the
 * operator wants of it, its counters, and a request not yet carried out.
 */
import type { ApplianceDefinition } from './appliance-definition.js';

/**
 * An operator's request that is recorded before it is carried out, so that an agent killed in
 * the middle leaves it for the next agent to finish: a restart (the run that began before
 * `asked_at` is to be replaced) or a removal.
 */
export type PendingRequest =
  /** `version`: the version of its history to restart onto (an apply, a rollback), when not the one it has. */
  | { kind: 'restart'; asked_at: string; version?: number }
  | { kind: 'remove' };

export interface PersistedAppliance {
  definition: ApplianceDefinition;
  desired: 'running' | 'stopped';
  starts: number;
  restarts: number;
  last_exit: string | null;
  /** The version of `definition` in the appliance's history. */
  version: number;
  /** The version its process was started on; null while none runs. */
  running_version: number | null;
  /** Why it is not running when it ended for good (failed, crashed and left alone). */
  ended?: { state: 'stopped' | 'crashed' | 'failed'; reason: string };
  pending?: PendingRequest;
}
