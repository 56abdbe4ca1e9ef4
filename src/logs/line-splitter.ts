/**
 * Turns chunks read from a pipe into complete lines. Chunk boundaries fall anywhere, even inside
 * a UTF-8 character, so the partial tail is kept as bytes and only whole lines are decoded.
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** The longest UTF-8 encoding of one character: a piece must be able to hold it. */
const MAX_CHAR_BYTES = 4;

export class LineSplitter {
  /** Bytes of a line whose end has not arrived yet, copied so the pipe's chunk can be freed. */
  private pending: Buffer | undefined;

  constructor(
    private readonly onLine: (text: string) => void,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < MAX_CHAR_BYTES) {
      throw new RangeError(`maxLineBytes must be an integer >= ${MAX_CHAR_BYTES}, got ${maxLineBytes}`);
    }
  }

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      if (this.pending === undefined) {
        this.emitLine(chunk, start, newline);
      } else {
        const line = Buffer.concat([this.pending, chunk.subarray(start, newline)]);
        this.pending = undefined;
        this.emitLine(line, 0, line.length);
      }
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.keep(chunk, start);
  }

  flush(): void {
    if (this.pending === undefined) return;
    const line = this.pending;
    this.pending = undefined;
    this.emitLine(line, 0, line.length);
  }

  private emitLine(buffer: Buffer, start: number, end: number): void {
    const contentEnd = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    const rest = this.emitPieces(buffer, start, contentEnd);
    this.onLine(buffer.toString('utf8', rest, contentEnd));
  }

  private keep(chunk: Buffer, start: number): void {
    const pending = this.pending;
    const tail = pending === undefined ? chunk.subarray(start) : Buffer.concat([pending, chunk.subarray(start)]);
    // A trailing '\r' may be the first half of a CRLF; it must not count towards the limit,
    // or a line of exactly maxLineBytes would be split into itself and an empty line.
    const contentEnd = tail[tail.length - 1] === CARRIAGE_RETURN ? tail.length - 1 : tail.length;
    const rest = this.emitPieces(tail, 0, contentEnd);
    // A joined tail is already a private copy; a slice of the chunk is copied so the chunk can be freed.
    this.pending = pending !== undefined && rest === 0 ? tail : Buffer.from(tail.subarray(rest));
  }

  /** Emits leading pieces while more than maxLineBytes remain; returns where the rest starts. */
  private emitPieces(buffer: Buffer, start: number, end: number): number {
    let pieceStart = start;
    while (end - pieceStart > this.maxLineBytes) {
      let cut = pieceStart + this.maxLineBytes;
      // Back off to the lead byte of a character the cut would halve (at most 3 continuation bytes).
      for (let i = 0; i < MAX_CHAR_BYTES - 1 && isContinuationByte(buffer[cut]); i++) cut--;
      this.onLine(buffer.toString('utf8', pieceStart, cut));
      pieceStart = cut;
    }
    return pieceStart;
  }
}

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}
