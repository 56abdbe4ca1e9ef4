import { describe, expect, it } from 'vitest';
import { readWatchers } from '../../src/config/watcher-reader.js';
import { positionOf } from './position-of.js';
import { readToml, readValue } from './read-with.js';

const read = (value: unknown) => readValue(readWatchers, 'watchers', value);
const problemsOf = (value: unknown): string[] => {
  const { result, problems } = read(value);
  expect(result).toBeUndefined();
  return problems;
};
const watchersOf = (value: unknown) => {
  const { result, problems } = read(value);
  expect(problems).toEqual([]);
  return result;
};

const DEFAULT_TIMING = { interval_ms: 10_000, timeout_ms: 1_000, retries: 3, start_period_ms: 0 };
const ADDRESS = 'expected "host:port" like "127.0.0.1:5432", "db.local:5432" or "[::1]:5432"';

describe('readWatchers', () => {
  it('fills in the defaults of each type', () => {
    expect(
      watchersOf([
        { type: 'http', url: 'http://127.0.0.1:8080/health' },
        { type: 'tcp', address: '127.0.0.1:5432' },
        { type: 'exec', command: 'pg_isready' },
      ]),
    ).toEqual([
      { type: 'http', url: 'http://127.0.0.1:8080/health', method: 'GET', status: [200, 399], ...DEFAULT_TIMING },
      { type: 'tcp', address: '127.0.0.1:5432', ...DEFAULT_TIMING },
      { type: 'exec', command: 'pg_isready', ...DEFAULT_TIMING },
    ]);
  });

  it('reads every key', () => {
    expect(
      watchersOf([
        {
          type: 'http',
          url: 'https://example.com/ready',
          method: 'post',
          status: [200, 204],
          body: 'ok',
          interval: '30s',
          timeout: 5,
          retries: 1,
          start_period: '1m',
        },
        { type: 'http', url: 'http://[::1]:80/', method: 'HEAD', status: 204 },
        { type: 'exec', command: ['/bin/check', '--quick'], timeout: '20s', interval: '10s' },
      ]),
    ).toEqual([
      {
        type: 'http',
        url: 'https://example.com/ready',
        method: 'POST',
        status: [200, 204],
        body: 'ok',
        interval_ms: 30_000,
        timeout_ms: 5_000,
        retries: 1,
        start_period_ms: 60_000,
      },
      { type: 'http', url: 'http://[::1]:80/', method: 'HEAD', status: [204, 204], ...DEFAULT_TIMING },
      { type: 'exec', command: ['/bin/check', '--quick'], ...DEFAULT_TIMING, timeout_ms: 20_000 },
    ]);
  });

  it.each(['localhost:80', 'db.internal:5432', '10.0.0.1:1', '[::1]:65535', '[fe80::1%eth0]:22', 'a:08080'])('accepts the address %s', (address) => {
    expect(watchersOf([{ type: 'tcp', address }])).toEqual([{ type: 'tcp', address, ...DEFAULT_TIMING }]);
  });

  it('reads no watchers from an empty array', () => {
    expect(watchersOf([])).toEqual([]);
  });

  it('refuses something that is not an array of tables', () => {
    expect(problemsOf({ type: 'tcp' })).toEqual(['web.watchers: expected an array of watcher tables ([[NAME.watchers]]), got a table']);
    expect(problemsOf(['tcp', { type: 'tcp', address: 'a:1' }])).toEqual(['web.watchers[0]: expected a watcher table, got a string']);
  });

  it('requires a known type', () => {
    expect(problemsOf([{ address: 'a:1' }, { type: 'udp', address: 'a:1' }, { type: 1 }])).toEqual([
      'web.watchers[0].type: missing: give "http", "tcp" or "exec"',
      'web.watchers[1].type: expected one of "http", "tcp", "exec", got "udp"',
      'web.watchers[2].type: expected one of "http", "tcp", "exec", got an integer',
    ]);
  });

  it('refuses keys of another type and unknown keys, suggesting the close one', () => {
    expect(
      problemsOf([
        { type: 'tcp', address: 'a:1', url: 'http://a/', command: 'x' },
        { type: 'http', url: 'http://a/', adress: 'a:1', address: 'a:1' },
        { type: 'exec', command: 'x', intervall: '1s', frobnicate: 1 },
        { type: 'udp', urll: 'x', url: 'http://a/' },
      ]),
    ).toEqual([
      'web.watchers[0].url: not a key of a tcp watcher',
      'web.watchers[0].command: not a key of a tcp watcher',
      'web.watchers[1].adress: unknown key',
      'web.watchers[1].address: not a key of an http watcher',
      'web.watchers[2].intervall: unknown key; did you mean interval?',
      'web.watchers[2].frobnicate: unknown key',
      'web.watchers[3].type: expected one of "http", "tcp", "exec", got "udp"',
      'web.watchers[3].urll: unknown key; did you mean url?',
    ]);
  });

  it('refuses bad timing', () => {
    expect(
      problemsOf([
        { type: 'exec', command: 'x', interval: 0, timeout: '0ms', retries: 0, start_period: 'soon' },
        { type: 'exec', command: 'x', interval: true, retries: 1.5, start_period: -1 },
        { type: 'exec', command: 'x', retries: '3' },
      ]),
    ).toEqual([
      'web.watchers[0].interval: must be longer than 0',
      'web.watchers[0].timeout: must be longer than 0',
      'web.watchers[0].retries: expected a whole number >= 1, got 0',
      'web.watchers[0].start_period: invalid duration "soon": expected e.g. "500ms", "10s", "5m", "1h30m"',
      'web.watchers[1].interval: expected a duration like "10s" or a number of seconds, got a boolean',
      'web.watchers[1].retries: expected a whole number >= 1, got 1.5',
      'web.watchers[1].start_period: invalid duration -1: expected a non-negative number of seconds',
      'web.watchers[2].retries: expected a whole number >= 1, got a string',
    ]);
  });

  it('accepts a timeout longer than the interval, and a start_period of 0', () => {
    expect(watchersOf([{ type: 'tcp', address: 'a:1', interval: '1s', timeout: '5s', start_period: 0 }])).toEqual([
      { type: 'tcp', address: 'a:1', interval_ms: 1_000, timeout_ms: 5_000, retries: 3, start_period_ms: 0 },
    ]);
  });

  it('refuses http watchers without a usable url, method, status or body', () => {
    expect(
      problemsOf([
        { type: 'http' },
        { type: 'http', url: 'ftp://a/' },
        { type: 'http', url: 'not a url' },
        { type: 'http', url: 8080 },
        { type: 'http', url: 'http://a/', method: 'FETCH' },
        { type: 'http', url: 'http://a/', method: 1 },
        { type: 'http', url: 'http://a/', body: '' },
        { type: 'http', url: 'http://a/', body: 200 },
      ]),
    ).toEqual([
      'web.watchers[0].url: missing: give the URL to request, e.g. "http://127.0.0.1:8080/health"',
      'web.watchers[1].url: expected an http:// or https:// URL, got "ftp://a/"',
      'web.watchers[2].url: expected an http:// or https:// URL, got "not a url"',
      'web.watchers[3].url: expected an http:// or https:// URL, got an integer',
      'web.watchers[4].method: expected one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", got "FETCH"',
      'web.watchers[5].method: expected one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", got an integer',
      'web.watchers[6].body: must not be empty',
      'web.watchers[7].body: expected a string, got an integer',
    ]);
  });

  it('refuses a status that is not a code from 100 to 599 or an ordered range of two', () => {
    const http = (status: unknown) => ({ type: 'http', url: 'http://a/', status });
    expect(
      problemsOf([http(600), http(99), http(200.5), http('200'), http([200]), http([200, 300, 400]), http([400, 200]), http([200, '299'])]),
    ).toEqual([
      'web.watchers[0].status: expected a status code from 100 to 599, got 600',
      'web.watchers[1].status: expected a status code from 100 to 599, got 99',
      'web.watchers[2].status: expected a status code from 100 to 599, got 200.5',
      'web.watchers[3].status: expected a status code or a range [min, max] like [200, 399], got a string',
      'web.watchers[4].status: expected a status code or a range [min, max] like [200, 399], got an array of 1',
      'web.watchers[5].status: expected a status code or a range [min, max] like [200, 399], got an array of 3',
      'web.watchers[6].status[1]: must not be lower than the minimum (400)',
      'web.watchers[7].status[1]: expected a status code from 100 to 599, got a string',
    ]);
  });

  it('refuses tcp watchers without a host:port address', () => {
    const tcp = (address: unknown) => ({ type: 'tcp', address });
    expect(
      problemsOf([
        { type: 'tcp' },
        tcp(5432),
        tcp('localhost'),
        tcp(':5432'),
        tcp('localhost:'),
        tcp('localhost:http'),
        tcp('localhost:0'),
        tcp('localhost:65536'),
        tcp('localhost:000080'),
        tcp('::1:80'),
        tcp('[db]:80'),
        tcp('a b:80'),
      ]),
    ).toEqual([
      'web.watchers[0].address: missing: give the "host:port" to connect to',
      `web.watchers[1].address: ${ADDRESS}, got an integer`,
      `web.watchers[2].address: ${ADDRESS}, got "localhost"`,
      `web.watchers[3].address: ${ADDRESS}, got ":5432"`,
      `web.watchers[4].address: ${ADDRESS}, got "localhost:"`,
      `web.watchers[5].address: ${ADDRESS}, got "localhost:http"`,
      'web.watchers[6].address: port must be from 1 to 65535, got 0',
      'web.watchers[7].address: port must be from 1 to 65535, got 65536',
      'web.watchers[8].address: port must be from 1 to 65535, got 000080',
      `web.watchers[9].address: ${ADDRESS}, got "::1:80"; write an IPv6 host in brackets`,
      'web.watchers[10].address: "db" in brackets is not an IPv6 address',
      `web.watchers[11].address: ${ADDRESS}, got "a b:80"`,
    ]);
  });

  it('refuses exec watchers without a command to run', () => {
    expect(
      problemsOf([
        { type: 'exec' },
        { type: 'exec', command: '  ' },
        { type: 'exec', command: [] },
        { type: 'exec', command: ['', 1] },
        { type: 'exec', command: { run: 'x' } },
      ]),
    ).toEqual([
      'web.watchers[0].command: missing: give a string to run with /bin/sh -c, or an array of strings (argv)',
      'web.watchers[1].command: must not be empty',
      'web.watchers[2].command: must not be an empty array: give at least the program to run',
      'web.watchers[3].command[0]: the program to run must not be empty',
      'web.watchers[3].command[1]: expected a string, got an integer',
      'web.watchers[4].command: expected a string or an array of strings, got a table',
    ]);
  });
});

describe('readWatchers: positions in a file', () => {
  it('reads [[web.watchers]] tables', () => {
    const text = [
      '[web]',
      'command = "x"',
      '[[web.watchers]]',
      'type = "http"',
      'url = "http://127.0.0.1:8080/health"',
      'status = [200, 299]',
      '[[web.watchers]]',
      'type = "exec"',
      'command = ["pg_isready", "-q"]',
      'retries = 5',
      '',
    ].join('\n');
    const { result, problems } = readToml(readWatchers, 'watchers', text);
    expect(problems).toEqual([]);
    expect(result).toEqual([
      { type: 'http', url: 'http://127.0.0.1:8080/health', method: 'GET', status: [200, 299], ...DEFAULT_TIMING },
      { type: 'exec', command: ['pg_isready', '-q'], ...DEFAULT_TIMING, retries: 5 },
    ]);
  });

  it('points each problem at its key, a missing one at the [[web.watchers]] header', () => {
    const text = [
      '[[web.watchers]]',
      'type = "tcp"',
      'url = "http://a/"',
      '[[web.watchers]]',
      'type = "http"',
      'status = [200, 700]',
      'interval = "0s"',
      '',
    ].join('\n');
    const at = (needle: string, occurrence = 1) => {
      const { line, column } = positionOf(text, needle, occurrence);
      return `${line}:${column}`;
    };
    expect(readToml(readWatchers, 'watchers', text).problems).toEqual([
      `${at('url')}: web.watchers[0].url: not a key of a tcp watcher`,
      `${at('web.watchers')}: web.watchers[0].address: missing: give the "host:port" to connect to`,
      `${at('interval')}: web.watchers[1].interval: must be longer than 0`,
      `${at('web.watchers', 2)}: web.watchers[1].url: missing: give the URL to request, e.g. "http://127.0.0.1:8080/health"`,
      `${at('700')}: web.watchers[1].status[1]: expected a status code from 100 to 599, got 700`,
    ]);
  });

  it('points at watchers written as an inline array', () => {
    const text = '[web]\nwatchers = [{ type = "tcp", address = "a:1" }, { type = "tcp", address = "a:0" }]\n';
    expect(readToml(readWatchers, 'watchers', text).problems).toEqual([
      `2:${positionOf(text, 'address = "a:0"').column}: web.watchers[1].address: port must be from 1 to 65535, got 0`,
    ]);
  });
});
