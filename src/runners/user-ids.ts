/**
 * Resolves `user` and `group` names to ids from /etc/passwd and /etc/group, which is what
 * setuid needs; Node offers no getpwnam. A user also brings the environment a login gives
 * (HOME, USER, LOGNAME), so that a program run as postgres does not look for root's files.
 */
import { readFileSync } from 'node:fs';

function lookup(file: string, matches: (fields: string[]) => boolean): string[] | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(':');
    if (matches(fields)) return fields;
  }
  return undefined;
}

export interface Identity {
  uid: number;
  gid: number;
  /** HOME, USER and LOGNAME of the user, when one was named (a group alone keeps the agent's). */
  env: Record<string, string>;
}

const NUMERIC = /^\d+$/;

export function resolveIdentity(user: string | undefined, group: string | undefined): Identity | undefined {
  if (user === undefined && group === undefined) return undefined;
  if (process.getuid?.() !== 0) throw new Error('user and group need the agent to run as root');
  let uid = 0;
  let gid = 0;
  let env: Record<string, string> = {};
  if (user !== undefined) {
    const entry = lookup('/etc/passwd', (f) => (NUMERIC.test(user) ? f[2] === user : f[0] === user));
    if (!entry && !NUMERIC.test(user)) throw new Error(`unknown user "${user}"`);
    uid = entry ? Number(entry[2]) : Number(user);
    gid = entry ? Number(entry[3]) : uid;
    // A uid with no entry has no home: "/" is what login and systemd give such a user.
    const name = entry?.[0] ?? user;
    env = { HOME: entry?.[5] || '/', USER: name, LOGNAME: name };
  }
  if (group !== undefined) {
    const entry = NUMERIC.test(group) ? undefined : lookup('/etc/group', (f) => f[0] === group);
    if (!entry && !NUMERIC.test(group)) throw new Error(`unknown group "${group}"`);
    gid = entry ? Number(entry[2]) : Number(group);
  }
  return { uid, gid, env };
}
