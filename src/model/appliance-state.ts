/**
 * States and events of one appliance. Closed unions: every place that handles them is checked
 * for exhaustiveness by the compiler.
 *
 *                      start (dependencies running)
 *   stopped/crashed ---------------------------------> starting --process up--> alive --watchers pass--> running
 *   failed/waiting  <--- ended: bindings say restart ---+  (no watchers: straight to running)          |
 *        ^   |           (limit left: waiting;           |                                               |
 *        |   | deps not  limit reached: failed)          +<---- watcher or dependency event: restart ----+
 *        |   v running                                    (stopping first, then waiting)
 *       waiting (for dependencies, or a restart's delay)
 *
 *   stop request: starting/alive/running -> stopping -> stopped; waiting -> stopped.
 */
/** What happened to a dependency, as its dependents see it. */
export type DependencyKind = 'stop' | 'crash' | 'failed' | 'watcher-down' | 'watcher-timeout';

export type ApplianceState =
  | 'starting'
  /** The process is up, but its watchers have not passed yet, or are failing. */
  | 'alive'
  /** The process is up and every watcher passes (or it has none). */
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'crashed'
  /** Restarting will not help: the restart limit was reached, or it could not even spawn. */
  | 'failed'
  /** A start is coming: after a restart's delay, or once its dependencies are running. */
  | 'waiting';

export const APPLIANCE_STATES: readonly ApplianceState[] = [
  'starting', 'alive', 'running', 'stopping', 'stopped', 'crashed', 'failed', 'waiting',
];

/** The process of the appliance exists in these states. */
export const UP_STATES: ReadonlySet<ApplianceState> = new Set(['starting', 'alive', 'running', 'stopping']);

/** Why a process ended. `signal` is only a crash when spew did not send it. */
export type ExitReason =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: string }
  /** The kernel killed its main process for want of memory (a container over its limit). */
  | { kind: 'oom' }
  /**
   * It never got to run. `transient`: for a reason of the moment (a helper that died or was
   * stopped, a full disk, EAGAIN), so the start is tried again with backoff whatever the
   * bindings say; otherwise (no such program, user or working directory) it is `failed`.
   */
  | { kind: 'spawn-error'; message: string; transient?: boolean };

/** The facts that move an appliance's state machine; the event log records each of them. */
export type ApplianceEvent =
  | { kind: 'start'; n: number }
  | { kind: 'started'; pid: number }
  /** A new agent took over a process that an earlier agent started. */
  | { kind: 'adopted'; pid: number }
  /**
   * The process ended normally (exit 0), or after spew asked it to stop. `away`: it ended while
   * no agent ran, learnt when the next agent took over; the restart policy decides as if now.
   */
  | { kind: 'stop'; away?: true }
  | { kind: 'crash'; reason: ExitReason; away?: true }
  | { kind: 'watcher'; what: 'up' | 'down' | 'timeout'; detail: string }
  | { kind: 'dependency'; dep: string; what: DependencyKind }
  /** Its dependencies did not all run within `depends_timeout`. */
  | { kind: 'dependency-timeout'; missing: string[] }
  | { kind: 'stop-request'; kill: boolean }
  | { kind: 'delete' };

export type ApplianceEventKind = ApplianceEvent['kind'];

export function describeExit(reason: ExitReason): string {
  switch (reason.kind) {
    case 'exit':
      return `exit ${reason.code}`;
    case 'signal':
      return `signal ${reason.signal}`;
    case 'oom':
      return 'out of memory (SIGKILL)';
    case 'spawn-error':
      return `spawn failed: ${reason.message}`;
  }
}
