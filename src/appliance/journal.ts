/**
 * What is told of each transition and upgrade: the event log at once (in the order of the
 * transitions, cause before consequence), then, on the next turn of the event loop, the agent's
 * log line and the hooks, which are not worth delaying a restart for.
 */
import type { Logger } from 'winston';
import type { Timers } from '../common/clock.js';
import type { ApplianceEvent, ApplianceState } from '../model/appliance-state.js';
import type { UpgradeEvent } from '../model/upgrade-event.js';
import type { Appliance } from './appliance.js';
import type { EventRecorder } from './event-recorder.js';
import type { HookDispatcher } from './hook-dispatcher.js';
import type { Transition } from './state-machine.js';

export class Journal {
  private readonly deferred: (() => void)[] = [];

  constructor(
    private readonly recorder: EventRecorder,
    private readonly hooks: HookDispatcher,
    private readonly logger: Logger,
    private readonly timers: Timers,
    /** Saves the state after a transition, without waiting for it. */
    private readonly save: () => void,
  ) {}

  transition(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition): void {
    this.recorder.record(appliance, event, event.kind === 'delete' ? 'removed' : next.state);
    const level = next.state === 'crashed' || next.state === 'failed' || event.kind === 'crash' ? 'warn' : 'info';
    const line = `${appliance.name}: ${event.kind} -> ${next.state} (${appliance.reason})`;
    const reason = appliance.reason;
    this.soon(() => {
      this.logger.log(level, line);
      this.hooks.fireFor(appliance, event, from, next, reason);
    });
    this.save();
  }

  /** Into the event log and the agent's log, and the `upgrade` hooks for `upgrade` and `rollback`. */
  upgrade(appliance: Appliance, event: UpgradeEvent): void {
    this.recorder.record(appliance, event);
    const words = event.kind === 'rollback'
      ? `rolled back from ${event.from} to ${event.to ?? 'its constraint'}: ${event.reason}`
      : `${event.kind === 'upgrade' ? 'upgraded' : 'upgrading'} ${event.from ?? '(none)'} -> ${event.to} (${event.strategy})`;
    this.logger.log(event.kind === 'rollback' ? 'warn' : 'info', `${appliance.name}: ${words}`);
    if (event.kind !== 'upgrade-begin') this.hooks.fire(appliance, 'upgrade', words, appliance.state, { cause: event });
  }

  /** Runs work on the next turn of the event loop, in the order it was asked for. */
  private soon(work: () => void): void {
    if (this.deferred.length === 0) {
      this.timers.setTimeout(() => {
        for (const next of this.deferred.splice(0)) next();
      }, 0);
    }
    this.deferred.push(work);
  }
}
