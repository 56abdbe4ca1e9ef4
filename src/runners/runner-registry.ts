/**
 * Every runner type there is, by appliance type: how to make its runner and what it can do.
 * Adding a type: a row in model/appliance-type.ts (its capabilities), its runner in a file of
 * its own here, and its line below; the compiler asks for the line once the row is there, and
 * for a ContainerRuntime from a type whose runs are containers.
 */
import { existsSync } from 'node:fs';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { TYPE_CAPABILITIES, type ApplianceType, type TypeCapabilities } from '../model/appliance-type.js';
import type { LayerProgress } from '../model/image-pull.js';
import type { ContainerRuntime } from './container-runtime.js';
import { instanceOf } from './instance-scan.js';
import type { Runner } from './runner.js';
import { ShellRunner } from './shell-runner.js';

/** What the agent gives every runner it makes; a runner uses what concerns it. */
export interface RunnerContext {
  stateDir: string;
  /** Something a runner could not do for an appliance (its output, a helper), for the agent's log; never fatal. */
  warn(message: string): void;
  /** The engine a runner works through became reachable or unreachable; `detail` says why. */
  onEngineState(state: 'reachable' | 'unreachable', detail: string): void;
  /** For a run taken over from an earlier agent: the time of the last output its log has. */
  lastLogTime(def: ApplianceDefinition): Date | undefined;
  /** A start chose an image other than the pinned one (the first resolution of `vsn`, a digest). */
  onImageChosen(def: ApplianceDefinition, tag: string, digest: string | undefined): void;
  onPullProgress(def: ApplianceDefinition, event: LayerProgress): void;
}

export interface RunnerEntry<C extends TypeCapabilities = TypeCapabilities> {
  capabilities: C;
  /**
   * `at-once`: made with the runner set, and its runs always surveyed (finding them costs
   * nothing). `when-needed`: made when an appliance of its type is first prepared, or when a
   * survey of every run may find some (`mayHaveRuns`); an agent without such appliances never
   * loads it.
   */
  load: 'at-once' | 'when-needed';
  /** Whether runs of this type may be on the host, for a survey of every run (the state was lost). */
  mayHaveRuns(): boolean;
  create(ctx: RunnerContext): Promise<C['runs'] extends 'containers' ? ContainerRuntime : Runner>;
}

export type RunnerRegistry = { readonly [T in ApplianceType]: RunnerEntry<(typeof TYPE_CAPABILITIES)[T]> };

export const RUNNER_REGISTRY: RunnerRegistry = {
  shell: {
    capabilities: TYPE_CAPABILITIES.shell,
    load: 'at-once',
    mayHaveRuns: () => true,
    create: async (ctx) => new ShellRunner(ctx.stateDir, ctx.warn),
  },
  docker: {
    capabilities: TYPE_CAPABILITIES.docker,
    load: 'when-needed',
    mayHaveRuns: () => process.env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock'),
    // Loaded on first use: dockerode costs megabytes of memory that a shell-only agent keeps.
    create: async (ctx) => {
      const { DockerRunner } = await import('./docker/docker-runner.js');
      return new DockerRunner({
        instance: instanceOf(ctx.stateDir),
        onEngineState: ctx.onEngineState,
        lastLogTime: ctx.lastLogTime,
        onImageChosen: ctx.onImageChosen,
        onPullProgress: ctx.onPullProgress,
      });
    },
  },
};
