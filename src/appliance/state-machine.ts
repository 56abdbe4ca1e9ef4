/**
 * The state machine of one appliance, as a pure and total function: given where it stands and
 * an event, it answers the next state and the effects to run, and runs nothing itself. The
 * Appliance class carries the effects out, in one place, after the transition.
 *
 * What an event makes spew do comes from the appliance's bindings (`ctx.action`); whether a
 * restart is still allowed comes from its limiter's preview (`ctx.preview()`), which counts
 * nothing: counting the restart is an effect (`count-restart`) that the appliance carries out,
 * so the function stays pure and an event that changes nothing never uses up a restart.
 *
 * Invariants (checked by property tests): a spawn happens only when no process of the
 * appliance is up; `failed` is reached only through the limiter's verdict or a failed spawn.
 */
import type { Action } from '../model/restart-policy.js';
import type { RestartVerdict } from '../supervision/restart-limiter.js';
import type { ApplianceEvent, ApplianceState } from '../model/appliance-state.js';

/** What a stop that spew began for a reason leads to, once the process has ended. */
export type AfterStop =
  | { kind: 'restart'; delay_ms: number }
  | { kind: 'fail'; retry_in_ms?: number }
  | { kind: 'destroy' };

export interface MachineState {
  state: ApplianceState;
  then?: AfterStop;
}

export type Effect =
  /** A restart was decided on: the limiter counts it (before the start it leads to is scheduled). */
  | { kind: 'count-restart' }
  | { kind: 'spawn' }
  | { kind: 'signal'; mode: 'stop' | 'kill' }
  /**
   * Start after a delay, through the agent-wide restart throttle. `retry`: a start that was
   * lost is tried again, which is no restart (not counted as one).
   */
  | { kind: 'schedule-start'; delay_ms: number; retry?: true }
  | { kind: 'cancel-start' }
  /** Start once every dependency is running (or time out). */
  | { kind: 'await-dependencies' }
  | { kind: 'forget' };

export interface MachineContext {
  /** It has watchers or monitors, so an up process is `alive` until they pass. */
  watched: boolean;
  /** Every dependency is `running`. */
  depsReady: boolean;
  /** What the bindings say for this event; `ignore` for events nothing is bound to. */
  action: Action;
  /** The restart limiter's answer if a restart were decided now; asking counts nothing. */
  preview(): RestartVerdict;
  /** How long before a start lost for a transient reason is tried again. */
  retryDelayMs: number;
}

export interface Transition extends MachineState {
  effects: Effect[];
  /** False when the event means nothing in this state (a stop of a stopped appliance). */
  accepted: boolean;
  /** The limiter's answer, when one was asked for: the reason to show. */
  verdict?: RestartVerdict;
}

const COUNT: Effect = { kind: 'count-restart' };
const IDLE: ReadonlySet<ApplianceState> = new Set(['stopped', 'crashed', 'failed', 'waiting']);
const ENDED: ReadonlySet<ApplianceState> = new Set(['stopped', 'crashed', 'failed']);
const PROCESS_UP: ReadonlySet<ApplianceState> = new Set(['starting', 'alive', 'running']);

function ignored(from: MachineState): Transition {
  return { ...from, effects: [], accepted: false };
}

function to(state: ApplianceState, effects: Effect[] = [], extra: Partial<Transition> = {}): Transition {
  return { state, effects, accepted: true, ...extra };
}

/** Where an ended process leaves the appliance when nothing restarts it. */
function restOf(event: ApplianceEvent): ApplianceState {
  return event.kind === 'crash' ? 'crashed' : 'stopped';
}

/** The process has ended on its own: the bindings for stop or crash decide. */
function ended(event: ApplianceEvent, ctx: MachineContext): Transition {
  if (event.kind === 'crash' && event.reason.kind === 'spawn-error') {
    return event.reason.transient ? to('waiting', [{ kind: 'schedule-start', delay_ms: ctx.retryDelayMs, retry: true }]) : to('failed');
  }
  switch (ctx.action) {
    case 'restart': {
      const verdict = ctx.preview();
      if (verdict.verdict === 'restart') return to('waiting', [COUNT, { kind: 'schedule-start', delay_ms: verdict.delay_ms }], { verdict });
      const retry: Effect[] = verdict.retry_in_ms !== undefined ? [{ kind: 'schedule-start', delay_ms: verdict.retry_in_ms }] : [];
      return to('failed', retry, { verdict });
    }
    case 'destroy':
      return to('stopped', [{ kind: 'forget' }]);
    case 'stop':
    case 'ignore':
      return to(restOf(event));
  }
}

/** The process is still up but should not stay as it is (a watcher or a dependency said so). */
function reactWhileUp(from: MachineState, ctx: MachineContext, idle: ApplianceState): Transition {
  const stop: Effect[] = [{ kind: 'signal', mode: 'stop' }];
  switch (ctx.action) {
    case 'restart': {
      const verdict = ctx.preview();
      if (verdict.verdict === 'restart') return to('stopping', [COUNT, ...stop], { then: { kind: 'restart', delay_ms: verdict.delay_ms }, verdict });
      const then: AfterStop = { kind: 'fail', ...(verdict.retry_in_ms !== undefined ? { retry_in_ms: verdict.retry_in_ms } : {}) };
      return to('stopping', stop, { then, verdict });
    }
    case 'stop':
      return to('stopping', stop);
    case 'destroy':
      return to('stopping', stop, { then: { kind: 'destroy' } });
    case 'ignore':
      return to(idle, [], from.then ? { then: from.then } : {});
  }
}

/** The process ended after spew asked it to stop: do what the stop was for. */
function stoppedOnPurpose(then: AfterStop | undefined): Transition {
  switch (then?.kind) {
    case undefined:
      return to('stopped');
    case 'restart':
      return to('waiting', [{ kind: 'schedule-start', delay_ms: then.delay_ms }]);
    case 'fail':
      return to('failed', then.retry_in_ms !== undefined ? [{ kind: 'schedule-start', delay_ms: then.retry_in_ms }] : []);
    case 'destroy':
      return to('stopped', [{ kind: 'forget' }]);
  }
}

export function transition(from: MachineState, event: ApplianceEvent, ctx: MachineContext): Transition {
  const { state } = from;
  switch (event.kind) {
    case 'start': {
      if (!IDLE.has(state)) return ignored(from);
      const cancel: Effect[] = state === 'waiting' || state === 'failed' ? [{ kind: 'cancel-start' }] : [];
      return ctx.depsReady
        ? to('starting', [...cancel, { kind: 'spawn' }])
        : to('waiting', [...cancel, { kind: 'await-dependencies' }]);
    }
    case 'started':
      return state === 'starting' ? to(ctx.watched ? 'alive' : 'running') : ignored(from);
    case 'adopted':
      return IDLE.has(state) || state === 'starting' ? to(ctx.watched ? 'alive' : 'running') : ignored(from);
    case 'watcher':
      if (event.what === 'up') return state === 'alive' ? to('running') : ignored(from);
      return state === 'running' || state === 'alive' ? reactWhileUp(from, ctx, 'alive') : ignored(from);
    case 'dependency':
      return PROCESS_UP.has(state) ? reactWhileUp(from, ctx, state) : ignored(from);
    case 'dependency-timeout':
      return state === 'waiting' ? to('stopped') : ignored(from);
    case 'stop-request':
      if (PROCESS_UP.has(state)) return to('stopping', [{ kind: 'signal', mode: event.kill ? 'kill' : 'stop' }]);
      if (state === 'stopping') {
        // An operator's stop overrides what an earlier stop was for: no restart after this one.
        if (!event.kill && !from.then) return ignored(from);
        return to('stopping', event.kill ? [{ kind: 'signal', mode: 'kill' }] : []);
      }
      if (state === 'waiting' || state === 'failed') return to('stopped', [{ kind: 'cancel-start' }]);
      return ignored(from);
    case 'stop':
    case 'crash':
      if (state === 'stopping') return stoppedOnPurpose(from.then);
      // A run that ended while no agent ran is learnt at boot, with the appliance still idle.
      return PROCESS_UP.has(state) || (event.away && ENDED.has(state)) ? ended(event, ctx) : ignored(from);
    case 'delete':
      return IDLE.has(state) ? to(state, [{ kind: 'cancel-start' }, { kind: 'forget' }]) : ignored(from);
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

