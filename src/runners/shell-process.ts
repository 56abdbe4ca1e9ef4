/**
 * One run of a shell appliance: a shim's process group, watched through the lifeline FIFO.
 * Works the same for a run this agent started and for one it adopted from a previous agent.
 *
 *   waiting for the shim --`pid` line--> up --`exit` line or end-of-file--> ended
 *
 * A run learns its shim from the `pid` line (`up`): whichever shim took the start (see the
 * claim in shell-shim.ts), a standby or one from the launcher. Until then the agent holds a
 * write end of the lifeline itself: a reader opened while the previous run's shim still held
 * the FIFO would otherwise see that shim's end as its own end-of-file. An adopted run knows
 * its shim from its record.
 */
import { closeSync, rmSync } from 'node:fs';
import { readOwnFile } from '../common/own-files.js';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { ExitReason } from '../model/appliance-state.js';
import type { RunHandle } from './runner.js';
import { groupAlive, signalGroup, sinceBoot, stillRunning } from './process-group.js';
import { parseExitRecord, parseLifelineLine, parseShimRecord, type ShimIdentity, type ShimRecord } from './shell-shim.js';

/** How often to look whether the rest of a stopping group has gone; only while stopping. */
const GROUP_POLL_MS = 10;

export interface ShellProcessOptions {
  /** The shim of an adopted run, known from its record. */
  shim?: ShimIdentity;
  startedAt?: Date;
  /** Lifeline bytes an adopting agent has read already. */
  pending?: Buffer;
  /** The agent's own write end of the lifeline, closed once the shim has said `pid`. */
  heldWriter?: number;
  /** Once, when the shim has said `pid`: it has taken the start. */
  onShim?: (shim: ShimRecord) => void;
  /** Once the run is over, just before `exited` tells so: its output is to be logged by then. */
  onEnded?: () => void;
}

export class ShellProcess implements RunHandle {
  pid: number;
  startedAt: Date;
  /** The shim that runs it, once known. */
  shim: ShimIdentity | undefined;
  readonly exited: Promise<ExitReason>;
  readonly up: Promise<number>;
  private resolveUp: (pid: number) => void = () => undefined;
  /** Settles when the shim has exited (its lifeline closed), a moment after its status line. */
  private readonly shimGone: Promise<void>;
  private settleWith: (reason: ExitReason | undefined) => void = () => undefined;
  private lines = '';
  private heldWriter: number | undefined;
  private stopSignal: NodeJS.Signals | undefined;
  private stopDeadline: number | undefined;
  private killed = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lifeline: Socket,
    private readonly runDir: string,
    private readonly options: ShellProcessOptions = {},
  ) {
    this.pid = options.shim?.pid ?? 0;
    this.shim = options.shim;
    this.startedAt = options.startedAt ?? new Date();
    this.heldWriter = options.heldWriter;
    this.up = new Promise((resolve) => (this.resolveUp = resolve));
    if (this.pid > 0) this.resolveUp(this.pid);
    this.shimGone = new Promise((resolve) => lifeline.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      let settled = false;
      this.settleWith = (reason) => {
        if (settled) return;
        settled = true;
        void this.settle(reason).then(resolve);
      };
    });
    lifeline.on('data', (chunk: Buffer) => this.read(chunk));
    // 'close' comes after 'end' and after errors alike: the shim is gone either way.
    lifeline.once('close', () => this.settleWith(undefined));
    lifeline.on('error', () => undefined);
    if (options.pending && options.pending.length > 0) this.read(options.pending);
  }

  stop(signal: NodeJS.Signals, timeoutMs: number): void {
    if (this.stopDeadline !== undefined) return;
    this.stopDeadline = Date.now() + timeoutMs;
    this.stopSignal = signal;
    if (this.pid > 0) signalGroup(this.pid, signal);
    this.killTimer = setTimeout(() => this.kill(), timeoutMs);
    this.killTimer.unref();
  }

  kill(): void {
    this.stopDeadline ??= Date.now();
    this.killed = true;
    if (this.pid > 0) signalGroup(this.pid, 'SIGKILL');
  }

  /** The start was lost before any shim took it (a helper failed): it is worth trying again. */
  fail(message: string): void {
    if (this.pid === 0) this.settleWith({ kind: 'spawn-error', message, transient: true });
  }

  /**
   * The shim that claimed this start is gone (see StartWatch): the agent's own write end is let
   * go, so the lifeline ends once what the shim said on it has been read. A shim that said
   * `pid` makes a run that ended; one that did not, a start lost.
   */
  claimerGone(): void {
    this.releaseWriter();
  }

  /**
   * Lets go of the lifeline without settling: the agent is leaving, and the next one adopts
   * the run (its records stay as they are).
   */
  abandon(): void {
    this.lifeline.removeAllListeners('data');
    this.lifeline.removeAllListeners('close');
    this.lifeline.destroy();
    clearTimeout(this.killTimer);
    this.releaseWriter();
  }

  /** Whether a shim has taken this start. */
  get taken(): boolean {
    return this.pid > 0;
  }

  private read(chunk: Buffer): void {
    this.lines += chunk.toString();
    for (let end = this.lines.indexOf('\n'); end >= 0; end = this.lines.indexOf('\n')) {
      const message = parseLifelineLine(this.lines.slice(0, end));
      this.lines = this.lines.slice(end + 1);
      if (!message) continue;
      switch (message.kind) {
        case 'pid':
          this.cameUp(message.shim);
          break;
        case 'exit':
          if (message.pid === this.pid) this.settleWith(message.reason);
          break;
        case 'error':
          // It comes before `pid`: the shim could not set the run up. A shim that could not
          // claim the start while another holds it has lost nothing: that other one runs it.
          if (this.pid === 0 && !(message.transient && this.claimedByAnother(message.pid))) this.settleWith({ kind: 'spawn-error', message: message.message, ...(message.transient && { transient: true }) });
          break;
      }
    }
  }

  private cameUp(shim: ShimRecord): void {
    if (this.pid !== 0) return;
    this.pid = shim.pid;
    this.shim = shim;
    this.startedAt = sinceBoot(shim.runSince);
    this.releaseWriter();
    this.options.onShim?.(shim);
    this.resolveUp(this.pid);
    // A stop asked for before the shim was known reaches it now.
    if (this.killed) signalGroup(this.pid, 'SIGKILL');
    else if (this.stopSignal) signalGroup(this.pid, this.stopSignal);
  }

  private releaseWriter(): void {
    if (this.heldWriter === undefined) return;
    closeSync(this.heldWriter);
    this.heldWriter = undefined;
  }

  /** `said`: the status from the shim's `exit` line; undefined when its lifeline just closed. */
  private async settle(said: ExitReason | undefined): Promise<ExitReason> {
    const reason = said ?? (this.pid > 0 ? this.statusFromFile() : undefined) ?? (this.pid > 0
      ? { kind: 'signal' as const, signal: 'SIGKILL' }
      : { kind: 'spawn-error' as const, message: 'the shim ended before the appliance started', transient: true });
    this.resolveUp(0);
    const deadline = this.stopDeadline;
    if (deadline !== undefined && this.pid > 0) {
      // A stop is graceful for the whole tree: the rest of the group had the same signal and
      // gets until the deadline to go, then SIGKILL. The shim itself leaves right after its
      // status line; waiting for that first saves a poll interval in the common case.
      await Promise.race([this.shimGone, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      while (groupAlive(this.pid) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, GROUP_POLL_MS));
      }
    }
    // Whatever is left of the group is an orphan of a dead appliance: never leave it behind.
    if (this.pid > 0) signalGroup(this.pid, 'SIGKILL');
    clearTimeout(this.killTimer);
    this.releaseWriter();
    this.options.onEnded?.();
    // Off the restart path: the lifeline has nothing more to say, and the record that stands
    // there by then may be the next run's (a start that follows at once removes this one).
    setImmediate(() => {
      this.lifeline.destroy();
      // This run is accounted for; the next agent must not find its record and report it again.
      removeRecordOf(join(this.runDir, 'pid'), this.pid);
    });
    return reason;
  }

  private claimedByAnother(pid: number): boolean {
    const claim = parseShimRecord(readOwnFileQuietly(join(this.runDir, 'pid')));
    return claim !== undefined && claim.pid !== pid && stillRunning(claim);
  }

  /** The shim writes `exit` after its lifeline line; when that line was never read, the file stays. */
  private statusFromFile(): ExitReason | undefined {
    return parseExitRecord(readOwnFileQuietly(join(this.runDir, 'exit')), this.pid);
  }
}

/** Removes the `pid` record at `path` if it is shim `pid`'s, never another's. */
function removeRecordOf(path: string, pid: number): void {
  if (pid === 0) return;
  if (parseShimRecord(readOwnFileQuietly(path))?.pid === pid) rmSync(path, { force: true });
}

function readOwnFileQuietly(path: string): string {
  try {
    return readOwnFile(path) ?? '';
  } catch {
    return '';
  }
}
