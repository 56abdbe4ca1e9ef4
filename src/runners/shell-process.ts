/**
 * One run of a shell appliance: the shim's process group, watched through its lifeline FIFO.
 * Works the same for a process this agent spawned and for one it adopted from a previous agent.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { ExitReason } from '../appliance/state.js';
import type { RunHandle } from './runner.js';
import { groupAlive, signalGroup } from './process-group.js';
import { parseStatusLine } from './shell-shim.js';

/** How often to look whether the rest of a stopping group has gone; only while stopping. */
const GROUP_POLL_MS = 10;

export class ShellProcess implements RunHandle {
  readonly exited: Promise<ExitReason>;
  /** Settles when the shim has exited (its lifeline closed), a moment after its status line. */
  private readonly shimGone: Promise<void>;
  private status = '';
  private stopDeadline: number | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    readonly startedAt: Date,
    lifeline: Socket,
    private readonly runDir: string,
    pending: Buffer = Buffer.alloc(0),
  ) {
    this.status = pending.toString();
    this.shimGone = new Promise((resolve) => lifeline.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        void this.settle().then(resolve);
      };
      // The status line is the shim's last act before it exits: no need to wait for the close.
      lifeline.on('data', (chunk: Buffer) => {
        this.status += chunk.toString();
        if (this.status.includes('\n')) settle();
      });
      // 'close' comes after 'end' and after errors alike: the shim is gone either way.
      lifeline.once('close', settle);
      lifeline.on('error', () => undefined);
    });
  }

  stop(signal: NodeJS.Signals, timeoutMs: number): void {
    if (this.stopDeadline !== undefined) return;
    this.stopDeadline = Date.now() + timeoutMs;
    signalGroup(this.pid, signal);
    this.killTimer = setTimeout(() => this.kill(), timeoutMs);
    this.killTimer.unref();
  }

  kill(): void {
    this.stopDeadline ??= Date.now();
    signalGroup(this.pid, 'SIGKILL');
  }

  private async settle(): Promise<ExitReason> {
    const reason = parseStatusLine(this.status) ?? this.statusFromFile() ?? { kind: 'signal', signal: 'SIGKILL' };
    const deadline = this.stopDeadline;
    if (deadline !== undefined) {
      // A stop is graceful for the whole tree: the rest of the group had the same signal and
      // gets until the deadline to go, then SIGKILL. The shim itself leaves right after its
      // status line; waiting for that first saves a poll interval in the common case.
      await Promise.race([this.shimGone, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      while (groupAlive(this.pid) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, GROUP_POLL_MS));
      }
    }
    // Whatever is left of the group is an orphan of a dead appliance: never leave it behind.
    signalGroup(this.pid, 'SIGKILL');
    clearTimeout(this.killTimer);
    // This run is accounted for; the next agent must not find its record and report it again.
    rmSync(join(this.runDir, 'pid'), { force: true });
    return reason;
  }

  /** The shim writes `exit` before the lifeline; when the lifeline line got lost, the file stays. */
  private statusFromFile(): ExitReason | undefined {
    try {
      return parseStatusLine(readFileSync(join(this.runDir, 'exit'), 'utf8'));
    } catch {
      return undefined;
    }
  }
}
