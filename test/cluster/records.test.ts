import { describe, expect, it } from 'vitest';
import { readAlive, readEvent, readMember, readReply, readRequest, readStatus } from '../../src/cluster/records.js';

const status = {
  name: 'web', ref: 'a1b2c3d4e5f6', type: 'shell', state: 'running', reason: 'started', desired: 'running', pid: 42,
  restarts: 1, started_at: '2026-01-01T00:00:00.000Z', last_exit: null, restart_limit: { used: 1, limit: 5, window_ms: null },
  image: null, version: 2, published_at: '2026-01-01T00:00:01.000Z',
};

describe('reading back what is in etcd (anyone with access to etcd may have written it)', () => {
  it('reads what spew writes', () => {
    expect(readStatus(JSON.stringify(status))).toEqual(status);
    const member = { name: 'alpha', labels: { rack: 'a' }, version: '0.1.0', joined_at: 'x', unreachable_since: null };
    expect(readMember(JSON.stringify(member))).toEqual(member);
    expect(readAlive(JSON.stringify({ instance: 'ab', pid: 7, since: 'x' }))).toEqual({ instance: 'ab', pid: 7, since: 'x' });
  });

  it('skips what is not JSON, not an object, or not of the shape', () => {
    for (const text of ['', 'not json', '[]', 'null', '"web"', '{}']) {
      expect(readStatus(text)).toBeUndefined();
      expect(readMember(text)).toBeUndefined();
      expect(readAlive(text)).toBeUndefined();
    }
    expect(readStatus(JSON.stringify({ ...status, state: 'exploded' }))).toBeUndefined();
    expect(readStatus(JSON.stringify({ ...status, pid: -1 }))).toBeUndefined();
    expect(readStatus(JSON.stringify({ ...status, restarts: 1.5 }))).toBeUndefined();
    expect(readStatus(JSON.stringify({ ...status, restart_limit: { used: 'all' } }))).toBeUndefined();
    expect(readAlive(JSON.stringify({ instance: 'ab', pid: '7', since: 'x' }))).toBeUndefined();
    expect(readMember(JSON.stringify({ name: 'a', labels: { rack: 5 }, version: '1', joined_at: 'x', unreachable_since: null }))).toBeUndefined();
  });

  it('lets no control character reach a terminal, and no text grow without bound', () => {
    expect(readStatus(JSON.stringify({ ...status, name: 'web\u001b[2J' }))).toBeUndefined();
    expect(readStatus(JSON.stringify({ ...status, reason: 'line\nbreak' }))).toBeUndefined();
    expect(readStatus(JSON.stringify({ ...status, reason: 'x'.repeat(5000) }))).toBeUndefined();
    expect(readMember(JSON.stringify({ name: 'a', labels: { 'r\u009b': 'a' }, version: '1', joined_at: 'x', unreachable_since: null }))).toBeUndefined();
  });

  it('keeps only the fields it knows', () => {
    expect(readStatus(JSON.stringify({ ...status, command: 'secret --token x' }))).not.toHaveProperty('command');
  });

  it('reads a request and a reply only of the shapes spew writes', () => {
    const stop = { from: 'alpha', action: { action: 'stop', id: 'web', kill: true } };
    expect(readRequest(JSON.stringify(stop))).toEqual(stop);
    const create = { from: 'alpha', action: { action: 'create', spec: 'web', item: { command: 'sleep 1' }, start: true } };
    expect(readRequest(JSON.stringify(create))).toEqual(create);
    for (const bad of [
      { ...stop, from: 'a/b' }, { ...stop, from: '' }, { from: 'alpha', action: { action: 'stop', id: 'web' } },
      { from: 'alpha', action: { action: 'exec', id: 'web' } }, { from: 'alpha', action: { action: 'start', id: 'we\u001bb' } },
      { from: 'alpha', action: { action: 'create', spec: 'web', item: ['x'], start: true } }, { from: 'alpha' },
    ]) expect(readRequest(JSON.stringify(bad))).toBeUndefined();

    expect(readReply(JSON.stringify({ done: status }))).toEqual({ done: status });
    const failed = { failed: { code: 'INVALID_REQUEST', message: 'item.restart: one of\nalways, crash, never' } };
    expect(readReply(JSON.stringify(failed))).toEqual(failed);
    for (const bad of [{ done: { ...status, state: 'odd' } }, { failed: { code: 'X', message: 'clear\u001b[2J' } }, { failed: 'no' }, {}]) {
      expect(readReply(JSON.stringify(bad))).toBeUndefined();
    }
  });

  it('reads an event of a ring only with printable facts of bounded size', () => {
    const event = { time: '2026-01-01T00:00:00.000Z', ref: 'a1b2c3d4e5f6', name: 'web', event: { kind: 'crash', reason: { kind: 'exit', code: 1 } }, state: 'crashed' };
    expect(readEvent(JSON.stringify({ seq: 7, ...event }))).toEqual({ seq: 7, record: event });
    const missing = { ...event, event: { kind: 'dependency-timeout', missing: ['db', 'cache'] } };
    expect(readEvent(JSON.stringify({ seq: 0, ...missing }))?.record).toEqual(missing);
    for (const bad of [
      { ...event }, { seq: -1, ...event }, { seq: 1, ...event, state: 'odd' }, { seq: 1, ...event, event: { reason: 'no kind' } },
      { seq: 1, ...event, event: { kind: 'crash', detail: 'clear\u001b[2J' } }, { seq: 1, ...event, event: { kind: 'x', deep: { a: { b: 1 } } } },
      { seq: 1, ...event, name: 'x'.repeat(200) },
    ]) expect(readEvent(JSON.stringify(bad))).toBeUndefined();
  });
});
