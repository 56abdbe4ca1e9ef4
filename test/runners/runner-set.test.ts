import { describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import type { ContainerRuntime } from '../../src/runners/container-runtime.js';
import type { RunnerContext, RunnerRegistry } from '../../src/runners/runner-registry.js';
import { TYPE_CAPABILITIES } from '../../src/model/appliance-type.js';
import type { AdoptResult, FoundRun, RunHandle, Runner } from '../../src/runners/runner.js';
import { RunnerSet } from '../../src/runners/runner-set.js';

/** A runner that only records what it was asked, to see which runner the set picks. */
class RecordingRunner implements Runner {
  readonly calls: string[] = [];
  constructor(private readonly name: string) {}
  async prepare(items: { def: ApplianceDefinition }[]): Promise<void> {
    this.calls.push(`prepare ${items.map((i) => i.def.name).join(',')}`);
  }
  start(def: ApplianceDefinition): RunHandle {
    this.calls.push(`start ${def.name}`);
    return { pid: 1, startedAt: new Date(), exited: new Promise(() => undefined), stop: () => undefined, kill: () => undefined };
  }
  async survey(): Promise<FoundRun[]> {
    this.calls.push('survey');
    return [{ ref: `${this.name}-run`, label: `a ${this.name} run`, leftover: false }];
  }
  async stopStray(run: FoundRun): Promise<void> {
    this.calls.push(`stop stray ${run.ref}`);
  }
  async adopt(def: ApplianceDefinition): Promise<AdoptResult> {
    this.calls.push(`adopt ${def.name}`);
    return { kind: 'absent' };
  }
  input(def: ApplianceDefinition): boolean {
    this.calls.push(`input ${def.name}`);
    return this.name === 'docker';
  }
  release(def: ApplianceDefinition): void {
    this.calls.push(`release ${def.name}`);
  }
  detach(): void {
    this.calls.push('detach');
  }
}

const def = (name: string, type: 'shell' | 'docker') => ({ name, type }) as ApplianceDefinition;

/** A registry of a shell runner made at once and a Docker runner made by `makeDocker` when needed. */
async function runnerSet(shell: Runner, makeDocker: () => Promise<Runner>, engineMayRun = false): Promise<RunnerSet> {
  const registry: RunnerRegistry = {
    shell: { capabilities: TYPE_CAPABILITIES.shell, load: 'at-once', mayHaveRuns: () => true, create: async () => shell },
    docker: { capabilities: TYPE_CAPABILITIES.docker, load: 'when-needed', mayHaveRuns: () => engineMayRun, create: async () => (await makeDocker()) as ContainerRuntime },
  };
  const set = new RunnerSet(registry, {} as RunnerContext);
  await set.open();
  return set;
}

/** The Docker runner the set made, if it made one. */
async function dockerIfUsed(set: RunnerSet): Promise<unknown> {
  return (await set.containerRuntimes(false))[0];
}

describe('RunnerSet', () => {
  it('sends each appliance to the runner of its type and makes the Docker runner only when needed', async () => {
    const shell = new RecordingRunner('shell');
    let made = 0;
    const docker = new RecordingRunner('docker');
    const set = await runnerSet(shell, async () => {
      made += 1;
      return docker;
    });
    await set.prepare([{ def: def('a', 'shell'), capture: undefined as never }]);
    set.start(def('a', 'shell'));
    set.detach('handoff');
    expect(made).toBe(0);
    expect(await dockerIfUsed(set)).toBeUndefined();
    expect(() => set.containerRuntime(def('c', 'docker'))).toThrow(/not loaded/);

    await set.prepare([
      { def: def('b', 'shell'), capture: undefined as never },
      { def: def('c', 'docker'), capture: undefined as never },
      { def: def('d', 'docker'), capture: undefined as never },
    ]);
    set.start(def('c', 'docker'));
    await set.adopt(def('d', 'docker'));
    expect(set.input(def('c', 'docker'), Buffer.from('x'))).toBe(true);
    set.release(def('b', 'shell'));
    set.detach('handoff');
    expect(await dockerIfUsed(set)).toBe(docker);
    expect(made).toBe(1);
    expect(shell.calls).toEqual(['prepare a', 'start a', 'detach', 'prepare b', 'release b', 'detach']);
    expect(docker.calls).toEqual(['prepare c,d', 'start c', 'adopt d', 'input c', 'detach']);
  });

  it("surveys the Docker runner only once one is loaded, and stops a stray through the runner that found it", async () => {
    const shell = new RecordingRunner('shell');
    const docker = new RecordingRunner('docker');
    const set = await runnerSet(shell, async () => docker);
    expect((await set.survey('loaded')).map((r) => r.ref)).toEqual(['shell-run']);
    // With no engine to ask, even a survey of all does not load the Docker runner.
    expect((await set.survey('all')).map((r) => r.ref)).toEqual(['shell-run']);
    expect(await dockerIfUsed(set)).toBeUndefined();
    await set.load('docker');
    const found = await set.survey('loaded');
    expect(found.map((r) => r.ref)).toEqual(['shell-run', 'docker-run']);
    await set.stopStray(found[1] as FoundRun, 'SIGTERM', 1000);
    expect(docker.calls).toEqual(['survey', 'stop stray docker-run']);
    expect(shell.calls).toEqual(['survey', 'survey', 'survey']);
  });

  it('loads the Docker runner for a survey of all when an engine may be there', async () => {
    const docker = new RecordingRunner('docker');
    const set = await runnerSet(new RecordingRunner('shell'), async () => docker, true);
    expect((await set.survey('loaded')).map((r) => r.ref)).toEqual(['shell-run']);
    expect((await set.survey('all')).map((r) => r.ref)).toEqual(['shell-run', 'docker-run']);
    expect(await dockerIfUsed(set)).toBe(docker);
  });

  it('hands out a container runtime only for an appliance whose runs are containers', async () => {
    const docker = new RecordingRunner('docker');
    const set = await runnerSet(new RecordingRunner('shell'), async () => docker);
    await set.prepare([{ def: def('c', 'docker'), capture: undefined as never }]);
    expect(set.containerRuntime(def('c', 'docker'))).toBe(docker);
    expect(() => set.containerRuntime(def('a', 'shell'))).toThrow('a is a shell appliance: it runs no image');
    expect(set.usesContainers).toBe(true);
  });
});
