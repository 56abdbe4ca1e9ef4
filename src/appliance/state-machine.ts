/**
 * The state machine of one appliance, as a pure and total function: given a state and an event
 * it answers the next state and the effects to run, and runs nothing itself. The Appliance
 * class carries the effects out, in one place, after the transition.
 *
 * Facts come from the runner (`started`, `stop` = exit 0, `crash`), requests from operators
 * (`start`, `stop-request`, `delete`). An exit that follows a stop request is never a crash:
 * spew sent the signal.
 */
import type { RestartShorthand } from './model.js';
import type { ApplianceEvent, ApplianceState } from './state.js';

export type Effect =
  | { kind: 'spawn' }
  | { kind: 'signal'; mode: 'stop' | 'kill' }
  /** Start again at once: restarts are not delayed so crash-to-running is as fast as can be. */
  | { kind: 'restart' }
  | { kind: 'forget' };

export interface Transition {
  state: ApplianceState;
  effects: Effect[];
  /** False when the event means nothing in this state (a stop of a stopped appliance). */
  accepted: boolean;
}

const IDLE: ReadonlySet<ApplianceState> = new Set(['stopped', 'crashed', 'failed', 'waiting']);
const UP: ReadonlySet<ApplianceState> = new Set(['starting', 'running']);

function ignored(state: ApplianceState): Transition {
  return { state, effects: [], accepted: false };
}

function to(state: ApplianceState, ...effects: Effect[]): Transition {
  return { state, effects, accepted: true };
}

/** Whether the restart policy brings the appliance back after it ended this way. */
export function restartWanted(policy: RestartShorthand, ending: 'stop' | 'crash'): boolean {
  switch (policy) {
    case 'always':
      return true;
    case 'crash':
      return ending === 'crash';
    case 'never':
      return false;
  }
}

export function transition(
  state: ApplianceState,
  event: ApplianceEvent,
  policy: RestartShorthand,
): Transition {
  switch (event.kind) {
    case 'start':
      return IDLE.has(state) ? to('starting', { kind: 'spawn' }) : ignored(state);
    case 'started':
      return state === 'starting' ? to('running') : ignored(state);
    case 'adopted':
      return IDLE.has(state) ? to('running') : ignored(state);
    case 'stop-request':
      if (UP.has(state)) return to('stopping', { kind: 'signal', mode: event.kill ? 'kill' : 'stop' });
      if (state === 'stopping' && event.kill) return to('stopping', { kind: 'signal', mode: 'kill' });
      // A scheduled restart is cancelled by going to stopped: the restart effect checks state.
      if (state === 'waiting') return to('stopped');
      return ignored(state);
    case 'stop':
    case 'crash': {
      if (state === 'stopping') return to('stopped');
      if (!UP.has(state)) return ignored(state);
      if (event.kind === 'crash' && event.reason.kind === 'spawn-error') return to('failed');
      const ended: ApplianceState = event.kind === 'stop' ? 'stopped' : 'crashed';
      return restartWanted(policy, event.kind) ? to('waiting', { kind: 'restart' }) : to(ended);
    }
    case 'delete':
      return IDLE.has(state) ? to(state, { kind: 'forget' }) : ignored(state);
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}
