/**
 * The engine's multiplexed log stream (non-TTY containers), read with timestamps.
 *
 * Each frame is an 8-byte header (stream: 1 = stdout, 2 = stderr; 3 zero bytes; payload size,
 * big-endian uint32) and a payload. The engine writes one log message per frame, and asked for
 * `timestamps` it starts each payload with the message's time, RFC 3339 with nanoseconds and a
 * space. This reader (rather than modem.demuxStream, which only splits streams) keeps the frame
 * boundaries, so the time of every message is known: it is what an adopting or reconnecting
 * runner passes as `since` to follow on exactly where it stopped.
 */
import type { OutputStream } from '../../logs/log-line.js';

const HEADER = 8;

export interface LogFrame {
  stream: OutputStream;
  /** The engine's time of the message, as the engine wrote it; '' when it carried none. */
  time: string;
  payload: Buffer;
}

/** A fixed-width RFC 3339 time with nanoseconds, as the engine writes it (`RFC3339NanoFixed`). */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class LogFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: LogFrame) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER + size) return;
      const kind = this.pending[0];
      const payload = this.pending.subarray(HEADER, HEADER + size);
      this.pending = this.pending.subarray(HEADER + size);
      // 0 is stdin (never in logs), 3 is the engine's own error text about the stream.
      if (kind === 1 || kind === 2) this.onFrame(withTime(kind === 1 ? 'out' : 'err', payload));
    }
  }
}

function withTime(stream: OutputStream, payload: Buffer): LogFrame {
  const space = payload.indexOf(0x20);
  if (space > 0 && space <= 40) {
    const time = payload.subarray(0, space).toString('latin1');
    if (TIME.test(time)) return { stream, time, payload: payload.subarray(space + 1) };
  }
  return { stream, time: '', payload };
}

/**
 * Orders the engine's times. They are fixed-width UTC with nine fraction digits, so string order
 * is time order; other shapes go through Date (millisecond precision).
 */
export function timeAfter(a: string, b: string): boolean {
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return a > b;
  return Date.parse(a) > Date.parse(b);
}
