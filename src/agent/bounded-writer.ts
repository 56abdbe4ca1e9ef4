/**
 * What a streaming answer (`spew logs -f`, `events -f`, attach) writes to its client: at most a
 * bound's worth waits for a client that reads slowly. Past it, what comes is skipped and
 * counted, and once the client has caught up it is told how much it missed, in its stream's own
 * form. The agent's memory and its other answers never depend on how slow a reader is.
 */
import type { Writable } from 'node:stream';

/** What may wait for one reader; a thousand appliances' worth of lines in a burst fits. */
export const FOLLOWER_BUFFER_BYTES = 1024 * 1024;

export class BoundedWriter {
  private skipped = 0;

  constructor(
    private readonly out: Writable,
    /** The line that tells the reader how many it missed. */
    private readonly notice: (skipped: number) => string,
    private readonly limitBytes = FOLLOWER_BUFFER_BYTES,
  ) {
    out.on('drain', () => this.caughtUp());
  }

  /** Writes `text`, or counts it as skipped while the reader is behind. */
  write(text: string): void {
    if (this.out.destroyed) return;
    // Once skipping, it skips until the reader has taken everything: one gap, one notice.
    if (this.skipped > 0 || this.out.writableLength >= this.limitBytes) {
      this.skipped += 1;
      return;
    }
    this.out.write(text);
  }

  private caughtUp(): void {
    if (this.skipped === 0 || this.out.destroyed) return;
    const missed = this.skipped;
    this.skipped = 0;
    this.out.write(this.notice(missed));
  }
}
