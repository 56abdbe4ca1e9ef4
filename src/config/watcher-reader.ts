/**
 * Reads an appliance's `[[NAME.watchers]]`: checks that poll it and tell whether it is alive.
 *
 *   [[web.watchers]]
 *   type = "http"                       # required: http | tcp | exec
 *   url = "http://127.0.0.1:8080/health"
 *   method = "GET"                      # default GET; any case
 *   status = [200, 399]                 # default; or one code: 204
 *   body = "ok"                         # optional: the body must contain this
 *   interval = "10s"                    # defaults: interval 10s, timeout 1s, retries 3, start_period 0
 *
 * `timeout` is only required to be > 0, not shorter than `interval`: the interval runs from the
 * end of one check to the start of the next, so a long timeout never overlaps checks.
 */
import type { WatchTiming, WatcherSpec } from '../model/watcher-spec.js';
import { describeValue } from './describe-value.js';
import { unknownKeyMessage } from './unknown-key-message.js';
import {
  expectedOneOf,
  isHttpUrl,
  readAddress,
  readCommand,
  readDuration,
  readNonEmptyString,
  readTable,
  readTableArray,
  readWholeNumber,
  trackProblems,
  type Path,
  type Report,
} from './value-readers.js';

type WatcherType = WatcherSpec['type'];
const WATCHER_TYPES: readonly WatcherType[] = ['http', 'tcp', 'exec'];
const TIMING_KEYS = ['interval', 'timeout', 'retries', 'start_period'];
const TYPE_KEYS: Record<WatcherType, readonly string[]> = {
  http: ['url', 'method', 'status', 'body'],
  tcp: ['address'],
  exec: ['command'],
};
const ALL_KEYS = ['type', ...TIMING_KEYS, ...WATCHER_TYPES.flatMap((t) => TYPE_KEYS[t])];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const WATCH_TIMING_DEFAULTS: WatchTiming = { interval_ms: 10_000, timeout_ms: 1_000, retries: 3, start_period_ms: 0 };
const DEFAULT_STATUS: [number, number] = [200, 399];
const MIN_STATUS = 100;
const MAX_STATUS = 599;

/** `[[NAME.watchers]]`, an array of tables; undefined after reporting when anything is wrong. */
export function readWatchers(value: unknown, path: Path, report: Report): WatcherSpec[] | undefined {
  return readTableArray(value, path, report, 'watcher tables ([[NAME.watchers]])', readWatcher);
}

function readWatcher(value: unknown, path: Path, report: Report): WatcherSpec | undefined {
  const table = readTable(value, path, report, 'a watcher table');
  if (!table) return undefined;
  const at = (key: string): Path => [...path, key];

  let type: WatcherType | undefined;
  if (table.type === undefined) report(at('type'), 'missing: give "http", "tcp" or "exec"');
  else if (WATCHER_TYPES.includes(table.type as WatcherType)) type = table.type as WatcherType;
  else report(at('type'), expectedOneOf(WATCHER_TYPES, table.type));

  const known = type === undefined ? ALL_KEYS : ['type', ...TIMING_KEYS, ...TYPE_KEYS[type]];
  for (const key of Object.keys(table)) {
    if (known.includes(key)) continue;
    report(at(key), ALL_KEYS.includes(key) ? `not a key of ${type === 'tcp' ? 'a' : 'an'} ${type} watcher` : unknownKeyMessage(key, known));
  }

  const timing = readTiming(table, path, report);
  if (type === undefined) return undefined;
  // The keys of the type are checked even when timing is wrong, so that one pass finds all.
  const watcher = readTyped(type, table, path, timing ?? WATCH_TIMING_DEFAULTS, report);
  return timing === undefined ? undefined : watcher;
}

function readTyped(
  type: WatcherType,
  table: Record<string, unknown>,
  path: Path,
  timing: WatchTiming,
  report: Report,
): WatcherSpec | undefined {
  const at = (key: string): Path => [...path, key];
  switch (type) {
    case 'http':
      return readHttp(table, path, timing, report);
    case 'tcp': {
      if (table.address === undefined) {
        report(at('address'), 'missing: give the "host:port" to connect to');
        return undefined;
      }
      const address = readAddress(table.address, at('address'), report);
      return address === undefined ? undefined : { type, address, ...timing };
    }
    case 'exec': {
      if (table.command === undefined) {
        report(at('command'), 'missing: give a string to run with /bin/sh -c, or an array of strings (argv)');
        return undefined;
      }
      const command = readCommand(table.command, at('command'), report);
      return command === undefined ? undefined : { type, command, ...timing };
    }
  }
}

/** The keys every watcher shares; monitors' heartbeats use none of them. */
function readTiming(table: Record<string, unknown>, path: Path, report: Report): WatchTiming | undefined {
  const checked = trackProblems(report);
  const duration = (key: string, fallback: number, positive: boolean): number =>
    table[key] === undefined ? fallback : (readDuration(table[key], [...path, key], checked.report, { positive }) ?? fallback);
  const timing: WatchTiming = {
    interval_ms: duration('interval', WATCH_TIMING_DEFAULTS.interval_ms, true),
    timeout_ms: duration('timeout', WATCH_TIMING_DEFAULTS.timeout_ms, true),
    retries:
      table.retries === undefined
        ? WATCH_TIMING_DEFAULTS.retries
        : (readWholeNumber(table.retries, [...path, 'retries'], checked.report) ?? WATCH_TIMING_DEFAULTS.retries),
    start_period_ms: duration('start_period', WATCH_TIMING_DEFAULTS.start_period_ms, false),
  };
  return checked.failed() ? undefined : timing;
}

function readHttp(table: Record<string, unknown>, path: Path, timing: WatchTiming, report: Report): WatcherSpec | undefined {
  const checked = trackProblems(report);
  const at = (key: string): Path => [...path, key];

  let url: string | undefined;
  if (table.url === undefined) checked.report(at('url'), 'missing: give the URL to request, e.g. "http://127.0.0.1:8080/health"');
  else if (typeof table.url !== 'string') checked.report(at('url'), `expected an http:// or https:// URL, got ${describeValue(table.url)}`);
  else if (!isHttpUrl(table.url)) checked.report(at('url'), `expected an http:// or https:// URL, got ${JSON.stringify(table.url)}`);
  else url = table.url;

  let method = 'GET';
  if (table.method !== undefined) {
    const upper = typeof table.method === 'string' ? table.method.toUpperCase() : undefined;
    if (upper !== undefined && (HTTP_METHODS as readonly string[]).includes(upper)) method = upper;
    else checked.report(at('method'), expectedOneOf(HTTP_METHODS, table.method));
  }

  const status = table.status === undefined ? DEFAULT_STATUS : readStatus(table.status, at('status'), checked.report);
  const body = table.body === undefined ? undefined : readNonEmptyString(table.body, at('body'), checked.report);

  if (checked.failed() || url === undefined || status === undefined) return undefined;
  return { type: 'http', url, method, status, ...(body !== undefined && { body }), ...timing };
}

/** One good status code, or an inclusive range `[min, max]`. */
function readStatus(value: unknown, path: Path, report: Report): [number, number] | undefined {
  if (typeof value === 'number') {
    const code = readStatusCode(value, path, report);
    return code === undefined ? undefined : [code, code];
  }
  if (!Array.isArray(value) || value.length !== 2) {
    const what = Array.isArray(value) ? `an array of ${value.length}` : describeValue(value);
    report(path, `expected a status code or a range [min, max] like [200, 399], got ${what}`);
    return undefined;
  }
  const min = readStatusCode(value[0], [...path, 0], report);
  const max = readStatusCode(value[1], [...path, 1], report);
  if (min === undefined || max === undefined) return undefined;
  if (max < min) {
    report([...path, 1], `must not be lower than the minimum (${min})`);
    return undefined;
  }
  return [min, max];
}

function readStatusCode(value: unknown, path: Path, report: Report): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_STATUS && value <= MAX_STATUS) return value;
  report(path, `expected a status code from ${MIN_STATUS} to ${MAX_STATUS}, got ${typeof value === 'number' ? value : describeValue(value)}`);
  return undefined;
}
