import { describe, expect, it } from 'vitest';
import { readRestartPolicy } from '../../src/config/restart-policy-reader.js';
import { shorthandPolicy, type EventBindings } from '../../src/model/restart-policy.js';
import { positionOf } from './position-of.js';
import { readToml, readValue } from './read-with.js';

const read = (value: unknown) => readValue(readRestartPolicy, 'restart', value);
const problemsOf = (value: unknown): string[] => {
  const { result, problems } = read(value);
  expect(result).toBeUndefined();
  return problems;
};
const policyOf = (value: unknown) => {
  const { result, problems } = read(value);
  expect(problems).toEqual([]);
  return result;
};

const IGNORE_ALL: EventBindings = {
  stop: 'ignore',
  crash: 'ignore',
  watcher: { down: 'ignore', timeout: 'ignore' },
  dependency: { _: 'ignore' },
};
const bindings = (overrides: Partial<EventBindings>): EventBindings => ({ ...structuredClone(IGNORE_ALL), ...overrides });

const BAD_RESTART = 'expected one of true, false, "always", "crash", "never", or a table';
const BAD_ACTION = 'expected one of "restart", "stop", "destroy", "ignore"';

describe('readRestartPolicy: shorthands', () => {
  it('reads true and false as always and never', () => {
    expect(policyOf(true)).toEqual(shorthandPolicy('always'));
    expect(policyOf(false)).toEqual(shorthandPolicy('never'));
  });

  it.each(['always', 'crash', 'never'] as const)('reads %s', (shorthand) => {
    expect(policyOf(shorthand)).toEqual(shorthandPolicy(shorthand));
  });

  it('refuses any other string', () => {
    expect(problemsOf('sometimes')).toEqual([`web.restart: ${BAD_RESTART}`]);
    expect(problemsOf('Always')).toEqual([`web.restart: ${BAD_RESTART}`]);
  });

  it('refuses other kinds of values, naming them', () => {
    expect(problemsOf(3)).toEqual([`web.restart: ${BAD_RESTART}, got an integer`]);
    expect(problemsOf(null)).toEqual([`web.restart: ${BAD_RESTART}, got null`]);
    expect(problemsOf(new Date(0))).toEqual([`web.restart: ${BAD_RESTART}, got a date`]);
  });
});

describe('readRestartPolicy: table', () => {
  it('binds every event left out to ignore', () => {
    expect(policyOf({})).toEqual({ form: 'custom', bindings: IGNORE_ALL });
  });

  it('reads every key', () => {
    expect(
      policyOf({
        crash: 'restart',
        stop: 'destroy',
        watcher: 'restart',
        dependency: { db: 'restart', _: 'stop' },
        limit: { n: 5, within: '60s', wait: '1s' },
        backoff: { initial: '100ms', factor: 2, max: '30s', reset_after: '2m' },
        retry_after: '10m',
      }),
    ).toEqual({
      form: 'custom',
      bindings: {
        stop: 'destroy',
        crash: 'restart',
        watcher: { down: 'restart', timeout: 'restart' },
        dependency: { db: 'restart', _: 'stop' },
      },
      limit: { n: 5, within_ms: 60_000, wait: { min_ms: 1_000, max_ms: 1_000 } },
      backoff: { initial_ms: 100, factor: 2, max_ms: 30_000, reset_after_ms: 120_000 },
      retry_after_ms: 600_000,
    });
  });

  it('binds watcher events one by one, the others staying ignore', () => {
    expect(policyOf({ watcher: { down: 'restart' } })?.bindings).toEqual(
      bindings({ watcher: { down: 'restart', timeout: 'ignore' } }),
    );
    expect(policyOf({ watcher: { timeout: 'stop', down: 'destroy' } })?.bindings.watcher).toEqual({ down: 'destroy', timeout: 'stop' });
  });

  it('binds every dependency with a single action, and keeps _ = ignore when only names are bound', () => {
    expect(policyOf({ dependency: 'stop' })?.bindings.dependency).toEqual({ _: 'stop' });
    expect(policyOf({ dependency: { db: 'restart', 'cache.eu': 'stop' } })?.bindings.dependency).toEqual({
      _: 'ignore',
      db: 'restart',
      'cache.eu': 'stop',
    });
  });

  it('reads a limit as a bare number, without within, and with a random wait', () => {
    expect(policyOf({ limit: 3 })?.limit).toEqual({ n: 3 });
    expect(policyOf({ limit: { n: 1 } })?.limit).toEqual({ n: 1 });
    expect(policyOf({ limit: { n: 2, wait: ['1s', '5s'] } })?.limit).toEqual({ n: 2, wait: { min_ms: 1_000, max_ms: 5_000 } });
    expect(policyOf({ limit: { n: 2, wait: [0, 0.5] } })?.limit).toEqual({ n: 2, wait: { min_ms: 0, max_ms: 500 } });
    expect(policyOf({ limit: { n: 2, wait: 0 } })?.limit).toEqual({ n: 2, wait: { min_ms: 0, max_ms: 0 } });
  });

  it('fills backoff defaults: 100ms, x2, max 30s, reset after max(60s, max)', () => {
    expect(policyOf({ backoff: {} })?.backoff).toEqual({ initial_ms: 100, factor: 2, max_ms: 30_000, reset_after_ms: 60_000 });
    expect(policyOf({ backoff: { max: '5m' } })?.backoff).toEqual({ initial_ms: 100, factor: 2, max_ms: 300_000, reset_after_ms: 300_000 });
    expect(policyOf({ backoff: { initial: '1m', factor: 1.5 } })?.backoff).toEqual({
      initial_ms: 60_000,
      factor: 1.5,
      max_ms: 60_000,
      reset_after_ms: 60_000,
    });
    expect(policyOf({ backoff: { initial: '2s', max: '2s', factor: 1 } })?.backoff).toEqual({
      initial_ms: 2_000,
      factor: 1,
      max_ms: 2_000,
      reset_after_ms: 60_000,
    });
  });

  it('refuses unknown keys at every level, suggesting the close one', () => {
    expect(
      problemsOf({
        crahs: 'restart',
        frobnicate: 1,
        watcher: { donw: 'restart' },
        limit: { n: 1, whithin: '1s' },
        backoff: { inital: '1s' },
      }),
    ).toEqual([
      'web.restart.crahs: unknown key; did you mean crash?',
      'web.restart.frobnicate: unknown key',
      'web.restart.watcher.donw: unknown key; did you mean down?',
      'web.restart.limit.whithin: unknown key; did you mean within?',
      'web.restart.backoff.inital: unknown key; did you mean initial?',
    ]);
  });

  it('refuses actions that are not restart, stop, destroy or ignore', () => {
    expect(
      problemsOf({
        crash: 'reboot',
        stop: true,
        watcher: { timeout: 'Restart' },
        dependency: { db: 1, _: 'kill' },
      }),
    ).toEqual([
      `web.restart.stop: ${BAD_ACTION}, got a boolean`,
      `web.restart.crash: ${BAD_ACTION}, got "reboot"`,
      `web.restart.watcher.timeout: ${BAD_ACTION}, got "Restart"`,
      `web.restart.dependency.db: ${BAD_ACTION}, got an integer`,
      `web.restart.dependency._: ${BAD_ACTION}, got "kill"`,
    ]);
    expect(problemsOf({ watcher: 'reboot' })).toEqual([`web.restart.watcher: ${BAD_ACTION}, got "reboot"`]);
    expect(problemsOf({ dependency: 'reboot' })).toEqual([`web.restart.dependency: ${BAD_ACTION}, got "reboot"`]);
  });

  it('refuses watcher and dependency bindings of the wrong shape', () => {
    expect(problemsOf({ watcher: ['restart'], dependency: 2 })).toEqual([
      'web.restart.watcher: expected an action or a table like { down = "restart", timeout = "ignore" }, got an array',
      'web.restart.dependency: expected an action or a table like { db = "restart", _ = "stop" }, got an integer',
    ]);
  });

  it('refuses dependency names that are not appliance names', () => {
    expect(problemsOf({ dependency: { 'cache#zone:eu': 'stop', '-db': 'restart' } })).toEqual([
      'web.restart.dependency."cache#zone:eu": bind a dependency by its name alone: "cache"',
      `web.restart.dependency.-db: invalid appliance name "-db": use letters, digits, '_', '.' and '-', starting with a letter or digit`,
    ]);
  });

  it('refuses a limit of the wrong shape or values', () => {
    expect(problemsOf({ limit: '5' })).toEqual([
      'web.restart.limit: expected a table like { n = 5, within = "60s" } or a whole number, got a string',
    ]);
    expect(problemsOf({ limit: 0 })).toEqual(['web.restart.limit: expected a whole number >= 1, got 0']);
    expect(problemsOf({ limit: { n: 0 } })).toEqual(['web.restart.limit.n: expected a whole number >= 1, got 0']);
    expect(problemsOf({ limit: { n: 2.5 } })).toEqual(['web.restart.limit.n: expected a whole number >= 1, got 2.5']);
    expect(problemsOf({ limit: { n: '5' } })).toEqual(['web.restart.limit.n: expected a whole number >= 1, got a string']);
    expect(problemsOf({ limit: { within: '1m' } })).toEqual([
      'web.restart.limit.n: missing: give the number of restarts allowed, a whole number >= 1',
    ]);
    expect(problemsOf({ limit: { n: 1, within: 0 } })).toEqual(['web.restart.limit.within: must be longer than 0']);
    expect(problemsOf({ limit: { n: 1, within: 'a minute' } })).toEqual([
      'web.restart.limit.within: invalid duration "a minute": expected e.g. "500ms", "10s", "5m", "1h30m"',
    ]);
  });

  it('refuses a wait that is not a duration or an ordered range of two', () => {
    expect(problemsOf({ limit: { n: 1, wait: true } })).toEqual([
      'web.restart.limit.wait: expected a duration or a range [min, max] like ["1s", "5s"], got a boolean',
    ]);
    expect(problemsOf({ limit: { n: 1, wait: ['1s', '2s', '3s'] } })).toEqual([
      'web.restart.limit.wait: expected a range [min, max] like ["1s", "5s"], got an array of 3',
    ]);
    expect(problemsOf({ limit: { n: 1, wait: ['5s', '1s'] } })).toEqual([
      'web.restart.limit.wait[1]: must not be shorter than the minimum (5s)',
    ]);
    expect(problemsOf({ limit: { n: 1, wait: ['soon', {}] } })).toEqual([
      'web.restart.limit.wait[0]: invalid duration "soon": expected e.g. "500ms", "10s", "5m", "1h30m"',
      'web.restart.limit.wait[1]: expected a duration like "10s" or a number of seconds, got a table',
    ]);
    expect(problemsOf({ limit: { n: 1, wait: 'later' } })).toEqual([
      'web.restart.limit.wait: invalid duration "later": expected e.g. "500ms", "10s", "5m", "1h30m"',
    ]);
  });

  it('refuses a backoff of the wrong shape or values', () => {
    expect(problemsOf({ backoff: '1s' })).toEqual([
      'web.restart.backoff: expected a table like { initial = "100ms", factor = 2, max = "30s" }, got a string',
    ]);
    expect(problemsOf({ backoff: { initial: 0, factor: 0.5, reset_after: '0s' } })).toEqual([
      'web.restart.backoff.initial: must be longer than 0',
      'web.restart.backoff.factor: expected a number >= 1, got 0.5',
      'web.restart.backoff.reset_after: must be longer than 0',
    ]);
    expect(problemsOf({ backoff: { factor: '2' } })).toEqual(['web.restart.backoff.factor: expected a number >= 1, got a string']);
    expect(problemsOf({ backoff: { initial: '10s', max: '5s' } })).toEqual([
      'web.restart.backoff.max: must not be shorter than initial (10s)',
    ]);
    expect(problemsOf({ backoff: { max: '50ms' } })).toEqual(['web.restart.backoff.max: must not be shorter than initial (100ms)']);
  });

  it('refuses a retry_after that is not a positive duration', () => {
    expect(problemsOf({ retry_after: 0 })).toEqual(['web.restart.retry_after: must be longer than 0']);
    expect(problemsOf({ retry_after: [] })).toEqual([
      'web.restart.retry_after: expected a duration like "10s" or a number of seconds, got an array',
    ]);
  });
});

describe('readRestartPolicy: list of bindings', () => {
  it('reads every kind of binding, the last one for an event winning', () => {
    expect(
      policyOf([
        ['crash', 'stop'],
        ['crash', 'restart'],
        ['dependency', 'db', 'restart'],
        ['dependency', '_', 'stop'],
        ['watcher', 'restart'],
        ['watcher', 'down', 'destroy'],
        ['stop', 'restart'],
      ]),
    ).toEqual({
      form: 'custom',
      bindings: {
        stop: 'restart',
        crash: 'restart',
        watcher: { down: 'destroy', timeout: 'restart' },
        dependency: { _: 'stop', db: 'restart' },
      },
    });
  });

  it('binds every dependency with ["dependency", ACTION], and reads an empty list as ignore everything', () => {
    expect(policyOf([['dependency', 'restart']])?.bindings).toEqual(bindings({ dependency: { _: 'restart' } }));
    expect(policyOf([['watcher', 'timeout', 'stop'], ['watcher', 'ignore']])?.bindings).toEqual(IGNORE_ALL);
    expect(policyOf([])).toEqual({ form: 'custom', bindings: IGNORE_ALL });
  });

  it('refuses each bad element at its own path', () => {
    expect(
      problemsOf([
        'crash',
        [],
        ['crahs', 'restart'],
        ['crash'],
        ['stop', 'restart', 'now'],
        ['watcher'],
        ['watcher', 'up', 'restart'],
        ['watcher', 'down', 'restart', 'x'],
        ['dependency', 'db', 'restart', 'x'],
        ['dependency', 1, 'restart'],
        ['dependency', 'db#zone:eu', 'restart'],
        ['dependency', 'db', 'reboot'],
        ['crash', 'reboot'],
        ['watcher', 'down', 1],
      ]),
    ).toEqual([
      'web.restart[0]: expected a binding like ["crash", "restart"], got a string',
      'web.restart[1]: expected a binding like ["crash", "restart"], got an empty array',
      'web.restart[2][0]: expected one of "stop", "crash", "watcher", "dependency", got "crahs"',
      'web.restart[3]: expected ["crash", ACTION], got an array of 1',
      'web.restart[4]: expected ["stop", ACTION], got an array of 3',
      'web.restart[5]: expected ["watcher", ACTION] or ["watcher", "down" | "timeout", ACTION], got an array of 1',
      'web.restart[6][1]: expected one of "down", "timeout", got "up"',
      'web.restart[7]: expected ["watcher", ACTION] or ["watcher", "down" | "timeout", ACTION], got an array of 4',
      'web.restart[8]: expected ["dependency", ACTION] or ["dependency", NAME, ACTION], got an array of 4',
      'web.restart[9][1]: expected an appliance name or "_", got an integer',
      'web.restart[10][1]: bind a dependency by its name alone: "db"',
      `web.restart[11][2]: ${BAD_ACTION}, got "reboot"`,
      `web.restart[12][1]: ${BAD_ACTION}, got "reboot"`,
      `web.restart[13][2]: ${BAD_ACTION}, got an integer`,
    ]);
  });

  it('refuses an event that is not a string', () => {
    expect(problemsOf([[1, 'restart']])).toEqual(['web.restart[0][0]: expected one of "stop", "crash", "watcher", "dependency", got an integer']);
  });
});

describe('readRestartPolicy: positions in a file', () => {
  it('reads a [web.restart] table of a file', () => {
    const text = [
      '[web]',
      'command = "x"',
      '[web.restart]',
      'crash = "restart"',
      'watcher = { down = "restart", timeout = "ignore" }',
      'dependency = { db = "restart", _ = "stop" }',
      'limit = { n = 5, within = "60s", wait = ["1s", "5s"] }',
      'backoff = { initial = "100ms", factor = 2, max = "30s", reset_after = "60s" }',
      'retry_after = "10m"',
      '',
    ].join('\n');
    const { result, problems } = readToml(readRestartPolicy, 'restart', text);
    expect(problems).toEqual([]);
    expect(result).toEqual({
      form: 'custom',
      bindings: {
        stop: 'ignore',
        crash: 'restart',
        watcher: { down: 'restart', timeout: 'ignore' },
        dependency: { db: 'restart', _: 'stop' },
      },
      limit: { n: 5, within_ms: 60_000, wait: { min_ms: 1_000, max_ms: 5_000 } },
      backoff: { initial_ms: 100, factor: 2, max_ms: 30_000, reset_after_ms: 60_000 },
      retry_after_ms: 600_000,
    });
  });

  it('points each problem of a table at the key that has it', () => {
    const text = [
      '[web.restart]',
      'crash = "reboot"',
      'watcher = { down = "restart", tiemout = "ignore" }',
      'limit = { n = 0, wait = ["5s", "1s"] }',
      'backoff = { factor = 0 }',
      '',
    ].join('\n');
    const at = (needle: string, occurrence = 1) => {
      const { line, column } = positionOf(text, needle, occurrence);
      return `${line}:${column}`;
    };
    expect(readToml(readRestartPolicy, 'restart', text).problems).toEqual([
      `${at('crash')}: web.restart.crash: ${BAD_ACTION}, got "reboot"`,
      `${at('tiemout')}: web.restart.watcher.tiemout: unknown key; did you mean timeout?`,
      `${at('n = 0')}: web.restart.limit.n: expected a whole number >= 1, got 0`,
      `${at('"1s"')}: web.restart.limit.wait[1]: must not be shorter than the minimum (5s)`,
      `${at('factor')}: web.restart.backoff.factor: expected a number >= 1, got 0`,
    ]);
  });

  it('points a missing limit.n at the limit key', () => {
    const text = '[web.restart]\nlimit = { within = "1m" }\n';
    expect(readToml(readRestartPolicy, 'restart', text).problems).toEqual([
      '2:1: web.restart.limit.n: missing: give the number of restarts allowed, a whole number >= 1',
    ]);
  });

  it('points each problem of a list at the element that has it', () => {
    const text = [
      '[web]',
      'restart = [',
      '  ["crash", "stop"],',
      '  ["crash", "reboot"],',
      '  ["dependency", "db", "restart", 1],',
      '  ["watcher", "up", "restart"],',
      ']',
      '',
    ].join('\n');
    expect(readToml(readRestartPolicy, 'restart', text).problems).toEqual([
      `4:13: web.restart[1][1]: ${BAD_ACTION}, got "reboot"`,
      '5:3: web.restart[2]: expected ["dependency", ACTION] or ["dependency", NAME, ACTION], got an array of 4',
      '6:15: web.restart[3][1]: expected one of "down", "timeout", got "up"',
    ]);
  });

  it('points a bad shorthand at the restart key', () => {
    expect(readToml(readRestartPolicy, 'restart', '[web]\ncommand = "x"\nrestart = "sometimes"\n').problems).toEqual([
      `3:1: web.restart: ${BAD_RESTART}`,
    ]);
  });
});
