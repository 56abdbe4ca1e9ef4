/**
 * The persisted record of every transition: STATE_DIR/events.log, one JSON object a line,
 * appended through one descriptor opened with O_APPEND. The lines of one turn of the event loop
 * go out in one write at its end, off the restart path: a kill -9 can at worst lose that turn's
 * lines, or cut the last one short; the reader skips a line that does not parse. The file is
 * rotated once it passes a size bound, keeping one previous file.
 */
import { closeSync, fstatSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EventRecord } from '../model/appliance-status.js';
import { errorMessage } from '../common/errors.js';
import { OPEN, openOwnFile } from '../common/own-files.js';
import { readLastLines } from '../logs/log-tail.js';

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

export type EventListener = (record: EventRecord) => void;

const MAX_BYTES = 10 * 1024 * 1024;
/** Records kept for a file that will not take them (a full disk); past this the oldest go, counted. */
const MAX_WAITING = 10_000;
/** How many recent records stay in memory for `spew events` without reading the file. */
const RECENT = 1000;

export class EventLog {
  private readonly path: string;
  private fd: number;
  private size: number;
  private readonly recent: EventRecord[] = [];
  private readonly listeners = new Set<EventListener>();
  private pending: EventRecord[] = [];
  /** Why writing fails, while it does; records wait meanwhile. */
  private failing: { error: string; since: Date; dropped: number } | undefined;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'events.log');
    this.fd = openOwnFile(this.path, OPEN.readAppend);
    this.size = fstatSync(this.fd).size;
    // A kill -9 mid-write leaves a line without its newline; start ours on a line of its own.
    if (this.size > 0 && !endsWithNewline(this.fd, this.size)) this.size += writeSync(this.fd, '\n');
  }

  /** Loads the most recent records of earlier runs so `spew events` shows history at once. */
  async loadRecent(): Promise<void> {
    const lines = await readLastLines(this.path, RECENT, 2);
    for (const line of lines) {
      try {
        this.recent.push(JSON.parse(line) as EventRecord);
      } catch {
        // A line cut short by a kill -9 during its write.
      }
    }
  }

  append(record: EventRecord): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(record);
    this.recent.push(record);
    if (this.recent.length > RECENT * 2) this.recent.splice(0, this.recent.length - RECENT);
    for (const listener of this.listeners) listener(record);
  }

  tail(n: number): EventRecord[] {
    return n <= 0 ? [] : this.recent.slice(-n);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  /**
   * Writes the lines held for this turn now. A small write to the page cache: cheaper than a
   * stream and never reordered. A write that fails keeps them for the next flush; it never
   * throws (supervision goes on without its record).
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending.map((record) => Buffer.from(`${JSON.stringify(record)}\n`));
    const data = Buffer.concat(lines);
    let written = 0;
    try {
      if (this.size + data.length > MAX_BYTES) this.rotate();
      while (written < data.length) written += writeSync(this.fd, data, written);
      this.size += written;
      this.pending = [];
      this.failing = undefined;
    } catch (err) {
      this.size += written;
      // The records that went out whole are written; a line cut short ends here and is
      // skipped on reading; the rest wait for the next flush.
      let whole = 0;
      for (let end = 0; whole < lines.length && end + (lines[whole] as Buffer).length <= written; whole++) end += (lines[whole] as Buffer).length;
      this.pending.splice(0, whole);
      if (written > 0 && data[written - 1] !== 0x0a) this.size += tryWrite(this.fd, '\n');
      this.failing ??= { error: errorMessage(err), since: new Date(), dropped: 0 };
      if (this.pending.length > MAX_WAITING) this.failing.dropped += this.pending.splice(0, this.pending.length - MAX_WAITING).length;
    }
  }

  /** Why records cannot be written, while they cannot: `spew status` says so. */
  get writeError(): { error: string; since: Date; waiting: number; dropped: number } | undefined {
    return this.failing && { ...this.failing, waiting: this.pending.length };
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openOwnFile(this.path, OPEN.append);
    this.size = 0;
  }
}

function tryWrite(fd: number, text: string): number {
  try {
    return writeSync(fd, text);
  } catch {
    return 0;
  }
}
