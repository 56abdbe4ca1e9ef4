/**
 * One appliance's captured output: lines are stamped, appended to the appliance's log file and
 * handed to every live subscriber (attach, `spew logs --follow`). Chunks (a container's stream)
 * are split into lines here; a shell appliance's spool reader hands whole lines in batches.
 *
 * A file that will not take a line (a full disk) loses it, counted: the count and the reason
 * stand in `spew status` while it lasts, and the log says how many went missing where, once it
 * takes lines again. Capture never throws for it: output is no reason to stop supervising.
 */
import { errorMessage } from '../common/errors.js';
import { LineSplitter } from './line-splitter.js';
import { formatLogLine, type OutputStream } from './log-line.js';
import type { LogPosition, RotatingLogFile } from './rotating-log-file.js';

export type LineListener = (formattedLine: string) => void;

/** Lines that never reached the log file, since when and why. */
export interface LostLines {
  lines: number;
  error: string;
  since: Date;
}

export class OutputCapture {
  private readonly listeners = new Set<LineListener>();
  // One splitter per stream, so a partial stdout line is never completed by stderr bytes.
  private readonly out: LineSplitter;
  private readonly err: LineSplitter;
  /** The time of the chunk being split: its lines arrived together, so one clock read serves them all. */
  private chunkTime: Date | undefined;
  private losing: LostLines | undefined;

  constructor(
    private readonly file: RotatingLogFile,
    private readonly clock: () => Date = () => new Date(),
    /** A streak of lost lines begins: said once, not once a line. */
    private readonly onLosing: (error: string) => void = () => undefined,
  ) {
    this.out = new LineSplitter((text) => this.appendLines('out', [text], (this.chunkTime ??= this.clock())));
    this.err = new LineSplitter((text) => this.appendLines('err', [text], (this.chunkTime ??= this.clock())));
  }

  write(stream: OutputStream, chunk: Buffer): void {
    this.chunkTime = undefined;
    this.splitter(stream).push(chunk);
  }

  /** Flushes the partial last line of a stream whose pipe has closed. */
  end(stream: OutputStream): void {
    this.chunkTime = undefined;
    this.splitter(stream).flush();
  }

  /** Whole lines of one stream that arrived together, stamped `time`, written in one go. */
  appendLines(stream: OutputStream, texts: readonly string[], time: Date = this.clock()): void {
    if (texts.length === 0) return;
    const lines = texts.map((text) => formatLogLine(time, stream, text));
    try {
      const losing = this.losing;
      // One batch with the note, so that a record of what was written covers both (spool-reader.ts).
      const note = losing ? [formatLogLine(time, 'err', `spew: ${losing.lines} line(s) of output were lost here since ${losing.since.toISOString()}: ${losing.error}`)] : [];
      this.file.appendBatch([...note, ...lines]);
      this.losing = undefined;
    } catch (err) {
      if (!this.losing) {
        this.losing = { lines: 0, error: errorMessage(err), since: time };
        this.onLosing(this.losing.error);
      }
      this.losing.lines += lines.length;
    }
    for (const line of lines) this.notify(line);
  }

  /** Where the log file stands: what a spool reader records after each batch. */
  logPosition(): LogPosition {
    return this.file.position();
  }

  /** Cuts the log back to `at`, for what follows to be written again (see spool-reader.ts). */
  rewindLog(at: LogPosition): void {
    this.file.rewindTo(at);
  }

  /** Output lost while the file would not take it, until it takes lines again. */
  get lost(): LostLines | undefined {
    return this.losing && { ...this.losing };
  }

  /** Lines lost elsewhere (by the keeper; by an agent before this one): counted as if lost here. */
  countLost(lines: number, error: string, since: Date = this.clock()): void {
    if (lines <= 0) return;
    if (!this.losing) {
      this.losing = { lines: 0, error, since };
      this.onLosing(error);
    }
    this.losing.lines += lines;
  }

  subscribe(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Keeps any partial lines, then releases the file and the subscribers. */
  close(): void {
    this.end('out');
    this.end('err');
    this.file.close();
    this.listeners.clear();
  }

  private splitter(stream: OutputStream): LineSplitter {
    return stream === 'out' ? this.out : this.err;
  }

  private notify(line: string): void {
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        // A broken viewer must not stop the capture or starve the other viewers; it is dropped.
        this.listeners.delete(listener);
      }
    }
  }
}
