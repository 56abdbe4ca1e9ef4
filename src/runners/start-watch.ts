/**
 * Watches the starts that no shim has taken yet, so that none waits forever: every wait on a
 * helper has a deadline and a way out. A start is with one of three helpers:
 *   - a shim that claimed it (wrote its `pid` record) but has not said `pid` yet: if that shim
 *     died, is stopped (SIGSTOP) or overdue, it is killed and the lifeline let go of, so the
 *     run ends as a start lost for a transient reason (and is tried again);
 *   - a standby it was handed to, which has not claimed it: if the standby died, is stopped or
 *     overdue, it is killed and the start goes through the launcher instead;
 *   - the launcher's queue: the runner is told, and kills that launcher; its owner asks again.
 * The claim keeps a start that was asked for twice from running twice, and a helper that is
 * killed rather than left stopped can never take its start late.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOwnFile } from '../common/own-files.js';
import { processState, signalGroup } from './process-group.js';
import { parseShimRecord, type ShimIdentity } from './shell-shim.js';
import type { ShellProcess } from './shell-process.js';

/** How often the untaken starts are looked at; a start normally takes a few milliseconds. */
const CHECK_MS = 1000;
/**
 * How long a helper may hold a start before it counts as wedged. A burst of a thousand starts
 * through the launchers takes a second or so; nothing a start does can block for long.
 */
export const START_DEADLINE_MS = 10_000;

export interface PendingStart {
  handle: ShellProcess;
  runDir: string;
  /** What `ps` shows for its shim. */
  title: string;
  spec: string;
  /** When it was asked for (Date.now()). */
  since: number;
  /** The standby it was handed to, if any. */
  standby?: ShimIdentity;
  /** The standby is gone without taking it: its start is to go through the launcher. */
  onStandbyLost?: () => void;
  /** The launcher it was handed to (ShimLauncher.run's answer), once it went through one. */
  launcher?: number;
}

export class StartWatch {
  private readonly pending = new Set<PendingStart>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** A start waited in the queue of its launcher past the deadline. */
    private readonly onLauncherOverdue: (start: PendingStart) => void,
    private readonly now: () => number = Date.now,
  ) {}

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

  /** Looks at every untaken start now; also run by the timer. */
  check(): void {
    for (const start of this.pending) {
      if (start.handle.taken) {
        this.pending.delete(start);
        continue;
      }
      const overdue = this.now() - start.since > START_DEADLINE_MS;
      const claimer = readClaim(start.runDir);
      if (claimer) {
        // A claimer with a child has started the run: its `pid` line waits for a busy agent.
        if (wedged(claimer, overdue && !hasChild(claimer.pid))) start.handle.claimerGone();
      } else if (start.standby) {
        if (wedged(start.standby, overdue)) {
          delete start.standby;
          // Its own deadline starts now, in the launcher's queue.
          start.since = this.now();
          start.onStandbyLost?.();
        }
      } else if (overdue) {
        start.since = this.now();
        this.onLauncherOverdue(start);
      }
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** Whether a helper holding a start will never go on with it; one that will not is killed. */
function wedged(helper: ShimIdentity, overdue: boolean): boolean {
  const state = processState(helper);
  if (state === 'running' && !overdue) return false;
  // SIGKILL works on a stopped process too: it must never wake later and take the start.
  if (state !== 'gone') signalGroup(helper.pid, 'SIGKILL');
  return true;
}

function hasChild(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim() !== '';
  } catch {
    return false;
  }
}

function readClaim(runDir: string): ShimIdentity | undefined {
  try {
    return parseShimRecord(readOwnFile(join(runDir, 'pid')) ?? '');
  } catch {
    return undefined;
  }
}
