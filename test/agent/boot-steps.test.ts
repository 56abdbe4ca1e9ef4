import { describe, expect, it } from 'vitest';
import { BootSteps } from '../../src/agent/boot-steps.js';

type Why = 'stop' | 'handoff';

function recorder(): { log: string[]; steps: BootSteps<Why>; failures: string[] } {
  const log: string[] = [];
  const failures: string[] = [];
  const steps = new BootSteps<Why>('handoff', (step, err) => failures.push(`${step}: ${(err as Error).message}`));
  return { log, steps, failures };
}

describe('BootSteps', () => {
  it('undoes the steps taken, the last first, telling each how the agent goes', async () => {
    const { log, steps } = recorder();
    for (const name of ['lock', 'store', 'api']) await steps.take(name, () => ({ dispose: (why: Why) => void log.push(`${name}:${why}`) }));
    await steps.undo('stop');
    expect(log).toEqual(['api:stop', 'store:stop', 'lock:stop']);
  });

  it('undoes each step once, however often the agent is asked to go', async () => {
    const { log, steps } = recorder();
    await steps.take('lock', () => ({ dispose: () => void log.push('lock') }));
    await Promise.all([steps.undo('stop'), steps.undo('handoff')]);
    await steps.undo('stop');
    expect(log).toEqual(['lock']);
  });

  it('answers what a step made, for the steps after it', async () => {
    const { steps } = recorder();
    const made = await steps.take('store', async () => ({ store: 42, dispose: () => undefined }));
    expect(made.store).toBe(42);
  });

  it('undoes what was taken before a step that throws, as a hand-off, and throws its error on', async () => {
    const { log, steps } = recorder();
    await steps.take('lock', () => ({ dispose: (why: Why) => void log.push(`lock:${why}`) }));
    await steps.take('store', () => ({ dispose: (why: Why) => void log.push(`store:${why}`) }));
    await expect(steps.take('api', () => {
      throw new Error('socket in use');
    })).rejects.toThrow('socket in use');
    expect(log).toEqual(['store:handoff', 'lock:handoff']);
  });

  it('goes on undoing past a disposer that throws, and reports it by step', async () => {
    const { log, steps, failures } = recorder();
    await steps.take('lock', () => ({ dispose: () => void log.push('lock') }));
    await steps.take('store', () => ({
      dispose: async () => {
        throw new Error('disk gone');
      },
    }));
    await steps.take('api', () => ({ dispose: () => void log.push('api') }));
    await steps.undo('stop');
    expect(log).toEqual(['api', 'lock']);
    expect(failures).toEqual(['store: disk gone']);
  });
});
