import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/model/appliance-status.js';
import { EventLog } from '../../src/store/event-log.js';

const record = (name: string): EventRecord => ({
  time: new Date(0).toISOString(), ref: 'r1', name, event: { kind: 'start', n: 1 }, state: 'starting',
});

describe('EventLog', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-events-'));
    dirs.push(dir);
    return dir;
  };

  it('appends one JSON line per record and tells subscribers at once', () => {
    const dir = tempDir();
    const log = new EventLog(dir);
    const seen: string[] = [];
    const unsubscribe = log.subscribe((r) => seen.push(r.name));
    log.append(record('a'));
    unsubscribe();
    log.append(record('b'));
    log.close();
    expect(seen).toEqual(['a']);
    expect(readFileSync(join(dir, 'events.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['a', 'b']);
  });

  it('shows earlier runs after a restart and skips a line cut short by a kill -9', async () => {
    const dir = tempDir();
    const first = new EventLog(dir);
    first.append(record('before'));
    first.close();
    appendFileSync(join(dir, 'events.log'), '{"time":"2026-');
    const second = new EventLog(dir);
    await second.loadRecent();
    expect(second.tail(10).map((r) => r.name)).toEqual(['before']);
    second.append(record('after'));
    second.close();
    const third = new EventLog(dir);
    await third.loadRecent();
    expect(third.tail(10).map((r) => r.name)).toEqual(['before', 'after']);
    third.close();
  });

  it('writes the records of one turn of the event loop together, at its end', async () => {
    const dir = tempDir();
    const log = new EventLog(dir);
    log.append(record('a'));
    log.append(record('b'));
    expect(readFileSync(join(dir, 'events.log'), 'utf8')).toBe('');
    expect(log.tail(2).map((r) => r.name)).toEqual(['a', 'b']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(join(dir, 'events.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['a', 'b']);
    log.close();
  });

  it('writes the held lines at once on flush, and only once', async () => {
    const dir = tempDir();
    const log = new EventLog(dir);
    log.append(record('a'));
    log.flush();
    expect(readFileSync(join(dir, 'events.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['a']);
    await new Promise((resolve) => setImmediate(resolve));
    log.append(record('b'));
    log.close();
    expect(readFileSync(join(dir, 'events.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['a', 'b']);
  });

  it('answers the last n records', () => {
    const log = new EventLog(tempDir());
    for (const name of ['a', 'b', 'c']) log.append(record(name));
    expect(log.tail(2).map((r) => r.name)).toEqual(['b', 'c']);
    expect(log.tail(0)).toEqual([]);
    log.close();
  });
});
