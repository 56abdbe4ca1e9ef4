/**
 * Asks another host to act on one of its appliances, and waits for its answer. The request goes
 * under the asked host's part of `requests/` bound to this host's lease (an asker that dies
 * takes its requests with it), in one transaction with two compares: this agent still holds its
 * place, and the asked host is alive. Answers come under this host's part of `replies/`, which
 * one follower reads for every request in flight.
 *
 * With no answer in time, the request is withdrawn if it is still there (a delete guarded by its
 * revision): then the host never took it and nothing was done. If it was taken, the error says
 * so: the action may have been carried out, and the host's status will tell.
 */
import { randomBytes } from 'node:crypto';
import { isErrorCode, SpewError } from '../common/errors.js';
import type { PublishedStatus } from '../model/appliance-status.js';
import type { HostAction, HostReply } from '../model/cluster.js';
import { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore } from './cluster-store.js';
import { PrefixFollower } from './prefix-follower.js';
import { readReply } from './records.js';

export interface RequestSenderOptions {
  store: ClusterStore;
  keys: ClusterKeys;
  host: string;
  lease: () => string | undefined;
  timeoutMs: number;
  log: (message: string) => void;
}

export class RequestSender {
  private readonly follower: PrefixFollower;
  private readonly prefix: string;
  private readonly waiting = new Map<string, (reply: HostReply) => void>();

  constructor(private readonly opts: RequestSenderOptions) {
    this.prefix = opts.keys.repliesTo(opts.host);
    const heard = (key: string, value: string): void => {
      const id = ClusterKeys.last(key, this.prefix);
      const settle = id === undefined ? undefined : this.waiting.get(id);
      const reply = readReply(value);
      if (!settle) return;
      if (!reply) {
        opts.log(`the answer ${key} is not one spew writes: ignored`);
        return;
      }
      settle(reply);
      void opts.store.delete(key).catch(() => undefined);
    };
    this.follower = new PrefixFollower(opts.store, this.prefix, {
      reset: (values) => {
        for (const v of values) heard(v.key, v.value);
      },
      change: (change) => {
        if (change.kind === 'put') heard(change.key, change.value);
      },
    }, opts.log);
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** `target` carries `action` out; answers the appliance's status as that host gives it. */
  async ask(target: string, action: HostAction): Promise<PublishedStatus> {
    const { store, keys, host, timeoutMs } = this.opts;
    const lease = this.opts.lease();
    if (lease === undefined) {
      throw new SpewError('CLUSTER_UNREACHABLE', `cannot ask host ${target}: this host is not joined to the cluster right now (see spew hosts)`);
    }
    const id = randomBytes(8).toString('hex');
    const key = keys.request(target, id);
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<HostReply | 'timeout'>((resolve) => {
      this.waiting.set(id, resolve);
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const sent = await store.commit(
        [{ key: keys.alive(host), lease }, { key: keys.alive(target), is: 'present' }],
        [{ put: key, value: JSON.stringify({ from: host, action }), lease }],
        [keys.alive(host), keys.alive(target)],
      );
      if (!sent.succeeded) {
        if (sent.current[1] === undefined) throw new SpewError('HOST_UNREACHABLE', `host ${target} is unreachable (its lease has expired): its appliances run on as it last published, but it cannot be asked now`);
        throw new SpewError('CLUSTER_UNREACHABLE', `cannot ask host ${target}: this host's place in the cluster changed meanwhile; try again`);
      }
      const reply = await answered;
      if (reply === 'timeout') throw await this.unanswered(target, action, key, sent.revision);
      if ('done' in reply) return reply.done;
      const code = isErrorCode(reply.failed.code) ? reply.failed.code : 'INTERNAL';
      throw new SpewError(code, `host ${target}: ${reply.failed.message}`);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  private async unanswered(target: string, action: HostAction, key: string, sentAt: string): Promise<SpewError> {
    const seconds = `${this.opts.timeoutMs / 1000} s`;
    const withdrawn = await this.opts.store.commit([{ key, createRevision: sentAt }], [{ delete: key }]).catch(() => undefined);
    if (withdrawn?.succeeded) {
      return new SpewError('NOT_ACKNOWLEDGED', `host ${target} did not take the ${action.action} request within ${seconds} (it may be stopped or overloaded): withdrawn, nothing was done`);
    }
    return new SpewError('NOT_ACKNOWLEDGED', `host ${target} took the ${action.action} request but did not answer within ${seconds}: it may have been carried out; see spew status --host ${target}`);
  }
}
