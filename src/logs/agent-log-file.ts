/**
 * The agent's own log file as a winston transport, written the way appliance logs are
 * (RotatingLogFile): opened without following links and only if it is the agent's own, since
 * the agent writes it as root. `agent.log` is the live file; `agent.log.1` and on the older ones.
 */
import Transport from 'winston-transport';
import { RotatingLogFile } from './rotating-log-file.js';

/** Where winston leaves the formatted line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

export class AgentLogFile extends Transport {
  private readonly file: RotatingLogFile;
  /** Entries the file would not take (a full disk); said in the next one it takes. */
  private lost = 0;

  constructor(path: string, opts: { maxBytes: number; maxFiles: number }) {
    super();
    this.file = new RotatingLogFile(path, opts);
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = String(info[MESSAGE] ?? info.message);
    try {
      if (this.lost > 0) {
        this.file.append(`(${this.lost} earlier entries of this log could not be written)`);
        this.lost = 0;
      }
      this.file.append(line);
    } catch {
      // The agent's log is no reason to stop supervising; what it missed is counted.
      this.lost += 1;
    }
    next();
  }

  override close(): void {
    this.file.close();
  }
}
