import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDuration } from '../common/duration.js';
import { errorMessage } from '../common/errors.js';
import { parseByteSize } from './byte-size.js';
import { readClusterSettings, type ClusterSettings } from './cluster-settings.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import { formatKeyPath } from './key-path.js';
import type { KeyPathParts } from './toml-document.js';
import { unknownKeyMessage } from './unknown-key-message.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** How this spew instance runs: where it listens, keeps state and logs, and what it loads. */
export interface InstanceConfig {
  /** Absolute path of the file loaded; null when running on defaults only. */
  configFile: string | null;
  socket: string;
  socket_mode: number;
  socket_owner?: string;
  socket_group?: string;
  state_dir: string;
  log_dir: string;
  log_level: LogLevel;
  /** Default stop timeout of every appliance. */
  stop_timeout_ms: number;
  /** Absolute globs of appliance files. */
  include: string[];
  appliance_logs: { max_bytes: number; max_files: number };
  /** How many versions of each appliance's definition are kept (the running one always is). */
  history_limit: number;
  /** `[supervision]`: limits that hold across every appliance of the instance. */
  supervision: SupervisionSettings;
  /** `[cluster]`: the etcd this agent joins; absent, spew is a single host. */
  cluster?: ClusterSettings;
}

export interface SupervisionSettings {
  /** At most this many restarts (of all appliances together) in any `window_ms`; more wait. */
  max_restarts: number;
  window_ms: number;
  /** A random delay up to this long before each restart, so that restarts do not stampede. */
  jitter_ms: number;
  /** How long a start waits for its dependencies to come up before it fails. */
  depends_timeout_ms: number;
}

/** The host's own instance config, the one the packages install and the service runs. */
export const ROOT_CONFIG_FILE = '/etc/spew/spew.toml';
const DEFAULT_SOCKET_MODE = 0o660;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const DEFAULT_HISTORY_LIMIT = 50;
const DEFAULT_APPLIANCE_LOGS = { max_bytes: 10 * 1024 ** 2, max_files: 5 };
const DEFAULT_SUPERVISION: SupervisionSettings = { max_restarts: 20, window_ms: 1_000, jitter_ms: 100, depends_timeout_ms: 60_000 };

/** What a config file may set; paths already resolved. */
type FileSettings = Partial<Omit<InstanceConfig, 'configFile' | 'appliance_logs' | 'supervision'>> & {
  appliance_logs?: Partial<InstanceConfig['appliance_logs']>;
  supervision?: Partial<SupervisionSettings>;
};

/** Root reads the system-wide file; a plain user runs on defaults unless given `--config`. */
export function defaultConfigFile(uid: number): string | null {
  return uid === 0 ? ROOT_CONFIG_FILE : null;
}

export function defaultInstanceConfig(env: NodeJS.ProcessEnv, uid: number): InstanceConfig {
  return withDefaults(env, uid, null, {});
}

/**
 * Reads the instance config. A missing default file means defaults; a missing file that was
 * asked for by name is an error, as it is almost certainly a typo.
 */
export async function loadInstanceConfig(opts: { file?: string; env: NodeJS.ProcessEnv; uid: number }): Promise<InstanceConfig> {
  const explicit = opts.file !== undefined;
  const file = opts.file !== undefined ? path.resolve(opts.file) : defaultConfigFile(opts.uid);
  if (file === null) return defaultInstanceConfig(opts.env, opts.uid);

  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && !explicit) return defaultInstanceConfig(opts.env, opts.uid);
    const message = missing ? 'config file not found' : `cannot read config file: ${errorMessage(err)}`;
    throw new ConfigError([{ file, line: 0, column: 0, keyPath: '', message }], { cause: err });
  }
  // The CLI imports this module on every run just to find the socket; the TOML parser is
  // only worth loading when there is a file to read.
  const { parseTomlDocument } = await import('./toml-document.js');
  const document = parseTomlDocument(file, content);
  const settings = readSettings(document.value, path.dirname(file), (keyPath, message) => {
    const position = document.locate(keyPath) ?? { line: 0, column: 0 };
    return { file, ...position, keyPath: formatKeyPath('', keyPath), message };
  });
  return withDefaults(opts.env, opts.uid, file, settings);
}

function withDefaults(env: NodeJS.ProcessEnv, uid: number, configFile: string | null, given: FileSettings): InstanceConfig {
  const { appliance_logs, supervision, ...settings } = given;
  if (uid === 0) {
    return {
      configFile,
      socket: '/run/spew/spew.sock',
      socket_mode: DEFAULT_SOCKET_MODE,
      state_dir: '/var/lib/spew',
      log_dir: '/var/log/spew',
      log_level: 'info',
      stop_timeout_ms: DEFAULT_STOP_TIMEOUT_MS,
      history_limit: DEFAULT_HISTORY_LIMIT,
      include: ['/etc/spew/appliances.d/*.toml'],
      ...settings,
      appliance_logs: { ...DEFAULT_APPLIANCE_LOGS, ...appliance_logs },
      supervision: { ...DEFAULT_SUPERVISION, ...supervision },
    };
  }
  const home = env.HOME ?? os.homedir();
  // A user who moves state_dir expects the logs and socket that live under it to move too.
  const stateDir = settings.state_dir ?? path.join(xdgDir(env, 'XDG_STATE_HOME') ?? path.join(home, '.local/state'), 'spew');
  const runtimeDir = xdgDir(env, 'XDG_RUNTIME_DIR');
  const configHome = xdgDir(env, 'XDG_CONFIG_HOME') ?? path.join(home, '.config');
  return {
    configFile,
    socket: runtimeDir === undefined ? path.join(stateDir, 'spew.sock') : path.join(runtimeDir, 'spew.sock'),
    socket_mode: DEFAULT_SOCKET_MODE,
    log_dir: path.join(stateDir, 'logs'),
    log_level: 'info',
    stop_timeout_ms: DEFAULT_STOP_TIMEOUT_MS,
    history_limit: DEFAULT_HISTORY_LIMIT,
    include: [path.join(configHome, 'spew/appliances.d/*.toml')],
    ...settings,
    state_dir: stateDir,
    appliance_logs: { ...DEFAULT_APPLIANCE_LOGS, ...appliance_logs },
    supervision: { ...DEFAULT_SUPERVISION, ...supervision },
  };
}

/** The XDG base directory spec says relative values are invalid and must be ignored. */
function xdgDir(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && path.isAbsolute(value) ? value : undefined;
}

type Problem = (keyPath: KeyPathParts, message: string) => ConfigProblem;

function readSettings(raw: Record<string, unknown>, baseDir: string, problemAt: Problem): FileSettings {
  const problems: ConfigProblem[] = [];
  const settings: FileSettings = {};
  const check = <T>(keyPath: KeyPathParts, value: unknown, read: (value: unknown) => T): T | undefined => {
    try {
      return read(value);
    } catch (err) {
      problems.push(problemAt(keyPath, errorMessage(err)));
      return undefined;
    }
  };
  const readPath = (value: unknown): string => path.resolve(baseDir, nonEmptyString(value));

  for (const [key, value] of Object.entries(raw)) {
    const at = [key];
    switch (key) {
      case 'socket':
        settings.socket = check(at, value, readPath);
        break;
      case 'state_dir':
        settings.state_dir = check(at, value, readPath);
        break;
      case 'log_dir':
        settings.log_dir = check(at, value, readPath);
        break;
      case 'socket_mode':
        settings.socket_mode = check(at, value, socketMode);
        break;
      case 'socket_owner':
        settings.socket_owner = check(at, value, nonEmptyString);
        break;
      case 'socket_group':
        settings.socket_group = check(at, value, nonEmptyString);
        break;
      case 'log_level':
        settings.log_level = check(at, value, logLevel);
        break;
      case 'stop_timeout':
        settings.stop_timeout_ms = check(at, value, duration);
        break;
      case 'include':
        settings.include = readInclude(value, at, baseDir, problems, problemAt);
        break;
      case 'history_limit':
        settings.history_limit = check(at, value, positiveInteger);
        break;
      case 'appliance_logs':
        settings.appliance_logs = readApplianceLogs(value, at, problems, problemAt);
        break;
      case 'supervision':
        settings.supervision = readSupervision(value, at, problems, problemAt);
        break;
      case 'cluster':
        settings.cluster = readClusterSettings(value, at, baseDir, problems, problemAt);
        break;
      default:
        problems.push(problemAt(at, unknownKeyMessage(key, INSTANCE_KEYS)));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

const INSTANCE_KEYS = [
  'socket', 'socket_mode', 'socket_owner', 'socket_group', 'state_dir', 'log_dir', 'log_level',
  'stop_timeout', 'include', 'history_limit', 'appliance_logs', 'supervision', 'cluster',
];
const APPLIANCE_LOGS_KEYS = ['max_size', 'max_files'];

function readInclude(
  value: unknown,
  at: KeyPathParts,
  baseDir: string,
  problems: ConfigProblem[],
  problemAt: Problem,
): string[] | undefined {
  if (typeof value === 'string') return [path.resolve(baseDir, value)];
  if (!Array.isArray(value)) {
    problems.push(problemAt(at, `expected a glob or an array of globs, got ${describeValue(value)}`));
    return undefined;
  }
  const globs: string[] = [];
  value.forEach((glob, i) => {
    if (typeof glob === 'string' && glob !== '') globs.push(path.resolve(baseDir, glob));
    else problems.push(problemAt([...at, i], `expected a non-empty glob string, got ${describeValue(glob)}`));
  });
  return globs;
}

function readApplianceLogs(
  value: unknown,
  at: KeyPathParts,
  problems: ConfigProblem[],
  problemAt: Problem,
): Partial<InstanceConfig['appliance_logs']> | undefined {
  if (!isTable(value)) {
    problems.push(problemAt(at, `expected a table with max_size and max_files, got ${describeValue(value)}`));
    return undefined;
  }
  const logs: Partial<InstanceConfig['appliance_logs']> = {};
  for (const [key, v] of Object.entries(value)) {
    try {
      if (key === 'max_size') logs.max_bytes = byteSize(v);
      else if (key === 'max_files') logs.max_files = positiveInteger(v);
      else problems.push(problemAt([...at, key], unknownKeyMessage(key, APPLIANCE_LOGS_KEYS)));
    } catch (err) {
      problems.push(problemAt([...at, key], errorMessage(err)));
    }
  }
  return logs;
}

const SUPERVISION_KEYS = ['max_restarts', 'window', 'restart_jitter', 'depends_timeout'];

function readSupervision(
  value: unknown,
  at: KeyPathParts,
  problems: ConfigProblem[],
  problemAt: Problem,
): Partial<SupervisionSettings> | undefined {
  if (!isTable(value)) {
    problems.push(problemAt(at, `expected a table with ${SUPERVISION_KEYS.join(', ')}, got ${describeValue(value)}`));
    return undefined;
  }
  const supervision: Partial<SupervisionSettings> = {};
  for (const [key, v] of Object.entries(value)) {
    try {
      if (key === 'max_restarts') supervision.max_restarts = positiveInteger(v);
      else if (key === 'window') supervision.window_ms = positiveDuration(v);
      else if (key === 'restart_jitter') supervision.jitter_ms = duration(v);
      else if (key === 'depends_timeout') supervision.depends_timeout_ms = positiveDuration(v);
      else problems.push(problemAt([...at, key], unknownKeyMessage(key, SUPERVISION_KEYS)));
    } catch (err) {
      problems.push(problemAt([...at, key], errorMessage(err)));
    }
  }
  return supervision;
}

function nonEmptyString(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${describeValue(value)}`);
  if (value === '') throw new Error('must not be empty');
  return value;
}

const OCTAL_MODE = /^[0-7]{3,4}$/;

function socketMode(value: unknown): number {
  const mode = typeof value === 'string' && OCTAL_MODE.test(value) ? parseInt(value, 8) : value;
  if (typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0o777) return mode;
  const expected = 'expected a permission mode like "0660" or 0o660';
  if (typeof value === 'string') throw new Error(`${expected}, got ${JSON.stringify(value)}`);
  // TOML reads 660 as decimal; it is almost always an octal mode written without quotes.
  if (typeof value === 'number' && /^[0-7]{3}$/.test(String(value))) {
    throw new Error(`${expected}, got the decimal number ${value}; write "0${value}" for an octal mode`);
  }
  throw new Error(`${expected}, got ${describeValue(value)}`);
}

function logLevel(value: unknown): LogLevel {
  if (!LOG_LEVELS.includes(value as LogLevel)) {
    throw new Error(`expected one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(', ')}`);
  }
  return value as LogLevel;
}

function duration(value: unknown): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`expected a duration like "10s" or a number of seconds, got ${describeValue(value)}`);
  }
  return parseDuration(value);
}

function positiveDuration(value: unknown): number {
  const ms = duration(value);
  if (ms <= 0) throw new Error('must be longer than 0');
  return ms;
}

function byteSize(value: unknown): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`expected a size like "10MB" or a number of bytes, got ${describeValue(value)}`);
  }
  return parseByteSize(value);
}

function positiveInteger(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`expected a whole number of at least 1, got ${typeof value === 'number' ? value : describeValue(value)}`);
  }
  return value;
}

/** What every appliance takes from the instance config unless it says otherwise. */
export function itemDefaults(config: InstanceConfig): { stop_timeout_ms: number; depends_timeout_ms: number } {
  return { stop_timeout_ms: config.stop_timeout_ms, depends_timeout_ms: config.supervision.depends_timeout_ms };
}
