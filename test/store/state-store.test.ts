import { shorthandPolicy } from '../../src/supervision/restart-policy.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore, type PersistedAppliance } from '../../src/store/state-store.js';

function appliance(name: string): PersistedAppliance {
  return {
    definition: {
      name, ref: `ref-${name}`, options: {}, type: 'shell', command: 'true', env: {}, runneropts: {},
      restart: shorthandPolicy('never'), watchers: [], monitors: [], depends: [], depends_timeout_ms: 1000, hooks: {}, stop_signal: 'SIGTERM',
      stop_timeout_ms: 1000, stdin: false,
    },
    desired: 'running', starts: 1, restarts: 0, last_exit: null, version: 1, running_version: null,
  };
}

describe('StateStore', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('reports a first boot when no state was ever saved', async () => {
    expect(await new StateStore(tempDir(), () => [], () => undefined).load()).toBeUndefined();
  });

  it('loads what it saved, leaving no temp file behind', async () => {
    const dir = tempDir();
    const saved = [appliance('a'), appliance('b')];
    await new StateStore(dir, () => saved, () => undefined).save();
    expect(await new StateStore(dir, () => [], () => undefined).load()).toEqual(saved);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('coalesces saves asked for while one is writing into one more write', async () => {
    const dir = tempDir();
    let snapshots = 0;
    const store = new StateStore(dir, () => (snapshots++, [appliance('a')]), () => undefined);
    await Promise.all(Array.from({ length: 50 }, () => store.save()));
    expect(snapshots).toBeLessThanOrEqual(2);
  });

  it('includes the latest change in the write that a save waits for', async () => {
    const dir = tempDir();
    const current = [appliance('a')];
    const store = new StateStore(dir, () => current, () => undefined);
    const first = store.save();
    current.push(appliance('late'));
    await Promise.all([first, store.save()]);
    expect((await store.load())?.map((a) => a.definition.name)).toEqual(['a', 'late']);
  });

  it('writes what JSON.stringify would, a definition that was replaced included', async () => {
    const dir = tempDir();
    const current = [appliance('a'), appliance('b')];
    const store = new StateStore(dir, () => current, () => undefined);
    await store.save();
    current[1] = { ...appliance('b'), definition: { ...appliance('b').definition, command: 'changed' }, starts: 7 };
    await store.save();
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(JSON.stringify({ format: 1, appliances: current }));
  });

  it('refuses a state file of an unknown format rather than guessing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ format: 9, appliances: [] }));
    await expect(new StateStore(dir, () => [], () => undefined).load()).rejects.toThrow(/unknown state format/);
  });
});
