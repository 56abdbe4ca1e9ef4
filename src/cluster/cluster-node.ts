/**
 * This agent as a member of a cluster: its membership (lease, `alive/`, `members/`), what it
 * publishes of its appliances, what it watches of the others, and reads of the whole. The agent
 * imports this module only when its config has a `[cluster]` table, so a single host never
 * loads the etcd client.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage, SpewError } from '../common/errors.js';
import type { ClusterSettings } from '../config/cluster-settings.js';
import type { EventRecord, PublishedStatus } from '../model/appliance-status.js';
import type { ClusterLink, HostAction, HostedEvent, HostedStatus } from '../model/cluster.js';
import { DependencyStates } from './dependency-states.js';
import { EventFeed, recentEvents } from './event-feed.js';
import { agentInstance } from './agent-instance.js';
import { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore } from './cluster-store.js';
import { readCluster, type ClusterRead } from './cluster-view.js';
import { EtcdStore } from './etcd-store.js';
import { LivenessObserver } from './liveness-observer.js';
import { Membership } from './membership.js';
import { NameRegistry } from './name-registry.js';
import { choosePlacement, type Placement } from './placement.js';
import { RequestInbox, type ActionHandler } from './request-inbox.js';
import { RequestSender } from './request-sender.js';
import { StatusPublisher, type StatusSource } from './status-publisher.js';

export interface ClusterNodeOptions {
  settings: ClusterSettings;
  stateDir: string;
  version: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** No call to etcd may hold its caller longer; a keepalive must fit well inside TTL/2. */
const LONGEST_CALL_MS = 2_000;

export class ClusterNode {
  private readonly keys: ClusterKeys;
  private readonly membership: Membership;
  private readonly observer: LivenessObserver;
  private publisher: StatusPublisher | undefined;
  private inbox: RequestInbox | undefined;
  private readonly sender: RequestSender;
  /** Names and refs held in the cluster for this host's appliances; the manager reserves through it. */
  readonly names: NameRegistry;
  /** The other hosts' appliances this host's depend on; the manager waits through it. */
  readonly dependencies: DependencyStates;
  private readonly say: (level: 'info' | 'warn' | 'error') => (message: string) => void;

  private constructor(private readonly store: ClusterStore, private readonly opts: ClusterNodeOptions, instance: string) {
    const { settings } = opts;
    this.keys = new ClusterKeys(settings.cluster);
    this.say = (level) => (message) => opts.log(level, `cluster: ${message}`);
    this.membership = new Membership({
      store,
      keys: this.keys,
      cluster: settings.cluster,
      host: settings.name,
      labels: settings.labels,
      version: opts.version,
      ttlS: settings.lease_ttl_s,
      instance,
      log: opts.log,
      onRegistered: () => {
        this.publisher?.republishAll();
        this.names.registered();
        void this.inbox?.recheck();
      },
    });
    this.observer = new LivenessObserver(store, this.keys, this.say('info'));
    this.dependencies = new DependencyStates(store, this.keys, this.observer, this.say('warn'));
    const lease = (): string | undefined => this.membership.currentLease();
    this.names = new NameRegistry({ store, keys: this.keys, host: settings.name, lease, log: (level, message) => this.say(level)(message) });
    this.sender = new RequestSender({ store, keys: this.keys, host: settings.name, lease, timeoutMs: settings.ack_timeout_ms, log: this.say('warn') });
  }

  static async open(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const { settings } = opts;
    const tls = settings.tls && {
      ca: await pem(settings.tls.ca, 'ca'),
      cert: settings.tls.cert === undefined ? undefined : await pem(settings.tls.cert, 'cert'),
      key: settings.tls.key === undefined ? undefined : await pem(settings.tls.key, 'key'),
    };
    const callTimeoutMs = Math.min(LONGEST_CALL_MS, (settings.lease_ttl_s * 1000) / 3);
    const store = new EtcdStore({ endpoints: settings.etcd, callTimeoutMs, ...(tls ? { tls } : {}) });
    return new ClusterNode(store, opts, await agentInstance(opts.stateDir));
  }

  /**
   * Joins, and from then on publishes what `source` tells of this host's appliances and carries
   * out what other hosts ask of them with `carryOut`.
   */
  start(source: StatusSource, carryOut: ActionHandler): void {
    const common = { store: this.store, keys: this.keys, host: this.opts.settings.name, lease: () => this.membership.currentLease() };
    this.publisher ??= new StatusPublisher({ ...common, source, log: this.say('warn') });
    this.inbox ??= new RequestInbox({ ...common, carryOut, log: this.say('warn') });
    this.membership.start();
    this.observer.start();
    this.inbox.start();
    this.sender.start();
  }

  /** The host a new appliance goes to (see placement.ts). */
  async place(want: Placement): Promise<string> {
    return choosePlacement((await this.read()).hosts, want);
  }

  /** The appliance of another host with this name or ref, as it was last published; undefined if none. */
  async elsewhere(id: string): Promise<HostedStatus | undefined> {
    const found = (await this.read()).appliances.filter((a) => a.host !== this.opts.settings.name && (a.name === id || a.ref === id));
    if (found.length > 1) {
      throw new SpewError('INVALID_REQUEST', `${id} is on several hosts (${found.map((a) => a.host).join(', ')}): give its ref`);
    }
    return found[0];
  }

  /** `host` carries `action` out, and answers the appliance's status as it gives it. */
  ask(host: string, action: HostAction): Promise<PublishedStatus> {
    return this.sender.ask(host, action);
  }

  /** An event of this host's: into its ring, for the other hosts' `spew events`. */
  recorded(record: EventRecord): void {
    this.publisher?.recorded(record);
  }

  /** The other hosts' recent events, oldest first; CLUSTER_UNREACHABLE when etcd does not answer. */
  async recentEvents(): Promise<HostedEvent[]> {
    try {
      return await recentEvents(this.store, this.keys, this.opts.settings.name);
    } catch (err) {
      throw unreachable(err);
    }
  }

  /** The other hosts' recent events, and a feed of their new ones. */
  async followEvents(): Promise<{ feed: EventFeed; recent: HostedEvent[] }> {
    const opened = await EventFeed.open(this.store, this.keys, this.opts.settings.name, LONGEST_CALL_MS, this.say('warn'));
    if (!opened) throw new SpewError('CLUSTER_UNREACHABLE', 'the other hosts\' events cannot be read: etcd does not answer');
    return opened;
  }

  /** One of this host's appliances changed, was created or was removed. */
  changed(ref: string): void {
    this.publisher?.changed(ref);
  }

  link(): ClusterLink {
    return this.membership.link();
  }

  /** The whole cluster as of now; CLUSTER_UNREACHABLE when etcd does not answer. */
  async read(): Promise<ClusterRead> {
    try {
      return await readCluster(this.store, this.keys);
    } catch (err) {
      throw unreachable(err);
    }
  }

  /** `leave`: the agent stops, and says so at once; a hand-off leaves its place to the next agent. */
  async close(leave: boolean): Promise<void> {
    await this.inbox?.stop();
    await this.sender.stop();
    await this.names.stop();
    await this.dependencies.stop();
    await this.observer.stop();
    await this.publisher?.stop(leave);
    await this.membership.stop(leave);
    this.store.close();
  }
}

function unreachable(err: unknown): SpewError {
  return new SpewError('CLUSTER_UNREACHABLE', `the cluster cannot be read: ${errorMessage(err)}`, { cause: err });
}

async function pem(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new SpewError('INVALID_CONFIG', `[cluster] ${key}: cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
