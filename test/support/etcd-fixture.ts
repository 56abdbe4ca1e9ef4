/**
 * One real etcd member for a test file's tests, and a store on it: started before them, ended
 * after them. `bind` hands both to the tests' own variables.
 */
import { afterAll, beforeAll } from 'vitest';
import { EtcdStore } from '../../src/cluster/etcd-store.js';
import { EtcdMembers } from './etcd-members.js';

export function onEtcd(bind: (store: EtcdStore, etcd: EtcdMembers) => void): void {
  let etcd: EtcdMembers | undefined;
  let store: EtcdStore | undefined;
  beforeAll(async () => {
    etcd = await EtcdMembers.start(1);
    store = new EtcdStore({ endpoints: etcd.endpoints, callTimeoutMs: 3_000 });
    bind(store, etcd);
  }, 30_000);
  afterAll(async () => {
    store?.close();
    await etcd?.stop();
  });
}
