/**
 * Dependencies on other hosts' appliances, followed on a real etcd member: what a host
 * publishes under `status/<host>/`, and whether it is alive, as the liveness observer sees it.
 */
import { describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-keys.js';
import { DependencyStates } from '../../src/cluster/dependency-states.js';
import type { EtcdStore } from '../../src/cluster/etcd-store.js';
import { LivenessObserver } from '../../src/cluster/liveness-observer.js';
import { onEtcd } from '../support/etcd-fixture.js';
import { publishedStatus } from '../support/published-status.js';
import { waitFor } from '../support/wait-for.js';

const status = publishedStatus;

describe('dependencies on other hosts, on a real etcd', () => {
  let store: EtcdStore;
  let n = 0;
  onEtcd((s) => (store = s));

  it('runs when its host is alive and has published it running, and follows only the hosts depended on', async () => {
    const keys = new ClusterKeys(`deps${++n}`);
    const observer = new LivenessObserver(store, keys, () => undefined);
    const states = new DependencyStates(store, keys, observer, () => undefined);
    let changes = 0;
    states.onChange(() => changes++);
    observer.start();
    const lease = await store.grantLease(30);
    await store.put(keys.alive('beta'), '{}', lease);
    await store.put(keys.status('beta', 'a1b2c3d4e5f6'), JSON.stringify(status('db', 'starting')));
    await store.put(keys.status('gamma', 'bbbbbbbbbbbb'), JSON.stringify(status('db', 'running')));
    const db = { name: 'db', host: 'beta' };
    states.follow([db]);
    await waitFor('beta alive and read', () => observer.isAlive('beta') && changes > 0, 5_000);
    expect(states.running(db)).toBe(false);

    await store.put(keys.status('beta', 'a1b2c3d4e5f6'), JSON.stringify(status('db', 'running')));
    await waitFor('db running on beta', () => states.running(db), 5_000);
    // gamma is not followed: its db is not known, and gamma is not alive anyway.
    expect(states.running({ name: 'db', host: 'gamma' })).toBe(false);

    // The host's lease goes: its last word stays, but it no longer counts as running.
    await store.revokeLease(lease);
    await waitFor('beta gone', () => !states.running(db), 5_000);
    expect(observer.isAlive('beta')).toBe(false);

    // Back, and the appliance removed there.
    const again = await store.grantLease(30);
    await store.put(keys.alive('beta'), '{}', again);
    await waitFor('beta back', () => states.running(db), 5_000);
    await store.delete(keys.status('beta', 'a1b2c3d4e5f6'));
    await waitFor('db removed on beta', () => !states.running(db), 5_000);

    // No longer depended on: not followed, so a new status of it is not seen.
    states.follow([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.put(keys.status('beta', 'cccccccccccc'), JSON.stringify(status('db', 'running')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(states.running(db)).toBe(false);
    await states.stop();
    await observer.stop();
  });

  it('takes no value spew does not write for a state', async () => {
    const keys = new ClusterKeys(`deps${++n}`);
    const observer = new LivenessObserver(store, keys, () => undefined);
    const states = new DependencyStates(store, keys, observer, () => undefined);
    observer.start();
    const lease = await store.grantLease(30);
    await store.put(keys.alive('beta'), '{}', lease);
    await store.put(keys.status('beta', 'a1b2c3d4e5f6'), JSON.stringify({ ...status('db', 'running'), state: 'sort of' }));
    states.follow([{ name: 'db', host: 'beta' }]);
    await waitFor('beta alive', () => observer.isAlive('beta'), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(states.running({ name: 'db', host: 'beta' })).toBe(false);
    await states.stop();
    await observer.stop();
  });
});
