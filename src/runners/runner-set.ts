/**
 * The one place that picks the runner for an appliance's type. The Docker runner is made the
 * first time a docker appliance needs it, so an agent with only shell appliances never opens
 * the engine's socket (and never reports it unreachable).
 */
import type { ApplianceDefinition } from '../appliance/model.js';
import type { OutputCapture } from '../logs/output-capture.js';
import type { DockerRunner } from './docker/docker-runner.js';
import type { AdoptResult, RunHandle, Runner } from './runner.js';

export class RunnerSet implements Runner {
  private docker: DockerRunner | undefined;

  constructor(
    private readonly shell: Runner,
    private readonly makeDocker: () => DockerRunner,
  ) {}

  /** The Docker runner, made on first use. */
  dockerRunner(): DockerRunner {
    this.docker ??= this.makeDocker();
    return this.docker;
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

  adopt(def: ApplianceDefinition): Promise<AdoptResult> {
    return this.of(def).adopt(def);
  }

  input(def: ApplianceDefinition, data: Buffer): boolean {
    return this.of(def).input(def, data);
  }

  release(def: ApplianceDefinition): void {
    this.of(def).release(def);
  }

  detach(): void {
    this.shell.detach();
    this.docker?.detach();
  }
}
