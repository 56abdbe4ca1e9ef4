/**
 * The one format every captured line has: on disk, in `spew logs` and in attach.
 *
 *   `${isoTimestamp} ${stream} ${text}`   e.g. `2026-11-22T10:00:00.123Z out hello`
 *
 * Fixed-width fields let parsing work by position, with no split and no regex over the text.
 */

export type OutputStream = 'out' | 'err';

export interface ParsedLogLine {
  time: string;
  stream: OutputStream;
  text: string;
}

const TIME_LENGTH = 24;
const STREAM_START = TIME_LENGTH + 1;
const TEXT_START = STREAM_START + 4;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** No trailing newline: the file and the wire add their own separators. */
export function formatLogLine(time: Date, stream: OutputStream, text: string): string {
  return `${time.toISOString()} ${stream} ${text}`;
}

export function parseLogLine(line: string): ParsedLogLine | undefined {
  if (line.length < TEXT_START || line[TIME_LENGTH] !== ' ' || line[TEXT_START - 1] !== ' ') {
    return undefined;
  }
  const time = line.slice(0, TIME_LENGTH);
  const stream = line.slice(STREAM_START, TEXT_START - 1);
  if ((stream !== 'out' && stream !== 'err') || !ISO_TIME.test(time)) return undefined;
  return { time, stream, text: line.slice(TEXT_START) };
}
