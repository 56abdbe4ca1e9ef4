/**
 * What a user refused the agent's socket needs to know: which group may use it, and that its
 * members may run anything as the agent's user (root on a host install): creating an appliance
 * is running a command.
 */
import { readFileSync, statSync } from 'node:fs';

function groupName(gid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // No group database to read: the gid is all there is to say.
  }
  return undefined;
}

export function socketAccessHint(socketPath: string): string {
  let gid: number;
  try {
    gid = statSync(socketPath).gid;
  } catch {
    return 'run as its owner';
  }
  const group = groupName(gid) ?? String(gid);
  return `its group is "${group}": join it (usermod -aG ${group} "$USER", then log in again), or run as its owner. ` +
    'Members of that group can run any command as the agent\'s user (root on a host install)';
}
