/**
 * Status publishing on a real etcd member, through a store whose commits can be held in flight
 * (as a slow member or a loaded machine holds them): what changes meanwhile is published next.
 */
import { describe, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-keys.js';
import type { ClusterStore } from '../../src/cluster/cluster-store.js';
import type { EtcdStore } from '../../src/cluster/etcd-store.js';
import { readStatus } from '../../src/cluster/records.js';
import { StatusPublisher } from '../../src/cluster/status-publisher.js';
import type { ApplianceState } from '../../src/model/appliance-state.js';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { onEtcd } from '../support/etcd-fixture.js';
import { waitFor } from '../support/wait-for.js';

const status = (ref: string, state: ApplianceState): ApplianceStatus => ({
  name: `app-${ref}`, ref, type: 'shell', state, reason: '', desired: 'running', pid: null, restarts: 0,
  started_at: null, last_exit: null, restart_limit: null, image: null, version: 1,
} as unknown as ApplianceStatus);

/** `store`, with every commit held until `release` while `hold` is on. */
function holding(store: ClusterStore) {
  let gate: Promise<void> | undefined;
  let open = (): void => undefined;
  let inFlight = 0;
  const held: ClusterStore = Object.create(store) as ClusterStore;
  held.commit = async (...args) => {
    inFlight++;
    await gate;
    return store.commit(...args);
  };
  return {
    store: held,
    hold: () => (gate = new Promise((resolve) => (open = resolve))),
    release: () => {
      gate = undefined;
      open();
    },
    inFlight: () => inFlight,
  };
}

describe('status publisher, on a real etcd', () => {
  let store: EtcdStore;
  onEtcd((s) => (store = s));

  it('publishes a change made while the commit before it was in flight', async () => {
    const keys = new ClusterKeys('publisher1');
    const lease = await store.grantLease(30);
    await store.put(keys.alive('alpha'), '{}', lease);
    const states = new Map<string, ApplianceState>([['aaaaaaaaaaaa', 'starting']]);
    const h = holding(store);
    const publisher = new StatusPublisher({
      store: h.store, keys, host: 'alpha', lease: () => lease, log: () => undefined, windowMs: 10,
      source: { refs: () => [...states.keys()], status: (ref) => (states.has(ref) ? status(ref, states.get(ref)!) : undefined) },
    });
    h.hold();
    publisher.changed('aaaaaaaaaaaa');
    await waitFor('the first commit in flight', () => h.inFlight() === 1, 5_000);
    // The transition to running comes while `starting` is on its way.
    states.set('aaaaaaaaaaaa', 'running');
    publisher.changed('aaaaaaaaaaaa');
    h.release();
    await waitFor('running published', async () => {
      const v = await store.get(keys.status('alpha', 'aaaaaaaaaaaa'));
      return v !== undefined && readStatus(v.value)?.state === 'running';
    }, 5_000);
    await publisher.stop(false);
  });

  it('keeps what a failed commit carried, and publishes it when etcd answers', async () => {
    const keys = new ClusterKeys('publisher2');
    const lease = await store.grantLease(30);
    await store.put(keys.alive('alpha'), '{}', lease);
    const failing: ClusterStore = Object.create(store) as ClusterStore;
    let fail = true;
    failing.commit = async (...args) => {
      if (fail) throw new Error('deadline exceeded');
      return store.commit(...args);
    };
    const logs: string[] = [];
    const publisher = new StatusPublisher({
      store: failing, keys, host: 'alpha', lease: () => lease, log: (m) => logs.push(m), windowMs: 10,
      source: { refs: () => ['bbbbbbbbbbbb'], status: (ref) => status(ref, 'running') },
    });
    publisher.changed('bbbbbbbbbbbb');
    publisher.recorded({ time: '2026-01-01T00:00:00.000Z', ref: 'bbbbbbbbbbbb', name: 'app-bbbbbbbbbbbb', event: { kind: 'start' }, state: 'running' } as never);
    await waitFor('the failure said', () => logs.some((l) => l.startsWith('cannot publish status')), 5_000);
    fail = false;
    publisher.republishAll();
    await waitFor('published once etcd answers', async () => (await store.get(keys.status('alpha', 'bbbbbbbbbbbb'))) !== undefined, 5_000);
    await waitFor('the event in the ring', async () => (await store.list(keys.eventsOf('alpha'))).values.length === 1, 5_000);
    await publisher.stop(false);
  });
});
