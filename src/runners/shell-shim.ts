/**
 * The shim: a few lines of /bin/sh that stand between the agent and every shell appliance.
 *
 * Why a shim: the agent may die (kill -9, upgrade) while appliances run; the next agent is not
 * their parent, so it can neither wait() for them nor learn their exit status. The shim records
 * what a parent would have seen, in places the next agent can read:
 *   - `pid`:   "PID STARTTIME" of the shim, written by the shim itself before the appliance
 *              starts, so an agent killed right after spawn still leaves a record behind;
 *   - `exit`:  the appliance's wait status, as `$?` gives it, when the appliance ends;
 *   - fd 3:    the lifeline FIFO: the status line is written to it and its end-of-file tells a
 *              watching agent the moment the shim is gone, with no polling.
 * Signals the agent sends to the group reach the appliance; the shim catches them (a caught
 * signal is reset to default for the appliance it starts) and outlives the appliance just long
 * enough to record how it ended.
 *
 * Costs: one dash (about 1 MB RSS, shared text) per appliance and one extra fork+exec per start.
 */
import { constants } from 'node:os';
import type { ExitReason } from '../appliance/state.js';

export const SHIM_SCRIPT = [
  'd=$1; shift',
  'read -r s </proc/self/stat',
  // Field 22 of stat is the start time: past ") " the fields start at 3, so it is the 20th
  // word; a function's own arguments get split and shifted without touching the shim's "$@".
  'record() { shift 19; echo "$$ $1" >"$d/pid"; }',
  'record ${s#*) }',
  'trap : HUP INT QUIT TERM USR1 USR2',
  '"$@" 3>&-',
  's=$?',
  'echo "$s" >"$d/exit"',
  "trap '' PIPE",
  // With no agent reading, this write fails (EPIPE); the `exit` file above has the status.
  'echo "$s" >&3 2>/dev/null',
  'exit $s',
].join('\n');

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

/**
 * Turns `$?` into an exit reason. Like every shell, the shim cannot tell exit code 128+N from
 * death by signal N; the signal reading is the one operators expect from shells and Docker.
 */
export function decodeWaitStatus(status: number): ExitReason {
  if (status > 128 && SIGNAL_NAMES.has(status - 128)) {
    return { kind: 'signal', signal: SIGNAL_NAMES.get(status - 128) as string };
  }
  return { kind: 'exit', code: status };
}

/** The status a shim left, or undefined when it was killed before it could write one. */
export function parseStatusLine(text: string): ExitReason | undefined {
  const line = text.trim().split('\n').pop() ?? '';
  return /^\d+$/.test(line) ? decodeWaitStatus(Number(line)) : undefined;
}

/** What the shim's record says about itself. */
export function parsePidRecord(text: string): { pid: number; startTime: string } | undefined {
  const match = /^(\d+) (\d+)$/.exec(text.trim());
  return match ? { pid: Number(match[1]), startTime: match[2] as string } : undefined;
}
