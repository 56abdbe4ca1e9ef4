/**
 * The HTTP+JSON API between the CLI and the agent: queries, bodies and answers, which the routes
 * of routes.ts carry. Both sides import these types, so a change here is checked on both ends by
 * the compiler.
 *
 * Every error answer is `{ "error": { "code": ErrorCode, "message": string } }`.
 */
import type { ErrorCode } from '../common/errors.js';
import type { ClusterHost, ClusterLink, HostedStatus } from '../model/cluster.js';
import type { ApplianceStatus } from '../model/appliance-status.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** What the agent knows of the Docker engine, once a docker appliance has needed it. */
export interface EngineAnswer {
  state: 'reachable' | 'unreachable';
  detail: string;
}

/** Appliances by name or ref; none named: all of them. */
export type IdsQuery = {
  id?: readonly string[];
};

/**
 * `local`: this host's appliances only, without asking the cluster. `host`: only those hosts'
 * (a cluster's agent; this host's name included).
 */
export type StatusQuery = IdsQuery & {
  local?: boolean;
  host?: readonly string[];
};

export interface StatusAnswer {
  appliances: ApplianceStatus[];
  /** Present once a docker appliance exists: `docker: unreachable` is a state, not an error. */
  docker?: EngineAnswer;
  /**
   * What keeps the agent from doing its whole job, while it lasts: its state that cannot be
   * saved, its event log that cannot be written, appliances' output lost (a full disk).
   */
  warnings?: string[];
  /** On an agent in a cluster (unless asked for `local`): its standing and the other hosts' appliances. */
  cluster?: ClusterStatusAnswer;
}

export interface ClusterStatusAnswer {
  link: ClusterLink;
  /** Why the other hosts' appliances are missing (etcd does not answer); absent when they are not. */
  unreachable?: string;
  /** The appliances of the other hosts asked for, as each last published them. */
  elsewhere: HostedStatus[];
}

export interface HostsAnswer {
  link: ClusterLink;
  hosts: ClusterHost[];
  /** Keys of the cluster's prefix whose values are not what spew writes: skipped, and named here. */
  unreadable?: string[];
}

/** Containers with spew's labels whose appliance this agent does not know. */
export interface OrphansAnswer {
  orphans: { id: string; name: string; ref: string; appliance: string; version: string; state: string }[];
}

/** The appliances to check; none: every container with a `vsn`. */
export interface UpgradeCheckRequest {
  ids?: readonly string[];
}
/** Appliances whose constraint admits a newer tag than they run. */
export interface UpgradeCheckAnswer {
  upgrades: { name: string; ref: string; current: string | null; available: string | null; error?: string }[];
}

/** The tag to upgrade to; none: the newest its constraint admits. */
export interface UpgradeRequest {
  to?: string;
}
/** The outcome, after the new container is up or rolled back. */
export interface UpgradeAnswer {
  outcome: 'upgraded' | 'rolled-back' | 'current';
  from: string | null;
  to: string;
  /** Why it rolled back. */
  reason?: string;
  appliance: ApplianceStatus;
}

/** Creates an appliance, and starts it when `start` is true (`spew run`). */
export interface CreateRequest {
  /** The spec: `name` or `name#key:value,...`. */
  spec: string;
  /** The appliance's options, exactly as a config file table would give them. */
  item: Record<string, unknown>;
  start: boolean;
  /** On a cluster's agent: the host to run it on (default: this one). */
  host?: string;
  /** On a cluster's agent: labels its host must have; the one with the fewest appliances is chosen. */
  constraint?: Record<string, string>;
}
export interface ApplianceAnswer {
  appliance: ApplianceStatus;
}

/**
 * After an action: an appliance of this host (live), or, acted on through the cluster, of
 * another host (as that host answered, with its name).
 */
export interface ActionAnswer {
  appliance: ApplianceStatus | HostedStatus;
}

export interface StopRequest {
  kill?: boolean;
}

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

/** In a followed event stream: this many records were skipped here, the reader having fallen behind. */
export interface SkippedRecords {
  skipped: number;
}

/** The last `tail` lines or records, and with `follow` the ones after them as they come. */
export type StreamQuery = {
  tail?: number;
  follow?: boolean;
};

/** Events: on a cluster's agent, every host's (each record with its `host`) unless `local`. */
export type EventsQuery = StreamQuery & { local?: boolean };

export interface AgentAnswer {
  version: string;
  pid: number;
  state_dir: string;
  socket: string;
  started_at: string;
  appliances: number;
}

export interface HandoffAnswer {
  handing_off: true;
}

/** One version in an appliance's history. */
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

/** Versions to compare; by default the running (or previous) version against the latest. */
export type DiffQuery = {
  from?: number;
  to?: number;
};
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

/** A new version equal to `to` (default: the one before the latest), and a restart onto it. */
export interface RollbackRequest {
  to?: number;
}
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

/** Each setting of an appliance's definition with where its value came from. */
export interface ExplainAnswer {
  name: string;
  version: number;
  settings: { key: string; value: unknown; from: string }[];
}

/** The appliances to export (all when none), and with `versions` each one's history too. */
export type ExportQuery = {
  id?: readonly string[];
  versions?: boolean;
};
