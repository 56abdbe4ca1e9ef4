/**
 * The one place that picks the runner for an appliance's type, from the runner registry. A
 * runner loaded when needed is made when the first appliance of its type is prepared (every
 * appliance is prepared before anything else is asked of it), so an agent with only shell
 * appliances neither loads dockerode (some megabytes of memory) nor opens the engine's socket
 * (nor reports it unreachable).
 */
import { SpewError } from '../common/errors.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { APPLIANCE_TYPES, runsImages, type ApplianceType } from '../model/appliance-type.js';
import type { OutputCapture } from '../logs/output-capture.js';
import type { ContainerRuntime } from './container-runtime.js';
import type { RunnerContext, RunnerRegistry } from './runner-registry.js';
import type { Adoption, Departure, FoundRun, RunHandle, Runner, SurveyScope } from './runner.js';

export class RunnerSet implements Runner {
  private readonly loading = new Map<ApplianceType, Promise<Runner>>();
  private readonly made = new Map<ApplianceType, Runner>();
  private readonly surveyedBy = new WeakMap<FoundRun, Runner>();

  constructor(
    private readonly registry: RunnerRegistry,
    private readonly ctx: RunnerContext,
  ) {}

  /** Makes the runners that are made at once. */
  async open(): Promise<void> {
    await Promise.all(APPLIANCE_TYPES.filter((type) => this.registry[type].load === 'at-once').map((type) => this.load(type)));
  }

  /** The runner of `type`, made now if it was not yet. */
  load(type: ApplianceType): Promise<Runner> {
    let loading = this.loading.get(type);
    if (!loading) {
      loading = this.registry[type].create(this.ctx).then((runner) => {
        this.made.set(type, runner);
        return runner;
      });
      this.loading.set(type, loading);
    }
    return loading;
  }

  /**
   * The container runtime of an appliance whose runs are containers; only one that has been
   * prepared can ask for it (it is made then).
   */
  containerRuntime(def: ApplianceDefinition): ContainerRuntime {
    if (!runsImages(def.type)) throw new SpewError('INVALID_REQUEST', `${def.name} is a ${def.type} appliance: it runs no image`);
    // The registry's type makes a runner of containers a ContainerRuntime.
    return this.of(def) as ContainerRuntime;
  }

  /** The container runtimes made so far; with `makeAll`, every one there is, made now. */
  async containerRuntimes(makeAll: boolean): Promise<ContainerRuntime[]> {
    const types = APPLIANCE_TYPES.filter((type) => runsImages(type) && (makeAll || this.made.has(type)));
    return (await Promise.all(types.map((type) => this.load(type)))) as ContainerRuntime[];
  }

  /** Whether a runner of containers is being made or has been: an engine is being asked. */
  get usesContainers(): boolean {
    return APPLIANCE_TYPES.some((type) => runsImages(type) && this.loading.has(type));
  }

  private of(def: ApplianceDefinition): Runner {
    const runner = this.made.get(def.type);
    if (!runner) throw new Error(`no ${def.type} appliance has been prepared: its runner is not loaded`);
    return runner;
  }

  async prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void> {
    await Promise.all([...new Set(items.map((item) => item.def.type))].map((type) => this.load(type)));
    const byRunner = new Map<Runner, typeof items>();
    for (const item of items) {
      const runner = this.of(item.def);
      byRunner.set(runner, [...(byRunner.get(runner) ?? []), item]);
    }
    await Promise.all([...byRunner].map(([runner, group]) => runner.prepare(group)));
  }

  start(def: ApplianceDefinition): RunHandle {
    return this.of(def).start(def);
  }

  /**
   * The surveys of the runners made; for `all`, also of those not made yet whose runs may be
   * on the host (an engine there to ask: its containers could be this instance's).
   */
  async survey(scope: SurveyScope): Promise<FoundRun[]> {
    if (scope === 'all') await Promise.all(APPLIANCE_TYPES.filter((type) => this.registry[type].mayHaveRuns()).map((type) => this.load(type)));
    const found = await Promise.all(APPLIANCE_TYPES.map(async (type) => {
      const runner = this.made.get(type);
      const runs = runner ? await runner.survey(scope) : [];
      for (const run of runs) this.surveyedBy.set(run, runner as Runner);
      return runs;
    }));
    return found.flat();
  }

  stopStray(run: FoundRun, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    return this.surveyedBy.get(run)?.stopStray(run, signal, timeoutMs) ?? Promise.resolve();
  }

  adopt(def: ApplianceDefinition): Promise<Adoption> {
    return this.of(def).adopt(def);
  }

  input(def: ApplianceDefinition, data: Buffer): boolean {
    return this.of(def).input(def, data);
  }

  release(def: ApplianceDefinition): void {
    this.of(def).release(def);
  }

  async detach(how: Departure): Promise<void> {
    await Promise.all([...this.made.values()].map((runner) => runner.detach(how)));
  }
}
