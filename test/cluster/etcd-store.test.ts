import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/cluster/cluster-store.js';
import type { EtcdStore } from '../../src/cluster/etcd-store.js';
import type { EtcdMembers } from '../support/etcd-members.js';
import { onEtcd } from '../support/etcd-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('EtcdStore against a real etcd member', () => {
  let etcd: EtcdMembers;
  let store: EtcdStore;
  onEtcd((s, e) => {
    store = s;
    etcd = e;
  });

  it('puts, gets and lists by prefix, with the revision of the read', async () => {
    const rev = await store.put('/t/a/1', 'one');
    await store.put('/t/a/2', 'two');
    await store.put('/t/ab', 'not under /t/a/');
    expect((await store.get('/t/a/1'))?.value).toBe('one');
    expect(await store.get('/t/none')).toBeUndefined();
    const listing = await store.list('/t/a/');
    expect(listing.values.map((v) => [v.key, v.value])).toEqual([['/t/a/1', 'one'], ['/t/a/2', 'two']]);
    expect(BigInt(listing.revision)).toBeGreaterThan(BigInt(rev));
  });

  it('lets exactly one of many racers create a key, and tells the losers who holds it', async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      store.commit([{ key: '/t/claim', is: 'absent' }], [{ put: '/t/claim', value: `racer-${i}` }], ['/t/claim'])));
    const winners = outcomes.filter((o) => o.succeeded);
    expect(winners).toHaveLength(1);
    const holder = (await store.get('/t/claim'))!;
    for (const loser of outcomes.filter((o) => !o.succeeded)) {
      expect(loser.current[0]?.value).toBe(holder.value);
      expect(loser.current[0]?.createRevision).toBe(holder.createRevision);
    }
  });

  it('makes a write guarded by a revision only while nobody else has written', async () => {
    await store.put('/t/guarded', 'v1');
    const seen = (await store.get('/t/guarded'))!;
    expect((await store.commit([{ key: '/t/guarded', modRevision: seen.modRevision }], [{ put: '/t/guarded', value: 'v2' }])).succeeded).toBe(true);
    // The same guarded write again, as a retried call would make it: refused.
    expect((await store.commit([{ key: '/t/guarded', modRevision: seen.modRevision }], [{ put: '/t/guarded', value: 'v3' }])).succeeded).toBe(false);
    expect((await store.get('/t/guarded'))?.value).toBe('v2');
  });

  it('watches every change under a prefix from a revision, in order', async () => {
    const from = (await store.list('/t/w/')).revision;
    await store.put('/t/w/early', 'before the watch began');
    const changes: Change[] = [];
    const handle = await store.watch('/t/w/', String(BigInt(from) + 1n), (c) => changes.push(c), () => undefined);
    await store.put('/t/w/late', 'x');
    await store.delete('/t/w/early');
    await waitFor('three changes', () => changes.length === 3);
    expect(changes.map((c) => [c.kind, c.key])).toEqual([['put', '/t/w/early'], ['put', '/t/w/late'], ['delete', '/t/w/early']]);
    await handle.cancel();
  });

  it('ends a watch from a compacted revision with an error, so the caller reads again', async () => {
    const old = (await store.list('/t/c/')).revision;
    await store.put('/t/c/x', '1');
    const now = await store.put('/t/c/x', '2');
    await etcd.ctl('compaction', now);
    let error: Error | undefined;
    const handle = await store.watch('/t/c/', old, () => undefined, (err) => (error = err));
    await waitFor('the watch to fail', () => error);
    await handle.cancel();
  });

  it('keeps a key bound to a lease while it is kept alive, and drops it when the lease goes', async () => {
    const lease = await store.grantLease(2);
    await store.put('/t/leased', 'here', lease);
    expect(await store.keepAlive(lease)).toBeGreaterThan(0);
    expect((await store.get('/t/leased'))?.lease).toBe(lease);
    await store.revokeLease(lease);
    expect(await store.get('/t/leased')).toBeUndefined();
    expect(await store.keepAlive(lease)).toBe(0);
  });
});
