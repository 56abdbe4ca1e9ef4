/**
 * Follows every key under a prefix without missing a change: a read, then a watch from the
 * read's revision + 1. A watch that fails (its member died and the client gave up, the revision
 * was compacted, the server cancelled it) is followed by a fresh read, handed over whole, and a
 * new watch from that read's revision: whatever happened in between is in the read.
 */
import { errorMessage } from '../common/errors.js';
import type { Change, ClusterStore, StoredValue, WatchHandle } from './cluster-store.js';

export interface PrefixHandlers {
  /** Everything under the prefix as of a read: the first one, and after each failed watch. */
  reset(values: StoredValue[]): void;
  change(change: Change): void;
}

const FIRST_RETRY_MS = 200;
const LONGEST_RETRY_MS = 2_000;

export class PrefixFollower {
  private watch: WatchHandle | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  /** Said once when following stops working, once when it works again: not every retry. */
  private failing = false;

  constructor(
    private readonly store: ClusterStore,
    private readonly prefix: string,
    private readonly handlers: PrefixHandlers,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    void this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.watch?.cancel().catch(() => undefined);
  }

  private async follow(): Promise<void> {
    if (this.stopped) return;
    try {
      const listing = await this.store.list(this.prefix);
      if (this.stopped) return;
      this.handlers.reset(listing.values);
      const next = (BigInt(listing.revision) + 1n).toString();
      const watch = await this.store.watch(this.prefix, next, (change) => this.handlers.change(change), (err) => this.restart(err));
      if (this.stopped) {
        await watch.cancel();
        return;
      }
      this.watch = watch;
      this.retryMs = FIRST_RETRY_MS;
      if (this.failing) this.log(`following ${this.prefix} again`);
      this.failing = false;
    } catch (err) {
      this.restart(err);
    }
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    const old = this.watch;
    this.watch = undefined;
    void old?.cancel().catch(() => undefined);
    if (!this.failing) this.log(`watch of ${this.prefix} ended (${errorMessage(err)}): reading again`);
    this.failing = true;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.follow(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, LONGEST_RETRY_MS);
  }
}
