/**
 * The manager owns every appliance of this agent and carries out operators' requests, as a
 * coordinator of parts with one job each: the registry (names and refs), the takeover (what an
 * earlier agent left), definition changes (create, apply, new versions), the dependency
 * coordinator, the journal (event log, hooks), the version keeper. Each request resolves once the appliance has reached the state asked for, so `spew stop`
 * returns when it has stopped.
 *
 * What an operator asks for is saved before it is acted on: the desired state for start and
 * stop, a pending request for a restart (onto a new version, for an apply) or a removal. An
 * agent killed at any instant leaves either what was asked for or what was before, and the
 * next agent finishes a pending request (see takeover.ts).
 */
import type { Logger } from 'winston';
import type { PlanEntry } from '../api/wire.js';
import type { Clock, Random, Timers } from '../common/clock.js';
import type { LoadedItem } from '../config/appliance-file.js';
import type { SupervisionSettings } from '../config/instance-config.js';
import { remoteDependencies, type ApplianceDefinition } from '../model/appliance-definition.js';
import type { ApplianceState } from '../model/appliance-state.js';
import type { ApplianceStatus } from '../model/appliance-status.js';
import type { RawItem, VersionSource } from '../model/appliance-version.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';
import type { UpgradeEvent } from '../model/upgrade-event.js';
import type { Departure, Runner } from '../runners/runner.js';
import type { EventLog } from '../store/event-log.js';
import { StateStore } from '../store/state-store.js';
import type { VersionHistory } from '../store/version-history.js';
import { RestartThrottle } from '../supervision/restart-throttle.js';
import { Appliance, type ApplianceOwner, type ApplianceServices } from './appliance.js';
import type { NameReservations } from './name-reservations.js';
import type { RemoteDependencies } from './remote-dependencies.js';
import { ApplianceRegistry } from './appliance-registry.js';
import type { ApplianceService, ApplyOptions } from './appliance-service.js';
import { DependencyCoordinator } from './dependency-coordinator.js';
import { EventRecorder } from './event-recorder.js';
import { HookDispatcher, realHooks, type HookStarterFactory } from './hook-dispatcher.js';
import { Journal } from './journal.js';
import { Takeover } from './takeover.js';
import { VersionKeeper } from './version-keeper.js';
import { DefinitionChanges } from './definition-changes.js';
import { loadAppliances } from './saved-appliances.js';
import { agentWarnings } from './agent-warnings.js';
import { captureFor } from './appliance-capture.js';

export interface ManagerOptions {
  stateDir: string;
  logDir: string;
  applianceLogs: { max_bytes: number; max_files: number };
  runner: Runner;
  events: EventLog;
  logger: Logger;
  supervision: SupervisionSettings;
  /** After boot and after every create, update or removal: the appliances there are now. */
  onAppliancesChanged?: (appliances: Appliance[]) => void;
  /** Versions kept per appliance (instance config `history_limit`). */
  historyLimit: number;
  /** The instance's stop timeout, for runs found of appliances the agent does not know. */
  stopTimeoutMs: number;
  clock: Clock;
  timers: Timers;
  random: Random;
  /** What starts hook actions; HookRunner unless a test counts them. */
  hooks?: HookStarterFactory;
  /** A cluster's agent: names and refs held across hosts before a create makes them. */
  names?: NameReservations;
  /** A cluster's agent: the other hosts' appliances its own depend on (`db@host2`). */
  remote?: RemoteDependencies;
}

const IDLE: ReadonlySet<ApplianceState> = new Set(['stopped', 'crashed', 'failed']);

export class Manager implements ApplianceService {
  private readonly registry = new ApplianceRegistry();
  private readonly store: StateStore;
  private readonly versions: VersionKeeper;
  private readonly recorder: EventRecorder;
  private readonly hooks: HookDispatcher;
  private readonly dependencies: DependencyCoordinator;
  private readonly takeover: Takeover;
  private readonly owner: ApplianceOwner;
  private readonly services: ApplianceServices;
  private readonly journal: Journal;
  private readonly changes: DefinitionChanges;

  constructor(private readonly opts: ManagerOptions) {
    const { clock, timers, random, supervision, logger } = opts;
    this.store = new StateStore(opts.stateDir, () => this.registry.all().map((a) => a.persisted()), (err) => logger.error(`cannot save state: ${String(err)}`));
    this.versions = new VersionKeeper(opts.stateDir, opts.historyLimit, clock);
    this.recorder = new EventRecorder(opts.events, clock);
    this.hooks = new HookDispatcher(opts.hooks ?? realHooks, (ref) => this.registry.withRef(ref), this.recorder, logger);
    this.journal = new Journal(this.recorder, this.hooks, logger, timers, () => void this.store.save());
    this.dependencies = new DependencyCoordinator(this.registry, timers, opts.remote);
    this.takeover = new Takeover(opts.runner, this.registry, {
      start: (id) => this.start(id),
      remove: (id) => this.remove(id),
      stopRun: (appliance) => this.stopRun(appliance),
      save: () => this.store.save(),
      versionOf: (appliance, version) => this.versions.of(appliance.ref).versions.find((v) => v.version === version),
    }, logger, opts.stopTimeoutMs);
    this.changes = new DefinitionChanges({
      registry: this.registry, versions: this.versions, store: this.store, recorder: this.recorder, hooks: this.hooks, runner: opts.runner, clock, logger, names: opts.names, acrossHosts: opts.remote !== undefined,
    }, {
      add: (entry) => this.add(entry),
      start: (id) => this.start(id),
      stopRun: (appliance) => this.stopRun(appliance),
      remove: (id) => this.remove(id),
      changed: () => this.changed(),
    });
    const throttle = new RestartThrottle({ max: supervision.max_restarts, window_ms: supervision.window_ms, jitter_ms: supervision.jitter_ms }, clock, random, timers);
    this.services = { runner: opts.runner, throttle, clock, random };
    this.owner = {
      onTransition: (appliance, event, from, next) => this.journal.transition(appliance, event, from, next),
      afterEffects: (appliance, event, from, next) => this.dependencies.follow(appliance, event, from, next),
      onForget: (appliance) => this.forget(appliance),
      dependenciesReady: (appliance) => this.dependencies.ready(appliance),
      awaitDependencies: (appliance) => this.dependencies.await(appliance),
    };
  }

  /**
   * Loads the saved appliances, or on a first boot (no saved state) the appliance files, then
   * takes over what still runs and starts what should run.
   */
  async boot(firstBootItems: () => Promise<LoadedItem[]>): Promise<void> {
    const { saved, loaded } = await loadAppliances(this.store, this.versions, firstBootItems, this.opts.logger, this.opts.remote !== undefined);
    const appliances = saved.map((entry) => this.add(entry));
    await this.store.save();
    await this.opts.runner.prepare(appliances.map((a) => ({ def: a.definition, capture: a.capture })));
    // Before anything starts: whatever of this instance runs that no appliance here accounts for.
    const found = await this.opts.runner.survey(loaded === 'loaded' ? 'loaded' : 'all');
    await this.takeover.stopStrays(found, loaded === 'none' ? { statePath: this.store.path } : undefined);
    await Promise.all(appliances.map((a) => this.takeover.takeOver(a)));
    this.changed();
  }

  /** Resolves once every appliance has settled (running, alive, or ended), or `deadlineMs` has passed. */
  async settled(deadlineMs: number): Promise<void> {
    let timer: unknown;
    const deadline = new Promise<void>((resolve) => (timer = this.opts.timers.setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.all(this.all().map((a) => a.until())), deadline]);
    this.opts.timers.clearTimeout(timer);
  }

  all(): Appliance[] {
    return this.registry.all();
  }

  get(id: string): Appliance {
    return this.registry.get(id);
  }

  get size(): number {
    return this.registry.size;
  }

  historyOf(id: string): VersionHistory {
    return this.versions.of(this.get(id).ref);
  }

  status(ids: string[]): ApplianceStatus[] {
    const now = this.opts.clock.now();
    const chosen = ids.length > 0 ? ids.map((id) => this.get(id)) : this.registry.sorted();
    return chosen.map((a) => a.status(now));
  }

  warnings(): string[] {
    return agentWarnings(this.store, this.opts.events, this.registry.sorted());
  }

  async start(id: string): Promise<Appliance> {
    const appliance = this.get(id);
    appliance.desired = 'running';
    appliance.resetLimits();
    await this.store.save();
    appliance.dispatch({ kind: 'start', n: appliance.starts + 1 });
    await appliance.until();
    // What was asked for is on disk already; the counters that follow need not hold up the answer.
    void this.store.save();
    return appliance;
  }

  async stop(id: string, kill: boolean): Promise<Appliance> {
    const appliance = this.get(id);
    appliance.desired = 'stopped';
    // An operator's stop overrides a restart that was under way.
    if (appliance.pending?.kind === 'restart') appliance.pending = undefined;
    await this.store.save();
    appliance.dispatch({ kind: 'stop-request', kill });
    await appliance.until(IDLE);
    void this.store.save();
    return appliance;
  }

  async restart(id: string): Promise<Appliance> {
    const appliance = this.get(id);
    appliance.desired = 'running';
    appliance.pending = { kind: 'restart', asked_at: this.nowIso() };
    await this.store.save();
    await this.stopRun(appliance);
    appliance.pending = undefined;
    return this.start(id);
  }

  async remove(id: string): Promise<ApplianceStatus> {
    const appliance = this.get(id);
    appliance.pending = { kind: 'remove' };
    await this.store.save();
    await this.stopRun(appliance);
    const last = appliance.status(this.opts.clock.now());
    appliance.dispatch({ kind: 'delete' });
    this.versions.forget(appliance.ref);
    this.hooks.fire(appliance, 'remove', 'removed', 'removed', {});
    await this.store.save();
    this.changed();
    return last;
  }

  redefine(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<void> {
    return this.changes.redefine(appliance, def, source, raw);
  }

  create(item: LoadedItem, start: boolean): Promise<Appliance> {
    return this.changes.create(item, start);
  }

  apply(items: LoadedItem[], options: ApplyOptions): Promise<PlanEntry[]> {
    return this.changes.apply(items, options);
  }

  restartOnto(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem, noRestart = false): Promise<void> {
    return this.changes.restartOnto(appliance, def, source, raw, noRestart);
  }

  /** A container start chose its image (resolved `vsn`, digest): that it keeps, as a new version. */
  pinImage(ref: string, tag: string, digest: string | undefined): void {
    this.changes.pinImage(ref, tag, digest);
  }

  announce(appliance: Appliance, event: UpgradeEvent): void {
    this.journal.upgrade(appliance, event);
  }

  async stopRun(appliance: Appliance): Promise<void> {
    appliance.dispatch({ kind: 'stop-request', kill: false });
    await appliance.until(IDLE);
  }

  startRun(appliance: Appliance): void {
    appliance.resetLimits();
    appliance.dispatch({ kind: 'start', n: appliance.starts + 1 });
  }

  /**
   * Stops every appliance for an agent shutdown, dependents before what they depend on, leaving
   * what should run marked to run.
   */
  async stopAll(): Promise<void> {
    for (const layer of this.registry.stopOrder()) {
      await Promise.all(layer.map((appliance) => this.stopRun(appliance)));
    }
    await this.store.save();
  }

  /**
   * Lets go of every appliance without touching its process: what still runs is left for the
   * next agent to adopt. The last step of any exit, after `stopAll` or instead of it.
   */
  async handOff(how: Departure): Promise<void> {
    await this.opts.runner.detach(how);
    await this.store.save();
  }

  private add(entry: PersistedAppliance): Appliance {
    const appliance = new Appliance(entry.definition, entry, captureFor(entry.definition, this.opts.logDir, this.opts.applianceLogs, this.opts.logger), this.services, this.owner);
    this.registry.add(appliance);
    return appliance;
  }

  private forget(appliance: Appliance): void {
    this.dependencies.release(appliance);
    this.opts.runner.release(appliance.definition);
    appliance.capture.close();
    this.registry.delete(appliance);
  }

  private changed(): void {
    const all = this.all();
    this.opts.remote?.follow(all.flatMap((a) => remoteDependencies(a.definition.depends)));
    this.opts.onAppliancesChanged?.(all);
  }

  private nowIso(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }
}
