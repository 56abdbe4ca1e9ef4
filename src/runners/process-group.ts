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

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), which
 * together with the PID identifies a process: PIDs are reused, (PID, start time) pairs are not.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; fields after the last ')' don't.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** Clock ticks per second of /proc times; USER_HZ is 100 on every Linux architecture we ship. */
const TICKS_PER_SECOND = 100;
let bootTimeMs: number | undefined;

/** When a process started, from its /proc start time (ticks since boot). */
export function processStartDate(startTime: string): Date {
  bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1] ?? 0) * 1000;
  return new Date(bootTimeMs + (Number(startTime) * 1000) / TICKS_PER_SECOND);
}
