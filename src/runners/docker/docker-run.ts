/**
 * One run of a container appliance, as the manager sees it (a RunHandle). The handle exists
 * before the container does: `start` must answer at once, the engine answers later. So:
 *
 *   pending --bind(id)--> created --live(pid)--> live --settle(reason)--> ended
 *      |                     |                                              ^
 *      +--------- fail(message): a spawn error -----------------------------+
 *
 * `pid` is 0 until the container runs (then the host PID of its init process); `up` resolves
 * with that PID, or with 0 when the run ended before it was up. A stop or kill asked for before
 * the container runs is kept and applied the moment it does (or the container is never started).
 */
import type { ExitReason } from '../../model/appliance-state.js';
import type { RunHandle } from '../runner.js';

export type Signaller = (containerId: string, signal: string) => void;

export class DockerRun implements RunHandle {
  readonly exited: Promise<ExitReason>;
  readonly up: Promise<number>;
  /** Resolves when the runner begins to follow this run's output. */
  readonly followed: Promise<void>;
  private resolveFollowed!: () => void;
  private currentPid = 0;
  private started = new Date();
  private id: string | undefined;
  private isLive = false;
  private settled = false;
  private resolveExit!: (reason: ExitReason) => void;
  private resolveUp!: (pid: number) => void;
  private stopRequest: { signal: NodeJS.Signals; timeoutMs: number } | undefined;
  private stopSent = false;
  private killRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  /** The engine reported the container out of memory; its `die` follows. */
  oomKilled = false;
  /** The runner is collecting the end of this run (logs, OOM check); further deaths are the same. */
  ending = false;

  constructor(
    readonly ref: string,
    private readonly signaller: Signaller,
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
    this.up = new Promise((resolve) => {
      this.resolveUp = resolve;
    });
    this.followed = new Promise((resolve) => {
      this.resolveFollowed = resolve;
    });
  }

  markFollowed(): void {
    this.resolveFollowed();
  }

  get pid(): number {
    return this.currentPid;
  }

  get startedAt(): Date {
    return this.started;
  }

  get containerId(): string | undefined {
    return this.id;
  }

  get live(): boolean {
    return this.isLive;
  }

  get ended(): boolean {
    return this.settled;
  }

  /** Spew asked this run to end (stop or kill): its container must not be started. */
  get endRequested(): boolean {
    return this.stopRequest !== undefined || this.killRequested;
  }

  /** The signal a stop asked for, for a run that ended before its container started. */
  get requestedSignal(): string {
    return this.killRequested ? 'SIGKILL' : (this.stopRequest?.signal ?? 'SIGKILL');
  }

  bind(containerId: string): void {
    this.id = containerId;
  }

  /** The container runs: PID and start time known; a pending stop or kill goes out now. */
  markLive(pid: number, startedAt: Date): void {
    if (this.settled || this.isLive) return;
    this.isLive = true;
    this.currentPid = pid;
    this.started = startedAt;
    this.resolveUp(pid);
    this.apply();
  }

  stop(signal: NodeJS.Signals, timeoutMs: number): void {
    if (this.settled || this.stopRequest || this.killRequested) return;
    this.stopRequest = { signal, timeoutMs };
    this.apply();
  }

  kill(): void {
    if (this.settled || this.killRequested) return;
    this.killRequested = true;
    this.apply();
  }

  settle(reason: ExitReason): void {
    if (this.settled) return;
    this.settled = true;
    this.isLive = false;
    clearTimeout(this.killTimer);
    this.resolveUp(0);
    this.resolveExit(reason);
  }

  fail(message: string): void {
    this.settle({ kind: 'spawn-error', message });
  }

  private apply(): void {
    if (!this.isLive || this.settled || this.id === undefined) return;
    if (this.killRequested) {
      clearTimeout(this.killTimer);
      this.signaller(this.id, 'SIGKILL');
      return;
    }
    if (this.stopRequest && !this.stopSent) {
      this.stopSent = true;
      this.signaller(this.id, this.stopRequest.signal);
      this.killTimer = setTimeout(() => this.kill(), this.stopRequest.timeoutMs);
      this.killTimer.unref();
    }
  }
}
