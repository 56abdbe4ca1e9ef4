/**
 * Where everything lives in etcd, under `/spew/<cluster>/` (README, Cluster: the key layout).
 * The one place a key is spelled: the rest of src/cluster/ asks this for them.
 */

export class ClusterKeys {
  readonly root: string;

  constructor(cluster: string) {
    this.root = `/spew/${cluster}/`;
  }

  /** A host's record (labels, version, when it joined, since when it is unreachable); no lease. */
  member(host: string): string {
    return `${this.members}${host}`;
  }

  get members(): string {
    return `${this.root}members/`;
  }

  /** A host's presence, bound to its lease: gone when the lease expires or is revoked. */
  alive(host: string): string {
    return `${this.aliveHosts}${host}`;
  }

  get aliveHosts(): string {
    return `${this.root}alive/`;
  }

  /** An appliance's last published status, under the host that runs it. */
  status(host: string, ref: string): string {
    return `${this.statusOf(host)}${ref}`;
  }

  statusOf(host: string): string {
    return `${this.statuses}${host}/`;
  }

  get statuses(): string {
    return `${this.root}status/`;
  }

  /** One slot of a host's ring of recent events: a slot is written over as the ring goes round. */
  event(host: string, slot: number): string {
    return `${this.eventsOf(host)}${String(slot).padStart(3, '0')}`;
  }

  eventsOf(host: string): string {
    return `${this.events}${host}/`;
  }

  get events(): string {
    return `${this.root}events/`;
  }

  /** A request to `host` about one of its appliances, bound to the asker's lease. */
  request(host: string, id: string): string {
    return `${this.requestsTo(host)}${id}`;
  }

  /** Only its own part is watched by each host. */
  requestsTo(host: string): string {
    return `${this.root}requests/${host}/`;
  }

  /** The answer to request `id` of `host`, bound to the answering host's lease. */
  reply(host: string, id: string): string {
    return `${this.repliesTo(host)}${id}`;
  }

  repliesTo(host: string): string {
    return `${this.root}replies/${host}/`;
  }

  /** Held by the host whose appliance has the name, created only if absent: names are unique in the cluster. */
  name(name: string): string {
    return `${this.names}${name}`;
  }

  get names(): string {
    return `${this.root}names/`;
  }

  /** The same for refs: one ref is one appliance, whichever host it is on. */
  ref(ref: string): string {
    return `${this.refs}${ref}`;
  }

  get refs(): string {
    return `${this.root}refs/`;
  }

  /** The last segment of a key under `prefix`: a host name or a ref. */
  static last(key: string, prefix: string): string | undefined {
    if (!key.startsWith(prefix)) return undefined;
    const rest = key.slice(prefix.length);
    return rest === '' || rest.includes('/') ? undefined : rest;
  }
}
