/**
 * The cluster as the API reports it: the hosts that share one registry in etcd, and where this
 * agent stands with it.
 */
import type { ApplianceStatus, EventRecord, PublishedStatus } from './appliance-status.js';

/**
 * This agent's standing in the cluster.
 * - `joining`: not registered yet (etcd not reached so far, or the first join under way);
 * - `joined`: registered, and its lease kept alive;
 * - `unsure`: registered, but no keepalive has succeeded for half the lease's TTL: it makes no
 *   claim and places nothing until one does;
 * - `rejoining`: its lease is gone (expired while cut off): registering again;
 * - `refused`: another live agent has its name; it tries again every TTL;
 * - `left`: it has left (the agent is stopping).
 * In every one of them, what runs on this host runs on, supervised as on a single host.
 */
export type MembershipState = 'joining' | 'joined' | 'unsure' | 'rejoining' | 'refused' | 'left';

export interface ClusterLink {
  /** This host's name in the cluster. */
  host: string;
  cluster: string;
  membership: MembershipState;
  /** Why it is not `joined`, in words; '' when it is. */
  detail: string;
}

/** A host's liveness as others see it: its lease is held (`up`) or has expired. */
export type HostState = 'up' | 'unreachable';

export interface ClusterHost {
  name: string;
  state: HostState;
  /** When its lease was seen to expire; null while up, or when nobody saw it go. */
  unreachable_since: string | null;
  labels: Record<string, string>;
  /** The spew version it runs. */
  version: string;
  joined_at: string;
  /** Its appliances as it last published them. */
  appliances: { total: number; running: number };
}

/** An appliance of the cluster, with the host that runs it. */
export interface HostedStatus extends PublishedStatus {
  host: string;
  host_state: HostState;
}

/** An answer about another host's appliance, not one of this host's (live) ones. */
export function isHosted(status: ApplianceStatus | HostedStatus): status is HostedStatus {
  return 'host' in status;
}

/**
 * What one host asks another to do with an appliance that host runs (or, `create`, is to
 * run). The owner carries it out as its own API would, and answers a `HostReply`.
 */
export type HostAction =
  | { action: 'start' | 'restart' | 'remove'; id: string }
  | { action: 'stop'; id: string; kill: boolean }
  /** `spec`, `item` and `start` as the create route takes them; the owner validates them. */
  | { action: 'create'; spec: string; item: Record<string, unknown>; start: boolean };

export type HostActionName = HostAction['action'];

/** The owner's answer: the appliance's status once done (none after a remove), or why not. */
export type HostReply =
  | { done: PublishedStatus }
  | { failed: { code: string; message: string } };

/** An event of another host, from its ring in etcd. */
export interface HostedEvent extends EventRecord {
  host: string;
}
