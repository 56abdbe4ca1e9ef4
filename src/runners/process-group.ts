/**
 * Signals and facts about process groups. Every shell appliance leads its own group (setsid at
 * spawn), so one kill(-pgid) reaches its whole tree, grandchildren included.
 */
import { readFileSync } from 'node:fs';

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

export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
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
