/**
 * What this host's appliances depend on elsewhere (`db@host2`), followed from what those hosts
 * publish: one prefix follower per host depended on, on its `status/<host>/` part only, and
 * who is alive from the liveness observer. A dependency runs when its host is alive and its
 * last published state is `running`; a host unreachable, or etcd out of reach for so long that
 * this agent's own view is stale, leaves the last word as it was (dependents already running
 * are never stopped for it; a start waits for its `depends_timeout`).
 */
import type { HostedName, RemoteDependencies } from '../appliance/remote-dependencies.js';
import type { ApplianceState } from '../model/appliance-state.js';
import { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore } from './cluster-store.js';
import type { LivenessObserver } from './liveness-observer.js';
import { PrefixFollower } from './prefix-follower.js';
import { readStatus } from './records.js';

interface HostStates {
  follower: PrefixFollower;
  /** By ref (a delete names only the key): each appliance's name and state. */
  byRef: Map<string, { name: string; state: ApplianceState }>;
}

export class DependencyStates implements RemoteDependencies {
  private readonly hosts = new Map<string, HostStates>();
  private readonly listeners: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly store: ClusterStore,
    private readonly keys: ClusterKeys,
    private readonly alive: Pick<LivenessObserver, 'isAlive' | 'onChange'>,
    private readonly log: (message: string) => void,
  ) {
    alive.onChange(() => this.told());
  }

  running({ name, host }: HostedName): boolean {
    if (!this.alive.isAlive(host)) return false;
    for (const a of this.hosts.get(host)?.byRef.values() ?? []) if (a.name === name) return a.state === 'running';
    return false;
  }

  follow(deps: HostedName[]): void {
    if (this.stopped) return;
    const wanted = new Set(deps.map((d) => d.host));
    for (const [host, states] of this.hosts) {
      if (wanted.has(host)) continue;
      this.hosts.delete(host);
      void states.follower.stop();
    }
    for (const host of wanted) if (!this.hosts.has(host)) this.hosts.set(host, this.followHost(host));
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.hosts.values()].map((h) => h.follower.stop()));
    this.hosts.clear();
  }

  private followHost(host: string): HostStates {
    const prefix = this.keys.statusOf(host);
    const byRef = new Map<string, { name: string; state: ApplianceState }>();
    const take = (key: string, value: string): void => {
      const ref = ClusterKeys.last(key, prefix);
      const status = readStatus(value);
      if (ref !== undefined && status) byRef.set(ref, { name: status.name, state: status.state });
    };
    const follower = new PrefixFollower(this.store, prefix, {
      reset: (values) => {
        byRef.clear();
        for (const v of values) take(v.key, v.value);
        this.told();
      },
      change: (change) => {
        const ref = ClusterKeys.last(change.key, prefix);
        if (change.kind === 'put') take(change.key, change.value);
        else if (ref !== undefined) byRef.delete(ref);
        this.told();
      },
    }, this.log);
    follower.start();
    return { follower, byRef };
  }

  private told(): void {
    for (const listener of this.listeners) listener();
  }
}
