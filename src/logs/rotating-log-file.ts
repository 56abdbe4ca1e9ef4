/**
 * An append-only log file with size-based rotation, like logrotate's `size` + `rotate N`:
 * `path` is live, `path.1` the newest rotated file, `path.(maxFiles-1)` the oldest kept.
 *
 * Writes are synchronous on a kept-open O_APPEND fd: with up to 1000 appliances in one process a
 * small write to the page cache is cheaper than a stream per file, and it can never reorder.
 */
import { closeSync, fstatSync, lstatSync, renameSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeOwnDir, OPEN, openOwnFile } from '../common/own-files.js';

export interface RotatingLogFileOptions {
  /** The size a file may reach before the next write rotates it. */
  maxBytes: number;
  /** How many files are kept, counting the live one: 5 keeps `path` and 4 rotated files. */
  maxFiles: number;
}

const NEWLINE = 0x0a;
const FILE_MODE = 0o640;
const DIR_MODE = 0o750;
/**
 * One encoding buffer shared by every file: writes are synchronous, so no two can overlap, and
 * the process holds one buffer instead of one per appliance or one per line.
 */
const SCRATCH_BYTES = 256 * 1024;
let scratch: Buffer | undefined;

export class RotatingLogFile {
  /** Opened on the first append, so an appliance that never prints holds no descriptor. */
  private fd: number | undefined;
  private size = 0;
  private readonly maxBytes: number;
  private readonly maxFiles: number;

  constructor(readonly path: string, opts: RotatingLogFileOptions) {
    if (!Number.isInteger(opts.maxBytes) || opts.maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${opts.maxBytes}`);
    }
    if (!Number.isInteger(opts.maxFiles) || opts.maxFiles < 1) {
      throw new RangeError(`maxFiles must be a positive integer, got ${opts.maxFiles}`);
    }
    this.maxBytes = opts.maxBytes;
    this.maxFiles = opts.maxFiles;
  }

  /** Writes `line` and a newline. A single line longer than maxBytes still goes whole into a fresh file. */
  append(line: string): void {
    let data: Buffer;
    let length: number;
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8, so this bound cannot truncate.
    if (line.length * 3 < SCRATCH_BYTES) {
      data = scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
      length = data.write(line, 0);
      data[length++] = NEWLINE;
    } else {
      data = Buffer.from(`${line}\n`);
      length = data.length;
    }
    let fd = this.fd ?? this.open();
    if (this.size > 0 && this.size + length > this.maxBytes) {
      this.rotate();
      fd = this.open();
    }
    let written = 0;
    while (written < length) written += writeSync(fd, data, written, length - written);
    this.size += length;
  }

  /**
   * Writes `lines`, each with a newline, into one file: when they would pass the size bound,
   * the file is rotated before, never between them (a batch is one unit for whoever keeps a
   * record of what was written; see spool-reader.ts).
   */
  appendBatch(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const data = Buffer.from(`${lines.join('\n')}\n`);
    let fd = this.fd ?? this.open();
    if (this.size > 0 && this.size + data.length > this.maxBytes) {
      this.rotate();
      fd = this.open();
    }
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    this.size += data.length;
  }

  /** Which file is live, and how much it holds: where the next write goes. */
  position(): LogPosition {
    const fd = this.fd ?? this.open();
    const { ino } = fstatSync(fd);
    return { ino, size: this.size };
  }

  /**
   * Undoes what was written after `at` (a position taken earlier), for a writer that is to
   * write it again: the live file is cut back to it; or, when the live file came later (a
   * rotation after `at`), the rotated one is cut back and the live one emptied.
   */
  rewindTo(at: LogPosition): void {
    this.close();
    const live = inodeOf(this.path);
    if (live === at.ino) {
      truncateAbove(this.path, at.size);
    } else if (this.maxFiles > 1 && inodeOf(`${this.path}.1`) === at.ino) {
      truncateAbove(`${this.path}.1`, at.size);
      if (live !== undefined) truncateSync(this.path, 0);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    makeOwnDir(dirname(this.path), DIR_MODE);
    const fd = openOwnFile(this.path, OPEN.append, FILE_MODE);
    this.fd = fd;
    // The file may survive from an earlier run; its size counts towards the limit.
    this.size = fstatSync(fd).size;
    return fd;
  }

  private rotate(): void {
    this.close();
    if (this.maxFiles === 1) {
      removeIfPresent(this.path);
      return;
    }
    // rename() replaces its target, so the oldest file is dropped by the first rename.
    for (let index = this.maxFiles - 1; index >= 1; index--) {
      renameIfPresent(index === 1 ? this.path : `${this.path}.${index - 1}`, `${this.path}.${index}`);
    }
  }
}

export interface LogPosition {
  ino: number;
  size: number;
}

function inodeOf(path: string): number | undefined {
  try {
    const stats = lstatSync(path);
    return stats.isFile() ? stats.ino : undefined;
  } catch {
    return undefined;
  }
}

function truncateAbove(path: string, size: number): void {
  if (lstatSync(path).size > size) truncateSync(path, size);
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if (!isMissingFile(error)) throw error;
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isMissingFile(error)) throw error;
  }
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}
