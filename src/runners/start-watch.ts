/**
 * Watches the starts that no shim has taken yet, so that none waits forever. A start is lost
 * when the shim that claimed it (wrote its `pid` record) died before its `pid` line. One handed
 * to a standby that died before it claimed it goes to the launcher instead. A start still in
 * the launcher's queue is not lost while the launcher lives; if the launcher dies, its owner
 * asks again. The claim keeps a start that was asked for twice from running twice.
 */
import { join } from 'node:path';
import { readOwnFile } from '../common/own-files.js';
import { stillRunning } from './process-group.js';
import { parseShimRecord, type ShimIdentity } from './shell-shim.js';
import type { ShellProcess } from './shell-process.js';

/** How often the untaken starts are looked at; a start normally takes a few milliseconds. */
const CHECK_MS = 1000;

export interface PendingStart {
  handle: ShellProcess;
  runDir: string;
  /** What `ps` shows for its shim. */
  title: string;
  spec: string;
  /** The standby it was handed to, if any. */
  standby?: ShimIdentity;
  /** The standby died without taking it: its start is to go through the launcher. */
  onStandbyLost?: () => void;
}

export class StartWatch {
  private readonly pending = new Set<PendingStart>();
  private timer: NodeJS.Timeout | undefined;

  add(start: PendingStart): void {
    this.pending.add(start);
    void start.handle.up.then(() => this.pending.delete(start));
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), CHECK_MS);
      this.timer.unref();
    }
  }

  /** The starts no shim has taken yet that went through the launcher. */
  launched(): PendingStart[] {
    return [...this.pending].filter((start) => !start.standby && !start.handle.taken);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private check(): void {
    for (const start of this.pending) {
      if (start.handle.taken) {
        this.pending.delete(start);
        continue;
      }
      const claimer = readClaim(start.runDir);
      if (claimer) {
        if (!stillRunning(claimer)) start.handle.fail('the shim died before the appliance started');
      } else if (start.standby && !stillRunning(start.standby)) {
        delete start.standby;
        start.onStandbyLost?.();
      }
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

function readClaim(runDir: string): ShimIdentity | undefined {
  try {
    return parseShimRecord(readOwnFile(join(runDir, 'pid')) ?? '');
  } catch {
    return undefined;
  }
}
