const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

// Components may be separated by spaces so that formatDuration's output ("3m 4s") reads back.
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d)\s*)+$/;
const COMPONENT = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * The longest duration spew takes: what a Node timer can wait (2^31 - 1 ms, 24 days and some
 * hours). A longer one would overflow the timer, which then fires at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Milliseconds from "100ms", "10s", "5m", "1h30m", "1.5s" or a bare number of seconds
 * (seconds because that is what people mean when they write `stop_timeout = 10`).
 */
export function parseDuration(value: string | number): number {
  const ms = Math.round(durationMs(value));
  if (ms > MAX_DURATION_MS) {
    throw new Error(`duration ${JSON.stringify(value)} is longer than ${formatDuration(MAX_DURATION_MS)}, the longest time a timer can wait`);
  }
  return ms;
}

function durationMs(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`invalid duration ${value}: expected a non-negative number of seconds`);
    }
    return value * UNIT_MS.s;
  }
  const text = value.trim();
  if (BARE_NUMBER.test(text)) return Number(text) * UNIT_MS.s;
  if (!DURATION.test(text)) {
    throw new Error(`invalid duration ${JSON.stringify(value)}: expected e.g. "500ms", "10s", "5m", "1h30m"`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(COMPONENT)) {
    ms += Number(amount) * UNIT_MS[unit as Unit];
  }
  return ms;
}

/** The two most significant units, which is as much precision as a status line needs. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < UNIT_MS.s) return `${Math.floor(ms)}ms`;
  const units: Array<[Unit, number]> = [
    ['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m], ['s', UNIT_MS.s],
  ];
  const first = units.findIndex(([, size]) => ms >= size);
  const [bigUnit, bigSize] = units[first]!;
  const big = Math.floor(ms / bigSize);
  const next = units[first + 1];
  if (!next) return `${big}${bigUnit}`;
  const small = Math.floor((ms - big * bigSize) / next[1]);
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit} ${small}${next[0]}`;
}
