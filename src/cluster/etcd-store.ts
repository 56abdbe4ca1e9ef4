/**
 * ClusterStore on etcd's v3 API through the `etcd3` client (pinned exactly in package.json).
 * Loaded only when the instance config has a `[cluster]` table.
 *
 * The options below are what ../shared/notes/etcd.md measured as needed here:
 * - gRPC keepalive pings, or a hung member freezes a watch with no event and no error;
 * - a watch backoff capped at 2 s and a host breaker that half-opens after 1 s, or the client
 *   reconnects 10 s after etcd is back and writes wait 5 s on the default breaker;
 * - a deadline on every call: nothing the agent asks of etcd may hang its caller for good.
 */
import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, isRecoverableError, type IKeyValue, type IOptions, type IRequestOp } from 'etcd3';
import type { ClusterStore, Condition, Conditions, Listing, Outcome, StoredValue, WatchHandle, Write, Change } from './cluster-store.js';

export interface EtcdStoreOptions {
  endpoints: string[];
  /** PEM contents: the CA that signed etcd's certificate, and this client's own pair. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** How long one call may take before it fails. */
  callTimeoutMs: number;
}

export class EtcdStore implements ClusterStore {
  private readonly client: Etcd3;

  constructor(private readonly opts: EtcdStoreOptions) {
    const options: IOptions = {
      hosts: opts.endpoints,
      dialTimeout: opts.callTimeoutMs,
      grpcOptions: { 'grpc.keepalive_time_ms': 5_000, 'grpc.keepalive_timeout_ms': 2_000, 'grpc.keepalive_permit_without_calls': 1 },
      faultHandling: {
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) }),
        global: retry(handleWhen(isRecoverableError), { maxAttempts: opts.endpoints.length }),
        // etcd3 takes a backoff and calls next() on it for the first delay.
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }).next(),
      },
      defaultCallOptions: () => ({ deadline: Date.now() + opts.callTimeoutMs }),
    };
    if (opts.tls) options.credentials = { rootCertificate: opts.tls.ca, privateKey: opts.tls.key, certChain: opts.tls.cert };
    this.client = new Etcd3(options);
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const res = await this.client.get(key).exec();
    const kv = res.kvs[0];
    return kv ? stored(kv) : undefined;
  }

  async list(prefix: string): Promise<Listing> {
    const res = await this.client.getAll().prefix(prefix).exec();
    return { values: res.kvs.map(stored), revision: res.header.revision };
  }

  async put(key: string, value: string, lease?: string): Promise<string> {
    const builder = this.client.put(key).value(value);
    const res = await (lease === undefined ? builder : builder.lease(lease)).exec();
    return res.header.revision;
  }

  async delete(key: string): Promise<void> {
    await this.client.delete().key(key).exec();
  }

  async commit([first, ...rest]: Conditions, writes: Write[], read: string[] = []): Promise<Outcome> {
    const ops = await Promise.all(writes.map((w) => this.op(w)));
    const reads = await Promise.all(read.map((key) => this.client.get(key).op()));
    let txn = this.client.if(first.key, ...compare(first));
    for (const c of rest) txn = txn.and(c.key, ...compare(c));
    const res = await txn.then(...ops).else(...reads).commit();
    const current = res.succeeded ? [] : res.responses.map((r) => {
      const kv = r.response_range?.kvs[0];
      return kv ? stored(kv) : undefined;
    });
    return { succeeded: res.succeeded, revision: res.header.revision, current };
  }

  async watch(prefix: string, fromRevision: string, onChange: (change: Change) => void, onError: (err: Error) => void): Promise<WatchHandle> {
    const watcher = await this.client.watch().prefix(prefix).startRevision(fromRevision).create();
    const change = (kind: Change['kind']) => (kv: IKeyValue): void => onChange({
      kind,
      key: kv.key.toString(),
      value: kind === 'put' ? kv.value.toString() : '',
      modRevision: kv.mod_revision,
      createRevision: kv.create_revision,
    });
    watcher.on('put', change('put'));
    watcher.on('delete', change('delete'));
    watcher.on('error', (err) => onError(err));
    return { cancel: () => watcher.cancel() };
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }, { deadline: this.deadline() });
    return res.ID;
  }

  async keepAlive(lease: string): Promise<number> {
    const stream = await this.client.leaseClient.leaseKeepAlive({ deadline: this.deadline() });
    try {
      const ttl = await new Promise<number>((resolve, reject) => {
        stream.on('data', (res: { TTL: string }) => resolve(Number(res.TTL)));
        stream.on('error', reject);
        stream.write({ ID: lease });
      });
      return Math.max(0, ttl);
    } finally {
      stream.end();
    }
  }

  async revokeLease(lease: string): Promise<void> {
    await this.client.leaseClient.leaseRevoke({ ID: lease }, { deadline: this.deadline() });
  }

  close(): void {
    this.client.close();
  }

  private deadline(): number {
    return Date.now() + this.opts.callTimeoutMs;
  }

  private op(write: Write): Promise<IRequestOp> {
    if ('delete' in write) return this.client.delete().key(write.delete).op();
    const put = this.client.put(write.put).value(write.value);
    return (write.lease === undefined ? put : put.lease(write.lease)).op();
  }
}

function compare(c: Condition): ['Create' | 'Mod' | 'Lease', '==' | '>', string | number] {
  if ('is' in c) return c.is === 'absent' ? ['Create', '==', 0] : ['Create', '>', 0];
  if ('createRevision' in c) return ['Create', '==', c.createRevision];
  if ('lease' in c) return ['Lease', '==', c.lease];
  return ['Mod', '==', c.modRevision];
}

function stored(kv: IKeyValue): StoredValue {
  return { key: kv.key.toString(), value: kv.value.toString(), createRevision: kv.create_revision, modRevision: kv.mod_revision, lease: kv.lease };
}
