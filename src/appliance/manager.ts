/**
 * The manager owns every appliance of this agent: it loads them at boot, re-adopts what an
 * earlier agent left running, and carries out operators' requests. Each request resolves once
 * the appliance has reached the state asked for, so `spew stop` returns when it has stopped.
 *
 * What an operator asks for is saved before it is acted on: the desired state for start and
 * stop, a pending request for a restart (onto a new version, for an apply) or a removal. An
 * agent killed at any instant leaves either what was asked for or what was before, and the
 * next agent finishes a pending request (see `takeOver`).
 */
import type { Logger } from 'winston';
import type { PlanEntry } from '../api/wire.js';
import type { ApplianceStatus, EventRecord } from '../model/appliance-status.js';
import { errorMessage, SpewError } from '../common/errors.js';
import type { LoadedItem } from '../config/appliance-file.js';
import { OutputCapture } from '../logs/output-capture.js';
import { RotatingLogFile } from '../logs/rotating-log-file.js';
import { applianceLogPath } from '../logs/appliance-log-path.js';
import type { Departure, FoundRun, Runner } from '../runners/runner.js';
import { runAsOf } from '../runners/run-as.js';
import type { EventLog } from '../store/event-log.js';
import { StateStore } from '../store/state-store.js';
import type { PendingRequest, PersistedAppliance } from '../model/persisted-appliance.js';
import { systemClock, systemRandom, systemTimers } from '../common/clock.js';
import type { SupervisionSettings } from '../config/instance-config.js';
import { HookRunner, type HookOutcome } from '../hooks/hook-runner.js';
import { checkDependencies } from '../supervision/dependency-check.js';
import type { DependencyKind } from '../model/appliance-state.js';
import { DependencyGraph } from '../supervision/dependency-graph.js';
import { RestartThrottle } from '../supervision/restart-throttle.js';
import { Appliance, type ApplianceOwner, type ApplianceServices } from './appliance.js';
import type { Transition } from './state-machine.js';
import type { HookEvent } from '../model/appliance-definition.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { newRef } from './ref.js';
import { UP_STATES, type ApplianceEvent, type ApplianceState } from '../model/appliance-state.js';
import type { ApplianceService, ApplyOptions } from './appliance-service.js';
import type { UpgradeEvent } from '../model/upgrade-event.js';
import { HistoryLog } from '../store/history-log.js';
import { definitionHash, VersionHistory } from '../store/version-history.js';
import type { ApplianceVersion, RawItem, VersionSource } from '../model/appliance-version.js';

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
}

const IDLE: ReadonlySet<ApplianceState> = new Set(['stopped', 'crashed', 'failed']);

/** Two definitions that differ only in where they were read from run the same way. */
function sameBehaviour(a: ApplianceDefinition, b: ApplianceDefinition): boolean {
  return definitionHash(a) === definitionHash(b);
}

/**
 * A new definition that names no pinned image keeps the old pin while it asks for the same
 * image the same way: editing an appliance's env must not upgrade its image.
 */
function keptPin(old: ApplianceDefinition, next: ApplianceDefinition): ApplianceDefinition {
  const same = old.image === next.image && old.tag === next.tag && old.options.vsn === next.options.vsn;
  if (!same || next.image_tag !== undefined || old.image_tag === undefined) return next;
  return { ...next, image_tag: old.image_tag, ...(old.image_digest !== undefined && { image_digest: old.image_digest }) };
}

function sourceOf(item: LoadedItem): VersionSource {
  return item.file ? { kind: 'file', file: item.file, line: item.line } : { kind: 'api' };
}

export class Manager implements ApplianceService {
  private readonly byRef = new Map<string, Appliance>();
  private readonly byName = new Map<string, Appliance>();
  private readonly store: StateStore;
  private readonly owner: ApplianceOwner;
  private readonly services: ApplianceServices;
  private readonly hookRunner: HookRunner;
  /** Appliances waiting for their dependencies, with the timer of their deadline. */
  private readonly awaiting = new Map<Appliance, NodeJS.Timeout>();
  private readonly deferred: (() => void)[] = [];
  private readonly historyLog: HistoryLog;
  private readonly histories = new Map<string, VersionHistory>();

  constructor(private readonly opts: ManagerOptions) {
    this.store = new StateStore(
      opts.stateDir,
      () => [...this.byRef.values()].map((a) => a.persisted()),
      (err) => opts.logger.error(`cannot save state: ${String(err)}`),
    );
    const { supervision } = opts;
    this.services = {
      runner: opts.runner,
      throttle: new RestartThrottle(
        { max: supervision.max_restarts, window_ms: supervision.window_ms, jitter_ms: supervision.jitter_ms },
        systemClock,
        systemRandom,
        systemTimers,
      ),
      clock: systemClock,
      random: systemRandom,
    };
    this.historyLog = new HistoryLog(opts.stateDir);
    this.hookRunner = new HookRunner((ctx, outcome) => this.hookDone(ctx.ref, ctx.event, outcome));
    this.owner = {
      onTransition: (appliance, event, from, next) => this.recordTransition(appliance, event, from, next),
      afterEffects: (appliance, event, from, next) => this.followTransition(appliance, event, from, next),
      onForget: (appliance) => this.forget(appliance),
      dependenciesReady: (appliance) => this.missingDependencies(appliance).length === 0,
      awaitDependencies: (appliance) => this.awaitDependencies(appliance),
    };
  }

  /**
   * Loads the saved appliances, or on a first boot (no saved state) the appliance files, then
   * takes over what still runs and starts what should run.
   */
  async boot(firstBootItems: () => Promise<LoadedItem[]>): Promise<void> {
    const loaded = await this.store.load();
    const versions = this.historyLog.load();
    let saved: PersistedAppliance[];
    if (loaded.kind === 'none') {
      const items = await firstBootItems();
      checkDependencies(items);
      // Whatever history there is was never committed by a state file: an earlier first boot cut short.
      await this.historyLog.compact(new Map());
      const made = items.map((item) => {
        const def = this.definitionOf(item, item.opts.ref ?? newRef());
        return { def, ...this.addVersion(def, item.raw, sourceOf(item)) };
      });
      await Promise.all(made.map((m) => m.written));
      saved = made.map(({ def, version }) => ({
        definition: def,
        desired: 'running' as const,
        starts: 0,
        restarts: 0,
        last_exit: null,
        version: version.version,
        running_version: null,
      }));
      this.opts.logger.info(`first boot: ${saved.length} appliance(s) from config files`);
    } else {
      saved = loaded.appliances;
      if (loaded.kind === 'recovered') {
        const kept = loaded.keptAs ? `; the damaged file is kept as ${loaded.keptAs}` : '';
        this.opts.logger.error(`state: ${this.store.path}: ${loaded.problem}; recovered all ${saved.length} appliance(s) from its copy ${this.store.copyPath}${kept}`);
      }
      for (const entry of saved) {
        const history = committedHistory(entry, versions.get(entry.definition.ref) ?? []);
        history.retain(this.opts.historyLimit, entry.running_version);
        this.histories.set(entry.definition.ref, history);
      }
      await this.historyLog.compact(new Map([...this.histories].map(([ref, history]) => [ref, history.versions])));
    }
    const appliances = saved.map((entry) => this.add(entry));
    await this.store.save();
    await this.opts.runner.prepare(appliances.map((a) => ({ def: a.definition, capture: a.capture })));
    // Before anything starts: whatever of this instance runs that no appliance here accounts for.
    const found = await this.opts.runner.survey(loaded.kind === 'loaded' ? 'loaded' : 'all');
    await this.stopStrays(found, loaded.kind === 'none');
    await Promise.all(appliances.map((a) => this.takeOver(a)));
    this.changed();
  }

  /**
   * Runs of this instance that no appliance accounts for: their state was lost (a first boot
   * that finds any means it was), or they are what a dead run's process group left. Stopped,
   * loudly, before any appliance starts: never a second copy beside an unsupervised first.
   */
  private async stopStrays(found: FoundRun[], firstBoot: boolean): Promise<void> {
    const strays = found.filter((run) => run.leftover || !this.byRef.has(run.ref));
    if (strays.length === 0) return;
    const { logger } = this.opts;
    if (firstBoot && strays.some((run) => !run.leftover)) {
      logger.error(`state: neither ${this.store.path} nor its copy is there, yet this instance has runs up: its state was lost; they are stopped before the appliance files start anew`);
    }
    await Promise.all(strays.map(async (run) => {
      const known = this.byRef.get(run.ref);
      const who = `${run.label} (appliance ${run.name ?? known?.name ?? 'unknown'}, ref ${run.ref})`;
      if (run.leftover) logger.warn(`${who}: the run it belonged to has ended: killing it`);
      else logger.error(`${who} belongs to this instance but to no appliance the agent has: stopping it`);
      await this.opts.runner.stopStray(run, known?.definition.stop_signal ?? 'SIGTERM', known?.definition.stop_timeout_ms ?? this.opts.stopTimeoutMs);
    }));
  }

  /**
   * Resolves once every appliance has settled (running, alive, or ended) or `deadlineMs` has
   * passed, whichever comes first.
   */
  async settled(deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
      timer.unref();
    });
    await Promise.race([Promise.all(this.all().map((a) => a.until())), deadline]);
    clearTimeout(timer);
  }

  /** Every appliance, in no order. */
  all(): Appliance[] {
    return [...this.byRef.values()];
  }

  private changed(): void {
    this.opts.onAppliancesChanged?.(this.all());
  }

  /**
   * Takes over what an earlier agent left: re-adopts the run, and finishes the request it had
   * begun (a restart whose run is still the old one; a removal).
   */
  private async takeOver(appliance: Appliance): Promise<void> {
    const found = await this.opts.runner.adopt(appliance.definition);
    if (found.note) this.opts.logger.warn(`${appliance.name}: ${found.note}`);
    const pending = appliance.pending;
    if (found.kind === 'running') {
      appliance.adopt(found.handle);
      this.opts.logger.info(`${appliance.name}: re-adopted pid ${found.handle.pid}`);
    }
    if (pending?.kind === 'remove') {
      this.finish(appliance, 'remove', () => this.remove(appliance.ref));
    } else if (pending?.kind === 'restart') {
      // A run that began after the request is the restart's own: only the rest is left to do.
      const restarted = found.kind === 'running' && found.handle.startedAt.getTime() > Date.parse(pending.asked_at);
      this.finish(appliance, 'restart', () => this.finishRestart(appliance, pending, restarted));
    } else if (found.kind === 'running') {
      if (appliance.desired === 'stopped') appliance.dispatch({ kind: 'stop-request', kill: false });
    } else if (found.kind === 'exited' && appliance.desired === 'running') {
      appliance.endedWhileAway(found.reason);
    } else if (appliance.desired === 'running') {
      appliance.dispatch({ kind: 'start', n: appliance.starts + 1 });
    }
  }

  /** Carries on with a request an earlier agent saved but did not live to finish. */
  private finish(appliance: Appliance, what: string, work: () => Promise<unknown>): void {
    this.opts.logger.warn(`${appliance.name}: finishing the ${what} asked for before the last agent ended`);
    work().catch((err: unknown) => this.opts.logger.error(`${appliance.name}: the ${what} asked for before the last agent ended failed: ${errorMessage(err)}`));
  }

  private async finishRestart(appliance: Appliance, pending: Extract<PendingRequest, { kind: 'restart' }>, restarted: boolean): Promise<void> {
    if (pending.version !== undefined && pending.version !== appliance.version) {
      const target = this.histories.get(appliance.ref)?.versions.find((v) => v.version === pending.version);
      if (!restarted) await this.stopRun(appliance);
      if (target) appliance.redefine(target.definition, target.version);
    } else if (!restarted) {
      await this.stopRun(appliance);
    }
    appliance.pending = undefined;
    if (restarted) await this.store.save();
    else await this.start(appliance.ref);
  }

  private add(entry: PersistedAppliance): Appliance {
    const def = entry.definition;
    const logFile = new RotatingLogFile(applianceLogPath(this.opts.logDir, def.name), {
      maxBytes: this.opts.applianceLogs.max_bytes,
      maxFiles: this.opts.applianceLogs.max_files,
    });
    const capture = new OutputCapture(logFile, undefined, (error) => this.opts.logger.error(`${def.name}: its output cannot be logged (${error}): lines are counted until it can be`));
    const appliance = new Appliance(def, entry, capture, this.services, this.owner);
    this.byRef.set(def.ref, appliance);
    this.byName.set(def.name, appliance);
    return appliance;
  }

  private definitionOf(item: LoadedItem, ref: string): ApplianceDefinition {
    // Items made through the API come from no file.
    return { ...item.opts, name: item.spec.name, options: item.spec.options, ref, ...(item.file ? { file: item.file } : {}) };
  }

  /** Records a new version of an appliance's definition; `written` resolves once it is on disk. */
  private addVersion(def: ApplianceDefinition, raw: RawItem, source: VersionSource): { version: ApplianceVersion; written: Promise<void> } {
    let history = this.histories.get(def.ref);
    if (!history) {
      history = new VersionHistory(def.ref, []);
      this.histories.set(def.ref, history);
    }
    const running = this.byRef.get(def.ref)?.runningVersion ?? null;
    const version = history.add(def, raw, source, new Date(), this.opts.historyLimit, running);
    return { version, written: this.historyLog.append(def.ref, version) };
  }

  /** The versions of an appliance, oldest first. */
  historyOf(id: string): VersionHistory {
    const appliance = this.get(id);
    return this.histories.get(appliance.ref) as VersionHistory;
  }

  /**
   * Gives the appliance a new definition as a new version (`raw` by default: the latest
   * version's), on disk before the state that names it. No restart: the caller decides.
   */
  async redefine(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<void> {
    const { version, written } = this.addVersion(def, raw ?? this.historyOf(appliance.ref).latest.raw, source);
    await written;
    appliance.redefine(def, version.version, source.kind === 'resolve');
    await this.store.save();
  }

  /** Finds an appliance by ref or by name. */
  get(id: string): Appliance {
    const appliance = this.byRef.get(id) ?? this.byName.get(id);
    if (!appliance) throw new SpewError('APPLIANCE_NOT_FOUND', `no appliance named "${id}"`);
    return appliance;
  }

  status(ids: string[]): ApplianceStatus[] {
    const now = Date.now();
    const chosen = ids.length > 0
      ? ids.map((id) => this.get(id))
      : [...this.byRef.values()].sort((a, b) => a.name.localeCompare(b.name));
    return chosen.map((a) => a.status(now));
  }

  get size(): number {
    return this.byRef.size;
  }

  /** The agent's own troubles while they last (see StatusAnswer.warnings). */
  warnings(): string[] {
    const found: string[] = [];
    const save = this.store.saveError;
    if (save) found.push(`the agent's state cannot be saved since ${save.since.toISOString()}: ${save.error}`);
    const events = this.opts.events.writeError;
    if (events) {
      const dropped = events.dropped > 0 ? `, ${events.dropped} dropped` : '';
      found.push(`events.log cannot be written since ${events.since.toISOString()}: ${events.error}; ${events.waiting} record(s) waiting${dropped}`);
    }
    for (const appliance of [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const lost = appliance.capture.lost;
      if (lost) found.push(`${appliance.name}: ${lost.lines} line(s) of output lost since ${lost.since.toISOString()}: ${lost.error}`);
    }
    return found;
  }

  async create(item: LoadedItem, start: boolean): Promise<Appliance> {
    checkDependencies([item], this.dependencyEdges());
    return this.createChecked(item, start);
  }

  /**
   * Creates an appliance whose dependencies are known to be sound. `apply` checks its items as
   * one set, where an appliance may depend on one that is created after it.
   */
  private async createChecked(item: LoadedItem, start: boolean): Promise<Appliance> {
    if (this.byName.has(item.spec.name)) {
      throw new SpewError('NAME_TAKEN', `an appliance named "${item.spec.name}" already exists`);
    }
    const ref = item.opts.ref ?? newRef();
    const holder = this.byRef.get(ref);
    if (holder) throw new SpewError('NAME_TAKEN', `ref ${ref} is appliance ${holder.name}'s already`);
    const def = this.definitionOf(item, ref);
    const { version, written } = this.addVersion(def, item.raw, sourceOf(item));
    await written;
    const appliance = this.add({
      definition: def,
      desired: start ? 'running' : 'stopped',
      starts: 0,
      restarts: 0,
      last_exit: null,
      version: version.version,
      running_version: null,
    });
    await this.opts.runner.prepare([{ def: appliance.definition, capture: appliance.capture }]);
    this.record(appliance, { kind: 'create' });
    this.runHooks(appliance, 'create', 'created', appliance.state, {});
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

  /** Stops the run and starts a new one; it is meant to run all along, so it never rests `stopped`. */
  async restart(id: string): Promise<Appliance> {
    const appliance = this.get(id);
    appliance.desired = 'running';
    appliance.pending = { kind: 'restart', asked_at: new Date().toISOString() };
    await this.store.save();
    await this.stopRun(appliance);
    appliance.pending = undefined;
    return this.start(id);
  }

  /** Stops the appliance, then forgets it; answers its last status. */
  async remove(id: string): Promise<ApplianceStatus> {
    const appliance = this.get(id);
    appliance.pending = { kind: 'remove' };
    await this.store.save();
    await this.stopRun(appliance);
    const last = appliance.status(Date.now());
    appliance.dispatch({ kind: 'delete' });
    this.histories.delete(appliance.ref);
    this.runHooks(appliance, 'remove', 'removed', 'removed', {});
    await this.store.save();
    this.changed();
    return last;
  }

  /** Works out what applying these items would do, and does it unless `dryRun`. */
  async apply(items: LoadedItem[], { prune, dryRun, noRestart = false }: ApplyOptions): Promise<PlanEntry[]> {
    const named = new Set(items.map((item) => item.spec.name));
    const others = new Map([...this.dependencyEdges()].filter(([name]) => !named.has(name)));
    checkDependencies(items, others);
    const plan: { entry: PlanEntry; item?: LoadedItem }[] = items.map((item) => {
      const existing = this.byName.get(item.spec.name);
      const action = !existing
        ? 'create'
        : sameBehaviour(existing.definition, keptPin(existing.definition, this.definitionOf(item, existing.ref))) ? 'unchanged' : 'update';
      return { entry: { name: item.spec.name, ref: existing?.ref ?? null, action, file: item.file }, item };
    });
    if (prune) {
      for (const appliance of this.byRef.values()) {
        // Appliances made through the API were never in a file, so no file can retire them.
        if (named.has(appliance.name) || appliance.definition.file === undefined) continue;
        plan.push({ entry: { name: appliance.name, ref: appliance.ref, action: 'remove', file: appliance.definition.file ?? null } });
      }
    }
    if (!dryRun) {
      await Promise.all(plan.map(({ entry, item }) => this.carryOut(entry, item, noRestart)));
    }
    return plan.map(({ entry }) => entry);
  }

  private async carryOut(entry: PlanEntry, item: LoadedItem | undefined, noRestart: boolean): Promise<void> {
    switch (entry.action) {
      case 'create':
        entry.ref = (await this.createChecked(item as LoadedItem, true)).ref;
        return;
      case 'update':
        await this.update(this.get(entry.name), item as LoadedItem, noRestart);
        return;
      case 'remove':
        await this.remove(entry.name);
        return;
      case 'unchanged':
        return;
    }
  }

  /**
   * A changed definition takes effect at once: a running appliance restarts on it, unless
   * `noRestart` (then `spew status` shows it runs an older version).
   */
  private async update(appliance: Appliance, item: LoadedItem, noRestart: boolean): Promise<void> {
    const def = keptPin(appliance.definition, this.definitionOf(item, appliance.ref));
    await this.restartOnto(appliance, def, sourceOf(item), item.raw, noRestart);
    this.changed();
  }

  /**
   * A new version of the definition, and a restart onto it if the appliance should run. The
   * old run is stopped as its own definition says (its stop signal and timeout); the restart
   * onto the new version is saved as pending first, so that an agent killed in between leaves
   * the old version running or the new one, never the appliance stopped.
   */
  async restartOnto(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem, noRestart = false): Promise<void> {
    if (appliance.desired !== 'running' || noRestart) {
      await this.redefine(appliance, def, source, raw);
      this.record(appliance, { kind: 'update', version: appliance.version });
      return;
    }
    const { version, written } = this.addVersion(def, raw ?? this.historyOf(appliance.ref).latest.raw, source);
    await written;
    appliance.pending = { kind: 'restart', asked_at: new Date().toISOString(), version: version.version };
    await this.store.save();
    await this.stopRun(appliance);
    appliance.redefine(def, version.version);
    appliance.pending = undefined;
    this.record(appliance, { kind: 'update', version: appliance.version });
    await this.start(appliance.ref);
  }

  /** A container start chose its image (resolved `vsn`, digest): that it keeps, as a new version. */
  pinImage(ref: string, tag: string, digest: string | undefined): void {
    const appliance = this.byRef.get(ref);
    const def = appliance?.definition;
    if (!appliance || !def || (def.image_tag === tag && def.image_digest === digest)) return;
    const { image_digest: _digest, ...rest } = def;
    void this.redefine(appliance, { ...rest, image_tag: tag, ...(digest !== undefined && { image_digest: digest }) }, { kind: 'resolve', tag });
    this.record(appliance, { kind: 'image', tag, ...(digest !== undefined && { digest }) });
  }

  announce(appliance: Appliance, event: UpgradeEvent): void {
    this.record(appliance, event);
    const words = event.kind === 'rollback'
      ? `rolled back from ${event.from} to ${event.to ?? 'its constraint'}: ${event.reason}`
      : `${event.kind === 'upgrade' ? 'upgraded' : 'upgrading'} ${event.from ?? '(none)'} -> ${event.to} (${event.strategy})`;
    this.opts.logger.log(event.kind === 'rollback' ? 'warn' : 'info', `${appliance.name}: ${words}`);
    if (event.kind !== 'upgrade-begin') this.runHooks(appliance, 'upgrade', words, appliance.state, { cause: event });
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
    const edges = this.dependencyEdges();
    const layers = DependencyGraph.problems(edges).length === 0 ? new DependencyGraph(edges).stopOrder() : [[...this.byName.keys()]];
    for (const layer of layers) {
      await Promise.all(
        layer.map(async (name) => {
          const appliance = this.byName.get(name);
          if (!appliance) return;
          appliance.dispatch({ kind: 'stop-request', kill: false });
          await appliance.until(IDLE);
        }),
      );
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

  private forget(appliance: Appliance): void {
    this.stopAwaiting(appliance);
    this.opts.runner.release(appliance.definition);
    appliance.capture.close();
    this.byRef.delete(appliance.ref);
    this.byName.delete(appliance.name);
  }

  private recordTransition(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition): void {
    this.record(appliance, event, event.kind === 'delete' ? 'removed' : next.state);
    const level = next.state === 'crashed' || next.state === 'failed' || event.kind === 'crash' ? 'warn' : 'info';
    const line = `${appliance.name}: ${event.kind} -> ${next.state} (${appliance.reason})`;
    const hooks = hookEventsOf(event, from, next);
    const [reason, state] = [appliance.reason, next.state];
    // Logging and hooks (a hook may spawn a process) wait for the next turn of the event loop,
    // in the order of the transitions: nothing they do is worth delaying a restart for.
    this.soon(() => {
      this.opts.logger.log(level, line);
      // The event rides along as `cause`: under `event` it would hide which hook fired.
      for (const hook of hooks) this.runHooks(appliance, hook, reason, state, { cause: event });
    });
    void this.store.save();
  }

  private followTransition(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition): void {
    const kind = dependencyKindOf(event, from, next);
    if (kind) for (const dependent of this.dependentsOf(appliance.name)) dependent.dispatch({ kind: 'dependency', dep: appliance.name, what: kind });
    if (next.state !== 'waiting') this.stopAwaiting(appliance);
    if (next.state === 'running') this.startReadyDependents();
  }

  /** Its wait for dependencies is over, one way or another: drop the deadline with it. */
  private stopAwaiting(appliance: Appliance): void {
    const timer = this.awaiting.get(appliance);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.awaiting.delete(appliance);
  }

  /** Runs work on the next turn of the event loop, in the order it was asked for. */
  private soon(work: () => void): void {
    if (this.deferred.length === 0) {
      setImmediate(() => {
        for (const next of this.deferred.splice(0)) next();
      });
    }
    this.deferred.push(work);
  }

  private dependencyEdges(): Map<string, string[]> {
    return new Map([...this.byName].map(([name, a]) => [name, a.definition.depends.map((d) => d.name)]));
  }

  private dependentsOf(name: string): Appliance[] {
    return [...this.byRef.values()].filter((a) => a.definition.depends.some((d) => d.name === name));
  }

  private missingDependencies(appliance: Appliance): string[] {
    return appliance.definition.depends.map((d) => d.name).filter((name) => this.byName.get(name)?.state !== 'running');
  }

  private awaitDependencies(appliance: Appliance): void {
    this.stopAwaiting(appliance);
    const timer = setTimeout(() => {
      this.awaiting.delete(appliance);
      appliance.dispatch({ kind: 'dependency-timeout', missing: this.missingDependencies(appliance) });
    }, appliance.definition.depends_timeout_ms);
    this.awaiting.set(appliance, timer);
  }

  /** Starts every appliance that waited for dependencies and now has them all running. */
  private startReadyDependents(): void {
    for (const appliance of [...this.awaiting.keys()]) {
      if (this.missingDependencies(appliance).length > 0) continue;
      this.stopAwaiting(appliance);
      appliance.resumeStart();
    }
  }

  private runHooks(appliance: Appliance, hook: HookEvent, reason: string, state: string, payload: Record<string, unknown>): void {
    const actions = appliance.definition.hooks[hook];
    if (!actions || actions.length === 0) return;
    this.hookRunner.run(actions, { appliance: appliance.name, ref: appliance.ref, event: hook, reason, state, payload }, runAsOf(appliance.definition));
  }

  /** A failed or hanging hook is logged and recorded, and never holds supervision up. */
  private hookDone(ref: string, hook: string, outcome: HookOutcome): void {
    if (outcome.ok) return;
    const appliance = this.byRef.get(ref);
    const action = 'run' in outcome.action ? `run ${outcome.action.run}` : `post ${outcome.action.post}`;
    this.opts.logger.warn(`hook ${hook} of ${appliance?.name ?? ref} failed: ${action}: ${outcome.error}`);
    if (appliance) this.record(appliance, { kind: 'hook-failed', hook, action, error: outcome.error });
  }

  private record(appliance: Appliance, event: EventRecord['event'], state: EventRecord['state'] = appliance.state): void {
    this.opts.events.append({ time: new Date().toISOString(), ref: appliance.ref, name: appliance.name, event, state });
  }
}

/**
 * The hooks a transition fires: the event's own (a crash is a crash, whether or not it is
 * restarted), then what supervision made of it, `restart` or `failed`.
 */
function hookEventsOf(event: ApplianceEvent, from: ApplianceState, next: Transition): HookEvent[] {
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

/** What dependents are told when an appliance they depend on stops working normally. */
function dependencyKindOf(event: ApplianceEvent, from: ApplianceState, next: Transition): DependencyKind | undefined {
  if (next.state === 'failed' && from !== 'failed') return 'failed';
  switch (event.kind) {
    case 'stop':
      return UP_STATES.has(from) ? 'stop' : undefined;
    case 'crash':
      return 'crash';
    case 'watcher':
      return event.what === 'up' ? undefined : event.what === 'down' ? 'watcher-down' : 'watcher-timeout';
    default:
      return undefined;
  }
}

/**
 * An appliance's history as the state file committed it: versions newer than the state's were
 * written before a crash that kept the state from naming them. A history that is missing
 * (its file lost) restarts from the definition the state has.
 */
function committedHistory(entry: PersistedAppliance, versions: ApplianceVersion[]): VersionHistory {
  const history = new VersionHistory(entry.definition.ref, versions);
  // A restart onto a newer version was asked for: that version was committed with the request.
  const onto = entry.pending?.kind === 'restart' ? entry.pending.version : undefined;
  history.truncateAfter(Math.max(entry.version, onto ?? 0));
  // A version the history lost cannot be restarted onto: the restart stays, onto what the state has.
  if (entry.pending?.kind === 'restart' && onto !== undefined && !history.versions.some((v) => v.version === onto)) {
    entry.pending = { kind: 'restart', asked_at: entry.pending.asked_at };
  }
  if (history.versions.some((v) => v.version === entry.version)) return history;
  return new VersionHistory(entry.definition.ref, [
    ...history.versions,
    {
      version: entry.version,
      time: new Date().toISOString(),
      source: { kind: 'recovered' },
      hash: definitionHash(entry.definition),
      definition: entry.definition,
      raw: { item: {}, defaults: {} },
    },
  ]);
}
