/**
 * Turns bytes read from a pipe or a spool into complete lines. Boundaries fall anywhere, even
 * inside a UTF-8 character, so a partial tail is kept as bytes and only whole lines are decoded.
 * A line longer than the bound comes out in pieces of at most that many bytes.
 *
 * `splitLines` is the whole rule, on bytes that stay where they are (a spool read again after a
 * crash resumes at `consumed`); `LineSplitter` keeps the tail between chunks of a stream.
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** The longest UTF-8 encoding of one character: a piece must be able to hold it. */
const MAX_CHAR_BYTES = 4;

export interface SplitLines {
  lines: string[];
  /** How many bytes of the input the lines account for; the rest is a line not ended yet. */
  consumed: number;
}

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

function checkMax(maxLineBytes: number): void {
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < MAX_CHAR_BYTES) {
    throw new RangeError(`maxLineBytes must be an integer >= ${MAX_CHAR_BYTES}, got ${maxLineBytes}`);
  }
}

/** Pushes leading pieces while more than `max` bytes remain; answers where the rest starts. */
function pieces(buffer: Buffer, start: number, end: number, max: number, lines: string[]): number {
  let pieceStart = start;
  while (end - pieceStart > max) {
    let cut = pieceStart + max;
    // Back off to the lead byte of a character the cut would halve (at most 3 continuation bytes).
    for (let i = 0; i < MAX_CHAR_BYTES - 1 && isContinuationByte(buffer[cut]); i++) cut--;
    lines.push(buffer.toString('utf8', pieceStart, cut));
    pieceStart = cut;
  }
  return pieceStart;
}

/**
 * The complete lines in `buffer` (no newline, no CR of a CRLF). `ended`: nothing more comes
 * after it (the stream closed), so its tail is a line too.
 */
export function splitLines(buffer: Buffer, ended = false, maxLineBytes = DEFAULT_MAX_LINE_BYTES): SplitLines {
  checkMax(maxLineBytes);
  const lines: string[] = [];
  let start = 0;
  for (let newline = buffer.indexOf(NEWLINE); newline !== -1; newline = buffer.indexOf(NEWLINE, start)) {
    const end = newline > start && buffer[newline - 1] === CARRIAGE_RETURN ? newline - 1 : newline;
    const rest = pieces(buffer, start, end, maxLineBytes, lines);
    lines.push(buffer.toString('utf8', rest, end));
    start = newline + 1;
  }
  if (start === buffer.length) return { lines, consumed: start };
  if (ended) {
    const end = buffer[buffer.length - 1] === CARRIAGE_RETURN ? buffer.length - 1 : buffer.length;
    const rest = pieces(buffer, start, end, maxLineBytes, lines);
    lines.push(buffer.toString('utf8', rest, end));
    return { lines, consumed: buffer.length };
  }
  // A trailing '\r' may be the first half of a CRLF; it must not count towards the limit,
  // or a line of exactly maxLineBytes would be split into itself and an empty line.
  const end = buffer[buffer.length - 1] === CARRIAGE_RETURN ? buffer.length - 1 : buffer.length;
  return { lines, consumed: pieces(buffer, start, end, maxLineBytes, lines) };
}

export class LineSplitter {
  /** Bytes of a line whose end has not arrived yet, copied so the pipe's chunk can be freed. */
  private pending: Buffer | undefined;

  constructor(
    private readonly onLine: (text: string) => void,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {
    checkMax(maxLineBytes);
  }

  push(chunk: Buffer): void {
    const bytes = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const { lines, consumed } = splitLines(bytes, false, this.maxLineBytes);
    this.pending = consumed === bytes.length ? undefined : Buffer.from(bytes.subarray(consumed));
    for (const line of lines) this.onLine(line);
  }

  flush(): void {
    if (this.pending === undefined) return;
    const { lines } = splitLines(this.pending, true, this.maxLineBytes);
    this.pending = undefined;
    for (const line of lines) this.onLine(line);
  }
}
