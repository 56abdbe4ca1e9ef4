import { describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import type { DockerRunner } from '../../src/runners/docker/docker-runner.js';
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

describe('RunnerSet', () => {
  it('sends each appliance to the runner of its type and makes the Docker runner only when needed', async () => {
    const shell = new RecordingRunner('shell');
    let made = 0;
    const docker = new RecordingRunner('docker');
    const set = new RunnerSet(shell, async () => {
      made += 1;
      return docker as unknown as DockerRunner;
    });
    await set.prepare([{ def: def('a', 'shell'), capture: undefined as never }]);
    set.start(def('a', 'shell'));
    set.detach('handoff');
    expect(made).toBe(0);
    expect(set.dockerIfUsed).toBeUndefined();
    expect(() => set.dockerRunner()).toThrow(/not loaded/);

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
    expect(await set.loadDocker()).toBe(docker);
    expect(made).toBe(1);
    expect(shell.calls).toEqual(['prepare a', 'start a', 'detach', 'prepare b', 'release b', 'detach']);
    expect(docker.calls).toEqual(['prepare c,d', 'start c', 'adopt d', 'input c', 'detach']);
  });

  it("surveys the Docker runner only once one is loaded, and stops a stray through the runner that found it", async () => {
    const shell = new RecordingRunner('shell');
    const docker = new RecordingRunner('docker');
    const set = new RunnerSet(shell, async () => docker as unknown as DockerRunner);
    expect((await set.survey('loaded')).map((r) => r.ref)).toEqual(['shell-run']);
    // With no engine to ask, even a survey of all does not load the Docker runner.
    expect((await set.survey('all')).map((r) => r.ref)).toEqual(['shell-run']);
    expect(set.dockerIfUsed).toBeUndefined();
    await set.loadDocker();
    const found = await set.survey('loaded');
    expect(found.map((r) => r.ref)).toEqual(['shell-run', 'docker-run']);
    await set.stopStray(found[1] as FoundRun, 'SIGTERM', 1000);
    expect(docker.calls).toEqual(['survey', 'stop stray docker-run']);
    expect(shell.calls).toEqual(['survey', 'survey', 'survey']);
  });

  it('loads the Docker runner for a survey of all when an engine may be there', async () => {
    const docker = new RecordingRunner('docker');
    const set = new RunnerSet(new RecordingRunner('shell'), async () => docker as unknown as DockerRunner, () => true);
    expect((await set.survey('loaded')).map((r) => r.ref)).toEqual(['shell-run']);
    expect((await set.survey('all')).map((r) => r.ref)).toEqual(['shell-run', 'docker-run']);
    expect(set.dockerIfUsed).toBe(docker);
  });
});
