/**
 * One appliance's captured output: each pipe chunk is split into lines, stamped, appended to the
 * appliance's log file and handed to every live subscriber (attach, `spew logs --follow`).
 */
import { LineSplitter } from './line-splitter.js';
import { formatLogLine, type OutputStream } from './log-line.js';
import type { RotatingLogFile } from './rotating-log-file.js';

export type LineListener = (formattedLine: string) => void;

export class OutputCapture {
  private readonly listeners = new Set<LineListener>();
  // One splitter per stream, so a partial stdout line is never completed by stderr bytes.
  private readonly out: LineSplitter;
  private readonly err: LineSplitter;
  /** The time of the chunk being split: its lines arrived together, so one clock read serves them all. */
  private chunkTime: Date | undefined;

  constructor(
    private readonly file: RotatingLogFile,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.out = new LineSplitter((text) => this.record('out', text));
    this.err = new LineSplitter((text) => this.record('err', text));
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

  private record(stream: OutputStream, text: string): void {
    const line = formatLogLine((this.chunkTime ??= this.clock()), stream, text);
    this.file.append(line);
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
