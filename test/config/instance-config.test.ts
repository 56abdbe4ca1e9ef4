import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { defaultConfigFile, defaultInstanceConfig, loadInstanceConfig } from '../../src/config/instance-config.js';
import { positionOf } from './position-of.js';

const ROOT = 0;
const USER = 1000;
const home = '/home/ada';

describe('defaultConfigFile', () => {
  it('is the system file for root and nothing for a plain user', () => {
    expect(defaultConfigFile(ROOT)).toBe('/etc/spew/spew.toml');
    expect(defaultConfigFile(USER)).toBeNull();
  });
});

describe('defaultInstanceConfig', () => {
  it('uses system directories for root', () => {
    expect(defaultInstanceConfig({ HOME: '/root', XDG_RUNTIME_DIR: '/run/user/0' }, ROOT)).toEqual({
      configFile: null,
      socket: '/run/spew/spew.sock',
      socket_mode: 0o660,
      state_dir: '/var/lib/spew',
      log_dir: '/var/log/spew',
      log_level: 'info',
      stop_timeout_ms: 10_000,
      history_limit: 50,
      include: ['/etc/spew/appliances.d/*.toml'],
      appliance_logs: { max_bytes: 10 * 1024 * 1024, max_files: 5 },
      supervision: { max_restarts: 20, window_ms: 1_000, jitter_ms: 100, depends_timeout_ms: 60_000 },
    });
  });

  it('uses the home directory for a plain user without XDG variables', () => {
    expect(defaultInstanceConfig({ HOME: home }, USER)).toEqual({
      configFile: null,
      socket: `${home}/.local/state/spew/spew.sock`,
      socket_mode: 0o660,
      state_dir: `${home}/.local/state/spew`,
      log_dir: `${home}/.local/state/spew/logs`,
      log_level: 'info',
      stop_timeout_ms: 10_000,
      history_limit: 50,
      include: [`${home}/.config/spew/appliances.d/*.toml`],
      appliance_logs: { max_bytes: 10 * 1024 * 1024, max_files: 5 },
      supervision: { max_restarts: 20, window_ms: 1_000, jitter_ms: 100, depends_timeout_ms: 60_000 },
    });
  });

  it('follows the XDG variables of a plain user', () => {
    const config = defaultInstanceConfig(
      { HOME: home, XDG_STATE_HOME: '/xdg/state', XDG_RUNTIME_DIR: '/run/user/1000', XDG_CONFIG_HOME: '/xdg/config' },
      USER,
    );
    expect(config).toMatchObject({
      socket: '/run/user/1000/spew.sock',
      state_dir: '/xdg/state/spew',
      log_dir: '/xdg/state/spew/logs',
      include: ['/xdg/config/spew/appliances.d/*.toml'],
    });
  });

  it('ignores relative XDG variables, as the XDG spec asks', () => {
    const config = defaultInstanceConfig({ HOME: home, XDG_STATE_HOME: 'state', XDG_RUNTIME_DIR: 'run' }, USER);
    expect(config.state_dir).toBe(`${home}/.local/state/spew`);
    expect(config.socket).toBe(`${home}/.local/state/spew/spew.sock`);
  });
});

describe('loadInstanceConfig', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spew-instance-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(text: string, name = 'spew.toml'): Promise<string> {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
  }

  async function problemsOf(text: string): Promise<{ file: string; messages: string[] }> {
    const file = await write(text);
    const error = await loadInstanceConfig({ file, env: { HOME: home }, uid: USER }).catch((err: unknown) => err);
    if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
    return { file, messages: error.message.split('\n') };
  }

  it('returns the defaults for a plain user given no file', async () => {
    const env = { HOME: home };
    expect(await loadInstanceConfig({ env, uid: USER })).toEqual(defaultInstanceConfig(env, USER));
  });

  it('reads every key of a file', async () => {
    const file = await write(
      [
        'socket = "/tmp/s.sock"',
        'socket_mode = "0600"',
        'socket_owner = "spew"',
        'socket_group = "staff"',
        'state_dir = "/srv/spew"',
        'log_dir = "/srv/logs"',
        'log_level = "debug"',
        'stop_timeout = "30s"',
        'include = ["/a/*.toml", "/b/**/*.toml"]',
        'history_limit = 7',
        '[appliance_logs]',
        'max_size = "512KB"',
        'max_files = 2',
        '[supervision]',
        'max_restarts = 50',
        'window = "10s"',
        'restart_jitter = 0',
        'depends_timeout = "2m"',
      ].join('\n'),
    );
    expect(await loadInstanceConfig({ file, env: { HOME: home }, uid: USER })).toEqual({
      configFile: file,
      socket: '/tmp/s.sock',
      socket_mode: 0o600,
      socket_owner: 'spew',
      socket_group: 'staff',
      state_dir: '/srv/spew',
      log_dir: '/srv/logs',
      log_level: 'debug',
      stop_timeout_ms: 30_000,
      history_limit: 7,
      include: ['/a/*.toml', '/b/**/*.toml'],
      appliance_logs: { max_bytes: 512 * 1024, max_files: 2 },
      supervision: { max_restarts: 50, window_ms: 10_000, jitter_ms: 0, depends_timeout_ms: 120_000 },
    });
  });

  it('derives log_dir and socket from a state_dir set in the file for a plain user', async () => {
    const file = await write('state_dir = "/srv/spew"\n');
    expect(await loadInstanceConfig({ file, env: { HOME: home }, uid: USER })).toMatchObject({
      configFile: file,
      state_dir: '/srv/spew',
      log_dir: '/srv/spew/logs',
      socket: '/srv/spew/spew.sock',
      include: [`${home}/.config/spew/appliances.d/*.toml`],
    });
  });

  it('keeps root defaults for keys a file leaves out', async () => {
    const file = await write('state_dir = "/srv/spew"\n[appliance_logs]\nmax_files = 9\n');
    expect(await loadInstanceConfig({ file, env: {}, uid: ROOT })).toMatchObject({
      state_dir: '/srv/spew',
      log_dir: '/var/log/spew',
      socket: '/run/spew/spew.sock',
      appliance_logs: { max_bytes: 10 * 1024 * 1024, max_files: 9 },
    });
  });

  it('resolves relative paths against the directory of the config file', async () => {
    const file = await write('state_dir = "state"\nlog_dir = "../logs"\nsocket = "./run/spew.sock"\ninclude = "apps/*.toml"\n', 'etc/spew.toml');
    const etc = path.join(dir, 'etc');
    expect(await loadInstanceConfig({ file, env: { HOME: home }, uid: USER })).toMatchObject({
      state_dir: path.join(etc, 'state'),
      log_dir: path.join(dir, 'logs'),
      socket: path.join(etc, 'run/spew.sock'),
      include: [path.join(etc, 'apps/*.toml')],
    });
  });

  it('reports the absolute path of a file given relative to the working directory', async () => {
    const file = await write('log_level = "warn"\n');
    const relative = path.relative(process.cwd(), file);
    expect((await loadInstanceConfig({ file: relative, env: { HOME: home }, uid: USER })).configFile).toBe(file);
  });

  it('accepts socket_mode as an octal number and stop_timeout as seconds', async () => {
    const file = await write('socket_mode = 0o640\nstop_timeout = 2.5\n');
    expect(await loadInstanceConfig({ file, env: { HOME: home }, uid: USER })).toMatchObject({
      socket_mode: 0o640,
      stop_timeout_ms: 2_500,
    });
  });

  it('refuses a file that was asked for by name and does not exist', async () => {
    const file = path.join(dir, 'missing.toml');
    const error = await loadInstanceConfig({ file, env: { HOME: home }, uid: USER }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${file}:0:0: config file not found`);
  });

  it('reports a TOML syntax error with its position', async () => {
    const text = 'log_level = "debug"\nsocket = \n';
    const { file, messages } = await problemsOf(text);
    expect(messages).toEqual([`${file}:3:1: Unspecified values are invalid`]);
  });

  it('refuses unknown keys, suggesting the close one, at their position', async () => {
    const text = 'state_dir = "/x"\nlog_levle = "info"\nfrobnicate = 1\n[appliance_logs]\nmax_fils = 3\n';
    const { file, messages } = await problemsOf(text);
    const pos = (needle: string) => {
      const { line, column } = positionOf(text, needle);
      return `${file}:${line}:${column}`;
    };
    expect(messages).toEqual([
      `${pos('log_levle')}: log_levle: unknown key; did you mean log_level?`,
      `${pos('frobnicate')}: frobnicate: unknown key`,
      `${pos('max_fils')}: appliance_logs.max_fils: unknown key; did you mean max_files?`,
    ]);
  });

  it('collects every bad value of the file with its position', async () => {
    const text = [
      'socket = 1',
      'socket_mode = 660',
      'socket_owner = ""',
      'socket_group = true',
      'state_dir = ""',
      'log_dir = []',
      'log_level = "loud"',
      'stop_timeout = "soon"',
      'include = ["ok/*.toml", 3]',
      '[appliance_logs]',
      'max_size = "10 parsecs"',
      'max_files = 0',
      '',
    ].join('\n');
    const { file, messages } = await problemsOf(text);
    expect(messages).toEqual([
      `${file}:1:1: socket: expected a string, got an integer`,
      `${file}:2:1: socket_mode: expected a permission mode like "0660" or 0o660, got the decimal number 660; write "0660" for an octal mode`,
      `${file}:3:1: socket_owner: must not be empty`,
      `${file}:4:1: socket_group: expected a string, got a boolean`,
      `${file}:5:1: state_dir: must not be empty`,
      `${file}:6:1: log_dir: expected a string, got an array`,
      `${file}:7:1: log_level: expected one of "error", "warn", "info", "debug"`,
      `${file}:8:1: stop_timeout: invalid duration "soon": expected e.g. "500ms", "10s", "5m", "1h30m"`,
      `${file}:9:25: include[1]: expected a non-empty glob string, got an integer`,
      `${file}:11:1: appliance_logs.max_size: invalid size "10 parsecs": expected e.g. "10MB", "512KB" or a number of bytes`,
      `${file}:12:1: appliance_logs.max_files: expected a whole number of at least 1, got 0`,
    ]);
  });

  it('refuses a socket_mode string that is not octal, and wrong shapes of include and appliance_logs', async () => {
    const { file, messages } = await problemsOf('socket_mode = "rw-rw----"\ninclude = 5\nappliance_logs = "big"\n');
    expect(messages).toEqual([
      `${file}:1:1: socket_mode: expected a permission mode like "0660" or 0o660, got "rw-rw----"`,
      `${file}:2:1: include: expected a glob or an array of globs, got an integer`,
      `${file}:3:1: appliance_logs: expected a table with max_size and max_files, got a string`,
    ]);
  });

  it('refuses a socket_mode beyond permission bits or of the wrong type', async () => {
    const { file, messages } = await problemsOf('socket_mode = 0o4755\n');
    expect(messages).toEqual([`${file}:1:1: socket_mode: expected a permission mode like "0660" or 0o660, got an integer`]);
    const other = await problemsOf('socket_mode = true\n');
    expect(other.messages).toEqual([`${other.file}:1:1: socket_mode: expected a permission mode like "0660" or 0o660, got a boolean`]);
  });

  it('refuses an appliance_logs size given as something other than text or a number', async () => {
    const { file, messages } = await problemsOf('[appliance_logs]\nmax_size = [1]\nmax_files = "5"\n');
    expect(messages).toEqual([
      `${file}:2:1: appliance_logs.max_size: expected a size like "10MB" or a number of bytes, got an array`,
      `${file}:3:1: appliance_logs.max_files: expected a whole number of at least 1, got a string`,
    ]);
  });

  it('keeps supervision defaults for keys a file leaves out, for root and a plain user', async () => {
    const file = await write('[supervision]\nmax_restarts = 5\n');
    const expected = { max_restarts: 5, window_ms: 1_000, jitter_ms: 100, depends_timeout_ms: 60_000 };
    expect((await loadInstanceConfig({ file, env: {}, uid: ROOT })).supervision).toEqual(expected);
    expect((await loadInstanceConfig({ file, env: { HOME: home }, uid: USER })).supervision).toEqual(expected);
  });

  it('refuses bad supervision values and unknown keys at their position', async () => {
    const text = [
      '[supervision]',
      'max_restarts = 0',
      'window = "0s"',
      'restart_jitter = "a bit"',
      'depends_timeout = true',
      'max_restart = 3',
      '',
    ].join('\n');
    const { file, messages } = await problemsOf(text);
    expect(messages).toEqual([
      `${file}:2:1: supervision.max_restarts: expected a whole number of at least 1, got 0`,
      `${file}:3:1: supervision.window: must be longer than 0`,
      `${file}:4:1: supervision.restart_jitter: invalid duration "a bit": expected e.g. "500ms", "10s", "5m", "1h30m"`,
      `${file}:5:1: supervision.depends_timeout: expected a duration like "10s" or a number of seconds, got a boolean`,
      `${file}:6:1: supervision.max_restart: unknown key; did you mean max_restarts?`,
    ]);
  });

  it('refuses a supervision that is not a table, and a zero depends_timeout', async () => {
    const { file, messages } = await problemsOf('supervision = 20\n');
    expect(messages).toEqual([
      `${file}:1:1: supervision: expected a table with max_restarts, window, restart_jitter, depends_timeout, got an integer`,
    ]);
    const other = await problemsOf('supervision = { depends_timeout = 0 }\n');
    expect(other.messages).toEqual([`${other.file}:1:17: supervision.depends_timeout: must be longer than 0`]);
  });

  it('suggests supervision for a misspelt table', async () => {
    const { file, messages } = await problemsOf('[supervison]\nwindow = "1s"\n');
    expect(messages).toEqual([`${file}:1:2: supervison: unknown key; did you mean supervision?`]);
  });
});
