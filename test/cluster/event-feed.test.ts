/**
 * The feed of other hosts' events, on a real etcd member. A watch that ends (as when its member
 * dies or its revision is compacted) is made to end here on purpose, by a store that passes
 * everything to the real one and can cut its watches.
 */
import { describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-keys.js';
import type { ClusterStore, WatchHandle } from '../../src/cluster/cluster-store.js';
import { EtcdStore } from '../../src/cluster/etcd-store.js';
import { EventFeed, recentEvents } from '../../src/cluster/event-feed.js';
import type { HostedEvent } from '../../src/model/cluster.js';
import { onEtcd } from '../support/etcd-fixture.js';
import { waitFor } from '../support/wait-for.js';

/** The real store, whose open watches `cut()` ends as a failure would. */
function cuttable(store: EtcdStore): { store: ClusterStore; cut: () => Promise<void> } {
  const open: { handle: WatchHandle; onError: (err: Error) => void }[] = [];
  const wrapped = Object.create(store) as ClusterStore;
  wrapped.watch = async (prefix, from, onChange, onError) => {
    const handle = await store.watch(prefix, from, onChange, onError);
    open.push({ handle, onError });
    return handle;
  };
  return {
    store: wrapped,
    cut: async () => {
      for (const w of open.splice(0)) {
        await w.handle.cancel();
        w.onError(new Error('cut by the test'));
      }
    },
  };
}

describe('EventFeed on a real etcd', () => {
  let store: EtcdStore;
  onEtcd((s) => (store = s));

  const keys = new ClusterKeys('feed');
  const put = (host: string, seq: number, name: string): Promise<string> => store.put(keys.event(host, seq % 256), JSON.stringify({
    seq, time: `2026-12-07T10:00:${String(seq).padStart(2, '0')}.000Z`, ref: 'a1b2c3d4e5f6', name, event: { kind: 'start', n: seq }, state: 'starting',
  }));

  it('gives the recent events of the other hosts, then each new one once, across a watch that ends', async () => {
    for (const seq of [0, 1, 2]) await put('beta', seq, `b${seq}`);
    await put('alpha', 0, 'mine');
    await store.put(`${keys.events}beta/007`, 'not an event');
    expect((await recentEvents(store, keys, 'alpha')).map((e) => [e.host, e.name])).toEqual([['beta', 'b0'], ['beta', 'b1'], ['beta', 'b2']]);

    const { store: faulty, cut } = cuttable(store);
    const opened = await EventFeed.open(faulty, keys, 'alpha', 3_000, () => undefined);
    if (!opened) throw new Error('the feed did not open');
    const seen: HostedEvent[] = [];
    opened.feed.follow((e) => seen.push(e));
    try {
      expect(opened.recent.map((e) => e.name)).toEqual(['b0', 'b1', 'b2']);
      await put('beta', 3, 'b3');
      await waitFor('b3', () => seen.some((e) => e.name === 'b3'), 5_000);
      // Written while no watch runs: the fresh read after the cut hands them on, and only them.
      await cut();
      await put('beta', 4, 'b4');
      await put('gamma', 0, 'g0');
      await waitFor('b4 and g0', () => seen.some((e) => e.name === 'b4') && seen.some((e) => e.name === 'g0'), 5_000);
      await put('beta', 5, 'b5');
      await waitFor('b5 on the new watch', () => seen.some((e) => e.name === 'b5'), 5_000);
      // Each once, none of those seen before the cut again (a read hands them over in time order).
      expect(seen.map((e) => `${e.host}:${e.name}`).sort()).toEqual(['beta:b3', 'beta:b4', 'beta:b5', 'gamma:g0']);
    } finally {
      await opened.feed.stop();
    }
  });

  it('does not open while etcd does not answer', async () => {
    const nowhere = new EtcdStore({ endpoints: ['http://127.0.0.1:9'], callTimeoutMs: 500 });
    try {
      expect(await EventFeed.open(nowhere, keys, 'alpha', 1_000, () => undefined)).toBeUndefined();
    } finally {
      nowhere.close();
    }
  });
});
