/**
 * Resolves `user` and `group` names to ids from /etc/passwd and /etc/group, which is what
 * setuid needs; Node offers no getpwnam.
 */
import { readFileSync } from 'node:fs';

function lookup(file: string, name: string): string[] | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name) return fields;
  }
  return undefined;
}

export interface Identity {
  uid: number;
  gid: number;
}

export function resolveIdentity(user: string | undefined, group: string | undefined): Identity | undefined {
  if (user === undefined && group === undefined) return undefined;
  if (process.getuid?.() !== 0) throw new Error('user and group need the agent to run as root');
  let uid = 0;
  let gid = 0;
  if (user !== undefined) {
    const entry = /^\d+$/.test(user) ? undefined : lookup('/etc/passwd', user);
    if (!entry && !/^\d+$/.test(user)) throw new Error(`unknown user "${user}"`);
    uid = entry ? Number(entry[2]) : Number(user);
    gid = entry ? Number(entry[3]) : uid;
  }
  if (group !== undefined) {
    const entry = /^\d+$/.test(group) ? undefined : lookup('/etc/group', group);
    if (!entry && !/^\d+$/.test(group)) throw new Error(`unknown group "${group}"`);
    gid = entry ? Number(entry[2]) : Number(group);
  }
  return { uid, gid };
}
