/**
 * The shim: a few lines of /bin/sh that stand between the agent and every run of a shell
 * appliance, and the launcher that starts shims without the agent forking itself.
 *
 * Why a shim: the agent may die (kill -9, upgrade) while appliances run; the next agent is not
 * their parent, so it can neither wait() for them nor learn their exit status. The shim records
 * what a parent would have seen, in the appliance's run dir, where the next agent can read it:
 *   - `pid`:   "PID STARTTIME UPTIME": who the shim is and when the run began, written
 *              before the appliance starts, so an agent killed right after a start still finds
 *              a record (and the start's claim, below);
 *   - `exit`:  "PID STATUS", the appliance's wait status as `$?` gives it, once it has ended;
 *   - `life`:  the lifeline FIFO (fd 3): the shim announces itself (`pid P ST UPTIME`) and
 *              the end (`exit P STATUS`) on it, and its end-of-file tells a watching agent the
 *              moment the shim is gone, with no polling.
 *
 * Why a standby: a shim is started ahead of need and waits on its slot's `go` FIFO for the run
 * dir it is to serve, so a restart costs one FIFO write and one fork+exec instead of forking
 * the agent (a 100 MB process) and starting a shell (see shim-pool.ts). Otherwise the launcher
 * starts a shim for the run at once. Either way the start comes with its spec (run-spec.ts),
 * which sets up the run: its stdio, working directory, environment and argv.
 *
 * Signals the agent sends to the group reach the appliance; the shim catches them (a caught
 * signal is reset to default for the appliance it starts) and outlives the appliance just long
 * enough to say how it ended. Costs: one dash (about 100 kB of its own memory) per appliance.
 */
import { constants } from 'node:os';
import type { ExitReason } from '../model/appliance-state.js';
import type { ProcessIdentity } from './process-group.js';

/** Separates the fields of a request line: not white space, so an empty field stays a field. */
export const FIELD_SEPARATOR = '\x1f';

/**
 * `sh -c SHIM_SCRIPT TITLE run RUN_DIR '' SPEC`: runs a start at once.
 * `sh -c SHIM_SCRIPT TITLE wait:ID SLOT_DIR READY_FIFO`: a standby; says "ready" with the ID
 * it was given (the agent's token and the number of the fill) on READY_FIFO, then waits for
 * "RUN_DIR<US>SPEC" on SLOT_DIR/go. It opens `go` read-only while the agent holds it read-write: when the agent
 * goes, for good or by dying, the standby reads end-of-file and leaves.
 * SPEC is one line of shell (see run-spec.ts); a newline inside it is written "$n".
 *
 * The `pid` record is also the start's claim: created exclusively (`set -C`), so a start that
 * reached two shims (a launcher that died with requests in hand, an agent killed while its
 * launcher still had some) runs once. The agent removes it when it has accounted for a run.
 * A claim that cannot be written for want of space is said on the lifeline as `error PID
 * retry: ...`: a start lost for a reason of the moment, which the agent tries again.
 */
export const SHIM_SCRIPT = [
  `n='\n'`,
  'read -r s </proc/self/stat',
  // Field 22 of stat is the start time: past ") " the fields start at 3, so it is the 20th
  // word; a function's own arguments get split and shifted without touching the shim's "$@".
  'record() { shift 19; r="$$ $1"; }',
  'record ${s#*) }',
  // Job control must not stop the shim either: a stopped shim cannot say how its run ended.
  'trap : HUP INT QUIT TERM USR1 USR2 TSTP TTIN TTOU',
  'if [ "$1" = run ]; then',
  '  d=$2 spec=$4',
  'else',
  '  exec 6<"$2/go"',
  '  echo "ready ${2##*/} $r ${1#wait:}" 1<>"$3"',
  `  IFS='${FIELD_SEPARATOR}' read -r d spec <&6 || exit 0`,
  '  exec 6<&-',
  '  case $d in /*) ;; *) exit 0 ;; esac',
  'fi',
  // When this run starts, in seconds since boot: a standby may have waited long before it.
  'read -r u _ </proc/uptime',
  'set -C',
  // A record already there is another shim's claim on this start. Any other failure (a full
  // disk) the agent must hear of, or the start would wait for good.
  'if ! echo "$r $u" 2>/dev/null >"$d/pid"; then',
  '  [ -s "$d/pid" ] && exit 0',
  '  echo "error $$ retry: cannot write the run\'s pid record in $d (is the disk full?)" 1<>"$d/life"',
  '  exit 1',
  'fi',
  'set +C',
  'eval "$spec"',
  'echo "pid $r $u" >&3',
  // In a subshell that becomes the appliance (one fork, as for a plain command), so that its
  // redirections are the appliance's alone: dash tells of a child killed by SIGKILL on the
  // stderr it has while it waits, and the appliance's log is no place for that.
  '(exec "$@" 2>&4 3>&- 4>&-)',
  's=$?',
  // The agent hears first; the file is for an agent that was not there to hear.
  'echo "exit $$ $s" >&3',
  'echo "$$ $s" >"$d/exit"',
  'exit $s',
].join('\n');

/**
 * `sh -c LAUNCHER_SCRIPT spew-launcher SHIM_SCRIPT`, fed "TITLE MODE DIR READY SPEC" lines on
 * stdin, fields apart by FIELD_SEPARATOR (the shim's arguments). Each shim gets a session and
 * process group of its own (`setsid -f`, in the foreground: a background job of a
 * non-interactive shell would ignore SIGINT and SIGQUIT for good, and so would the appliance).
 * A line it could not act on comes back on stdout.
 */
export const LAUNCHER_SCRIPT = [
  `while IFS='${FIELD_SEPARATOR}' read -r title mode dir ready spec; do`,
  '  setsid -f /bin/sh -c "$1" "$title" "$mode" "$dir" "$ready" "$spec" </dev/null >/dev/null 2>&1 || echo "fail\t$dir"',
  'done',
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

export type ShimIdentity = ProcessIdentity;

/** A shim that has begun a run: who it is, and when the run began (seconds since boot). */
export interface ShimRecord extends ShimIdentity {
  runSince: number;
}

/** What a shim says on its lifeline, a line at a time. */
export type LifelineMessage =
  | { kind: 'pid'; shim: ShimRecord }
  | { kind: 'exit'; pid: number; reason: ExitReason }
  /** `transient`: the shim could not start it for a reason of the moment (`error PID retry: ...`). */
  | { kind: 'error'; pid: number; message: string; transient: boolean };

export function parseLifelineLine(line: string): LifelineMessage | undefined {
  if (line.startsWith('pid ')) {
    const shim = parseShimRecord(line.slice(4));
    return shim && { kind: 'pid', shim };
  }
  let match = /^exit (\d+) (\d+)$/.exec(line);
  if (match) return { kind: 'exit', pid: Number(match[1]), reason: decodeWaitStatus(Number(match[2])) };
  match = /^error (\d+) (retry: )?(.*)$/.exec(line);
  if (match) return { kind: 'error', pid: Number(match[1]), message: match[3] as string, transient: match[2] !== undefined };
  return undefined;
}

/** "PID STARTTIME UPTIME", as a shim leaves it in the run dir's `pid` and says it on its lifeline. */
export function parseShimRecord(text: string): ShimRecord | undefined {
  const match = /^(\d+) (\d+) (\d+(?:\.\d+)?)$/.exec(text.trim());
  return match ? { pid: Number(match[1]), startTime: match[2] as string, runSince: Number(match[3]) } : undefined;
}

/** The status in an `exit` record, if the shim `pid` wrote it (a record may be an older run's). */
export function parseExitRecord(text: string, pid: number): ExitReason | undefined {
  const match = /^(\d+) (\d+)$/.exec(text.trim());
  return match && Number(match[1]) === pid ? decodeWaitStatus(Number(match[2])) : undefined;
}
