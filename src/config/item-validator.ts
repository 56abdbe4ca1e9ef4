import { constants } from 'node:os';
import { HOOK_EVENTS, dependencyLabel, localNames, type Dependency, type HookAction, type HookEvent, type Hooks, type ItemOpts } from '../model/appliance-definition.js';
import { APPLIANCE_TYPES, runsImages, type ApplianceType } from '../model/appliance-type.js';
import type { Command } from '../model/command.js';
import { shorthandPolicy, type RestartPolicy } from '../model/restart-policy.js';
import type { MonitorSpec, WatcherSpec } from '../model/watcher-spec.js';
import { readMonitors } from './monitor-reader.js';
import { readRestartPolicy } from './restart-policy-reader.js';
import { isHttpUrl, readCommand, readNonEmptyString, type Path, type Report } from './value-readers.js';
import { readWatchers } from './watcher-reader.js';
import { parseDuration } from '../common/duration.js';
import type { ConfigProblem } from './config-error.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import { formatKeyPath } from './key-path.js';
import { unknownKeyMessage } from './unknown-key-message.js';
import { parseSpec } from './spec-parser.js';
import { HOST_NAME } from './cluster-settings.js';
import { checkTypeKeys, readDigest, readImage, readTag, readUpgrade } from './image-item-reader.js';


/** Where an item came from: a file table (with positions) or an API body (without). */
export interface ItemContext {
  /** Written before every key path in messages, e.g. `web`; empty for an API body. */
  keyPrefix: string;
  /** Position of a path inside the item; undefined when the source has no positions. */
  locate(path: Path): { line: number; column: number } | undefined;
  /** The item's own appliance name, when known, so that it cannot depend on itself. */
  name?: string;
  /** The options of the item's spec (`web#vsn:~>2.0`), checked against its type. */
  specOptions?: Record<string, string>;
  /** Validating a file's `_` defaults on their own: every key is optional, even `command`. */
  defaultsOnly?: boolean;
}

export type ItemProblem = Omit<ConfigProblem, 'file'>;

const HOOK_ACTION_KEYS = ['run', 'post', 'timeout'];

const DEFAULT_STOP_SIGNAL: NodeJS.Signals = 'SIGTERM';

/**
 * Checks one appliance's options and fills in defaults. Every problem is collected rather than
 * stopping at the first, so a file (or request) can be fixed in one pass.
 */
export function validateItem(
  raw: unknown,
  ctx: ItemContext,
  instanceDefaults: ItemDefaults,
): { opts?: ItemOpts; problems: ItemProblem[] } {
  const problems: ItemProblem[] = [];
  const report = (path: Path, message: string): void => {
    const position = ctx.locate(path) ?? { line: 0, column: 0 };
    problems.push({ ...position, keyPath: formatKeyPath(ctx.keyPrefix, path), message });
  };
  if (!isTable(raw)) {
    report([], `expected a table, got ${describeValue(raw)}`);
    return { problems };
  }

  const read = <T>(key: ItemKey, fallback: T): T =>
    raw[key] === undefined ? fallback : (ITEM_READERS[key](raw[key], [key], report, ctx) as T);

  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(ITEM_READERS, key)) report([key], unknownKeyMessage(key, ITEM_KEYS));
  }
  const type = read<ApplianceType>('type', 'shell');
  // A container may run its image's own command; a process has nothing else to run.
  if (raw.command === undefined && !ctx.defaultsOnly && !runsImages(type)) {
    report(['command'], 'missing: give a string to run with /bin/sh -c, or an array of strings (argv)');
  }

  const opts: ItemOpts = {
    type,
    command: read<Command>('command', ''),
    env: read<Record<string, string>>('env', {}),
    cwd: read<string | undefined>('cwd', undefined),
    user: read<string | undefined>('user', undefined),
    group: read<string | undefined>('group', undefined),
    runneropts: read<Record<string, unknown>>('runneropts', {}),
    restart: read<RestartPolicy>('restart', shorthandPolicy('never')),
    watchers: read<WatcherSpec[]>('watchers', []),
    monitors: read<MonitorSpec[]>('monitors', []),
    depends: read<Dependency[]>('depends', []),
    depends_timeout_ms: read<number>('depends_timeout', instanceDefaults.depends_timeout_ms),
    hooks: read<Hooks>('hooks', {}),
    stop_signal: read<NodeJS.Signals>('stop_signal', DEFAULT_STOP_SIGNAL),
    stop_timeout_ms: read<number>('stop_timeout', instanceDefaults.stop_timeout_ms),
    stdin: read<boolean>('stdin', false),
    image: read<string | undefined>('image', undefined),
    tag: read<string | undefined>('tag', undefined),
    upgrade: read<ItemOpts['upgrade']>('upgrade', undefined),
    image_tag: read<string | undefined>('image_tag', undefined),
    image_digest: read<string | undefined>('image_digest', undefined),
    ref: read<string | undefined>('ref', undefined),
  };
  for (const key of ['cwd', 'user', 'group', 'image', 'tag', 'upgrade', 'image_tag', 'image_digest', 'ref'] as const) {
    if (opts[key] === undefined) delete opts[key];
  }
  if (!ctx.defaultsOnly) checkTypeKeys(opts, ctx.specOptions ?? {}, report);
  checkDependencyBindings(opts, report);
  return problems.length === 0 ? { opts, problems } : { problems };
}

/** Reads one key's value; on a problem it reports and returns any value, as the item is refused. */
type Reader = (value: unknown, path: Path, report: Report, ctx: ItemContext) => unknown;

const ITEM_READERS = {
  type: readType,
  command: readCommand,
  env: readEnv,
  cwd: readNonEmptyString,
  user: readNonEmptyString,
  group: readNonEmptyString,
  runneropts: readRunnerOpts,
  restart: readRestart,
  watchers: (value: unknown, path: Path, report: Report) => readWatchers(value, path, report) ?? [],
  monitors: (value: unknown, path: Path, report: Report) => readMonitors(value, path, report) ?? [],
  depends: readDepends,
  depends_timeout: readDuration,
  hooks: readHooks,
  stop_signal: readStopSignal,
  stop_timeout: readDuration,
  stdin: readBoolean,
  image: readImage,
  tag: readTag,
  upgrade: readUpgrade,
  image_tag: readTag,
  image_digest: readDigest,
  ref: readRef,
} satisfies Record<string, Reader>;
type ItemKey = keyof typeof ITEM_READERS;
const ITEM_KEYS = Object.keys(ITEM_READERS);

function expectedOneOf(choices: readonly string[]): string {
  return choices.length === 1 ? `expected ${choices[0]}` : `expected one of ${choices.join(', ')}`;
}

/** An unknown type is reported; the item's other keys are then checked as a shell appliance's. */
function readType(value: unknown, path: Path, report: Report): ApplianceType {
  const type = APPLIANCE_TYPES.find((t) => t === value);
  if (type === undefined) report(path, expectedOneOf(APPLIANCE_TYPES.map((t) => JSON.stringify(t))));
  return type ?? 'shell';
}


function readEnv(value: unknown, path: Path, report: Report): unknown {
  if (!isTable(value)) {
    report(path, `expected a table of strings, got ${describeValue(value)}`);
    return value;
  }
  for (const [name, v] of Object.entries(value)) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      report([...path, name], 'invalid environment variable name');
    }
    if (typeof v === 'string') continue;
    const hint = typeof v === 'number' || typeof v === 'boolean' ? `; quote it: "${String(v)}"` : '';
    report([...path, name], `expected a string, got ${describeValue(v)}${hint}`);
  }
  return Object.fromEntries(Object.entries(value));
}


function readRef(value: unknown, path: Path, report: Report): unknown {
  if (typeof value !== 'string' || !/^[0-9a-f]{12}$/.test(value)) report(path, `expected a ref of 12 hex digits, got ${describeValue(value)}`);
  return value;
}

function readRunnerOpts(value: unknown, path: Path, report: Report): unknown {
  if (!isTable(value)) report(path, `expected a table, got ${describeValue(value)}`);
  return value;
}

function readRestart(value: unknown, path: Path, report: Report): RestartPolicy {
  return readRestartPolicy(value, path, report) ?? shorthandPolicy('never');
}

/** A binding for a dependency the appliance does not have would never fire: say so. */
function checkDependencyBindings(opts: ItemOpts, report: Report): void {
  // Only a dependency on this host tells its dependents what happened to it.
  const names = new Set(localNames(opts.depends));
  for (const dep of Object.keys(opts.restart.bindings.dependency)) {
    if (dep !== '_' && !names.has(dep)) report(['restart', 'dependency', dep], `${dep} is not in depends`);
  }
}

/** What an item takes from the instance config when it does not say. */
export interface ItemDefaults {
  stop_timeout_ms: number;
  depends_timeout_ms: number;
}

function readDepends(value: unknown, path: Path, report: Report, ctx: ItemContext): Dependency[] {
  if (!Array.isArray(value)) {
    report(path, `expected an array of appliance specs like ["db", "cache#zone:eu"], got ${describeValue(value)}`);
    return [];
  }
  const seen = new Map<string, number>();
  const depends: Dependency[] = [];
  value.forEach((entry, i) => {
    const at = [...path, i];
    if (typeof entry !== 'string') {
      report(at, `expected an appliance spec like "db", got ${describeValue(entry)}`);
      return;
    }
    // `db@host2`: the appliance db of host host2 of the cluster.
    const sign = entry.lastIndexOf('@');
    const host = sign === -1 ? undefined : entry.slice(sign + 1);
    if (host !== undefined && !HOST_NAME.test(host)) {
      report(at, `invalid host ${JSON.stringify(host)} after '@': use letters, digits, '.' and '-', at most 63`);
      return;
    }
    let dependency: Dependency;
    try {
      dependency = { ...parseSpec(sign === -1 ? entry : entry.slice(0, sign)), ...(host !== undefined && { host }) };
    } catch (err) {
      report(at, (err as Error).message);
      return;
    }
    if (dependency.name === ctx.name && host === undefined) report(at, 'an appliance cannot depend on itself');
    const label = dependencyLabel(dependency);
    const earlier = seen.get(label);
    if (earlier !== undefined) {
      report(at, `${label} is already a dependency (${formatKeyPath('depends', [earlier])})`);
    }
    seen.set(label, i);
    depends.push(dependency);
  });
  return depends;
}

function readHooks(value: unknown, path: Path, report: Report): Hooks {
  if (!isTable(value)) {
    report(path, `expected a table of events (${HOOK_EVENTS.join(', ')}), got ${describeValue(value)}`);
    return {};
  }
  const hooks: Hooks = {};
  for (const [event, actions] of Object.entries(value)) {
    const at = [...path, event];
    if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
      report(at, unknownKeyMessage(event, HOOK_EVENTS));
      continue;
    }
    if (!Array.isArray(actions)) {
      report(at, `expected an array of actions like [{ run = "..." }, { post = "http://..." }], got ${describeValue(actions)}`);
      continue;
    }
    hooks[event as HookEvent] = actions.flatMap((action, i) => readHookAction(action, [...at, i], report));
  }
  return hooks;
}

function readHookAction(value: unknown, path: Path, report: Report): HookAction[] {
  if (!isTable(value)) {
    report(path, `expected a table with run or post, got ${describeValue(value)}`);
    return [];
  }
  for (const key of Object.keys(value)) {
    if (!HOOK_ACTION_KEYS.includes(key)) report([...path, key], unknownKeyMessage(key, HOOK_ACTION_KEYS));
  }
  const timeout = value.timeout === undefined ? {} : { timeout_ms: readDuration(value.timeout, [...path, 'timeout'], report) };
  const { run, post } = value;
  if (run !== undefined && post !== undefined) {
    report(path, 'give either run or post, not both');
    return [];
  }
  if (run !== undefined) {
    readNonEmptyString(run, [...path, 'run'], report);
    return [{ run: run as string, ...timeout }];
  }
  if (post !== undefined) {
    if (typeof post !== 'string' || !isHttpUrl(post)) report([...path, 'post'], `expected an http:// or https:// URL, got ${JSON.stringify(post)}`);
    return [{ post: post as string, ...timeout }];
  }
  report(path, 'missing run (a command) or post (a URL)');
  return [];
}


function readStopSignal(value: unknown, path: Path, report: Report): NodeJS.Signals {
  if (typeof value !== 'string') {
    report(path, `expected a signal name like "SIGTERM", got ${describeValue(value)}`);
    return DEFAULT_STOP_SIGNAL;
  }
  const upper = value.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!Object.hasOwn(constants.signals, name)) {
    report(path, `unknown signal ${JSON.stringify(value)}`);
    return DEFAULT_STOP_SIGNAL;
  }
  return name as NodeJS.Signals;
}

function readDuration(value: unknown, path: Path, report: Report): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    report(path, `expected a duration like "10s" or a number of seconds, got ${describeValue(value)}`);
    return 0;
  }
  try {
    return parseDuration(value);
  } catch (err) {
    report(path, (err as Error).message);
    return 0;
  }
}

function readBoolean(value: unknown, path: Path, report: Report): unknown {
  if (typeof value !== 'boolean') report(path, `expected true or false, got ${describeValue(value)}`);
  return value;
}
