/**
 * Changes of appliances' definitions: creating one, applying config files (a plan, then each
 * step of it), a new version with a restart onto it, an image pinned by the start that chose
 * it. A new version is on disk before the state that names it; a restart onto it is saved as
 * pending before the old run stops.
 */
import type { Logger } from 'winston';
import type { PlanEntry } from '../api/wire.js';
import type { Clock } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import type { LoadedItem } from '../config/appliance-file.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { RawItem, VersionSource } from '../model/appliance-version.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';
import type { Runner } from '../runners/runner.js';
import type { StateStore } from '../store/state-store.js';
import { checkDependencies } from '../supervision/dependency-check.js';
import type { Appliance } from './appliance.js';
import type { ApplianceRegistry } from './appliance-registry.js';
import type { ApplyOptions } from './appliance-service.js';
import { planApply } from './apply-plan.js';
import type { EventRecorder } from './event-recorder.js';
import type { HookDispatcher } from './hook-dispatcher.js';
import { definitionOf, freshRecord, keptPin, sourceOf } from './item-definition.js';
import type { NameReservations } from './name-reservations.js';
import { newRef } from './ref.js';
import type { VersionKeeper } from './version-keeper.js';

export interface DefinitionParts {
  registry: ApplianceRegistry;
  versions: VersionKeeper;
  store: StateStore;
  recorder: EventRecorder;
  hooks: HookDispatcher;
  runner: Runner;
  clock: Clock;
  logger: Logger;
  names?: NameReservations | undefined;
  /** Whether a dependency may be on another host (a cluster's agent). */
  acrossHosts: boolean;
}

/** The lifecycle requests these changes lead to, which the manager carries out. */
export interface DefinitionHost {
  add(entry: PersistedAppliance): Appliance;
  start(id: string): Promise<unknown>;
  stopRun(appliance: Appliance): Promise<void>;
  remove(id: string): Promise<unknown>;
  /** The set of appliances changed (created, updated, removed). */
  changed(): void;
}

export class DefinitionChanges {
  constructor(
    private readonly parts: DefinitionParts,
    private readonly host: DefinitionHost,
  ) {}

  async redefine(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<void> {
    const { version, written } = this.parts.versions.add(def, raw ?? this.parts.versions.of(appliance.ref).latest.raw, source, appliance.runningVersion);
    await written;
    appliance.redefine(def, version.version, source.kind === 'resolve');
    await this.parts.store.save();
  }

  async create(item: LoadedItem, start: boolean): Promise<Appliance> {
    checkDependencies([item], this.parts.registry.dependencyEdges(), this.parts.acrossHosts);
    return this.createChecked(item, start);
  }

  /**
   * Creates an appliance whose dependencies are known to be sound. `apply` checks its items as
   * one set, where an appliance may depend on one that is created after it.
   */
  private async createChecked(item: LoadedItem, start: boolean): Promise<Appliance> {
    const ref = item.opts.ref ?? newRef();
    this.parts.registry.checkFree(item.spec.name, ref);
    const named = { name: item.spec.name, ref };
    await this.parts.names?.reserve(named);
    let appliance: Appliance;
    try {
      const def = definitionOf(item, ref);
      const { version, written } = this.parts.versions.add(def, item.raw, sourceOf(item), null);
      await written;
      appliance = this.host.add(freshRecord(def, version.version, start ? 'running' : 'stopped'));
    } catch (err) {
      this.parts.names?.cancel(named);
      throw err;
    }
    await this.parts.runner.prepare([{ def: appliance.definition, capture: appliance.capture }]);
    this.parts.recorder.record(appliance, { kind: 'create' });
    this.parts.hooks.fire(appliance, 'create', 'created', appliance.state, {});
    // The definition is on disk before anything runs, so a crash can't leave an unknown process.
    await this.parts.store.save();
    this.host.changed();
    if (start) await this.host.start(appliance.ref);
    return appliance;
  }

  async apply(items: LoadedItem[], { prune, dryRun, noRestart = false }: ApplyOptions): Promise<PlanEntry[]> {
    const named = new Set(items.map((item) => item.spec.name));
    checkDependencies(items, new Map([...this.parts.registry.dependencyEdges()].filter(([name]) => !named.has(name))), this.parts.acrossHosts);
    const plan = planApply(items, new Map(this.parts.registry.all().map((a) => [a.name, a.definition])), prune);
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
        const appliance = this.parts.registry.get(entry.name);
        const def = keptPin(appliance.definition, definitionOf(item as LoadedItem, appliance.ref));
        await this.restartOnto(appliance, def, sourceOf(item as LoadedItem), (item as LoadedItem).raw, noRestart);
        this.host.changed();
        return;
      }
      case 'remove':
        await this.host.remove(entry.name);
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
      this.parts.recorder.record(appliance, { kind: 'update', version: appliance.version });
      return;
    }
    const { version, written } = this.parts.versions.add(def, raw ?? this.parts.versions.of(appliance.ref).latest.raw, source, appliance.runningVersion);
    await written;
    appliance.pending = { kind: 'restart', asked_at: new Date(this.parts.clock.now()).toISOString(), version: version.version };
    await this.parts.store.save();
    await this.host.stopRun(appliance);
    appliance.redefine(def, version.version);
    appliance.pending = undefined;
    this.parts.recorder.record(appliance, { kind: 'update', version: appliance.version });
    await this.host.start(appliance.ref);
  }

  /** A container start chose its image (resolved `vsn`, digest): that it keeps, as a new version. */
  pinImage(ref: string, tag: string, digest: string | undefined): void {
    const appliance = this.parts.registry.withRef(ref);
    const def = appliance?.definition;
    if (!appliance || !def || (def.image_tag === tag && def.image_digest === digest)) return;
    const { image_digest: _digest, ...rest } = def;
    this.redefine(appliance, { ...rest, image_tag: tag, ...(digest !== undefined && { image_digest: digest }) }, { kind: 'resolve', tag })
      .catch((err: unknown) => this.parts.logger.error(`${appliance.name}: the image it chose (${tag}) could not be recorded: ${errorMessage(err)}`));
    this.parts.recorder.record(appliance, { kind: 'image', tag, ...(digest !== undefined && { digest }) });
  }
}
