/**
 * Which process groups still have a member that is not a zombie. kill(-pgid, 0) alone counts
 * zombies, and a zombie whose parent died waits for PID 1 to reap it, which some inits (in
 * containers and VMs) do late; a zombie runs nothing, so a group of zombies has stopped.
 *
 * One /proc scan serves every caller for a short while, so a thousand appliances stopping at
 * once cost one scan per tick, not a thousand.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A snapshot is reused for at least this long, and for four times as long as the last scan
 * took: with thousands of processes a scan costs tens of milliseconds, and rescanning for
 * every caller would then take the whole event loop.
 */
const SNAPSHOT_MS = 10;

let snapshot: { at: number; groups: Set<number>; validMs: number } | undefined;

function scan(): Set<number> {
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // After the command name: state is the first field, the process group the third.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (fields[0] !== 'Z') groups.add(Number(fields[2]));
  }
  return groups;
}

export function groupHasLiveMembers(pgid: number): boolean {
  const now = Date.now();
  if (!snapshot || now - snapshot.at > snapshot.validMs) {
    const groups = scan();
    const took = Date.now() - now;
    snapshot = { at: Date.now(), groups, validMs: Math.max(SNAPSHOT_MS, took * 4) };
  }
  return snapshot.groups.has(pgid);
}
