/** The clock and timer a WatcherLoop uses; injected so tests drive time by hand. */
export interface LoopTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
