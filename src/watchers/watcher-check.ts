/**
 * One probe of an appliance. Implementations: http-check.ts, tcp-check.ts, exec-check.ts;
 * create-check.ts is the one place that picks between them.
 */

/** What one check found. `detail` says why, in words for an event log. */
export type CheckResult =
  | { outcome: 'up' }
  | { outcome: 'down'; detail: string }
  | { outcome: 'timeout'; detail: string };

export interface WatcherCheck {
  /**
   * Runs the check once. Contract: never rejects and never throws; every failure, including a
   * bad spec, comes back as `down`, and no answer within `timeoutMs` as `timeout`. After it
   * resolves, the check holds nothing open but pooled keep-alive sockets.
   */
  run(timeoutMs: number): Promise<CheckResult>;
}
