/**
 * The manager owns every appliance of this agent and carries out operators' requests. It is a
 * coordinator: the registry knows the appliances, the takeover deals with what an earlier agent
 * left, the plan says what an apply does, the dependency coordinator and the hook dispatcher
 * follow transitions, the version keeper keeps histories, the recorder writes the event log.
 * Each request resolves once the appliance has reached the state asked for, so `spew stop`
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
import { errorMessage } from '../common/errors.js';
import type { LoadedItem } from '../config/appliance-file.js';
import type { SupervisionSettings } from '../config/instance-config.js';
import { applianceLogPath } from '../logs/appliance-log-path.js';
import { OutputCapture } from '../logs/output-capture.js';
import { RotatingLogFile } from '../logs/rotating-log-file.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { ApplianceState } from '../model/appliance-state.js';
import type { ApplianceStatus } from '../model/appliance-status.js';
import type { RawItem, VersionSource } from '../model/appliance-version.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';
import type { UpgradeEvent } from '../model/upgrade-event.js';
import type { Departure, Runner } from '../runners/runner.js';
import type { EventLog } from '../store/event-log.js';
import { StateStore } from '../store/state-store.js';
import type { VersionHistory } from '../store/version-history.js';
import { checkDependencies } from '../supervision/dependency-check.js';
import { DependencyGraph } from '../supervision/dependency-graph.js';
import { RestartThrottle } from '../supervision/restart-throttle.js';
import { Appliance, type ApplianceOwner, type ApplianceServices } from './appliance.js';
import { ApplianceRegistry } from './appliance-registry.js';
import type { ApplianceService, ApplyOptions } from './appliance-service.js';
import { planApply } from './apply-plan.js';
import { DependencyCoordinator } from './dependency-coordinator.js';
import { EventRecorder } from './event-recorder.js';
import { HookDispatcher, realHooks, type HookStarterFactory } from './hook-dispatcher.js';
import { Journal } from './journal.js';
import { definitionOf, keptPin, sourceOf } from './item-definition.js';
import { newRef } from './ref.js';
import { Takeover } from './takeover.js';
import { VersionKeeper } from './version-keeper.js';
import { agentWarnings } from './agent-warnings.js';

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

  constructor(private readonly opts: ManagerOptions) {
    const { clock, timers, random, supervision, logger } = opts;
    this.store = new StateStore(opts.stateDir, () => this.registry.all().map((a) => a.persisted()), (err) => logger.error(`cannot save state: ${String(err)}`));
    this.versions = new VersionKeeper(opts.stateDir, opts.historyLimit, clock);
    this.recorder = new EventRecorder(opts.events, clock);
    this.hooks = new HookDispatcher(opts.hooks ?? realHooks, (ref) => this.registry.withRef(ref), this.recorder, logger);
    this.journal = new Journal(this.recorder, this.hooks, logger, timers, () => void this.store.save());
    this.dependencies = new DependencyCoordinator(this.registry, timers);
    this.takeover = new Takeover(opts.runner, this.registry, {
      start: (id) => this.start(id),
      remove: (id) => this.remove(id),
      stopRun: (appliance) => this.stopRun(appliance),
      save: () => this.store.save(),
      versionOf: (appliance, version) => this.versions.of(appliance.ref).versions.find((v) => v.version === version),
    }, logger, opts.stopTimeoutMs);
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
    const loaded = await this.store.load();
    let saved: PersistedAppliance[];
    if (loaded.kind === 'none') {
      const items = await firstBootItems();
      checkDependencies(items);
      await this.versions.startAfresh();
      const made = items.map((item) => {
        const def = definitionOf(item, item.opts.ref ?? newRef());
        return { def, ...this.versions.add(def, item.raw, sourceOf(item), null) };
      });
      await Promise.all(made.map((m) => m.written));
      saved = made.map(({ def, version }) => fresh(def, version.version, 'running'));
      this.opts.logger.info(`first boot: ${saved.length} appliance(s) from config files`);
    } else {
      saved = loaded.appliances;
      if (loaded.kind === 'recovered') {
        const kept = loaded.keptAs ? `; the damaged file is kept as ${loaded.keptAs}` : '';
        this.opts.logger.error(`state: ${this.store.path}: ${loaded.problem}; recovered all ${saved.length} appliance(s) from its copy ${this.store.copyPath}${kept}`);
      }
      await this.versions.restore(saved);
    }
    const appliances = saved.map((entry) => this.add(entry));
    await this.store.save();
    await this.opts.runner.prepare(appliances.map((a) => ({ def: a.definition, capture: a.capture })));
    // Before anything starts: whatever of this instance runs that no appliance here accounts for.
    const found = await this.opts.runner.survey(loaded.kind === 'loaded' ? 'loaded' : 'all');
    await this.takeover.stopStrays(found, loaded.kind === 'none' ? { statePath: this.store.path } : undefined);
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

  async redefine(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<void> {
    const { version, written } = this.versions.add(def, raw ?? this.historyOf(appliance.ref).latest.raw, source, appliance.runningVersion);
    await written;
    appliance.redefine(def, version.version, source.kind === 'resolve');
    await this.store.save();
  }

  async create(item: LoadedItem, start: boolean): Promise<Appliance> {
    checkDependencies([item], this.registry.dependencyEdges());
    return this.createChecked(item, start);
  }

  /**
   * Creates an appliance whose dependencies are known to be sound. `apply` checks its items as
   * one set, where an appliance may depend on one that is created after it.
   */
  private async createChecked(item: LoadedItem, start: boolean): Promise<Appliance> {
    const ref = item.opts.ref ?? newRef();
    this.registry.checkFree(item.spec.name, ref);
    const def = definitionOf(item, ref);
    const { version, written } = this.versions.add(def, item.raw, sourceOf(item), null);
    await written;
    const appliance = this.add(fresh(def, version.version, start ? 'running' : 'stopped'));
    await this.opts.runner.prepare([{ def: appliance.definition, capture: appliance.capture }]);
    this.recorder.record(appliance, { kind: 'create' });
    this.hooks.fire(appliance, 'create', 'created', appliance.state, {});
    // The definition is on disk before anything runs, so a crash can't leave an unknown process.
    await this.store.save();
    this.changed();
    if (start) await this.start(appliance.ref);
    return appliance;
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

  async apply(items: LoadedItem[], { prune, dryRun, noRestart = false }: ApplyOptions): Promise<PlanEntry[]> {
    const named = new Set(items.map((item) => item.spec.name));
    checkDependencies(items, new Map([...this.registry.dependencyEdges()].filter(([name]) => !named.has(name))));
    const plan = planApply(items, new Map(this.registry.all().map((a) => [a.name, a.definition])), prune);
    if (!dryRun) await Promise.all(plan.map(({ entry, item }) => this.carryOut(entry, item, noRestart)));
    return plan.map(({ entry }) => entry);
  }

  private async carryOut(entry: PlanEntry, item: LoadedItem | undefined, noRestart: boolean): Promise<void> {
    switch (entry.action) {
      case 'create':
        entry.ref = (await this.createChecked(item as LoadedItem, true)).ref;
        return;
      case 'update': {
        // A changed definition takes effect at once: a running appliance restarts on it, unless `noRestart`.
        const appliance = this.get(entry.name);
        const def = keptPin(appliance.definition, definitionOf(item as LoadedItem, appliance.ref));
        await this.restartOnto(appliance, def, sourceOf(item as LoadedItem), (item as LoadedItem).raw, noRestart);
        this.changed();
        return;
      }
      case 'remove':
        await this.remove(entry.name);
        return;
      case 'unchanged':
        return;
    }
  }

  /**
   * The old run is stopped as its own definition says (its stop signal and timeout); the restart
   * onto the new version is saved as pending first, so that an agent killed in between leaves
   * the old version running or the new one, never the appliance stopped.
   */
  async restartOnto(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem, noRestart = false): Promise<void> {
    if (appliance.desired !== 'running' || noRestart) {
      await this.redefine(appliance, def, source, raw);
      this.recorder.record(appliance, { kind: 'update', version: appliance.version });
      return;
    }
    const { version, written } = this.versions.add(def, raw ?? this.historyOf(appliance.ref).latest.raw, source, appliance.runningVersion);
    await written;
    appliance.pending = { kind: 'restart', asked_at: this.nowIso(), version: version.version };
    await this.store.save();
    await this.stopRun(appliance);
    appliance.redefine(def, version.version);
    appliance.pending = undefined;
    this.recorder.record(appliance, { kind: 'update', version: appliance.version });
    await this.start(appliance.ref);
  }

  /** A container start chose its image (resolved `vsn`, digest): that it keeps, as a new version. */
  pinImage(ref: string, tag: string, digest: string | undefined): void {
    const appliance = this.registry.withRef(ref);
    const def = appliance?.definition;
    if (!appliance || !def || (def.image_tag === tag && def.image_digest === digest)) return;
    const { image_digest: _digest, ...rest } = def;
    this.redefine(appliance, { ...rest, image_tag: tag, ...(digest !== undefined && { image_digest: digest }) }, { kind: 'resolve', tag })
      .catch((err: unknown) => this.opts.logger.error(`${appliance.name}: the image it chose (${tag}) could not be recorded: ${errorMessage(err)}`));
    this.recorder.record(appliance, { kind: 'image', tag, ...(digest !== undefined && { digest }) });
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
    const edges = this.registry.dependencyEdges();
    const layers = DependencyGraph.problems(edges).length === 0 ? new DependencyGraph(edges).stopOrder() : [[...edges.keys()]];
    for (const layer of layers) {
      await Promise.all(layer.map(async (name) => {
        const appliance = this.registry.named(name);
        if (appliance) await this.stopRun(appliance);
      }));
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
    const appliance = new Appliance(entry.definition, entry, this.captureOf(entry.definition), this.services, this.owner);
    this.registry.add(appliance);
    return appliance;
  }

  private captureOf(def: ApplianceDefinition): OutputCapture {
    const { logDir, applianceLogs, logger } = this.opts;
    const file = new RotatingLogFile(applianceLogPath(logDir, def.name), { maxBytes: applianceLogs.max_bytes, maxFiles: applianceLogs.max_files });
    return new OutputCapture(file, undefined, (error) => logger.error(`${def.name}: its output cannot be logged (${error}): lines are counted until it can be`));
  }

  private forget(appliance: Appliance): void {
    this.dependencies.release(appliance);
    this.opts.runner.release(appliance.definition);
    appliance.capture.close();
    this.registry.delete(appliance);
  }

  private changed(): void {
    this.opts.onAppliancesChanged?.(this.all());
  }

  private nowIso(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }
}

/** The record of an appliance just made, at version `version`. */
function fresh(def: ApplianceDefinition, version: number, desired: 'running' | 'stopped'): PersistedAppliance {
  return { definition: def, desired, starts: 0, restarts: 0, last_exit: null, version, running_version: null };
}
