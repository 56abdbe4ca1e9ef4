/**
 * This agent's place in the cluster: its lease, and its `alive/` and `members/` keys.
 *
 * One loop does it all, one thing at a time, so there is never more than one registration in
 * flight (etcd3's own `lost` fires several times over, and a handler per firing snowballed into
 * thousands of grants: ../shared/notes/etcd.md). The loop keeps the lease alive itself every
 * TTL/3, with a deadline on each keepalive, rather than through the client's keepalive, which
 * says `lost` only after 2×TTL: after TTL/2 without a success the agent is `unsure` and acts as
 * owner of nothing new until one succeeds. A lease that etcd no longer has is registered again.
 *
 * Nothing here stops, starts or restarts an appliance: whatever the cluster does, what runs on
 * this host runs on.
 */
import { errorMessage } from '../common/errors.js';
import type { ClusterLink, MembershipState } from '../model/cluster.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore } from './cluster-store.js';
import { readAlive, type AliveRecord, type MemberRecord } from './records.js';

export interface MembershipOptions {
  store: ClusterStore;
  keys: ClusterKeys;
  cluster: string;
  host: string;
  labels: Record<string, string>;
  version: string;
  ttlS: number;
  /** This agent's identity across its restarts (agent-instance.ts). */
  instance: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Registered (again): what is published must be published anew. */
  onRegistered: () => void;
  now?: () => number;
}

/** The first retry of a failed registration; doubled up to TTL/3. */
const FIRST_RETRY_MS = 250;
/** After a failed keepalive, the next one comes this soon (or at TTL/3 if that is sooner). */
const KEEPALIVE_RETRY_MS = 500;

export class Membership {
  private state: MembershipState = 'joining';
  private detail = 'connecting to etcd';
  private lease: string | undefined;
  private lastKeptAlive = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: MembershipOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.loop ??= this.run();
  }

  link(): ClusterLink {
    return { host: this.opts.host, cluster: this.opts.cluster, membership: this.state, detail: this.detail };
  }

  /**
   * The lease this agent writes under while it is sure of it: every write it makes as owner is
   * guarded by `alive/<host>` still being bound to it. Undefined while it is not.
   */
  currentLease(): string | undefined {
    return this.state === 'joined' ? this.lease : undefined;
  }

  /**
   * Ends the loop. `leave`: the lease is revoked, so the others see this host gone at once (a
   * stop); otherwise it is left to expire, or to the next agent on this host to take over (a
   * hand-off).
   */
  async stop(leave: boolean): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    const lease = this.lease;
    this.lease = undefined;
    this.set('left', '');
    if (leave && lease !== undefined) {
      await this.opts.store.revokeLease(lease).catch((err: unknown) => this.opts.log('warn', `cluster: cannot revoke the lease on leaving (it expires in ${this.opts.ttlS}s): ${errorMessage(err)}`));
    }
  }

  private async run(): Promise<void> {
    const periodMs = (this.opts.ttlS * 1000) / 3;
    let retryMs = FIRST_RETRY_MS;
    while (!this.stopped) {
      if (this.lease === undefined) {
        try {
          const registered = await this.register();
          retryMs = FIRST_RETRY_MS;
          await this.sleep(registered ? periodMs : this.opts.ttlS * 1000);
        } catch (err) {
          this.detail = `etcd: ${errorMessage(err)}`;
          await this.sleep(retryMs);
          retryMs = Math.min(retryMs * 2, periodMs);
        }
        continue;
      }
      const kept = await this.keepAlive(this.lease);
      await this.sleep(kept ? periodMs : Math.min(KEEPALIVE_RETRY_MS, periodMs));
    }
  }

  /** Answers whether it is registered; false: another live agent has the name. */
  private async register(): Promise<boolean> {
    const { store, keys, host } = this.opts;
    const lease = await store.grantLease(this.opts.ttlS);
    const since = new Date(this.now()).toISOString();
    const alive: AliveRecord = { instance: this.opts.instance, pid: process.pid, since };
    const member: MemberRecord = { name: host, labels: this.opts.labels, version: this.opts.version, joined_at: since, unreachable_since: null };
    const writes = [
      { put: keys.alive(host), value: JSON.stringify(alive), lease },
      { put: keys.member(host), value: JSON.stringify(member) },
    ];
    let outcome = await store.commit([{ key: keys.alive(host), is: 'absent' }], writes, [keys.alive(host)]);
    const held = outcome.current[0];
    const holder = held === undefined ? undefined : readAlive(held.value);
    if (!outcome.succeeded && held !== undefined && holder?.instance === this.opts.instance) {
      // This agent's own earlier life (a kill -9, a hand-off) whose lease has not expired yet.
      outcome = await store.commit([{ key: keys.alive(host), modRevision: held.modRevision }], writes);
    }
    if (!outcome.succeeded) {
      await store.revokeLease(lease).catch(() => undefined);
      const who = holder ? `pid ${holder.pid}, up since ${holder.since}` : 'its record unreadable';
      this.set('refused', `the name ${host} is held by another live agent (${who}); trying again every ${this.opts.ttlS}s`);
      this.opts.log('error', `cluster: cannot join ${this.opts.cluster}: ${this.detail}`);
      return false;
    }
    const again = this.state === 'rejoining';
    this.lease = lease;
    this.lastKeptAlive = this.now();
    this.set('joined', '');
    this.opts.log('info', `cluster: ${again ? 'registered again in' : 'joined'} ${this.opts.cluster} as ${host}`);
    this.opts.onRegistered();
    return true;
  }

  /** One keepalive; answers whether it succeeded. */
  private async keepAlive(lease: string): Promise<boolean> {
    try {
      const left = await this.opts.store.keepAlive(lease);
      if (left === 0) {
        this.lease = undefined;
        this.set('rejoining', 'the lease expired (etcd was out of reach for longer than its TTL)');
        this.opts.log('warn', `cluster: ${this.detail}: registering again`);
        return false;
      }
      this.lastKeptAlive = this.now();
      if (this.state === 'unsure') this.opts.log('info', 'cluster: the lease is kept alive again');
      this.set('joined', '');
      return true;
    } catch (err) {
      const silentMs = this.now() - this.lastKeptAlive;
      if (silentMs >= (this.opts.ttlS * 1000) / 2 && this.state === 'joined') {
        this.set('unsure', `no keepalive for ${Math.round(silentMs / 1000)}s: ${errorMessage(err)}`);
        this.opts.log('warn', `cluster: ${this.detail}; appliances run on, nothing new is claimed`);
      }
      return false;
    }
  }

  private set(state: MembershipState, detail: string): void {
    this.state = state;
    this.detail = detail;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
