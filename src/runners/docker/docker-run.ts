/**
 * One run of a container appliance, as the manager sees it (a RunHandle). The handle exists
 * before the container does: `start` must answer at once, the engine answers later. So:
 *
 *   pending --bind(id)--> created --markLive(pid)--> live --beginEnd()--> ending --settle--> ended
 *      |                     |                          |                                   ^
 *      +---------------------+--------------------------+--- settle(reason) / fail(message) +
 *
 * `pid` is 0 until the container runs (then the host PID of its init process); `up` resolves
 * with that PID, or with 0 when the run ended before it was up. A stop or kill asked for before
 * the container runs is kept and applied the moment it does (or the container is never started).
 */
import type { ExitReason } from '../../model/appliance-state.js';
import type { RunHandle } from '../runner.js';

export type Signaller = (containerId: string, signal: string) => void;

/** Where a run stands; the container's id once the engine has made one. */
type Phase =
  | { kind: 'pending' }
  | { kind: 'created'; id: string }
  /** `oom`: the engine reported the container out of memory; its `die` follows. */
  | { kind: 'live'; id: string; oom: boolean }
  /** The runner is collecting the end of this run (logs, OOM check); further deaths are the same one. */
  | { kind: 'ending'; id: string; oom: boolean }
  | { kind: 'ended'; id: string | undefined };

/** What spew asked of the run; a kill overrides a stop, and neither is asked twice. */
type EndAsked =
  | { kind: 'none' }
  | { kind: 'stop'; signal: NodeJS.Signals; timeoutMs: number; killTimer?: NodeJS.Timeout }
  | { kind: 'kill' };

export class DockerRun implements RunHandle {
  readonly exited: Promise<ExitReason>;
  readonly up: Promise<number>;
  /** Resolves when the runner begins to follow this run's output. */
  readonly followed: Promise<void>;
  private resolveFollowed!: () => void;
  private currentPid = 0;
  private started = new Date();
  private phase: Phase = { kind: 'pending' };
  private asked: EndAsked = { kind: 'none' };
  private resolveExit!: (reason: ExitReason) => void;
  private resolveUp!: (pid: number) => void;

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
    return this.phase.kind === 'pending' ? undefined : this.phase.id;
  }

  get live(): boolean {
    return this.phase.kind === 'live';
  }

  get ended(): boolean {
    return this.phase.kind === 'ended';
  }

  /** Its end is being collected or has been reported: a second death is the same one. */
  get ending(): boolean {
    return this.phase.kind === 'ending' || this.phase.kind === 'ended';
  }

  /** The engine reported it out of memory while it ran. */
  get oomKilled(): boolean {
    return (this.phase.kind === 'live' || this.phase.kind === 'ending') && this.phase.oom;
  }

  /** Spew asked this run to end (stop or kill): its container must not be started. */
  get endRequested(): boolean {
    return this.asked.kind !== 'none';
  }

  /** The signal a stop asked for, for a run that ended before its container started. */
  get requestedSignal(): string {
    return this.asked.kind === 'stop' ? this.asked.signal : 'SIGKILL';
  }

  bind(containerId: string): void {
    if (this.phase.kind === 'pending') this.phase = { kind: 'created', id: containerId };
  }

  /** The container runs: PID and start time known; a pending stop or kill goes out now. */
  markLive(pid: number, startedAt: Date): void {
    if (this.phase.kind !== 'created') return;
    this.phase = { kind: 'live', id: this.phase.id, oom: false };
    this.currentPid = pid;
    this.started = startedAt;
    this.resolveUp(pid);
    this.apply();
  }

  markOom(): void {
    if (this.phase.kind === 'live') this.phase = { ...this.phase, oom: true };
  }

  /** The runner begins to collect this run's end; false when it already is (or it has ended). */
  beginEnd(): boolean {
    const { phase } = this;
    if (phase.kind !== 'created' && phase.kind !== 'live') return false;
    this.phase = { kind: 'ending', id: phase.id, oom: phase.kind === 'live' && phase.oom };
    return true;
  }

  stop(signal: NodeJS.Signals, timeoutMs: number): void {
    if (this.ended || this.asked.kind !== 'none') return;
    this.asked = { kind: 'stop', signal, timeoutMs };
    this.apply();
  }

  kill(): void {
    if (this.ended || this.asked.kind === 'kill') return;
    this.clearKillTimer();
    this.asked = { kind: 'kill' };
    this.apply();
  }

  settle(reason: ExitReason): void {
    if (this.ended) return;
    this.clearKillTimer();
    this.phase = { kind: 'ended', id: this.containerId };
    this.resolveUp(0);
    this.resolveExit(reason);
  }

  fail(message: string): void {
    this.settle({ kind: 'spawn-error', message });
  }

  private clearKillTimer(): void {
    if (this.asked.kind === 'stop') clearTimeout(this.asked.killTimer);
  }

  /** Sends what was asked to a live container; a stop once, with its kill timer. */
  private apply(): void {
    if (this.phase.kind !== 'live') return;
    const { id } = this.phase;
    if (this.asked.kind === 'kill') {
      this.signaller(id, 'SIGKILL');
    } else if (this.asked.kind === 'stop' && !this.asked.killTimer) {
      this.signaller(id, this.asked.signal);
      this.asked.killTimer = setTimeout(() => this.kill(), this.asked.timeoutMs);
      this.asked.killTimer.unref();
    }
  }
}
