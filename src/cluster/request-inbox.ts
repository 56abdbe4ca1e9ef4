/**
 * This host's part of `requests/`: what other hosts ask of its appliances (each host follows
 * its own part only). A request is taken once, by a delete guarded by its revision: of two
 * takes (a watch event and a fresh read, or two agents of one host in a hand-off) one wins, so
 * nothing is done twice. It is carried out as this host's own API would, and answered under
 * this host's lease. While this agent has no lease it takes nothing: the requests wait, and are
 * read again once it has registered.
 */
import { errorMessage, SpewError } from '../common/errors.js';
import type { PublishedStatus } from '../model/appliance-status.js';
import type { HostAction, HostReply } from '../model/cluster.js';
import { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore, StoredValue } from './cluster-store.js';
import { PrefixFollower } from './prefix-follower.js';
import { readRequest } from './records.js';

/** Carries out one action on this host; a SpewError's code and words go back to the asker. */
export type ActionHandler = (action: HostAction, from: string) => Promise<PublishedStatus>;

export interface RequestInboxOptions {
  store: ClusterStore;
  keys: ClusterKeys;
  host: string;
  lease: () => string | undefined;
  carryOut: ActionHandler;
  log: (message: string) => void;
}

export class RequestInbox {
  private readonly follower: PrefixFollower;
  private readonly prefix: string;

  constructor(private readonly opts: RequestInboxOptions) {
    this.prefix = opts.keys.requestsTo(opts.host);
    this.follower = new PrefixFollower(opts.store, this.prefix, {
      reset: (values) => {
        for (const v of values) void this.take(v);
      },
      change: (change) => {
        if (change.kind === 'put') void this.take(change);
      },
    }, opts.log);
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** After a (re)registration: what waited while this agent had no lease. */
  async recheck(): Promise<void> {
    try {
      const listing = await this.opts.store.list(this.prefix);
      for (const v of listing.values) void this.take(v);
    } catch (err) {
      this.opts.log(`cannot read the requests to this host: ${errorMessage(err)}`);
    }
  }

  private async take(request: Pick<StoredValue, 'key' | 'value' | 'modRevision'>): Promise<void> {
    const { store, keys, host, carryOut, log } = this.opts;
    const id = ClusterKeys.last(request.key, this.prefix);
    const lease = this.opts.lease();
    if (id === undefined || lease === undefined) return;
    try {
      const taken = await store.commit([{ key: request.key, modRevision: request.modRevision }], [{ delete: request.key }]);
      if (!taken.succeeded) return;
      const record = readRequest(request.value);
      // Whoever can write to etcd can put anything there: not what spew writes, it is dropped.
      if (!record) {
        log(`dropped ${request.key}: not a request spew writes`);
        return;
      }
      let reply: HostReply;
      try {
        reply = { done: await carryOut(record.action, record.from) };
      } catch (err) {
        reply = { failed: { code: err instanceof SpewError ? err.code : 'INTERNAL', message: errorMessage(err) } };
      }
      const answered = await store.commit(
        [{ key: keys.alive(host), lease }],
        [{ put: keys.reply(record.from, id), value: JSON.stringify(reply), lease }],
      );
      if (!answered.succeeded) log(`could not answer ${record.from}'s ${record.action.action}: this host's lease changed meanwhile`);
    } catch (err) {
      log(`request ${id}: ${errorMessage(err)}`);
    }
  }
}
