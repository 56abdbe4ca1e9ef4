/**
 * The other hosts' events, from their rings under `events/` (see status-publisher.ts): the
 * recent ones, and then each new one as it is written. A reader keeps the last count it saw of
 * each host, so a ring slot written over with an older event, or a fresh read after a failed
 * watch (compacted, member lost), hands on only what it has not seen, and misses nothing the
 * rings still hold.
 */
import type { EventRecord } from '../model/appliance-status.js';
import type { HostedEvent } from '../model/cluster.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore } from './cluster-store.js';
import { PrefixFollower } from './prefix-follower.js';
import { readEvent } from './records.js';

interface Counted {
  seq: number;
  event: HostedEvent;
}

const byTime = (a: { time: string }, b: { time: string }): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);

/** The events of every host but `self` held in `values` (keys under `events/`), oldest first. */
export function eventsIn(values: readonly { key: string; value: string }[], keys: ClusterKeys, self: string): Counted[] {
  const found: Counted[] = [];
  for (const { key, value } of values) {
    const [host, slot, ...rest] = key.slice(keys.events.length).split('/');
    if (host === undefined || host === self || slot === undefined || rest.length > 0) continue;
    const read = readEvent(value);
    if (read) found.push({ seq: read.seq, event: withHost(read.record, host) });
  }
  return found.sort((a, b) => byTime(a.event, b.event));
}

function withHost(record: EventRecord, host: string): HostedEvent {
  return { ...record, host };
}

export async function recentEvents(store: ClusterStore, keys: ClusterKeys, self: string): Promise<HostedEvent[]> {
  return eventsIn((await store.list(keys.events)).values, keys, self).map((c) => c.event);
}

export class EventFeed {
  private readonly seen = new Map<string, number>();
  private onEvent: ((event: HostedEvent) => void) | undefined;
  private held: HostedEvent[] = [];
  private readonly follower: PrefixFollower;

  private constructor(keys: ClusterKeys, self: string, store: ClusterStore, log: (message: string) => void, first: (recent: HostedEvent[]) => void) {
    let firstRead = true;
    this.follower = new PrefixFollower(store, keys.events, {
      reset: (values) => {
        const fresh = this.unseen(eventsIn(values, keys, self));
        if (firstRead) first(fresh);
        else for (const e of fresh) this.hand(e);
        firstRead = false;
      },
      change: (change) => {
        if (change.kind !== 'put') return;
        for (const e of this.unseen(eventsIn([change], keys, self))) this.hand(e);
      },
    }, log);
  }

  /**
   * Following from now on; `recent` is what the rings held at the first read. Undefined if that
   * read does not come within `withinMs` (etcd down): nothing is left running.
   */
  static async open(store: ClusterStore, keys: ClusterKeys, self: string, withinMs: number, log: (message: string) => void): Promise<{ feed: EventFeed; recent: HostedEvent[] } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    let feed: EventFeed | undefined;
    const recent = await new Promise<HostedEvent[] | undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), withinMs);
      feed = new EventFeed(keys, self, store, log, resolve);
      feed.follower.start();
    });
    clearTimeout(timer);
    if (recent === undefined || !feed) {
      await feed?.stop();
      return undefined;
    }
    return { feed, recent };
  }

  /** From now on, each new event to `onEvent`: first those that came since the first read. */
  follow(onEvent: (event: HostedEvent) => void): void {
    this.onEvent = onEvent;
    for (const e of this.held) onEvent(e);
    this.held = [];
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  private unseen(events: Counted[]): HostedEvent[] {
    const fresh: HostedEvent[] = [];
    for (const { seq, event } of events.sort((a, b) => a.seq - b.seq)) {
      const last = this.seen.get(event.host);
      if (last !== undefined && seq <= last) continue;
      this.seen.set(event.host, seq);
      fresh.push(event);
    }
    return fresh.sort(byTime);
  }

  private hand(event: HostedEvent): void {
    if (this.onEvent) this.onEvent(event);
    else this.held.push(event);
  }
}
