/**
 * The request exchange between hosts, on a real etcd member: a sender on one host, inboxes on
 * another (two of them, as two agents of one host in a hand-off), leases granted for real.
 */
import { describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-keys.js';
import type { EtcdStore } from '../../src/cluster/etcd-store.js';
import { RequestInbox, type ActionHandler } from '../../src/cluster/request-inbox.js';
import { RequestSender } from '../../src/cluster/request-sender.js';
import { SpewError } from '../../src/common/errors.js';
import type { HostAction } from '../../src/model/cluster.js';
import { onEtcd } from '../support/etcd-fixture.js';
import { publishedStatus } from '../support/published-status.js';
import { waitFor } from '../support/wait-for.js';

const status = publishedStatus;

describe('requests between hosts, on a real etcd', () => {
  let store: EtcdStore;
  let n = 0;
  onEtcd((s) => (store = s));

  /** alpha asks, beta answers with `inboxes` inboxes running `carryOut`. */
  async function pair(carryOut: ActionHandler, inboxes: number, timeoutMs = 3_000) {
    const keys = new ClusterKeys(`req${++n}`);
    const leases = { alpha: await store.grantLease(30), beta: await store.grantLease(30) };
    await store.put(keys.alive('alpha'), '{}', leases.alpha);
    await store.put(keys.alive('beta'), '{}', leases.beta);
    const log: string[] = [];
    const sender = new RequestSender({ store, keys, host: 'alpha', lease: () => leases.alpha, timeoutMs, log: (m) => log.push(m) });
    const boxes = Array.from({ length: inboxes }, () => new RequestInbox({ store, keys, host: 'beta', lease: () => leases.beta, carryOut, log: (m) => log.push(m) }));
    sender.start();
    for (const b of boxes) b.start();
    // The followers' first reads done: a request made now is seen by a watch.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { keys, leases, log, sender, boxes, stop: async () => Promise.all([sender.stop(), ...boxes.map((b) => b.stop())]) };
  }

  it('carries each request out once, however many inboxes follow the host, and brings the answer back', async () => {
    const done: HostAction[] = [];
    const p = await pair(async (action) => {
      done.push(action);
      return status('web');
    }, 2);
    try {
      const answers = await Promise.all([1, 2, 3].map((i) => p.sender.ask('beta', { action: 'stop', id: `web${i}`, kill: false })));
      expect(answers.map((a) => a.name)).toEqual(['web', 'web', 'web']);
      expect(done.map((a) => 'id' in a && a.id).sort()).toEqual(['web1', 'web2', 'web3']);
      // Nothing is left behind: requests taken, answers read and deleted.
      await waitFor('the answers deleted', async () => (await store.list(p.keys.repliesTo('alpha'))).values.length === 0, 5_000);
      expect((await store.list(p.keys.requestsTo('beta'))).values).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  it('brings back the owner\'s error with its code, naming the host', async () => {
    const p = await pair(async () => {
      throw new SpewError('APPLIANCE_NOT_FOUND', 'no appliance named "web"');
    }, 1);
    try {
      await expect(p.sender.ask('beta', { action: 'start', id: 'web' })).rejects.toMatchObject({ code: 'APPLIANCE_NOT_FOUND', message: 'host beta: no appliance named "web"' });
    } finally {
      await p.stop();
    }
  });

  it('refuses to ask a host whose lease is gone, and withdraws a request nobody took in time', async () => {
    let carried = 0;
    const p = await pair(async () => {
      carried += 1;
      return status('web');
    }, 0, 1_000);
    try {
      await expect(p.sender.ask('beta', { action: 'restart', id: 'web' })).rejects.toMatchObject({ code: 'NOT_ACKNOWLEDGED', message: expect.stringContaining('withdrawn, nothing was done') });
      expect((await store.list(p.keys.requestsTo('beta'))).values).toEqual([]);
      await store.revokeLease(p.leases.beta);
      await expect(p.sender.ask('beta', { action: 'restart', id: 'web' })).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
      expect(carried).toBe(0);
    } finally {
      await p.stop();
    }
  });

  it('drops a request that is not what spew writes, and never carries it out', async () => {
    let carried = 0;
    const p = await pair(async () => {
      carried += 1;
      return status('web');
    }, 1);
    try {
      await store.put(p.keys.request('beta', 'forged'), JSON.stringify({ from: '../alpha', action: { action: 'start', id: 'web' } }));
      await waitFor('the forged request dropped', () => p.log.some((l) => l.includes('not a request spew writes')), 5_000);
      expect(carried).toBe(0);
      expect(await store.get(p.keys.request('beta', 'forged'))).toBeUndefined();
    } finally {
      await p.stop();
    }
  });
});
