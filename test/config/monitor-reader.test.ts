import { describe, expect, it } from 'vitest';
import { readMonitors } from '../../src/config/monitor-reader.js';
import { positionOf } from './position-of.js';
import { readToml, readValue } from './read-with.js';

const read = (value: unknown) => readValue(readMonitors, 'monitors', value);
const problemsOf = (value: unknown): string[] => {
  const { result, problems } = read(value);
  expect(result).toBeUndefined();
  return problems;
};
const monitorsOf = (value: unknown) => {
  const { result, problems } = read(value);
  expect(problems).toEqual([]);
  return result;
};

describe('readMonitors', () => {
  it('reads a tcp monitor, tcp being the default type', () => {
    expect(monitorsOf([{ address: '127.0.0.1:6379' }, { type: 'tcp', address: '[::1]:6379' }])).toEqual([
      { type: 'tcp', address: '127.0.0.1:6379' },
      { type: 'tcp', address: '[::1]:6379' },
    ]);
  });

  it('reads a heartbeat, its interval 5s by default', () => {
    expect(
      monitorsOf([
        { address: 'a:1', heartbeat: { send: 'PING\n', interval: '30s' } },
        { address: 'a:1', heartbeat: { send: 'PING\n' } },
      ]),
    ).toEqual([
      { type: 'tcp', address: 'a:1', heartbeat: { send: 'PING\n', interval_ms: 30_000 } },
      { type: 'tcp', address: 'a:1', heartbeat: { send: 'PING\n', interval_ms: 5_000 } },
    ]);
  });

  it('reads no monitors from an empty array', () => {
    expect(monitorsOf([])).toEqual([]);
  });

  it('refuses something that is not an array of tables', () => {
    expect(problemsOf('a:1')).toEqual(['web.monitors: expected an array of monitor tables ([[NAME.monitors]]), got a string']);
    expect(problemsOf([{ address: 'a:1' }, ['a:1']])).toEqual(['web.monitors[1]: expected a monitor table, got an array']);
  });

  it('refuses other types, unknown keys and a missing or bad address', () => {
    expect(
      problemsOf([
        { type: 'http', address: 'a:1' },
        { adress: 'a:1' },
        { address: 'a' },
        { address: 'a:1', interval: '5s' },
      ]),
    ).toEqual([
      'web.monitors[0].type: expected "tcp", got "http"',
      'web.monitors[1].adress: unknown key; did you mean address?',
      'web.monitors[1].address: missing: give the "host:port" to connect to',
      'web.monitors[2].address: expected "host:port" like "127.0.0.1:5432", "db.local:5432" or "[::1]:5432", got "a"',
      'web.monitors[3].interval: unknown key',
    ]);
  });

  it('refuses a heartbeat without something to send every positive interval', () => {
    expect(
      problemsOf([
        { address: 'a:1', heartbeat: 'PING' },
        { address: 'a:1', heartbeat: {} },
        { address: 'a:1', heartbeat: { send: '', interval: 0 } },
        { address: 'a:1', heartbeat: { send: 1, interval: 'often', every: '1s' } },
      ]),
    ).toEqual([
      'web.monitors[0].heartbeat: expected a table like { send = "PING\\n", interval = "5s" }, got a string',
      'web.monitors[1].heartbeat.send: missing: give the text to write on the connection, e.g. "PING\\n"',
      'web.monitors[2].heartbeat.send: must not be empty',
      'web.monitors[2].heartbeat.interval: must be longer than 0',
      'web.monitors[3].heartbeat.every: unknown key',
      'web.monitors[3].heartbeat.send: expected a string, got an integer',
      'web.monitors[3].heartbeat.interval: invalid duration "often": expected e.g. "500ms", "10s", "5m", "1h30m"',
    ]);
  });
});

describe('readMonitors: positions in a file', () => {
  it('reads [[web.monitors]] tables', () => {
    const text = '[[web.monitors]]\naddress = "127.0.0.1:6379"\nheartbeat = { send = "PING\\r\\n", interval = "2s" }\n';
    const { result, problems } = readToml(readMonitors, 'monitors', text);
    expect(problems).toEqual([]);
    expect(result).toEqual([{ type: 'tcp', address: '127.0.0.1:6379', heartbeat: { send: 'PING\r\n', interval_ms: 2_000 } }]);
  });

  it('points each problem at its key, a missing one at the nearest enclosing key', () => {
    const text = '[[web.monitors]]\ntype = "udp"\n[[web.monitors]]\naddress = "a:1"\nheartbeat = { interval = "0s" }\n';
    const at = (needle: string, occurrence = 1) => {
      const { line, column } = positionOf(text, needle, occurrence);
      return `${line}:${column}`;
    };
    expect(readToml(readMonitors, 'monitors', text).problems).toEqual([
      `${at('type')}: web.monitors[0].type: expected "tcp", got "udp"`,
      `${at('web.monitors')}: web.monitors[0].address: missing: give the "host:port" to connect to`,
      `${at('heartbeat')}: web.monitors[1].heartbeat.send: missing: give the text to write on the connection, e.g. "PING\\n"`,
      `${at('interval')}: web.monitors[1].heartbeat.interval: must be longer than 0`,
    ]);
  });
});
