/**
 * Dependencies between appliances at run time: a start waits until every dependency runs (or
 * its `depends_timeout` passes), a dependency that comes up starts what waited for it, and what
 * happens to an appliance is told to the appliances that depend on it.
 *
 * It sees this host's appliances through a DependencyView, and those of other hosts
 * (`db@host2`) through RemoteDependencies: a start waits for them as well, and their coming up
 * starts what waited.
 */
import type { Timers } from '../common/clock.js';
import { UP_STATES, type ApplianceEvent, type ApplianceState, type DependencyKind } from '../model/appliance-state.js';
import { dependencyLabel, type Dependency } from '../model/appliance-definition.js';
import type { Appliance } from './appliance.js';
import type { RemoteDependencies } from './remote-dependencies.js';
import type { Transition } from './state-machine.js';

export interface DependencyView {
  /** The state of the appliance named so; undefined when there is none. */
  stateOf(name: string): ApplianceState | undefined;
  /** The appliances here that depend on `name`. */
  dependentsOf(name: string): Appliance[];
}

export class DependencyCoordinator {
  /** Appliances waiting for their dependencies, with the timer of their deadline. */
  private readonly awaiting = new Map<Appliance, unknown>();

  constructor(
    private readonly view: DependencyView,
    private readonly timers: Timers,
    private readonly remote?: RemoteDependencies,
  ) {
    remote?.onChange(() => this.startReady());
  }

  /** Its dependencies that do not run now. */
  missing(appliance: Appliance): string[] {
    const runs = ({ name, host }: Dependency): boolean =>
      host === undefined ? this.view.stateOf(name) === 'running' : this.remote?.running({ name, host }) === true;
    return appliance.definition.depends.filter((d) => !runs(d)).map(dependencyLabel);
  }

  ready(appliance: Appliance): boolean {
    return this.missing(appliance).length === 0;
  }

  /** Starts the appliance once its dependencies run, or tells it they did not in time. */
  await(appliance: Appliance): void {
    this.release(appliance);
    const timer = this.timers.setTimeout(() => {
      this.awaiting.delete(appliance);
      appliance.dispatch({ kind: 'dependency-timeout', missing: this.missing(appliance) });
    }, appliance.definition.depends_timeout_ms);
    this.awaiting.set(appliance, timer);
  }

  /** Its wait for dependencies is over, one way or another: drop the deadline with it. */
  release(appliance: Appliance): void {
    if (!this.awaiting.has(appliance)) return;
    this.timers.clearTimeout(this.awaiting.get(appliance));
    this.awaiting.delete(appliance);
  }

  /**
   * After a transition's effects: dependents hear what happened (after the appliance has
   * scheduled its own restart, so it queues ahead of them), and a dependency that now runs
   * starts what waited for it.
   */
  follow(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition): void {
    const kind = dependencyKindOf(event, from, next);
    if (kind) for (const dependent of this.view.dependentsOf(appliance.name)) dependent.dispatch({ kind: 'dependency', dep: appliance.name, what: kind });
    if (next.state !== 'waiting') this.release(appliance);
    if (next.state === 'running') this.startReady();
  }

  /** Starts every appliance that waited for dependencies and now has them all running. */
  private startReady(): void {
    for (const appliance of [...this.awaiting.keys()]) {
      if (!this.ready(appliance)) continue;
      this.release(appliance);
      appliance.resumeStart();
    }
  }
}

/** What dependents are told when an appliance they depend on stops working normally. */
function dependencyKindOf(event: ApplianceEvent, from: ApplianceState, next: Transition): DependencyKind | undefined {
  if (next.state === 'failed' && from !== 'failed') return 'failed';
  switch (event.kind) {
    case 'stop':
      return UP_STATES.has(from) || event.away ? 'stop' : undefined;
    case 'crash':
      return 'crash';
    case 'watcher':
      return event.what === 'up' ? undefined : event.what === 'down' ? 'watcher-down' : 'watcher-timeout';
    default:
      return undefined;
  }
}
