import { describe, expect, it } from 'vitest';
import { LogFrameReader, timeAfter, type LogFrame } from '../../../src/runners/docker/log-frames.js';

function frame(kind: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('the engine log frame reader', () => {
  it('splits frames across any chunking, keeps streams apart and takes the time off each message', () => {
    const all = Buffer.concat([
      frame(1, '2026-11-22T01:00:00.000000001Z hello\n'),
      frame(2, '2026-11-22T01:00:00.000000002Z oops\n'),
      frame(1, 'no time here'),
    ]);
    for (const size of [1, 3, 7, all.length]) {
      const frames: LogFrame[] = [];
      const reader = new LogFrameReader((f) => frames.push(f));
      for (let i = 0; i < all.length; i += size) reader.push(all.subarray(i, i + size));
      expect(frames.map((f) => [f.stream, f.time, f.payload.toString()])).toEqual([
        ['out', '2026-11-22T01:00:00.000000001Z', 'hello\n'],
        ['err', '2026-11-22T01:00:00.000000002Z', 'oops\n'],
        ['out', '', 'no time here'],
      ]);
    }
  });

  it('orders engine times to the nanosecond', () => {
    expect(timeAfter('2026-11-22T01:00:00.000000002Z', '2026-11-22T01:00:00.000000001Z')).toBe(true);
    expect(timeAfter('2026-11-22T01:00:00.000000001Z', '2026-11-22T01:00:00.000000001Z')).toBe(false);
    expect(timeAfter('2026-11-22T01:00:01.000000000Z', '2026-11-22T01:00:00.500Z')).toBe(true);
  });
});
