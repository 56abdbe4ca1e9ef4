/**
 * Dependencies on appliances of other hosts (`depends = ["db@host2"]`), as a cluster's agent
 * knows them: from what those hosts publish (cluster/dependency-states.ts). A start waits for
 * such a dependency to be `running` there; one on a host that is unreachable counts as not
 * running. What such a dependency does later is not told to its dependents: a host that loses
 * sight of another never stops or restarts what runs.
 */
export interface HostedName {
  name: string;
  host: string;
}

export interface RemoteDependencies {
  /** Whether `name` runs on `host`, as that host last published, and the host is up. */
  running(dep: HostedName): boolean;
  /** The dependencies on other hosts this host's appliances have now: those it follows. */
  follow(deps: HostedName[]): void;
  /** `listener` is called whenever one that is followed may have changed. */
  onChange(listener: () => void): void;
}
