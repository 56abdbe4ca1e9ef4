/**
 * Signals and facts about process groups. Every shell appliance leads its own group (setsid at
 * spawn), so one kill(-pgid) reaches its whole tree, grandchildren included.
 */
import { readFileSync } from 'node:fs';
import { groupHasLiveMembers } from './process-table.js';

/** Sends a signal to a whole group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Whether anything of the group still runs (zombies don't count; see process-table.ts). */
export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0) && groupHasLiveMembers(pgid);
}

/** A process as it can be told apart: PIDs are reused, (PID, start time) pairs are not. */
export interface ProcessIdentity {
  pid: number;
  /** Clock ticks since boot, field 22 of /proc/PID/stat. */
  startTime: string;
}

/** Fields 3 and on of /proc/PID/stat (state first), or undefined when there is no such process. */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; fields after the last ')' don't.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The start time of a process, which together with the PID identifies it. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * Whether that very process still runs. A zombie does not: it has ended and only waits to be
 * reaped, which a late-reaping PID 1 may put off for a long while.
 */
export function stillRunning(process: ProcessIdentity): boolean {
  return processState(process) !== 'gone';
}

/**
 * Where that very process stands: `stopped` (SIGSTOP, or held by a tracer) runs nothing until
 * it is continued, so a helper in that state is as good as gone to whoever waits on it.
 */
export function processState(process: ProcessIdentity): 'running' | 'stopped' | 'gone' {
  const fields = statFields(process.pid);
  if (fields === undefined || fields[0] === 'Z' || fields[0] === 'X' || fields[19] !== process.startTime) return 'gone';
  return fields[0] === 'T' || fields[0] === 't' ? 'stopped' : 'running';
}

let bootTimeMs: number | undefined;

/** The moment that lies `seconds` after the machine booted (as /proc/uptime counts them). */
export function sinceBoot(seconds: number): Date {
  bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1] ?? 0) * 1000;
  return new Date(bootTimeMs + seconds * 1000);
}
