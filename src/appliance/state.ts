/**
 * States and events of one appliance. Closed unions: every place that handles them is checked
 * for exhaustiveness by the compiler.
 *
 *            start                 process up
 *   stopped -------> starting -----------------> running
 *      ^                |  spawn failed            |  \  stop request
 *      |                v                          |   v
 *      |             crashed <---- crash ----------+  stopping --exit--> stopped
 *      |                |                          |
 *      |                | policy says restart      | normal exit (code 0)
 *      |                v                          v
 *      +----------- waiting ----> starting      stopped
 */

export type ApplianceState =
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'crashed'
  | 'failed'
  | 'waiting';

export const APPLIANCE_STATES: readonly ApplianceState[] = [
  'starting', 'running', 'stopping', 'stopped', 'crashed', 'failed', 'waiting',
];

/** Why a process ended. `signal` is only a crash when spew did not send it. */
export type ExitReason =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: string }
  | { kind: 'spawn-error'; message: string };

/** The facts that move an appliance's state machine; the event log records each of them. */
export type ApplianceEvent =
  | { kind: 'start'; n: number }
  | { kind: 'started'; pid: number }
  /** A new agent took over a process that an earlier agent started. */
  | { kind: 'adopted'; pid: number }
  | { kind: 'stop' }
  | { kind: 'crash'; reason: ExitReason }
  | { kind: 'stop-request'; kill: boolean }
  | { kind: 'delete' };

export type ApplianceEventKind = ApplianceEvent['kind'];

export function describeExit(reason: ExitReason): string {
  switch (reason.kind) {
    case 'exit':
      return `exit ${reason.code}`;
    case 'signal':
      return `signal ${reason.signal}`;
    case 'spawn-error':
      return `spawn failed: ${reason.message}`;
  }
}
