/**
 * Pull progress as it happens, for whoever listens (the API's pull stream, which the CLI draws as a
 * progress bar per layer). Kept in memory only: progress is worth nothing once the pull is over.
 */
import type { PullEvent } from '../model/image-pull.js';

export class PullFeed {
  private readonly listeners = new Set<(event: PullEvent) => void>();

  subscribe(listener: (event: PullEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: PullEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
