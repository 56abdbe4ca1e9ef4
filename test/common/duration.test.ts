import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/common/duration.js';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['3m 4s', 184_000],
    ['0s', 0],
    [' 10s ', 10_000],
  ])('reads %j as %i milliseconds', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes a bare number as seconds', () => {
    expect(parseDuration(10)).toBe(10_000);
    expect(parseDuration(0.25)).toBe(250);
    expect(parseDuration('10')).toBe(10_000);
  });

  it.each(['', 'abc', '10x', 's', '-5s', '1h-30m', '1.s', '10 s', 'ms10'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/^invalid duration/);
  });

  it('refuses what a timer cannot wait for (more than 2^31 - 1 ms), saying how long is the most', () => {
    expect(parseDuration('24d')).toBe(24 * 86_400_000);
    expect(parseDuration(MAX_DURATION_MS / 1000)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration('600h')).toThrow('duration "600h" is longer than 24d 20h, the longest time a timer can wait');
    expect(() => parseDuration(2 ** 31)).toThrow(/longer than 24d 20h/);
  });

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow('invalid duration -1');
    expect(() => parseDuration(Number.NaN)).toThrow(/^invalid duration/);
    expect(() => parseDuration(Infinity)).toThrow(/^invalid duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12_000, '12s'],
    [12_999, '12s'],
    [184_000, '3m 4s'],
    [180_000, '3m'],
    [7_500_000, '2h 5m'],
    [273_600_000, '3d 4h'],
    [86_400_000, '1d'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back', () => {
    for (const ms of [850, 12_000, 184_000, 7_500_000, 273_600_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('marks a negative duration with a minus sign', () => {
    expect(formatDuration(-1_500)).toBe('-1s');
  });
});
