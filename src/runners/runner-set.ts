/**
 * The one place that picks the runner for an appliance's type. The Docker runner is loaded and
 * made when the first docker appliance is prepared (every appliance is prepared before anything
 * else is asked of it), so an agent with only shell appliances neither loads dockerode (some
 * megabytes of memory) nor opens the engine's socket (nor reports it unreachable).
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { OutputCapture } from '../logs/output-capture.js';
import type { DockerRunner } from './docker/docker-runner.js';
import type { Adoption, Departure, FoundRun, RunHandle, Runner, SurveyScope } from './runner.js';

export class RunnerSet implements Runner {
  private docker: DockerRunner | undefined;
  private readonly surveyedBy = new WeakMap<FoundRun, Runner>();
  private loading: Promise<DockerRunner> | undefined;

  constructor(
    private readonly shell: Runner,
    private readonly makeDocker: () => Promise<DockerRunner>,
    /** Whether a Docker engine may be there to ask (DOCKER_HOST, or the default socket). */
    private readonly engineMayRun: () => boolean = () => false,
  ) {}

  /** The Docker runner; only a docker appliance that has been prepared can ask for it. */
  dockerRunner(): DockerRunner {
    if (!this.docker) throw new Error('no docker appliance has been prepared: the Docker runner is not loaded');
    return this.docker;
  }

  /** The Docker runner, loaded now if no docker appliance has needed it yet (`spew orphans`). */
  async loadDocker(): Promise<DockerRunner> {
    this.loading ??= this.makeDocker().then((docker) => (this.docker = docker));
    return this.loading;
  }

  /** The Docker runner if any docker appliance made one. */
  get dockerIfUsed(): DockerRunner | undefined {
    return this.docker;
  }

  private of(def: ApplianceDefinition): Runner {
    switch (def.type) {
      case 'shell':
        return this.shell;
      case 'docker':
        return this.dockerRunner();
    }
  }

  async prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void> {
    if (items.some((item) => item.def.type === 'docker')) await this.loadDocker();
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
   * The shell runner's survey, and the Docker runner's when one is loaded; for `all`, also when
   * none is yet but an engine may be there (its containers could be this instance's).
   */
  async survey(scope: SurveyScope): Promise<FoundRun[]> {
    if (scope === 'all' && !this.docker && this.engineMayRun()) await this.loadDocker();
    const found = await Promise.all([this.shell, this.docker].map(async (runner) => {
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
    await Promise.all([this.shell.detach(how), this.docker?.detach()]);
  }
}
