/**
 * Sees other hosts go: when a host's `alive/` key goes (its lease expired: killed, cut off,
 * hung), its `members/` record is marked `unreachable_since`, once, by whichever agent's write
 * lands first (a compare on the record's revision: the others' writes fail harmlessly). A host
 * that went while no agent was watching is marked at the next agent's read.
 */
import { errorMessage } from '../common/errors.js';
import { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore, StoredValue } from './cluster-store.js';
import { PrefixFollower } from './prefix-follower.js';
import { readMember } from './records.js';

export class LivenessObserver {
  private readonly follower: PrefixFollower;
  private alive = new Set<string>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly store: ClusterStore,
    private readonly keys: ClusterKeys,
    private readonly log: (message: string) => void,
  ) {
    this.follower = new PrefixFollower(store, keys.aliveHosts, {
      reset: (values) => void this.reset(values),
      change: (change) => {
        const host = ClusterKeys.last(change.key, keys.aliveHosts);
        if (host === undefined) return;
        if (change.kind === 'put') this.alive.add(host);
        else {
          this.alive.delete(host);
          void this.markUnreachable(host);
        }
        this.told();
      },
    }, log);
  }

  start(): void {
    this.follower.start();
  }

  /** Whether `host` has its `alive/` key, as last seen. */
  isAlive(host: string): boolean {
    return this.alive.has(host);
  }

  /** `listener` is called after every change of who is alive. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private told(): void {
    for (const listener of this.listeners) listener();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  private async reset(values: StoredValue[]): Promise<void> {
    this.alive = new Set(values.map((v) => ClusterKeys.last(v.key, this.keys.aliveHosts)).filter((h) => h !== undefined));
    this.told();
    try {
      const members = await this.store.list(this.keys.members);
      for (const m of members.values) {
        const host = ClusterKeys.last(m.key, this.keys.members);
        if (host !== undefined && !this.alive.has(host)) await this.markUnreachable(host);
      }
    } catch (err) {
      this.log(`cannot read the members: ${errorMessage(err)}`);
    }
  }

  private async markUnreachable(host: string): Promise<void> {
    try {
      const held = await this.store.get(this.keys.member(host));
      const member = held && readMember(held.value);
      if (!held || !member || member.unreachable_since !== null || this.alive.has(host)) return;
      const marked = { ...member, unreachable_since: new Date().toISOString() };
      const outcome = await this.store.commit(
        [{ key: this.keys.member(host), modRevision: held.modRevision }, { key: this.keys.alive(host), is: 'absent' }],
        [{ put: this.keys.member(host), value: JSON.stringify(marked) }],
      );
      if (outcome.succeeded) this.log(`host ${host} is unreachable: its lease expired`);
    } catch (err) {
      this.log(`cannot mark host ${host} unreachable: ${errorMessage(err)}`);
    }
  }
}
