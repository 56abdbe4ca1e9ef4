/**
 * What the cluster needs of its shared store, and nothing more: keys and values, transactions
 * guarded by compares, watches from a revision, leases. etcd-store.ts implements it on etcd;
 * nothing else in spew knows which client is behind it, so the client can be replaced.
 *
 * Revisions and lease ids are etcd's int64s, carried as decimal strings.
 */

export interface StoredValue {
  key: string;
  value: string;
  /** The revision that created the key: a claim's identity, and the fence its owner writes under. */
  createRevision: string;
  modRevision: string;
  /** The lease the key is bound to; '0' for none. */
  lease: string;
}

export interface Listing {
  values: StoredValue[];
  /** The store's revision at the read: a watch from the next one misses nothing. */
  revision: string;
}

/** What must hold for a transaction's writes to be made. */
export type Condition =
  | { key: string; is: 'absent' }
  | { key: string; is: 'present' }
  | { key: string; createRevision: string }
  | { key: string; modRevision: string }
  /** The key is bound to this lease: the writer is still the one registered under it. */
  | { key: string; lease: string };

export type Write =
  | { put: string; value: string; lease?: string }
  | { delete: string };

export interface Outcome {
  succeeded: boolean;
  revision: string;
  /** On failure: the current value of each key asked for (`read`), in order; undefined if absent. */
  current: (StoredValue | undefined)[];
}

export interface Change {
  kind: 'put' | 'delete';
  key: string;
  /** The new value; '' for a delete. */
  value: string;
  modRevision: string;
  createRevision: string;
}

export interface WatchHandle {
  cancel(): Promise<void>;
}

/** A transaction guards its writes with one condition at least: every write spew makes is. */
export type Conditions = [Condition, ...Condition[]];

export interface ClusterStore {
  get(key: string): Promise<StoredValue | undefined>;
  list(prefix: string): Promise<Listing>;
  /** Answers the revision of the write. */
  put(key: string, value: string, lease?: string): Promise<string>;
  delete(key: string): Promise<void>;
  /** If every condition holds, the writes, at once; otherwise the current values of `read`. */
  commit(conditions: Conditions, writes: Write[], read?: string[]): Promise<Outcome>;
  /**
   * Every change under `prefix` from `fromRevision` on, in order. `onError` means the watch has
   * ended (a compacted revision, a cancel by the server): the caller reads again and watches
   * from there (see prefix-follower.ts).
   */
  watch(prefix: string, fromRevision: string, onChange: (change: Change) => void, onError: (err: Error) => void): Promise<WatchHandle>;
  grantLease(ttlSeconds: number): Promise<string>;
  /** One keepalive; answers the seconds the lease has left, 0 when the store no longer has it. */
  keepAlive(lease: string): Promise<number>;
  revokeLease(lease: string): Promise<void>;
  close(): void;
}
