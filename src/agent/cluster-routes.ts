/**
 * The API of the cluster: its members, and `status` across every host. On an agent without a
 * `[cluster]` table the hosts route answers NOT_IN_CLUSTER and status is this host's alone.
 * Losing etcd never fails a status: this host's appliances are answered with the reason the
 * others are missing.
 */
import { routes } from '../api/routes.js';
import type { ActionAnswer, ClusterStatusAnswer, StatusQuery } from '../api/wire.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import type { ClusterRead } from '../cluster/cluster-view.js';
import type { EventFeed } from '../cluster/event-feed.js';
import type { Placement } from '../cluster/placement.js';
import { errorMessage, SpewError } from '../common/errors.js';
import type { ApplianceStatus, PublishedStatus } from '../model/appliance-status.js';
import type { ClusterLink, HostAction, HostedEvent, HostedStatus } from '../model/cluster.js';
import type { HttpRouter, QueryReader } from './http-router.js';
import { queryFlag } from './http-router.js';

/** What the routes need of the agent's cluster node (cluster/cluster-node.ts). */
export interface ClusterApi {
  link(): ClusterLink;
  read(): Promise<ClusterRead>;
  place(want: Placement): Promise<string>;
  elsewhere(id: string): Promise<HostedStatus | undefined>;
  ask(host: string, action: HostAction): Promise<PublishedStatus>;
  recentEvents(): Promise<HostedEvent[]>;
  followEvents(): Promise<{ feed: EventFeed; recent: HostedEvent[] }>;
}

export interface EventsAcross {
  recent: HostedEvent[];
  feed?: EventFeed;
}

/**
 * The other hosts' recent events (and with `follow` a feed of their new ones); undefined when
 * etcd does not answer: this host's own events are still told, as every local command goes on.
 */
export async function eventsAcross(cluster: ClusterApi, follow: boolean): Promise<EventsAcross | undefined> {
  try {
    return follow ? await cluster.followEvents() : { recent: await cluster.recentEvents() };
  } catch (err) {
    if (err instanceof SpewError && err.code === 'CLUSTER_UNREACHABLE') return undefined;
    throw err;
  }
}

/**
 * An action on appliance `id`: carried out here when this host has it (with `local`), else by
 * the host that has it, which acknowledges it with the appliance's status.
 */
export async function actOn(manager: ApplianceService, cluster: ClusterApi | undefined, id: string, action: HostAction, local: () => Promise<ApplianceStatus>): Promise<ActionAnswer> {
  if (!cluster || isLocal(manager, id)) return { appliance: await local() };
  let found;
  try {
    found = await cluster.elsewhere(id);
  } catch (err) {
    if (err instanceof SpewError && err.code === 'CLUSTER_UNREACHABLE') {
      throw new SpewError('CLUSTER_UNREACHABLE', `no appliance named ${id} on this host, and the other hosts cannot be asked: ${errorMessage(err)}`, { cause: err });
    }
    throw err;
  }
  if (!found) throw new SpewError('APPLIANCE_NOT_FOUND', `no appliance named ${id} in the cluster`);
  return { appliance: hosted(found.host, await cluster.ask(found.host, action)) };
}

/**
 * A create on a cluster's agent: on this host unless a host or constraint places it elsewhere.
 * The host that makes it holds its name and ref in the cluster first (cluster/name-registry.ts),
 * so a name another host has is refused there.
 */
export async function createAcross(
  cluster: ClusterApi | undefined,
  placement: Partial<Placement>,
  local: () => Promise<ApplianceStatus>,
  remote: HostAction,
): Promise<ActionAnswer> {
  const placed = placement.host !== undefined || placement.constraint !== undefined;
  if (!cluster) {
    if (placed) throw notInCluster();
    return { appliance: await local() };
  }
  const host = placed ? await cluster.place({ constraint: {}, ...placement }) : cluster.link().host;
  if (host === cluster.link().host) return { appliance: await local() };
  return { appliance: hosted(host, await cluster.ask(host, remote)) };
}

function hosted(host: string, status: PublishedStatus): HostedStatus {
  return { ...status, host, host_state: 'up' };
}

export function addClusterRoutes(router: HttpRouter, cluster: ClusterApi | undefined): void {
  router.add(routes.hosts, async () => {
    if (!cluster) throw notInCluster();
    const { hosts, unreadable } = await cluster.read();
    return { link: cluster.link(), hosts, ...(unreadable.length > 0 && { unreadable }) };
  });
}

export interface StatusAcross {
  appliances: ApplianceStatus[];
  cluster?: ClusterStatusAnswer;
}

/**
 * `spew status` on this agent: its own appliances (live), and on a cluster's agent those of the
 * other hosts asked for (as published). An id is looked for here first, then elsewhere.
 */
export async function statusAcross(manager: ApplianceService, cluster: ClusterApi | undefined, query: QueryReader<StatusQuery>): Promise<StatusAcross> {
  const ids = query.getAll('id');
  const hosts = query.getAll('host');
  if (!cluster) {
    if (hosts.length > 0) throw notInCluster();
    return { appliances: manager.status(ids) };
  }
  if (queryFlag(query, 'local')) return { appliances: manager.status(ids) };
  const link = cluster.link();
  const here = hosts.length === 0 || hosts.includes(link.host);
  let elsewhere: HostedStatus[] = [];
  let unreachable: string | undefined;
  if (hosts.length === 0 || hosts.some((h) => h !== link.host)) {
    try {
      const read = await cluster.read();
      const known = new Set(read.hosts.map((h) => h.name));
      const unknown = hosts.find((h) => !known.has(h) && h !== link.host);
      if (unknown !== undefined) throw new SpewError('INVALID_REQUEST', `no host named ${unknown} in cluster ${link.cluster}`);
      elsewhere = read.appliances.filter((a) => a.host !== link.host && (hosts.length === 0 || hosts.includes(a.host)));
    } catch (err) {
      if (!(err instanceof SpewError) || err.code !== 'CLUSTER_UNREACHABLE') throw err;
      unreachable = errorMessage(err);
    }
  }
  const localIds: string[] = [];
  const remote: HostedStatus[] = [];
  for (const id of ids) {
    if (here && isLocal(manager, id)) localIds.push(id);
    else {
      const found = elsewhere.filter((a) => a.name === id || a.ref === id);
      if (found.length === 0) {
        const where = unreachable === undefined ? 'in the cluster' : `on this host (the others are not known: ${unreachable})`;
        throw new SpewError('APPLIANCE_NOT_FOUND', `no appliance named ${id} ${where}`);
      }
      remote.push(...found);
    }
  }
  const appliances = !here || (ids.length > 0 && localIds.length === 0) ? [] : manager.status(localIds);
  return {
    appliances,
    cluster: { link, elsewhere: ids.length > 0 ? remote : elsewhere, ...(unreachable !== undefined && { unreachable }) },
  };
}

function isLocal(manager: ApplianceService, id: string): boolean {
  try {
    manager.get(id);
    return true;
  } catch (err) {
    if (err instanceof SpewError && err.code === 'APPLIANCE_NOT_FOUND') return false;
    throw err;
  }
}

function notInCluster(): SpewError {
  return new SpewError('NOT_IN_CLUSTER', 'this agent is in no cluster: its instance config has no [cluster] table');
}
