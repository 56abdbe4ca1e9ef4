/**
 * Finds every process of this spew instance on the host, without trusting any record the agent
 * keeps: records can be lost or damaged, processes cannot lie about their environment. The
 * launcher is started with SPEW_INSTANCE in its environment, so every shim it starts and every
 * appliance process under one inherits it (an appliance may drop it from its own; the shim
 * keeps it). Runs are told apart by session: each shim leads one, and its fd 3 is the lifeline
 * FIFO of the run dir it serves, which names the appliance's ref.
 *
 * Reading another user's /proc/PID/environ needs root, which a plain-user agent is not: it
 * then finds its own processes only, which are all of its runs.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ProcessIdentity } from './process-group.js';

/** The name of the variable that marks every process of an instance. */
export const INSTANCE_VARIABLE = 'SPEW_INSTANCE';

/** What marks the runs of the agent on `stateDir`: the state dir's real path. */
export function instanceOf(stateDir: string): string {
  return realpathSync(stateDir);
}

export interface InstanceProcess extends ProcessIdentity {
  /** Its session: the pid of the shim that started the run it belongs to. */
  sid: number;
  ppid: number;
  /** `R`, `S`, `T`, `Z`...: field 3 of /proc/PID/stat. */
  state: string;
  /** SPEW_REF and SPEW_APPLIANCE, as the appliance was started with them. */
  ref?: string;
  name?: string;
}

/** The processes of one run, in the session its shim leads (or led: it may be gone). */
export interface InstanceSession {
  sid: number;
  /** The shim, while it lives; with its lifeline FIFO's inode. */
  shim?: InstanceProcess & { lifeline: number };
  members: InstanceProcess[];
  ref: string;
  name?: string;
}

function statOf(pid: string): { sid: number; ppid: number; state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] as string, ppid: Number(fields[1]), sid: Number(fields[3]), startTime: fields[19] as string };
  } catch {
    return undefined;
  }
}

function environ(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
}

/** The variables of an environ block (NUL-separated `NAME=value`). */
function variables(env: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of env.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) found.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return found;
}

/** The ref whose lifeline `pid` holds on fd 3, with that FIFO's inode, when it is under `runRoot`. */
function lifelineOf(pid: number, runRoot: string): { ref: string; inode: number } | undefined {
  try {
    const target = readlinkSync(`/proc/${pid}/fd/3`).replace(/ \(deleted\)$/, '');
    if (basename(target) !== 'life' || dirname(dirname(target)) !== runRoot) return undefined;
    return { ref: basename(dirname(target)), inode: statSync(`/proc/${pid}/fd/3`).ino };
  } catch {
    return undefined;
  }
}

/**
 * Every process marked with `instance`, by the run it belongs to; `runRoot` is STATE_DIR/run.
 * Sessions that serve no run (standbys waiting for a start, launchers) are left out.
 */
export function scanInstance(instance: string, runRoot: string): InstanceSession[] {
  const marker = `${INSTANCE_VARIABLE}=${instance}`;
  const bySession = new Map<number, InstanceProcess[]>();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57 || entry === String(process.pid)) continue;
    const env = environ(entry);
    // Most processes are not ours: a substring test turns them away before any parsing.
    if (env === undefined || !env.includes(marker)) continue;
    const vars = variables(env);
    if (vars.get(INSTANCE_VARIABLE) !== instance) continue;
    const stat = statOf(entry);
    if (!stat || stat.state === 'Z') continue;
    const ref = vars.get('SPEW_REF');
    const name = vars.get('SPEW_APPLIANCE');
    const found: InstanceProcess = { pid: Number(entry), ...stat, ...(ref !== undefined && { ref }), ...(name !== undefined && { name }) };
    bySession.set(stat.sid, [...(bySession.get(stat.sid) ?? []), found]);
  }
  const sessions: InstanceSession[] = [];
  for (const [sid, members] of bySession) {
    const leader = members.find((p) => p.pid === sid);
    const lifeline = leader && lifelineOf(sid, runRoot);
    const named = members.find((p) => p.ref !== undefined);
    const ref = lifeline?.ref ?? named?.ref;
    // A live leader with no lifeline is a standby or a launcher: no run of anything.
    if (ref === undefined || (leader && !lifeline)) continue;
    const name = named?.name;
    sessions.push({
      sid,
      ...(leader && lifeline && { shim: { ...leader, lifeline: lifeline.inode } }),
      members,
      ref,
      ...(name !== undefined && { name }),
    });
  }
  return sessions;
}

/** The live processes of session `sid` that began no earlier than `notBefore` (clock ticks). */
export function sessionMembers(sid: number, notBefore: string): ProcessIdentity[] {
  const members: ProcessIdentity[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue;
    const stat = statOf(entry);
    if (stat && stat.sid === sid && stat.state !== 'Z' && BigInt(stat.startTime) >= BigInt(notBefore)) {
      members.push({ pid: Number(entry), startTime: stat.startTime });
    }
  }
  return members;
}

/**
 * Ends what is left of session `sid` (processes that began no earlier than its leader did, so
 * never a stranger that came by a reused pid): `signal` to each, up to `timeoutMs` for them to
 * go, then SIGKILL. Resolves once none is left.
 */
export async function endSession(sid: number, notBefore: string, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let signalled = false;
  for (;;) {
    const left = sessionMembers(sid, notBefore);
    if (left.length === 0) return;
    const late = Date.now() >= deadline;
    if (!signalled || late) {
      // SIGCONT after the signal: a stopped process would not act on it until continued.
      for (const member of left) for (const sent of late ? ['SIGKILL' as const] : [signal, 'SIGCONT' as const]) sendTo(member.pid, sent);
      signalled = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sendTo(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone meanwhile.
  }
}
