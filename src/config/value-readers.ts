/**
 * Small readers shared by the restart-policy, watcher and monitor readers. They follow the
 * conventions of item-validator: a reader takes `(value, path, report)`, reports every problem
 * it finds at the exact key path, and returns what it could resolve (undefined on a problem).
 */
import { isIPv6 } from 'node:net';
import { parseDuration } from '../common/duration.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import { unknownKeyMessage } from './unknown-key-message.js';

/** A key path inside the item being read: `['watchers', 0, 'url']`. Same shape as item-validator's. */
export type Path = (string | number)[];
/** Records one problem at a key path. Same shape as item-validator's. */
export type Report = (path: Path, message: string) => void;

/** Wraps a report so that a reader can tell whether anything went wrong below it. */
export function trackProblems(report: Report): { report: Report; failed: () => boolean } {
  let count = 0;
  return {
    report: (path, message) => {
      count++;
      report(path, message);
    },
    failed: () => count > 0,
  };
}

/** `"x"` for a string, `an integer` for anything else: the tail of `expected ..., got ...`. */
export function got(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
}

/** `expected one of "a", "b", got "c"` (or `expected "a", got ...` when there is one choice). */
export function expectedOneOf(choices: readonly string[], value: unknown): string {
  const list = choices.map((c) => JSON.stringify(c));
  const expected = list.length === 1 ? `expected ${list[0]}` : `expected one of ${list.join(', ')}`;
  return `${expected}, got ${got(value)}`;
}

/** Reports every key of `table` that is not in `known`, suggesting the close one. */
export function checkKeys(table: Record<string, unknown>, path: Path, known: readonly string[], report: Report): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) report([...path, key], unknownKeyMessage(key, known));
  }
}

/** A table, or a report naming what was expected instead. */
export function readTable(
  value: unknown,
  path: Path,
  report: Report,
  expected = 'a table',
): Record<string, unknown> | undefined {
  if (isTable(value)) return value;
  report(path, `expected ${expected}, got ${describeValue(value)}`);
  return undefined;
}

/**
 * Milliseconds from a duration (`"10s"`, or a number of seconds). `positive` refuses zero,
 * for intervals and windows where zero would mean a busy loop or nothing at all.
 */
export function readDuration(
  value: unknown,
  path: Path,
  report: Report,
  opts: { positive?: boolean } = {},
): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    report(path, `expected a duration like "10s" or a number of seconds, got ${describeValue(value)}`);
    return undefined;
  }
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    report(path, (err as Error).message);
    return undefined;
  }
  if (opts.positive && ms <= 0) {
    report(path, 'must be longer than 0');
    return undefined;
  }
  return ms;
}

/** A whole number of at least `min`. */
export function readWholeNumber(value: unknown, path: Path, report: Report, min = 1): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  report(path, `expected a whole number >= ${min}, got ${typeof value === 'number' ? value : describeValue(value)}`);
  return undefined;
}

export function readNonEmptyString(value: unknown, path: Path, report: Report): string | undefined {
  if (typeof value !== 'string') {
    report(path, `expected a string, got ${describeValue(value)}`);
    return undefined;
  }
  if (value === '') {
    report(path, 'must not be empty');
    return undefined;
  }
  return value;
}

/** A string run with /bin/sh -c, or an argv array; the same rules as an appliance's command. */
export function readCommand(value: unknown, path: Path, report: Report): string | string[] | undefined {
  if (typeof value === 'string') {
    if (value.trim() !== '') return value;
    report(path, 'must not be empty');
    return undefined;
  }
  if (!Array.isArray(value)) {
    report(path, `expected a string or an array of strings, got ${describeValue(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    report(path, 'must not be an empty array: give at least the program to run');
    return undefined;
  }
  const checked = trackProblems(report);
  value.forEach((arg, i) => {
    if (typeof arg !== 'string') checked.report([...path, i], `expected a string, got ${describeValue(arg)}`);
    else if (i === 0 && arg === '') checked.report([...path, i], 'the program to run must not be empty');
  });
  return checked.failed() ? undefined : (value as string[]);
}

const HOST_PORT = /^([^\s:[\]]+):(\d+)$/;
const BRACKETED_HOST_PORT = /^\[([^\]]+)\]:(\d+)$/;
const ADDRESS_EXAMPLE = 'like "127.0.0.1:5432", "db.local:5432" or "[::1]:5432"';

/** `host:port`, with an IPv6 host in brackets; the port from 1 to 65535. Returned as written. */
export function readAddress(value: unknown, path: Path, report: Report): string | undefined {
  if (typeof value !== 'string') {
    report(path, `expected "host:port" ${ADDRESS_EXAMPLE}, got ${describeValue(value)}`);
    return undefined;
  }
  const bracketed = BRACKETED_HOST_PORT.exec(value);
  const match = bracketed ?? HOST_PORT.exec(value);
  if (!match) {
    const hint = !value.includes('[') && value.split(':').length > 2 ? '; write an IPv6 host in brackets' : '';
    report(path, `expected "host:port" ${ADDRESS_EXAMPLE}, got ${JSON.stringify(value)}${hint}`);
    return undefined;
  }
  const [, host, portText] = match as unknown as [string, string, string];
  if (bracketed && !isIPv6(host)) {
    report(path, `${JSON.stringify(host)} in brackets is not an IPv6 address`);
    return undefined;
  }
  const port = Number(portText);
  // At most five digits, as the watchers' parseAddress reads it: `0080` is fine, `000080` is not.
  if (port < 1 || port > 65_535 || portText.length > 5) {
    report(path, `port must be from 1 to 65535, got ${portText}`);
    return undefined;
  }
  return value;
}

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

/**
 * An array of tables (`[[NAME.watchers]]`), each read by `readOne`; undefined after reporting
 * when anything in it is wrong, so one pass reports the problems of every element.
 */
export function readTableArray<T>(
  value: unknown,
  path: Path,
  report: Report,
  what: string,
  readOne: (entry: unknown, path: Path, report: Report) => T | undefined,
): T[] | undefined {
  if (!Array.isArray(value)) {
    report(path, `expected an array of ${what}, got ${describeValue(value)}`);
    return undefined;
  }
  const checked = trackProblems(report);
  const read = value.map((entry, i) => readOne(entry, [...path, i], checked.report));
  return checked.failed() ? undefined : (read as T[]);
}
