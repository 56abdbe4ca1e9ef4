/**
 * The HTTP+JSON API between the CLI and the agent: paths, bodies and answers. Both sides import
 * these types, so a change here is checked on both ends by the compiler.
 *
 * Every error answer is `{ "error": { "code": ErrorCode, "message": string } }`.
 */
import type { ErrorCode } from '../common/errors.js';
import type { ApplianceStatus } from '../model/appliance-status.js';

export const API_PREFIX = '/v1';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** What the agent knows of the Docker engine, once a docker appliance has needed it. */
export interface EngineAnswer {
  state: 'reachable' | 'unreachable';
  detail: string;
}

/** GET /v1/appliances[?id=NAME_OR_REF...] */
export interface StatusAnswer {
  appliances: ApplianceStatus[];
  /** Present once a docker appliance exists: `docker: unreachable` is a state, not an error. */
  docker?: EngineAnswer;
  /**
   * What keeps the agent from doing its whole job, while it lasts: its state that cannot be
   * saved, its event log that cannot be written, appliances' output lost (a full disk).
   */
  warnings?: string[];
}

/** GET /v1/docker/orphans: containers with spew's labels whose appliance this agent does not know. */
export interface OrphansAnswer {
  orphans: { id: string; name: string; ref: string; appliance: string; version: string; state: string }[];
}

/** POST /v1/upgrades/check {ids?}: appliances whose constraint admits a newer tag than they run. */
export interface UpgradeCheckAnswer {
  upgrades: { name: string; ref: string; current: string | null; available: string | null; error?: string }[];
}

/** POST /v1/appliances/:id/upgrade {to?}: the outcome, after the new container is up or rolled back. */
export interface UpgradeAnswer {
  outcome: 'upgraded' | 'rolled-back' | 'current';
  from: string | null;
  to: string;
  /** Why it rolled back. */
  reason?: string;
  appliance: ApplianceStatus;
}

/** POST /v1/appliances: create an appliance, and start it when `start` is true (`spew run`). */
export interface CreateRequest {
  /** The spec: `name` or `name#key:value,...`. */
  spec: string;
  /** The appliance's options, exactly as a config file table would give them. */
  item: Record<string, unknown>;
  start: boolean;
}
export interface ApplianceAnswer {
  appliance: ApplianceStatus;
}

/** POST /v1/appliances/:id/stop */
export interface StopRequest {
  kill?: boolean;
}

/** POST /v1/apply */
export interface ApplyRequest {
  files: { path: string; content: string }[];
  prune: boolean;
  dry_run: boolean;
  /** Record changed definitions without restarting what runs (status shows the old version running). */
  no_restart?: boolean;
}
export type PlanAction = 'create' | 'update' | 'unchanged' | 'remove';
export interface PlanEntry {
  name: string;
  ref: string | null;
  action: PlanAction;
  file: string | null;
}
export interface ApplyAnswer {
  plan: PlanEntry[];
  applied: boolean;
}

/** In `/v1/events?follow=1`: this many records were skipped here, the reader having fallen behind. */
export interface SkippedRecords {
  skipped: number;
}

/**
 * GET /v1/appliances/:id/logs[?tail=N][&follow=1]: plain text, one captured line per line, each
 * `TIMESTAMP STREAM TEXT` with STREAM `out` or `err`.
 *
 * GET /v1/appliances/:id/attach with `Connection: Upgrade`, `Upgrade: spew-attach`: after the 101
 * answer the socket carries captured lines from the agent and, when the appliance was created
 * with `stdin = true`, raw input to the appliance's stdin.
 */

/** GET /v1/agent */
export interface AgentAnswer {
  version: string;
  pid: number;
  state_dir: string;
  socket: string;
  started_at: string;
  appliances: number;
}

/** One version in an appliance's history (GET /v1/appliances/:id/history). */
export interface VersionEntry {
  version: number;
  time: string;
  /** Where it came from, in words: `web.toml:3`, `API`, `upgrade 1.0.0 -> 2.0.0`, `rollback to v2`. */
  source: string;
  hash: string;
  /** Its process runs this version. */
  running: boolean;
}

export interface HistoryAnswer {
  name: string;
  ref: string;
  latest: number;
  running_version: number | null;
  versions: VersionEntry[];
}

/** GET /v1/appliances/:id/diff[?from=N&to=M]: by default the running (or previous) version against the latest. */
export interface DiffAnswer {
  name: string;
  from: number;
  to: number;
  changes: (
    | { kind: 'added'; path: string; after: unknown }
    | { kind: 'removed'; path: string; before: unknown }
    | { kind: 'changed'; path: string; before: unknown; after: unknown }
  )[];
}

/** POST /v1/appliances/:id/rollback {to?}: a new version equal to `to` (default: the one before the latest), and a restart onto it. */
export interface RollbackAnswer {
  outcome: 'rolled-back' | 'refused';
  /** The version rolled back to. */
  to: number;
  /** The new version it made. */
  version: number;
  /** Why a container's new run was refused (the appliance stayed on what it ran). */
  reason?: string;
  appliance: ApplianceStatus;
}

/** GET /v1/appliances/:id/explain */
export interface ExplainAnswer {
  name: string;
  version: number;
  settings: { key: string; value: unknown; from: string }[];
}
