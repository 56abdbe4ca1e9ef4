import { shorthandPolicy } from '../../src/model/restart-policy.js';
import { describe, expect, it } from 'vitest';
import { validateItem, type ItemContext } from '../../src/config/item-validator.js';

/** An API body: no positions, no prefix. */
const api: ItemContext = { keyPrefix: '', locate: () => undefined };
const instanceDefaults = { stop_timeout_ms: 7_000, depends_timeout_ms: 60_000 };

function validate(raw: unknown, ctx: ItemContext = api) {
  return validateItem(raw, ctx, instanceDefaults);
}

/** The problems of an item, as `keyPath: message`. */
function problemsOf(raw: unknown, ctx: ItemContext = api): string[] {
  return validate(raw, ctx).problems.map((p) => `${p.keyPath}: ${p.message}`);
}

describe('validateItem', () => {
  it('fills in every default around a bare command', () => {
    expect(validate({ command: 'sleep 1' })).toEqual({
      opts: {
        type: 'shell',
        command: 'sleep 1',
        env: {},
        runneropts: {},
        restart: shorthandPolicy('never'),
        watchers: [],
        monitors: [],
        depends: [],
        depends_timeout_ms: 60_000,
        hooks: {},
        stop_signal: 'SIGTERM',
        stop_timeout_ms: 7_000,
        stdin: false,
      },
      problems: [],
    });
  });

  it('keeps every key it is given', () => {
    const { opts, problems } = validate({
      type: 'shell',
      command: ['/usr/bin/env', 'node', 'server.js'],
      env: { PORT: '8080' },
      cwd: '/srv/web',
      user: 'www-data',
      group: 'www-data',
      runneropts: { anything: [1, { nested: true }] },
      restart: 'crash',
      depends: ['db', 'cache#zone:eu'],
      hooks: { start: [{ run: 'echo up', timeout: '5s' }], crash: [{ post: 'https://example.com/hook' }] },
      stop_signal: 'INT',
      stop_timeout: '1m',
      stdin: true,
    });
    expect(problems).toEqual([]);
    expect(opts).toEqual({
      type: 'shell',
      command: ['/usr/bin/env', 'node', 'server.js'],
      env: { PORT: '8080' },
      cwd: '/srv/web',
      user: 'www-data',
      group: 'www-data',
      runneropts: { anything: [1, { nested: true }] },
      restart: shorthandPolicy('crash'),
      watchers: [],
      monitors: [],
      depends_timeout_ms: 60_000,
      depends: [
        { name: 'db', options: {} },
        { name: 'cache', options: { zone: 'eu' } },
      ],
      hooks: { start: [{ run: 'echo up', timeout_ms: 5_000 }], crash: [{ post: 'https://example.com/hook' }] },
      stop_signal: 'SIGINT',
      stop_timeout_ms: 60_000,
      stdin: true,
    });
  });

  it('returns no options when there is any problem', () => {
    expect(validate({ command: 'x', stdin: 'yes' }).opts).toBeUndefined();
  });

  it('refuses something that is not a table', () => {
    expect(problemsOf('sleep 1')).toEqual([': expected a table, got a string']);
    expect(problemsOf(null)).toEqual([': expected a table, got null']);
  });

  it('gives position 0:0 when the source has no positions', () => {
    expect(validate({ command: 'x', cwd: 1 }).problems).toEqual([
      { line: 0, column: 0, keyPath: 'cwd', message: 'expected a string, got an integer' },
    ]);
  });

  it('asks the context where each problem is and prefixes the key path', () => {
    const asked: (string | number)[][] = [];
    const ctx: ItemContext = {
      keyPrefix: 'web',
      locate: (path) => {
        asked.push(path);
        return { line: 4, column: path.length };
      },
    };
    expect(validate({ command: 'x', depends: ['ok', 3] }, ctx).problems).toEqual([
      { line: 4, column: 2, keyPath: 'web.depends[1]', message: 'expected an appliance spec like "db", got an integer' },
    ]);
    expect(asked).toEqual([['depends', 1]]);
  });

  it('collects every problem of an item rather than stopping at the first', () => {
    expect(problemsOf({ comand: 'x', restart: 'sometimes', stdin: 1 })).toEqual([
      'comand: unknown key; did you mean command?',
      'command: missing: give a string to run with /bin/sh -c, or an array of strings (argv)',
      'restart: expected one of true, false, "always", "crash", "never", or a table',
      'stdin: expected true or false, got an integer',
    ]);
  });

  describe('unknown keys', () => {
    it('names the key that was probably meant', () => {
      expect(problemsOf({ command: 'x', stop_timout: '1s' })).toEqual(['stop_timout: unknown key; did you mean stop_timeout?']);
      expect(problemsOf({ command: 'x', Env: {} })).toEqual(['Env: unknown key; did you mean env?']);
      expect(problemsOf({ command: 'x', cmomand: 'y' })).toEqual(['cmomand: unknown key; did you mean command?']);
    });

    it('does not guess when nothing is close', () => {
      expect(problemsOf({ command: 'x', volumes: 'redis' })).toEqual(['volumes: unknown key']);
    });
  });

  describe('type', () => {
    it('accepts "shell"', () => {
      expect(validate({ type: 'shell', command: 'x' }).opts?.type).toBe('shell');
    });

    it.each(['podman', 1, ''])('refuses %j', (type) => {
      expect(problemsOf({ type, command: 'x' })).toEqual(['type: expected one of "shell", "docker"']);
    });
  });

  describe('docker', () => {
    it('accepts an image with a tag, no command needed, and upgrade settings', () => {
      const opts = validate({ type: 'docker', image: '127.0.0.1:5000/web', tag: '1.0.0', upgrade: { policy: 'auto', interval: '10m', strategy: 'stop-first' } }).opts;
      expect(opts).toMatchObject({ type: 'docker', image: '127.0.0.1:5000/web', tag: '1.0.0', command: '' });
      expect(opts?.upgrade).toEqual({ policy: 'auto', interval_ms: 600_000, deadline_ms: 60_000, strategy: 'stop-first' });
    });

    it('needs an image, without a tag in it', () => {
      expect(problemsOf({ type: 'docker' })).toEqual(['image: missing: a docker appliance needs image = "registry/name"']);
      expect(problemsOf({ type: 'docker', image: 'web:1.0' })).toEqual([
        'image: give the image without its tag, and the tag as tag = "1.0" or in the spec as #vsn:~>X.Y',
      ]);
      expect(problemsOf({ type: 'docker', image: 'Web Server' })[0]).toMatch(/^image: invalid image reference/);
    });

    it('checks the spec\'s vsn constraint and refuses it beside a tag', () => {
      const ctx: ItemContext = { ...api, specOptions: { vsn: '~>2.0' } };
      expect(problemsOf({ type: 'docker', image: 'web' }, ctx)).toEqual([]);
      expect(problemsOf({ type: 'docker', image: 'web', tag: '2.0.0' }, ctx)).toEqual(["tag: give either tag or the spec's vsn constraint, not both"]);
      expect(problemsOf({ type: 'docker', image: 'web' }, { ...api, specOptions: { vsn: '~>two' } })[0]).toMatch(/vsn: invalid version constraint "~>two"/);
    });

    it('keeps image, tag and upgrade to docker appliances, and reads upgrade strictly', () => {
      expect(problemsOf({ command: 'x', image: 'web' })).toEqual(['image: only for type = "docker" appliances']);
      expect(problemsOf({ type: 'docker', image: 'web', upgrade: { policy: 'sometimes', every: '1h', interval: 'soon' } })).toEqual([
        'upgrade.every: unknown key',
        'upgrade.policy: expected one of "manual", "auto", got "sometimes"',
        'upgrade.interval: invalid duration "soon": expected e.g. "500ms", "10s", "5m", "1h30m"',
      ]);
    });
  });

  describe('command', () => {
    it('is required', () => {
      expect(problemsOf({})).toEqual(['command: missing: give a string to run with /bin/sh -c, or an array of strings (argv)']);
    });

    it('refuses an empty or blank string', () => {
      expect(problemsOf({ command: '' })).toEqual(['command: must not be empty']);
      expect(problemsOf({ command: '  ' })).toEqual(['command: must not be empty']);
    });

    it('refuses an empty array', () => {
      expect(problemsOf({ command: [] })).toEqual(['command: must not be an empty array: give at least the program to run']);
    });

    it('refuses array elements that are not strings, naming each', () => {
      expect(problemsOf({ command: ['ls', 1, true] })).toEqual([
        'command[1]: expected a string, got an integer',
        'command[2]: expected a string, got a boolean',
      ]);
    });

    it('refuses an empty program name but allows empty arguments', () => {
      expect(problemsOf({ command: ['', 'x'] })).toEqual(['command[0]: the program to run must not be empty']);
      expect(problemsOf({ command: ['printf', ''] })).toEqual([]);
    });

    it('refuses other types', () => {
      expect(problemsOf({ command: { run: 'x' } })).toEqual(['command: expected a string or an array of strings, got a table']);
    });
  });

  describe('env', () => {
    it('refuses numbers and booleans with a hint to quote them', () => {
      expect(problemsOf({ command: 'x', env: { PORT: 8080, DEBUG: true, RATIO: 1.5 } })).toEqual([
        'env.PORT: expected a string, got an integer; quote it: "8080"',
        'env.DEBUG: expected a string, got a boolean; quote it: "true"',
        'env.RATIO: expected a string, got a number; quote it: "1.5"',
      ]);
    });

    it('refuses arrays and tables as values', () => {
      expect(problemsOf({ command: 'x', env: { A: ['x'], B: {} } })).toEqual([
        'env.A: expected a string, got an array',
        'env.B: expected a string, got a table',
      ]);
    });

    it('refuses names a process environment cannot hold', () => {
      expect(problemsOf({ command: 'x', env: { 'A=B': 'x', '': 'y' } })).toEqual([
        'env."A=B": invalid environment variable name',
        'env."": invalid environment variable name',
      ]);
    });

    it('must be a table', () => {
      expect(problemsOf({ command: 'x', env: ['A=1'] })).toEqual(['env: expected a table of strings, got an array']);
    });
  });

  describe.each(['cwd', 'user', 'group'])('%s', (key) => {
    it('accepts a string', () => {
      expect(validate({ command: 'x', [key]: 'value' }).opts).toHaveProperty(key, 'value');
    });

    it('is left out when not given', () => {
      expect(validate({ command: 'x' }).opts).not.toHaveProperty(key);
    });

    it('refuses a number or an empty string', () => {
      expect(problemsOf({ command: 'x', [key]: 1000 })).toEqual([`${key}: expected a string, got an integer`]);
      expect(problemsOf({ command: 'x', [key]: '' })).toEqual([`${key}: must not be empty`]);
    });
  });

  describe('runneropts', () => {
    it('must be a table', () => {
      expect(problemsOf({ command: 'x', runneropts: 'fast' })).toEqual(['runneropts: expected a table, got a string']);
    });
  });

  describe('restart', () => {
    it('reads the policy with the restart reader (shorthands, tables, lists)', () => {
      expect(validate({ command: 'x', restart: true }).opts?.restart).toEqual(shorthandPolicy('always'));
      expect(validate({ command: 'x', restart: { crash: 'restart', limit: { n: 2 } } }).opts?.restart).toMatchObject({
        form: 'custom',
        bindings: { crash: 'restart', stop: 'ignore' },
        limit: { n: 2 },
      });
    });

    it('reads a dependency on another host, and refuses a bad host or the same one twice', () => {
      expect(validate({ command: 'x', depends: ['db@beta', 'cache#zone:eu@gamma.dc1', 'db'] }).opts?.depends).toEqual([
        { name: 'db', options: {}, host: 'beta' },
        { name: 'cache', options: { zone: 'eu' }, host: 'gamma.dc1' },
        { name: 'db', options: {} },
      ]);
      // The same name on another host is not the appliance itself.
      expect(problemsOf({ command: 'x', depends: ['item@beta'] })).toEqual([]);
      expect(problemsOf({ command: 'x', depends: ['db@', 'db@bad host', 'db@beta', 'db@beta'] })).toEqual([
        'depends[0]: invalid host "" after \'@\': use letters, digits, \'.\' and \'-\', at most 63',
        'depends[1]: invalid host "bad host" after \'@\': use letters, digits, \'.\' and \'-\', at most 63',
        'depends[3]: db@beta is already a dependency (depends[2])',
      ]);
      // A binding names a dependency of this host: one elsewhere tells its dependents nothing.
      expect(problemsOf({ command: 'x', depends: ['db@beta'], restart: { dependency: { db: 'restart' } } })).toEqual([
        'restart.dependency.db: db is not in depends',
      ]);
    });

    it('refuses a binding for a dependency the appliance does not have', () => {
      expect(problemsOf({ command: 'x', depends: ['db'], restart: { dependency: { db: 'restart', cache: 'stop' } } })).toEqual([
        'restart.dependency.cache: cache is not in depends',
      ]);
    });
  });

  describe('watchers and monitors', () => {
    it('reads them with their readers, defaults filled', () => {
      const opts = validate({ command: 'x', watchers: [{ type: 'tcp', address: '127.0.0.1:80' }], monitors: [{ address: '127.0.0.1:81' }] }).opts;
      expect(opts?.watchers).toEqual([{ type: 'tcp', address: '127.0.0.1:80', interval_ms: 10_000, timeout_ms: 1_000, retries: 3, start_period_ms: 0 }]);
      expect(opts?.monitors).toEqual([{ type: 'tcp', address: '127.0.0.1:81' }]);
    });

    it('takes depends_timeout as a duration, defaulting to the instance setting', () => {
      expect(validate({ command: 'x', depends_timeout: '5s' }).opts?.depends_timeout_ms).toBe(5_000);
      expect(validate({ command: 'x' }).opts?.depends_timeout_ms).toBe(60_000);
    });
  });

  describe('depends', () => {
    it('refuses something other than an array', () => {
      expect(problemsOf({ command: 'x', depends: 'db' })).toEqual([
        'depends: expected an array of appliance specs like ["db", "cache#zone:eu"], got a string',
      ]);
    });

    it('refuses a malformed spec with the parser message', () => {
      expect(problemsOf({ command: 'x', depends: ['db#zone'] })).toEqual([
        'depends[0]: invalid appliance spec "db#zone": option "zone" is not key:value',
      ]);
    });

    it('refuses a dependency on the appliance itself when its name is known', () => {
      const ctx: ItemContext = { ...api, name: 'web' };
      expect(problemsOf({ command: 'x', depends: ['db', 'web#vsn:1'] }, ctx)).toEqual([
        'depends[1]: an appliance cannot depend on itself',
      ]);
    });

    it('refuses the same dependency twice', () => {
      expect(problemsOf({ command: 'x', depends: ['db', 'cache', 'db#vsn:2'] })).toEqual([
        'depends[2]: db is already a dependency (depends[0])',
      ]);
    });
  });

  describe('hooks', () => {
    it('accepts every hook event', () => {
      const hooks = Object.fromEntries(
        ['create', 'start', 'stop', 'crash', 'restart', 'watcher', 'dependency', 'failed', 'remove'].map((e) => [e, [{ run: e }]]),
      );
      expect(validate({ command: 'x', hooks }).opts?.hooks).toEqual(
        Object.fromEntries(Object.keys(hooks).map((e) => [e, [{ run: e }]])),
      );
    });

    it('refuses an unknown event, suggesting the close one', () => {
      expect(problemsOf({ command: 'x', hooks: { strat: [], boot: [] } })).toEqual([
        'hooks.strat: unknown key; did you mean start?',
        'hooks.boot: unknown key',
      ]);
    });

    it('must be a table of arrays of tables', () => {
      expect(problemsOf({ command: 'x', hooks: [] })).toEqual([
        'hooks: expected a table of events (create, start, stop, crash, restart, watcher, dependency, failed, remove, upgrade), got an array',
      ]);
      expect(problemsOf({ command: 'x', hooks: { start: { run: 'x' } } })).toEqual([
        'hooks.start: expected an array of actions like [{ run = "..." }, { post = "http://..." }], got a table',
      ]);
      expect(problemsOf({ command: 'x', hooks: { start: ['echo'] } })).toEqual([
        'hooks.start[0]: expected a table with run or post, got a string',
      ]);
    });

    it('wants exactly one of run and post', () => {
      expect(problemsOf({ command: 'x', hooks: { stop: [{ run: 'a', post: 'http://x' }, { timeout: '1s' }] } })).toEqual([
        'hooks.stop[0]: give either run or post, not both',
        'hooks.stop[1]: missing run (a command) or post (a URL)',
      ]);
    });

    it('refuses unknown keys in an action', () => {
      expect(problemsOf({ command: 'x', hooks: { stop: [{ run: 'a', timeuot: '1s' }] } })).toEqual([
        'hooks.stop[0].timeuot: unknown key; did you mean timeout?',
      ]);
    });

    it('refuses an empty run and a post that is not an http(s) URL', () => {
      expect(
        problemsOf({
          command: 'x',
          hooks: { crash: [{ run: '' }, { post: 'ftp://host/x' }, { post: 'not a url' }, { post: 5 }, { post: 'http://ok/' }] },
        }),
      ).toEqual([
        'hooks.crash[0].run: must not be empty',
        'hooks.crash[1].post: expected an http:// or https:// URL, got "ftp://host/x"',
        'hooks.crash[2].post: expected an http:// or https:// URL, got "not a url"',
        'hooks.crash[3].post: expected an http:// or https:// URL, got 5',
      ]);
    });

    it('refuses a bad timeout', () => {
      expect(problemsOf({ command: 'x', hooks: { start: [{ run: 'a', timeout: 'soon' }] } })).toEqual([
        'hooks.start[0].timeout: invalid duration "soon": expected e.g. "500ms", "10s", "5m", "1h30m"',
      ]);
    });
  });

  describe('stop_signal', () => {
    it.each([
      ['SIGTERM', 'SIGTERM'],
      ['TERM', 'SIGTERM'],
      ['sigint', 'SIGINT'],
      ['hup', 'SIGHUP'],
      ['SIGQUIT', 'SIGQUIT'],
    ])('normalises %j to %s', (signal, normal) => {
      expect(validate({ command: 'x', stop_signal: signal }).opts?.stop_signal).toBe(normal);
    });

    it('refuses a signal that does not exist', () => {
      expect(problemsOf({ command: 'x', stop_signal: 'SIGFOO' })).toEqual(['stop_signal: unknown signal "SIGFOO"']);
    });

    it('refuses a number', () => {
      expect(problemsOf({ command: 'x', stop_signal: 15 })).toEqual([
        'stop_signal: expected a signal name like "SIGTERM", got an integer',
      ]);
    });
  });

  describe('stop_timeout', () => {
    it('reads a duration or a number of seconds', () => {
      expect(validate({ command: 'x', stop_timeout: '250ms' }).opts?.stop_timeout_ms).toBe(250);
      expect(validate({ command: 'x', stop_timeout: 3 }).opts?.stop_timeout_ms).toBe(3_000);
    });

    it('refuses a bad duration', () => {
      expect(problemsOf({ command: 'x', stop_timeout: '-3s' })).toEqual([
        'stop_timeout: invalid duration "-3s": expected e.g. "500ms", "10s", "5m", "1h30m"',
      ]);
      expect(problemsOf({ command: 'x', stop_timeout: -3 })).toEqual([
        'stop_timeout: invalid duration -3: expected a non-negative number of seconds',
      ]);
      expect(problemsOf({ command: 'x', stop_timeout: true })).toEqual([
        'stop_timeout: expected a duration like "10s" or a number of seconds, got a boolean',
      ]);
    });
  });

  describe('stdin', () => {
    it('accepts a boolean', () => {
      expect(validate({ command: 'x', stdin: true }).opts?.stdin).toBe(true);
    });

    it('refuses a string', () => {
      expect(problemsOf({ command: 'x', stdin: 'true' })).toEqual(['stdin: expected true or false, got a string']);
    });
  });

  it('does not require command when validating defaults only', () => {
    expect(validate({ restart: 'always' }, { ...api, defaultsOnly: true }).problems).toEqual([]);
  });
});
