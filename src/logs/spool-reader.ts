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
 * A spool is replaced by a new, empty one by the keeper (its only writer) when the reader says it
 * has logged all of it; the record names each spool's inode, so a spool found with another one
 * is that new one, read from its start, however much has been written to it since.
 */
import { closeSync, constants, fstatSync, lstatSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OPEN, openOwnFile } from '../common/own-files.js';
import { splitLines } from './line-splitter.js';
import type { OutputStream } from './log-line.js';
import type { OutputCapture } from './output-capture.js';
import type { LogPosition } from './rotating-log-file.js';

const STREAMS: readonly OutputStream[] = ['out', 'err'];
/** How much of a spool one read takes: a bound on the agent's memory and on one turn's work. */
const READ_BYTES = 64 * 1024;
/** A spool is replaced once this much of it has been logged (and nothing more has come). */
const TRIM_AT = 1024 * 1024;
/**
 * The keeper's bound on a spool (SPOOL_MAX in spew-keeper.c): one that has reached it takes no
 * more, so it is replaced even with a last line not ended, which the keeper carries over.
 */
const SPOOL_BOUND = 64 * 1024 * 1024;
const CARRY_MAX = 1024 * 1024;
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
  /** The inodes of the spools those offsets are in. */
  inodes: SpoolSizes;
  log: LogPosition;
  lost?: { lines: number; error: string; since: string };
}

export interface SpoolSizes {
  out: number;
  err: number;
}

export class SpoolReader {
  private readonly consumed: SpoolSizes = { out: 0, err: 0 };
  /** The inode of each spool `consumed` counts in; 0 before one was opened. */
  private readonly inodes: SpoolSizes = { out: 0, err: 0 };
  private readonly spools: Partial<Record<OutputStream, number>> = {};
  private seq = 0;
  private posFd: number | undefined;
  private recordSoon = false;

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
    this.inodes.out = record.inodes.out;
    this.inodes.err = record.inodes.err;
    this.capture.rewindLog(record.log);
    if (record.lost) this.capture.countLost(record.lost.lines, record.lost.error, new Date(record.lost.since));
  }

  /** Output was lost before it reached a spool (the keeper's count): the record keeps it, soon. */
  lost(lines: number, error: string): void {
    this.capture.countLost(lines, error);
    if (this.recordSoon) return;
    this.recordSoon = true;
    setImmediate(() => {
      this.recordSoon = false;
      if (this.posFd !== undefined || this.spools.out !== undefined) this.writeRecord();
    });
  }

  /**
   * Logs the complete lines the spools hold now, up to about `budget` bytes; answers whether
   * more is there. `ended`: the run is over and the spools hold all of it up to `ended`'s sizes,
   * so a last line without its newline is a line.
   */
  drain(budget: number, ended?: SpoolSizes): boolean {
    let more = false;
    let logged = false;
    for (const stream of STREAMS) {
      let left = budget;
      for (;;) {
        // Whole reads, the budget being a bound on reads, not bytes: a read cut to the budget's
        // last bytes could hold no whole line, and stop the drain short of what is there.
        const read = this.readSpool(stream, READ_BYTES, ended?.[stream]);
        if (!read) break;
        const { lines, consumed } = splitLines(read.bytes, read.final);
        if (consumed === 0) break;
        this.capture.appendLines(stream, lines);
        this.consumed[stream] += consumed;
        logged = true;
        left -= consumed;
        if (left <= 0) {
          more = true;
          break;
        }
      }
    }
    // One record for all the batches of this drain: a kill before it has the next reader write
    // them all again, once. It comes before any trim, which must find the record saying so.
    if (logged) this.writeRecord();
    for (const stream of STREAMS) this.maybeTrim(stream);
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
    const fd = this.spool(stream);
    const size = fstatSync(fd).size;
    const limit = endAt !== undefined && endAt >= this.consumed[stream] ? Math.min(size, endAt) : size;
    const want = Math.min(max, limit - this.consumed[stream]);
    if (want <= 0) return undefined;
    const bytes = Buffer.allocUnsafe(want);
    const got = readSync(fd, bytes, 0, want, this.consumed[stream]);
    return { bytes: bytes.subarray(0, got), final: endAt !== undefined && this.consumed[stream] + got >= limit };
  }

  /**
   * The open spool of `stream`: the one at its path. Another inode there than the one being
   * read is a new spool that the keeper put in its place once all of the old one was logged.
   */
  private spool(stream: OutputStream): number {
    const path = join(this.runDir, `${stream}.spool`);
    let fd = this.spools[stream];
    if (fd !== undefined && inodeAt(path) !== this.inodes[stream]) {
      closeSync(fd);
      fd = undefined;
    }
    if (fd === undefined) {
      fd = openOwnFile(path, OPEN.readWrite);
      const { ino } = fstatSync(fd);
      if (ino !== this.inodes[stream]) {
        // A spool it has not read yet: its first, or the one that took the logged one's place.
        if (this.inodes[stream] !== 0) this.consumed[stream] = 0;
        this.inodes[stream] = ino;
      }
      this.spools[stream] = fd;
    }
    return fd;
  }

  private maybeTrim(stream: OutputStream): void {
    const fd = this.spools[stream];
    if (fd === undefined || this.consumed[stream] < TRIM_AT) return;
    const { size } = fstatSync(fd);
    const left = size - this.consumed[stream];
    if (left === 0 || (size >= SPOOL_BOUND && left <= CARRY_MAX)) this.trim(stream, this.consumed[stream]);
  }

  private writeRecord(): void {
    this.seq += 1;
    const lost = this.capture.lost;
    const record: Position = {
      seq: this.seq, out: this.consumed.out, err: this.consumed.err, inodes: { ...this.inodes }, log: this.capture.logPosition(),
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
    const numbers = [value.seq, value.out, value.err, value.inodes?.out, value.inodes?.err, value.log?.ino, value.log?.size];
    return numbers.every((n) => Number.isInteger(n) && n >= 0) ? value : undefined;
  } catch {
    return undefined;
  }
}

function inodeAt(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}
