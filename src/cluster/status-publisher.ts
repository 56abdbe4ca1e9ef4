/**
 * Publishes this host's appliances to `status/<host>/<ref>` on their transitions, coalesced: an
 * appliance that changes ten times in a window is written once, with its state at the end of
 * it, and one window's writes go in one transaction. A crash loop of a hundred appliances is
 * then at most one write a window, not a storm.
 *
 * Every write is guarded by `alive/<host>` still being bound to this agent's lease, so an agent
 * that has lost its place (or been replaced) cannot overwrite what its successor publishes.
 * While etcd cannot be reached, or the lease is not sure, what changed waits here (only the last
 * word of each appliance) and goes out when it can.
 *
 * The host's events go out in the same transactions, into a ring of `EVENT_RING` slots under
 * `events/<host>/`: the ring is the cluster's recent history of this host, bounded whatever
 * happens (a storm's oldest events are written over, or never written: the host's own
 * events.log keeps them all). Each event carries the host's count, picked up again from the
 * ring when the agent registers, so readers can tell new from seen.
 */
import { errorMessage } from '../common/errors.js';
import { publishedOf, type ApplianceStatus, type EventRecord } from '../model/appliance-status.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore, Write } from './cluster-store.js';
import { readEvent } from './records.js';

/** Slots in each host's ring of recent events. */
export const EVENT_RING = 256;

export interface StatusSource {
  refs(): string[];
  /** The appliance's status now; undefined once it is removed. */
  status(ref: string): ApplianceStatus | undefined;
}

export interface StatusPublisherOptions {
  store: ClusterStore;
  keys: ClusterKeys;
  host: string;
  source: StatusSource;
  /** The lease to write under; undefined while the agent is not sure of its place. */
  lease: () => string | undefined;
  log: (message: string) => void;
  /** The coalescing window. */
  windowMs?: number;
}

const WINDOW_MS = 500;
/** etcd refuses a transaction of more than 128 operations by default. */
const MOST_WRITES_PER_COMMIT = 100;

export class StatusPublisher {
  private readonly dirty = new Set<string>();
  private events: EventRecord[] = [];
  /** The next event's count; undefined until read back from the ring at registration. */
  private nextSeq: number | undefined;
  private prune = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(private readonly opts: StatusPublisherOptions) {}

  /** An appliance changed (or was created or removed). */
  changed(ref: string): void {
    this.dirty.add(ref);
    this.schedule();
  }

  /** An event of this host's, to go into its ring. */
  recorded(record: EventRecord): void {
    this.events.push(record);
    if (this.events.length > EVENT_RING) this.events = this.events.slice(-EVENT_RING);
    this.schedule();
  }

  /** After a (re)registration: everything is published anew, and what is gone is removed. */
  republishAll(): void {
    for (const ref of this.opts.source.refs()) this.dirty.add(ref);
    this.prune = true;
    this.schedule(0);
  }

  /** `flush`: what waits is written first (the agent stops: its appliances' last states). */
  async stop(flush: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flushing;
    if (flush && (this.dirty.size > 0 || this.events.length > 0)) await this.flush();
  }

  private schedule(delayMs = this.opts.windowMs ?? WINDOW_MS): void {
    if (this.stopped || this.timer !== undefined || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.dirty.size > 0 || this.events.length > 0 || this.prune) this.schedule();
      });
    }, delayMs);
  }

  private async flush(): Promise<void> {
    const lease = this.opts.lease();
    if (lease === undefined) return;
    const { store, keys, host, source } = this.opts;
    let refs: string[] = [];
    let events: EventRecord[] = [];
    try {
      if (this.prune) {
        const present = new Set(source.refs());
        const listed = await store.list(keys.statusOf(host));
        for (const v of listed.values) {
          const ref = v.key.slice(keys.statusOf(host).length);
          if (!present.has(ref)) this.dirty.add(ref);
        }
        const ring = await store.list(keys.eventsOf(host));
        this.nextSeq = Math.max(0, ...ring.values.map((v) => (readEvent(v.value)?.seq ?? -1) + 1));
        this.prune = false;
      }
      // Taken out while the commit is in flight: a change meanwhile is a change to publish next.
      refs = [...this.dirty].slice(0, MOST_WRITES_PER_COMMIT);
      for (const ref of refs) this.dirty.delete(ref);
      const seq = this.nextSeq;
      events = seq === undefined ? [] : this.events.splice(0, MOST_WRITES_PER_COMMIT - refs.length);
      if (refs.length === 0 && events.length === 0) return;
      const publishedAt = new Date().toISOString();
      const writes: Write[] = refs.map((ref) => {
        const status = source.status(ref);
        return status === undefined
          ? { delete: keys.status(host, ref) }
          : { put: keys.status(host, ref), value: JSON.stringify(publishedOf(status, publishedAt)) };
      });
      events.forEach((record, i) => {
        const n = (seq ?? 0) + i;
        writes.push({ put: keys.event(host, n % EVENT_RING), value: JSON.stringify({ seq: n, ...record }) });
      });
      const outcome = await store.commit([{ key: keys.alive(host), lease }], writes);
      // Lost the place under this lease: the membership registers again, then all is republished.
      if (!outcome.succeeded) {
        this.putBack(refs, events);
        return;
      }
      if (seq !== undefined) this.nextSeq = seq + events.length;
      if (this.failing) this.opts.log('status published again');
      this.failing = false;
    } catch (err) {
      this.putBack(refs, events);
      if (!this.failing) this.opts.log(`cannot publish status (kept until etcd answers): ${errorMessage(err)}`);
      this.failing = true;
    }
  }

  /** What a commit that did not land carried: to go out with the next one (the ring still bounded). */
  private putBack(refs: string[], events: EventRecord[]): void {
    for (const ref of refs) this.dirty.add(ref);
    this.events = [...events, ...this.events].slice(-EVENT_RING);
  }
}
