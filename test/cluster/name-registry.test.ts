/**
 * Names and refs held across hosts, on a real etcd member: registries of two hosts, with leases
 * granted for real.
 */
import { describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-keys.js';
import type { EtcdStore } from '../../src/cluster/etcd-store.js';
import { NameRegistry } from '../../src/cluster/name-registry.js';
import { readHeldName } from '../../src/cluster/records.js';
import { onEtcd } from '../support/etcd-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('names and refs held in the cluster, on a real etcd', () => {
  let store: EtcdStore;
  let n = 0;
  onEtcd((s) => (store = s));

  async function hosts() {
    const keys = new ClusterKeys(`names${++n}`);
    const log: string[] = [];
    const registry = async (host: string) => {
      const lease = await store.grantLease(30);
      await store.put(keys.alive(host), '{}', lease);
      let current: string | undefined = lease;
      const r = new NameRegistry({ store, keys, host, lease: () => current, log: (level, m) => log.push(`${host} ${level}: ${m}`) });
      return { r, lease, drop: () => (current = undefined), back: () => (current = lease) };
    };
    const held = async (prefix: string) => {
      const listing = await store.list(prefix);
      return Object.fromEntries(listing.values.map((v) => [v.key.slice(prefix.length), readHeldName(v.value)?.host]));
    };
    return { keys, log, alpha: await registry('alpha'), beta: await registry('beta'), held };
  }

  it('gives a name to one host only, even when two reserve it at the same moment', async () => {
    const h = await hosts();
    const results = await Promise.allSettled([
      h.alpha.r.reserve({ name: 'web', ref: 'aaaaaaaaaaaa' }),
      h.beta.r.reserve({ name: 'web', ref: 'bbbbbbbbbbbb' }),
    ]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'NAME_TAKEN' });
    const names = await h.held(h.keys.names);
    expect(Object.keys(names)).toEqual(['web']);
    const winner = names.web;
    // The loser's ref is not left behind.
    expect(Object.values(await h.held(h.keys.refs))).toEqual([winner]);
    await h.alpha.r.stop();
    await h.beta.r.stop();
  });

  it('refuses a ref another host has, and says which appliance has it', async () => {
    const h = await hosts();
    await h.alpha.r.reserve({ name: 'db', ref: 'cccccccccccc' });
    await expect(h.beta.r.reserve({ name: 'cache', ref: 'cccccccccccc' })).rejects.toMatchObject({
      code: 'NAME_TAKEN',
      message: expect.stringContaining('host alpha has the ref cccccccccccc (appliance db'),
    });
    await h.alpha.r.stop();
    await h.beta.r.stop();
  });

  it('gives back what a removed appliance held, and what a failed create reserved', async () => {
    const h = await hosts();
    await h.alpha.r.reserve({ name: 'web', ref: 'aaaaaaaaaaaa' });
    await h.alpha.r.reserve({ name: 'db', ref: 'dddddddddddd' });
    h.alpha.r.sync([{ name: 'web', ref: 'aaaaaaaaaaaa' }, { name: 'db', ref: 'dddddddddddd' }]);
    await h.alpha.r.reserve({ name: 'broken', ref: 'eeeeeeeeeeee' });
    h.alpha.r.cancel({ name: 'broken', ref: 'eeeeeeeeeeee' });
    h.alpha.r.sync([{ name: 'web', ref: 'aaaaaaaaaaaa' }]);
    await waitFor('db and broken given back', async () => Object.keys(await h.held(h.keys.names)).join() === 'web', 5_000);
    expect(Object.keys(await h.held(h.keys.refs))).toEqual(['aaaaaaaaaaaa']);
    // Now free for another host.
    await h.beta.r.reserve({ name: 'db', ref: 'ffffffffffff' });
    await h.alpha.r.stop();
    await h.beta.r.stop();
  });

  it('keeps a create that is still being made when a sync misses it', async () => {
    const h = await hosts();
    await h.alpha.r.reserve({ name: 'new', ref: '111111111111' });
    // Another create's sync, before this one's appliance exists.
    h.alpha.r.sync([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await h.held(h.keys.names)).toEqual({ new: 'alpha' });
    await h.alpha.r.stop();
    await h.beta.r.stop();
  });

  it('lets a create go on while unregistered, holds the name once registered, and logs a name another host took meanwhile', async () => {
    const h = await hosts();
    h.alpha.drop();
    await h.alpha.r.reserve({ name: 'solo', ref: '222222222222' });
    await h.alpha.r.reserve({ name: 'clash', ref: '333333333333' });
    h.alpha.r.sync([{ name: 'solo', ref: '222222222222' }, { name: 'clash', ref: '333333333333' }]);
    expect(await h.held(h.keys.names)).toEqual({});
    await h.beta.r.reserve({ name: 'clash', ref: '444444444444' });
    h.alpha.back();
    h.alpha.r.registered();
    await waitFor('solo held by alpha', async () => (await h.held(h.keys.names)).solo === 'alpha', 5_000);
    expect((await h.held(h.keys.names)).clash).toBe('beta');
    await waitFor('the clash logged', async () => h.log.some((l) => l.startsWith('alpha error: appliance clash (333333333333) of this host: host beta has the name clash')), 5_000);
    expect(h.log.filter((l) => l.includes('appliance clash'))).toHaveLength(1);
    await h.alpha.r.stop();
    await h.beta.r.stop();
  });

  it('takes back its own name left by a removal etcd did not hear of, after a registration', async () => {
    const h = await hosts();
    await h.alpha.r.reserve({ name: 'web', ref: 'aaaaaaaaaaaa' });
    h.alpha.r.sync([{ name: 'web', ref: 'aaaaaaaaaaaa' }]);
    // A new registry (the agent restarted) that only knows its appliances now: web was removed and made again.
    const lease = h.alpha.lease;
    const again = new NameRegistry({ store, keys: h.keys, host: 'alpha', lease: () => lease, log: (level, m) => h.log.push(`${level}: ${m}`) });
    again.sync([{ name: 'web', ref: '555555555555' }]);
    again.registered();
    await waitFor('web held with its new ref', async () => {
      const web = await store.get(h.keys.name('web'));
      return web !== undefined && readHeldName(web.value)?.ref === '555555555555';
    }, 5_000);
    await waitFor('the old ref given back', async () => Object.keys(await h.held(h.keys.refs)).join() === '555555555555', 5_000);
    await again.stop();
    await h.alpha.r.stop();
    await h.beta.r.stop();
  });
});
