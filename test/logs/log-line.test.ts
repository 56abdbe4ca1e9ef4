import { describe, expect, it } from 'vitest';
import { formatLogLine, parseLogLine } from '../../src/logs/log-line.js';

const TIME = new Date('2026-11-22T10:00:00.123Z');

describe('log line', () => {
  it('formats as ISO time, stream and text separated by single spaces', () => {
    expect(formatLogLine(TIME, 'out', 'hello world')).toBe('2026-11-22T10:00:00.123Z out hello world');
    expect(formatLogLine(TIME, 'err', '')).toBe('2026-11-22T10:00:00.123Z err ');
  });

  it('parses back exactly what it formatted, including spaces and empty text', () => {
    for (const text of ['hello', '', '  leading and trailing  ', 'out err 2026-11-22T10:00:00.123Z', 'ünïcødé ✓']) {
      for (const stream of ['out', 'err'] as const) {
        expect(parseLogLine(formatLogLine(TIME, stream, text))).toEqual({
          time: '2026-11-22T10:00:00.123Z',
          stream,
          text,
        });
      }
    }
  });

  it('rejects lines that are not in the format', () => {
    expect(parseLogLine('')).toBeUndefined();
    expect(parseLogLine('hello')).toBeUndefined();
    expect(parseLogLine('2026-11-22T10:00:00.123Z out')).toBeUndefined();
    expect(parseLogLine('2026-11-22T10:00:00.123Z inf hello')).toBeUndefined();
    expect(parseLogLine('2026-11-22 10:00:00.123Z out hello')).toBeUndefined();
    expect(parseLogLine('2026-11-22T10:00:00.123Zxout hello')).toBeUndefined();
    expect(parseLogLine('2026-11-22T10:00:00.123Z outxhello')).toBeUndefined();
  });
});
