/**
 * Reads a shell appliance's spools (RUN_DIR/out.spool and err.spool, which the keeper fills
 * from its FIFOs) into its capture: every byte the appliance wrote reaches its log exactly once,
 * whenever the agent is killed.
 *
 * How: lines go to the log in batches, and after each batch RUN_DIR/log.pos records how far each
 * spool has been read and where the log file stood. A kill between a batch and its record
 * leaves the log ahead of the record; the next reader cuts the log back to the record and reads
 * the spools on from there, so the batch is written again, once. The record has two slots,
 * written in turn with a sequence number, so that the one a kill might tear is never the only one.
 *
 * A spool is emptied by the keeper (its only writer) when the reader says it has logged all of
 * it; a spool found shorter than the record says was emptied so, and is read from its start.
 */
import { closeSync, constants, fstatSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OPEN, openOwnFile } from '../common/own-files.js';
import { splitLines } from './line-splitter.js';
import type { OutputStream } from './log-line.js';
import type { OutputCapture } from './output-capture.js';
import type { LogPosition } from './rotating-log-file.js';

const STREAMS: readonly OutputStream[] = ['out', 'err'];
/** How much of a spool one read takes: a bound on the agent's memory and on one turn's work. */
const READ_BYTES = 256 * 1024;
/** A spool is emptied once this much of it has been logged (and nothing more has come). */
const TRIM_AT = 1024 * 1024;
const SLOT_BYTES = 512;
/** Of the reason output is being lost, what the record keeps. */
const ERROR_CHARS = 200;

/**
 * How far each spool has been logged, and where the log file stood then; and output lost
 * meanwhile (a full disk), so that the log tells of it even when the agent that lost it is killed.
 */
interface Position {
  seq: number;
  out: number;
  err: number;
  log: LogPosition;
  lost?: { lines: number; error: string; since: string };
}

export interface SpoolSizes {
  out: number;
  err: number;
}

export class SpoolReader {
  private readonly consumed: SpoolSizes = { out: 0, err: 0 };
  private readonly spools: Partial<Record<OutputStream, number>> = {};
  private seq = 0;
  private posFd: number | undefined;

  constructor(
    private readonly runDir: string,
    private readonly capture: OutputCapture,
    /** The keeper may empty `stream`'s spool: its first `offset` bytes are logged. */
    private readonly trim: (stream: OutputStream, offset: number) => void,
  ) {}

  /** Takes up where the record says, undoing first a batch a kill cut short. */
  recover(): void {
    const record = this.readRecord();
    if (!record) return;
    this.seq = record.seq;
    this.consumed.out = record.out;
    this.consumed.err = record.err;
    this.capture.rewindLog(record.log);
    if (record.lost) this.capture.countLost(record.lost.lines, record.lost.error, new Date(record.lost.since));
  }

  /** Output was lost before it reached a spool (the keeper's count): the record keeps it. */
  lost(lines: number, error: string): void {
    this.capture.countLost(lines, error);
    this.writeRecord();
  }

  /**
   * Logs the complete lines the spools hold now, up to about `budget` bytes; answers whether
   * more is there. `ended`: the run is over and the spools hold all of it up to `ended`'s sizes,
   * so a last line without its newline is a line.
   */
  drain(budget: number, ended?: SpoolSizes): boolean {
    let more = false;
    for (const stream of STREAMS) {
      let left = budget;
      for (;;) {
        const read = this.readSpool(stream, Math.min(left, READ_BYTES), ended?.[stream]);
        if (!read) break;
        const { lines, consumed } = splitLines(read.bytes, read.final);
        if (consumed === 0) break;
        this.capture.appendLines(stream, lines);
        this.consumed[stream] += consumed;
        this.writeRecord();
        left -= consumed;
        if (left <= 0) {
          more = true;
          break;
        }
      }
      this.maybeTrim(stream);
    }
    return more;
  }

  close(): void {
    for (const stream of STREAMS) {
      const fd = this.spools[stream];
      if (fd !== undefined) closeSync(fd);
      delete this.spools[stream];
    }
    if (this.posFd !== undefined) closeSync(this.posFd);
    this.posFd = undefined;
  }

  /** Bytes of the spool from where the log is, with whether they end the run's output. */
  private readSpool(stream: OutputStream, max: number, endAt: number | undefined): { bytes: Buffer; final: boolean } | undefined {
    const fd = (this.spools[stream] ??= openOwnFile(join(this.runDir, `${stream}.spool`), OPEN.readWrite));
    const size = fstatSync(fd).size;
    // Shorter than what was logged: the keeper emptied it, everything before was logged.
    if (size < this.consumed[stream]) this.consumed[stream] = 0;
    const limit = endAt !== undefined && endAt >= this.consumed[stream] ? Math.min(size, endAt) : size;
    const want = Math.min(max, limit - this.consumed[stream]);
    if (want <= 0) return undefined;
    const bytes = Buffer.allocUnsafe(want);
    const got = readSync(fd, bytes, 0, want, this.consumed[stream]);
    return { bytes: bytes.subarray(0, got), final: endAt !== undefined && this.consumed[stream] + got >= limit };
  }

  private maybeTrim(stream: OutputStream): void {
    const fd = this.spools[stream];
    if (fd === undefined || this.consumed[stream] < TRIM_AT) return;
    if (fstatSync(fd).size === this.consumed[stream]) this.trim(stream, this.consumed[stream]);
  }

  private writeRecord(): void {
    this.seq += 1;
    const lost = this.capture.lost;
    const record: Position = {
      seq: this.seq, out: this.consumed.out, err: this.consumed.err, log: this.capture.logPosition(),
      ...(lost && { lost: { lines: lost.lines, error: lost.error.slice(0, ERROR_CHARS), since: lost.since.toISOString() } }),
    };
    const text = JSON.stringify(record).padEnd(SLOT_BYTES - 1, ' ');
    this.posFd ??= openOwnFile(join(this.runDir, 'log.pos'), OPEN.readWrite);
    writeSync(this.posFd, `${text}\n`, (this.seq % 2) * SLOT_BYTES);
  }

  /** The newer of the two slots that reads back whole. */
  private readRecord(): Position | undefined {
    let fd: number;
    try {
      fd = openOwnFile(join(this.runDir, 'log.pos'), constants.O_RDONLY);
    } catch {
      return undefined;
    }
    try {
      const slots = Buffer.alloc(SLOT_BYTES * 2);
      const got = readSync(fd, slots, 0, slots.length, 0);
      let best: Position | undefined;
      for (let slot = 0; slot < 2; slot++) {
        const record = parseRecord(slots.toString('utf8', slot * SLOT_BYTES, Math.min(got, (slot + 1) * SLOT_BYTES)));
        if (record && (!best || record.seq > best.seq)) best = record;
      }
      return best;
    } finally {
      closeSync(fd);
    }
  }
}

function parseRecord(text: string): Position | undefined {
  try {
    const value = JSON.parse(text) as Position;
    const numbers = [value.seq, value.out, value.err, value.log?.ino, value.log?.size];
    return numbers.every((n) => Number.isInteger(n) && n >= 0) ? value : undefined;
  } catch {
    return undefined;
  }
}
