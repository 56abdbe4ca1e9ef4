/**
 * The cluster as one read answers it: every member with its liveness, and every appliance as
 * its host last published it. Read when asked (`spew hosts`, `spew status`), not followed: no
 * agent keeps the whole cluster in memory or reads it on every change.
 */
import type { PublishedStatus } from '../model/appliance-status.js';
import type { ClusterHost, HostedStatus } from '../model/cluster.js';
import { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore } from './cluster-store.js';
import { readAlive, readMember, readStatus } from './records.js';

export interface ClusterRead {
  hosts: ClusterHost[];
  appliances: HostedStatus[];
  /** Keys whose values are not what spew writes (skipped). */
  unreadable: string[];
}

export async function readCluster(store: ClusterStore, keys: ClusterKeys): Promise<ClusterRead> {
  const [members, alive, statuses] = await Promise.all([store.list(keys.members), store.list(keys.aliveHosts), store.list(keys.statuses)]);
  const unreadable: string[] = [];
  const up = new Set<string>();
  for (const v of alive.values) {
    const host = ClusterKeys.last(v.key, keys.aliveHosts);
    if (host !== undefined && readAlive(v.value)) up.add(host);
    else unreadable.push(v.key);
  }
  const byHost = new Map<string, PublishedStatus[]>();
  for (const v of statuses.values) {
    const [host, ref, ...rest] = v.key.slice(keys.statuses.length).split('/');
    const status = readStatus(v.value);
    if (host === undefined || ref === undefined || rest.length > 0 || !status || status.ref !== ref) {
      unreadable.push(v.key);
      continue;
    }
    const listed = byHost.get(host);
    if (listed === undefined) byHost.set(host, [status]);
    else listed.push(status);
  }
  const hosts: ClusterHost[] = [];
  for (const v of members.values) {
    const member = readMember(v.value);
    if (!member || member.name !== ClusterKeys.last(v.key, keys.members)) {
      unreadable.push(v.key);
      continue;
    }
    const published = byHost.get(member.name) ?? [];
    hosts.push({
      name: member.name,
      state: up.has(member.name) ? 'up' : 'unreachable',
      unreachable_since: up.has(member.name) ? null : member.unreachable_since,
      labels: member.labels,
      version: member.version,
      joined_at: member.joined_at,
      appliances: { total: published.length, running: published.filter((s) => s.state === 'running').length },
    });
  }
  const state = new Map(hosts.map((h) => [h.name, h.state]));
  const appliances = [...byHost].flatMap(([host, published]) =>
    published.map((s): HostedStatus => ({ ...s, host, host_state: state.get(host) ?? 'unreachable' })));
  return { hosts: hosts.sort((a, b) => a.name.localeCompare(b.name)), appliances, unreadable };
}
