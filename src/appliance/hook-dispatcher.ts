/**
 * Which hooks an appliance's transitions fire, and firing them. Hooks never hold supervision
 * up: they start on the next turn of the event loop, in the order of the transitions, and a
 * failed or hanging one is logged and recorded.
 */
import type { Logger } from 'winston';
import { HookRunner, type HookContext, type HookOutcome } from '../hooks/hook-runner.js';
import type { HookEvent } from '../model/appliance-definition.js';
import type { ApplianceEvent, ApplianceState } from '../model/appliance-state.js';
import { runAsOf } from '../runners/run-as.js';
import type { Appliance } from './appliance.js';
import type { EventRecorder } from './event-recorder.js';
import type { Transition } from './state-machine.js';

/** What starts hook actions; the real one is HookRunner, a test may count what it is asked. */
export type HookStarter = Pick<HookRunner, 'run'>;
export type HookStarterFactory = (onOutcome: (ctx: HookContext, outcome: HookOutcome) => void) => HookStarter;

export const realHooks: HookStarterFactory = (onOutcome) => new HookRunner(onOutcome);

export class HookDispatcher {
  private readonly starter: HookStarter;

  constructor(
    makeStarter: HookStarterFactory,
    private readonly find: (ref: string) => Appliance | undefined,
    private readonly recorder: EventRecorder,
    private readonly logger: Logger,
  ) {
    this.starter = makeStarter((ctx, outcome) => this.done(ctx.ref, ctx.event, outcome));
  }

  /** The hooks a transition fires, with the event as `cause` (under `event` it would hide which hook fired). */
  fireFor(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition, reason: string): void {
    for (const hook of hookEventsOf(event, from, next)) this.fire(appliance, hook, reason, next.state, { cause: event });
  }

  fire(appliance: Appliance, hook: HookEvent, reason: string, state: string, payload: Record<string, unknown>): void {
    const actions = appliance.definition.hooks[hook];
    if (!actions || actions.length === 0) return;
    this.starter.run(actions, { appliance: appliance.name, ref: appliance.ref, event: hook, reason, state, payload }, runAsOf(appliance.definition));
  }

  private done(ref: string, hook: string, outcome: HookOutcome): void {
    if (outcome.ok) return;
    const appliance = this.find(ref);
    const action = 'run' in outcome.action ? `run ${outcome.action.run}` : `post ${outcome.action.post}`;
    this.logger.warn(`hook ${hook} of ${appliance?.name ?? ref} failed: ${action}: ${outcome.error}`);
    if (appliance) this.recorder.record(appliance, { kind: 'hook-failed', hook, action, error: outcome.error });
  }
}

/**
 * The hooks a transition fires: the event's own (a crash is a crash, whether or not it is
 * restarted), then what supervision made of it, `restart` or `failed`.
 */
export function hookEventsOf(event: ApplianceEvent, from: ApplianceState, next: Transition): HookEvent[] {
  const own = ownHookOf(event);
  const hooks: HookEvent[] = own ? [own] : [];
  if (next.state === 'failed' && from !== 'failed') hooks.push('failed');
  else if (next.effects.some((e) => e.kind === 'schedule-start') && next.state === 'waiting') hooks.push('restart');
  return hooks;
}

function ownHookOf(event: ApplianceEvent): HookEvent | undefined {
  switch (event.kind) {
    case 'started':
    case 'adopted':
      return 'start';
    case 'stop':
      return 'stop';
    case 'crash':
      return 'crash';
    case 'watcher':
      return event.what === 'up' ? undefined : 'watcher';
    case 'dependency':
      return 'dependency';
    default:
      return undefined;
  }
}
