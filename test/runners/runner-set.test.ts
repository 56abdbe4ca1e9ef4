import { describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/appliance/model.js';
import type { DockerRunner } from '../../src/runners/docker/docker-runner.js';
import type { AdoptResult, RunHandle, Runner } from '../../src/runners/runner.js';
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
    set.detach();
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
    set.detach();
    expect(await set.loadDocker()).toBe(docker);
    expect(made).toBe(1);
    expect(shell.calls).toEqual(['prepare a', 'start a', 'detach', 'prepare b', 'release b', 'detach']);
    expect(docker.calls).toEqual(['prepare c,d', 'start c', 'adopt d', 'input c', 'detach']);
  });
});
