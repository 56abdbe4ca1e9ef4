/**
 * The events supervision reacts to, and which action the appliance's policy binds to each.
 * Every event is a fact already established elsewhere (the runner saw an exit, a watcher gave
 * up, a dependency changed state); this file only looks the answer up.
 */
import type { Action, EventBindings } from '../model/restart-policy.js';
import type { DependencyKind } from '../model/appliance-state.js';

export type SupervisedEvent =
  /** A normal exit (code 0) that spew did not ask for. */
  | { kind: 'stop' }
  /** A non-zero exit, or death by a signal spew did not send. */
  | { kind: 'crash' }
  /** A watcher reported the appliance down, or could not tell in time. */
  | { kind: 'watcher'; what: 'down' | 'timeout' }
  /** Something happened to `dep`, an appliance this one depends on. */
  | { kind: 'dependency'; dep: string; what: DependencyKind };

/**
 * The action bound to `event`. A dependency is looked up by its name first, then under `_`
 * (every dependency not named); a dependency bound nowhere is ignored, so adding a dependency
 * never makes an appliance restart unless its policy says so.
 */
export function actionFor(bindings: EventBindings, event: SupervisedEvent): Action {
  switch (event.kind) {
    case 'stop':
      return bindings.stop;
    case 'crash':
      return bindings.crash;
    case 'watcher':
      return bindings.watcher[event.what];
    case 'dependency':
      return ownBinding(bindings.dependency, event.dep) ?? ownBinding(bindings.dependency, '_') ?? 'ignore';
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Only the record's own keys: a dependency named `constructor` must not find Object's. */
function ownBinding(record: Record<string, Action>, key: string): Action | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
