/**
 * Reads an appliance's `restart` key into a RestartPolicy. Four forms:
 *
 *   restart = true | false                  # "always" | "never"
 *   restart = "always" | "crash" | "never"  # a shorthand
 *   [web.restart]                           # a table: bindings, limit, backoff, retry_after
 *   restart = [["crash", "restart"], ...]   # a list of bindings; a later one overrides an earlier one
 *
 * Bindings left out are `ignore`; every dependency not named is bound by `_` (default ignore).
 *
 * Defaults of a `backoff` table: initial 100ms, factor 2, max = max(30s, initial),
 * reset_after = max(60s, max), so that an appliance is not called healthy after staying up for
 * less than the longest wait it may have been given.
 */
import {
  ACTIONS,
  shorthandPolicy,
  type Action,
  type Backoff,
  type EventBindings,
  type RestartLimit,
  type RestartPolicy,
  type RestartShorthand,
} from '../model/restart-policy.js';
import { formatDuration } from '../common/duration.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import { parseSpec } from './spec-parser.js';
import {
  checkKeys,
  expectedOneOf,
  readDuration,
  readTable,
  readWholeNumber,
  trackProblems,
  type Path,
  type Report,
} from './value-readers.js';

const SHORTHANDS: readonly RestartShorthand[] = ['always', 'crash', 'never'];
const EVENTS = ['stop', 'crash', 'watcher', 'dependency'] as const;
type Event = (typeof EVENTS)[number];
const WATCHER_EVENTS = ['down', 'timeout'] as const;
const TABLE_KEYS = [...EVENTS, 'limit', 'backoff', 'retry_after'];
const LIMIT_KEYS = ['n', 'within', 'wait'];
const BACKOFF_KEYS = ['initial', 'factor', 'max', 'reset_after'];
/** The name that binds every dependency not named on its own. */
const ANY_DEPENDENCY = '_';

const BAD_RESTART = 'expected one of true, false, "always", "crash", "never", or a table';

export const BACKOFF_DEFAULTS = { initial_ms: 100, factor: 2, min_max_ms: 30_000, min_reset_after_ms: 60_000 } as const;

export function readRestartPolicy(value: unknown, path: Path, report: Report): RestartPolicy | undefined {
  if (value === true) return shorthandPolicy('always');
  if (value === false) return shorthandPolicy('never');
  if (typeof value === 'string') {
    if (SHORTHANDS.includes(value as RestartShorthand)) return shorthandPolicy(value as RestartShorthand);
    report(path, BAD_RESTART);
    return undefined;
  }
  const checked = trackProblems(report);
  let policy: RestartPolicy;
  if (Array.isArray(value)) policy = readBindingList(value, path, checked.report);
  else if (isTable(value)) policy = readPolicyTable(value, path, checked.report);
  else {
    report(path, `${BAD_RESTART}, got ${describeValue(value)}`);
    return undefined;
  }
  return checked.failed() ? undefined : policy;
}

function ignoreAll(): EventBindings {
  return shorthandPolicy('never').bindings;
}

function readAction(value: unknown, path: Path, report: Report): Action | undefined {
  if (ACTIONS.includes(value as Action)) return value as Action;
  report(path, expectedOneOf(ACTIONS, value));
  return undefined;
}

// ---- table form ----

function readPolicyTable(table: Record<string, unknown>, path: Path, report: Report): RestartPolicy {
  checkKeys(table, path, TABLE_KEYS, report);
  const bindings = ignoreAll();
  const at = (key: string): Path => [...path, key];
  const bind = (key: 'stop' | 'crash'): void => {
    if (table[key] === undefined) return;
    const action = readAction(table[key], at(key), report);
    if (action) bindings[key] = action;
  };
  bind('stop');
  bind('crash');
  if (table.watcher !== undefined) readWatcherBindings(table.watcher, at('watcher'), bindings, report);
  if (table.dependency !== undefined) readDependencyBindings(table.dependency, at('dependency'), bindings, report);

  const policy: RestartPolicy = { form: 'custom', bindings };
  if (table.limit !== undefined) {
    const limit = readLimit(table.limit, at('limit'), report);
    if (limit) policy.limit = limit;
  }
  if (table.backoff !== undefined) {
    const backoff = readBackoff(table.backoff, at('backoff'), report);
    if (backoff) policy.backoff = backoff;
  }
  if (table.retry_after !== undefined) {
    const retryAfter = readDuration(table.retry_after, at('retry_after'), report, { positive: true });
    if (retryAfter !== undefined) policy.retry_after_ms = retryAfter;
  }
  return policy;
}

/** `"restart"` binds both watcher events; `{ down = "restart" }` binds them one by one. */
function readWatcherBindings(value: unknown, path: Path, bindings: EventBindings, report: Report): void {
  if (typeof value === 'string') {
    const action = readAction(value, path, report);
    if (action) bindings.watcher = { down: action, timeout: action };
    return;
  }
  const table = readTable(value, path, report, 'an action or a table like { down = "restart", timeout = "ignore" }');
  if (!table) return;
  checkKeys(table, path, WATCHER_EVENTS, report);
  for (const event of WATCHER_EVENTS) {
    if (table[event] === undefined) continue;
    const action = readAction(table[event], [...path, event], report);
    if (action) bindings.watcher[event] = action;
  }
}

/** `"restart"` binds every dependency; `{ db = "restart", _ = "stop" }` binds them by name. */
function readDependencyBindings(value: unknown, path: Path, bindings: EventBindings, report: Report): void {
  if (typeof value === 'string') {
    const action = readAction(value, path, report);
    if (action) bindings.dependency[ANY_DEPENDENCY] = action;
    return;
  }
  const table = readTable(value, path, report, 'an action or a table like { db = "restart", _ = "stop" }');
  if (!table) return;
  for (const [name, actionValue] of Object.entries(table)) {
    const at = [...path, name];
    const nameOk = checkDependencyName(name, at, report);
    const action = readAction(actionValue, at, report);
    if (nameOk && action) bindings.dependency[name] = action;
  }
}

/** An appliance name as written in `depends`, without its options; or `_`. */
function checkDependencyName(name: string, path: Path, report: Report): boolean {
  if (name === ANY_DEPENDENCY) return true;
  try {
    const spec = parseSpec(name);
    if (name.includes('#')) {
      report(path, `bind a dependency by its name alone: ${JSON.stringify(spec.name)}`);
      return false;
    }
    return true;
  } catch (err) {
    report(path, (err as Error).message);
    return false;
  }
}

/** `{ n = 5, within = "60s", wait = "1s" }`, or just the number `5`. */
function readLimit(value: unknown, path: Path, report: Report): RestartLimit | undefined {
  if (typeof value === 'number') {
    const n = readWholeNumber(value, path, report);
    return n === undefined ? undefined : { n };
  }
  const table = readTable(value, path, report, 'a table like { n = 5, within = "60s" } or a whole number');
  if (!table) return undefined;
  checkKeys(table, path, LIMIT_KEYS, report);
  const checked = trackProblems(report);
  let n: number | undefined;
  if (table.n === undefined) checked.report([...path, 'n'], 'missing: give the number of restarts allowed, a whole number >= 1');
  else n = readWholeNumber(table.n, [...path, 'n'], checked.report);
  const limit: RestartLimit = { n: n ?? 1 };
  if (table.within !== undefined) {
    const within = readDuration(table.within, [...path, 'within'], checked.report, { positive: true });
    if (within !== undefined) limit.within_ms = within;
  }
  if (table.wait !== undefined) {
    const wait = readWait(table.wait, [...path, 'wait'], checked.report);
    if (wait) limit.wait = wait;
  }
  return checked.failed() ? undefined : limit;
}

/** A fixed pause (`"1s"`) or a random one in a range (`["1s", "5s"]`). */
function readWait(value: unknown, path: Path, report: Report): RestartLimit['wait'] {
  if (!Array.isArray(value)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      report(path, `expected a duration or a range [min, max] like ["1s", "5s"], got ${describeValue(value)}`);
      return undefined;
    }
    const ms = readDuration(value, path, report);
    return ms === undefined ? undefined : { min_ms: ms, max_ms: ms };
  }
  if (value.length !== 2) {
    report(path, `expected a range [min, max] like ["1s", "5s"], got an array of ${value.length}`);
    return undefined;
  }
  const min = readDuration(value[0], [...path, 0], report);
  const max = readDuration(value[1], [...path, 1], report);
  if (min === undefined || max === undefined) return undefined;
  if (max < min) {
    report([...path, 1], `must not be shorter than the minimum (${formatDuration(min)})`);
    return undefined;
  }
  return { min_ms: min, max_ms: max };
}

function readBackoff(value: unknown, path: Path, report: Report): Backoff | undefined {
  const table = readTable(value, path, report, 'a table like { initial = "100ms", factor = 2, max = "30s" }');
  if (!table) return undefined;
  checkKeys(table, path, BACKOFF_KEYS, report);
  const checked = trackProblems(report);
  const at = (key: string): Path => [...path, key];
  const optionalDuration = (key: string): number | undefined =>
    table[key] === undefined ? undefined : readDuration(table[key], at(key), checked.report, { positive: true });

  const initial = optionalDuration('initial') ?? BACKOFF_DEFAULTS.initial_ms;
  let factor: number = BACKOFF_DEFAULTS.factor;
  if (table.factor !== undefined) {
    if (typeof table.factor === 'number' && Number.isFinite(table.factor) && table.factor >= 1) factor = table.factor;
    else checked.report(at('factor'), `expected a number >= 1, got ${typeof table.factor === 'number' ? table.factor : describeValue(table.factor)}`);
  }
  const max = optionalDuration('max') ?? Math.max(BACKOFF_DEFAULTS.min_max_ms, initial);
  if (table.max !== undefined && max < initial) {
    checked.report(at('max'), `must not be shorter than initial (${formatDuration(initial)})`);
  }
  const resetAfter = optionalDuration('reset_after') ?? Math.max(BACKOFF_DEFAULTS.min_reset_after_ms, max);
  if (checked.failed()) return undefined;
  return { initial_ms: initial, factor, max_ms: max, reset_after_ms: resetAfter };
}

// ---- list form ----

const BINDING_SHAPES: Record<Event, string> = {
  stop: '["stop", ACTION]',
  crash: '["crash", ACTION]',
  watcher: '["watcher", ACTION] or ["watcher", "down" | "timeout", ACTION]',
  dependency: '["dependency", ACTION] or ["dependency", NAME, ACTION]',
};

/** `[["crash", "restart"], ["dependency", "db", "stop"]]`: bindings only; the last one for an event wins. */
function readBindingList(list: unknown[], path: Path, report: Report): RestartPolicy {
  const bindings = ignoreAll();
  list.forEach((entry, i) => readListBinding(entry, [...path, i], bindings, report));
  return { form: 'custom', bindings };
}

function readListBinding(entry: unknown, path: Path, bindings: EventBindings, report: Report): void {
  if (!Array.isArray(entry) || entry.length === 0) {
    const what = Array.isArray(entry) ? 'an empty array' : describeValue(entry);
    report(path, `expected a binding like ["crash", "restart"], got ${what}`);
    return;
  }
  const [event, ...rest] = entry as [unknown, ...unknown[]];
  if (!EVENTS.includes(event as Event)) {
    report([...path, 0], expectedOneOf(EVENTS, event));
    return;
  }
  const shapeError = (): void => report(path, `expected ${BINDING_SHAPES[event as Event]}, got an array of ${entry.length}`);
  const actionAt = entry.length - 1;
  switch (event as Event) {
    case 'stop':
    case 'crash': {
      if (rest.length !== 1) return shapeError();
      const action = readAction(rest[0], [...path, actionAt], report);
      if (action) bindings[event as 'stop' | 'crash'] = action;
      return;
    }
    case 'watcher': {
      if (rest.length !== 1 && rest.length !== 2) return shapeError();
      const which = rest.length === 2 ? rest[0] : undefined;
      if (which !== undefined && !WATCHER_EVENTS.includes(which as 'down')) {
        report([...path, 1], expectedOneOf(WATCHER_EVENTS, which));
        return;
      }
      const action = readAction(rest.at(-1), [...path, actionAt], report);
      if (!action) return;
      if (which === undefined) bindings.watcher = { down: action, timeout: action };
      else bindings.watcher[which as 'down' | 'timeout'] = action;
      return;
    }
    case 'dependency': {
      if (rest.length !== 1 && rest.length !== 2) return shapeError();
      let name = ANY_DEPENDENCY;
      if (rest.length === 2) {
        if (typeof rest[0] !== 'string') {
          report([...path, 1], `expected an appliance name or "_", got ${describeValue(rest[0])}`);
          return;
        }
        if (!checkDependencyName(rest[0], [...path, 1], report)) return;
        name = rest[0];
      }
      const action = readAction(rest.at(-1), [...path, actionAt], report);
      if (action) bindings.dependency[name] = action;
      return;
    }
  }
}
