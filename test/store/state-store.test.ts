import { shorthandPolicy } from '../../src/model/restart-policy.js';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/store/state-store.js';
import type { PersistedAppliance } from '../../src/model/persisted-appliance.js';

function appliance(name: string, ref = `${name.padEnd(4, '0').slice(0, 4)}00000000`.replace(/[^0-9a-f]/g, 'a')): PersistedAppliance {
  return {
    definition: {
      name, ref, options: {}, type: 'shell', command: 'true', env: {}, runneropts: {},
      restart: shorthandPolicy('never'), watchers: [], monitors: [], depends: [], depends_timeout_ms: 1000, hooks: {}, stop_signal: 'SIGTERM',
      stop_timeout_ms: 1000, stdin: false,
    },
    desired: 'running', starts: 1, restarts: 0, last_exit: null, version: 1, running_version: null,
  };
}

const saved = (list: PersistedAppliance[]): string => JSON.stringify({ format: 1, appliances: list });

describe('StateStore', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const store = (dir: string, list: PersistedAppliance[] = []): StateStore => new StateStore(dir, () => list, () => undefined, () => new Date('2026-12-04T10:00:00.000Z'));

  it('reports a first boot when no state was ever saved', async () => {
    expect(await store(tempDir()).load()).toEqual({ kind: 'none' });
  });

  it('loads what it saved, writing the state file and its copy, and leaving no temp file behind', async () => {
    const dir = tempDir();
    const list = [appliance('a'), appliance('b')];
    await store(dir, list).save();
    expect(await store(dir).load()).toEqual({ kind: 'loaded', appliances: list });
    expect(readdirSync(dir).sort()).toEqual(['state.json', 'state.json.1', 'state.reserve']);
    expect(readFileSync(join(dir, 'state.json.1'), 'utf8')).toBe(readFileSync(join(dir, 'state.json'), 'utf8'));
  });

  it('recovers every appliance from the copy when the state file was deleted', async () => {
    const dir = tempDir();
    const list = [appliance('a'), appliance('b')];
    await store(dir, list).save();
    unlinkSync(join(dir, 'state.json'));
    expect(await store(dir).load()).toEqual({ kind: 'recovered', appliances: list, problem: 'it is missing' });
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, 40), /^it is not valid JSON/],
    ['emptied', () => '', /^it is empty$/],
    ['random bytes', () => '\u0000\u00ff\u0013garbage', /^it is not valid JSON/],
    ['not an object', () => '[1,2]', /^expected an object, got \[1,2\]$/],
    ['appliances not a list', () => '{"format":1,"appliances":7}', /^appliances: expected an array, got 7$/],
    ['an entry of the wrong shape', () => '{"format":1,"appliances":[{"definition":{"name":"a"}}]}', /^appliances\[0\]\.definition\.ref: expected a ref of 12 hex digits, got nothing$/],
    ['a bad desired state', (text: string) => text.replace('"desired":"running"', '"desired":"maybe"'), /^appliances\[0\]\.desired: expected one of "running", "stopped", got "maybe"$/],
    ['two appliances with one ref', (text: string) => text.replace('"bbbb00000000"', '"aaaa00000000"'), /^appliances\[1\]: ref aaaa00000000 is appliances\[0\]'s already$/],
    ['an unknown format', () => '{"format":9,"appliances":[]}', /^unknown state format 9 \(this agent reads format 1\)$/],
  ])('recovers from the copy when the state file is %s, keeping the damaged one aside', async (_what, damage, problem) => {
    const dir = tempDir();
    const list = [appliance('aaaa', 'aaaa00000000'), appliance('bbbb', 'bbbb00000000')];
    await store(dir, list).save();
    writeFileSync(join(dir, 'state.json'), damage(readFileSync(join(dir, 'state.json'), 'utf8')));
    const loaded = await store(dir).load();
    expect(loaded).toMatchObject({ kind: 'recovered', appliances: list, problem: expect.stringMatching(problem), keptAs: join(dir, 'state.json.damaged-2026-12-04T100000.000Z') });
    expect(readdirSync(dir).sort()).toEqual(['state.json.1', 'state.json.damaged-2026-12-04T100000.000Z', 'state.reserve']);
  });

  it('refuses to load when the state file and its copy are both damaged, naming both and what to do', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.json'), '{"format":1,');
    writeFileSync(join(dir, 'state.json.1'), '');
    await expect(store(dir).load()).rejects.toThrow(new RegExp(
      `^cannot load the agent's state: ${join(dir, 'state.json')}: it is not valid JSON .*; its copy ${join(dir, 'state.json.1')}: it is empty\\. ` +
        'The appliances of this instance run on, unsupervised\\. Restore either file from a backup; or, to start afresh, move both aside',
    ));
  });

  it('refuses a damaged state file whose copy is gone rather than taking it for a first boot', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.json'), 'garbage');
    await expect(store(dir).load()).rejects.toThrow(/its copy .*state\.json\.1: it is missing/);
  });

  it('never reads a state file through a link', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'elsewhere'), saved([appliance('a')]));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'state.json'));
    await expect(store(dir).load()).rejects.toThrow(/state\.json is a symbolic link; the agent does not use it/);
  });

  it('writes over a link planted at its temp name without following it', async () => {
    const dir = tempDir();
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep\n');
    symlinkSync(target, join(dir, `state.json.tmp-${process.pid}`));
    await store(dir, [appliance('a')]).save();
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
    expect((await store(dir).load()).kind).toBe('loaded');
  });

  it('says why saving fails while it fails, and forgets it once a save works', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const failing = new StateStore(dir, () => [appliance('a')], (err) => errors.push(err), () => new Date('2026-12-04T10:00:00.000Z'));
    chmodSync(dir, 0o500);
    try {
      await failing.save();
    } finally {
      chmodSync(dir, 0o700);
    }
    // Root writes into a read-only dir anyway: then there was nothing to fail.
    if (errors.length > 0) expect(failing.saveError).toMatchObject({ error: expect.stringMatching(/EACCES/), since: new Date('2026-12-04T10:00:00.000Z') });
    await failing.save();
    expect(failing.saveError).toBeUndefined();
  });

  it('keeps room on the disk for the state, at least a megabyte', async () => {
    const dir = tempDir();
    await store(dir, [appliance('a')]).save();
    expect(statSync(join(dir, 'state.reserve')).size).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it('coalesces saves asked for while one is writing into one more write', async () => {
    const dir = tempDir();
    let snapshots = 0;
    const coalescing = new StateStore(dir, () => (snapshots++, [appliance('a')]), () => undefined);
    await Promise.all(Array.from({ length: 50 }, () => coalescing.save()));
    expect(snapshots).toBeLessThanOrEqual(2);
  });

  it('includes the latest change in the write that a save waits for', async () => {
    const dir = tempDir();
    const current = [appliance('a')];
    const s = store(dir, current);
    const first = s.save();
    current.push(appliance('late'));
    await Promise.all([first, s.save()]);
    const loaded = await s.load();
    expect(loaded.kind === 'loaded' && loaded.appliances.map((a) => a.definition.name)).toEqual(['a', 'late']);
  });

  it('writes what JSON.stringify would, a definition that was replaced included', async () => {
    const dir = tempDir();
    const current = [appliance('a'), appliance('b')];
    const s = store(dir, current);
    await s.save();
    current[1] = { ...appliance('b'), definition: { ...appliance('b').definition, command: 'changed' }, starts: 7, pending: { kind: 'restart', asked_at: '2026-12-04T10:00:00.000Z', version: 2 } };
    await s.save();
    // Padded with spaces to the room the file holds, which later saves rewrite in place.
    expect(readFileSync(join(dir, 'state.json'), 'utf8').trimEnd()).toBe(saved(current));
    expect(await s.load()).toEqual({ kind: 'loaded', appliances: current });
  });

  it('rewrites both files in place, taking no new room, and grows them when the state outgrows them', async () => {
    const dir = tempDir();
    const current = [appliance('a')];
    const s = store(dir, current);
    await s.save();
    const inodes = ['state.json', 'state.json.1'].map((f) => statSync(join(dir, f)).ino);
    current.push(appliance('b'));
    await s.save();
    expect(['state.json', 'state.json.1'].map((f) => statSync(join(dir, f)).ino)).toEqual(inodes);
    for (let i = 0; i < 40; i++) current.push(appliance(`n${i}`, `${i.toString(16).padStart(4, '0')}00000000`));
    await s.save();
    expect(statSync(join(dir, 'state.json')).size).toBeGreaterThan(saved(current).length);
    expect(await s.load()).toEqual({ kind: 'loaded', appliances: current });
  });

  it('loads the copy when the state file was torn by a kill in the middle of its rewrite', async () => {
    const dir = tempDir();
    const current = [appliance('a'), appliance('b')];
    const s = store(dir, current);
    await s.save();
    const path = join(dir, 'state.json');
    const text = readFileSync(path);
    // The first half of a rewrite landed, the rest is the old text: here, zeros.
    text.fill(0, Math.floor(text.length / 3));
    writeFileSync(path, text);
    expect(await store(dir).load()).toMatchObject({ kind: 'recovered', appliances: current });
  });
});
