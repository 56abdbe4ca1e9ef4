/**
 * The agent's side of spew-keeper (keeper/spew-keeper.c), the helper that moves shell
 * appliances' output from their FIFOs into spool files, so that no byte of it is ever only in
 * the agent's memory. One keeper per instance, in a session of its own: it outlives the agent
 * (an agent killed or handing off), and the next agent finds it by its pid record.
 *
 * STATE_DIR/keeper/ holds its `ctl` FIFO (commands from here), its `news` FIFO (what it tells),
 * `pid` and `lock`. A keeper that dies or is stopped is replaced within a second: the FIFOs
 * hold what it had not moved yet, and each appliance's output waits there (blocking at 64 KiB)
 * until the next one moves it. Nothing is lost either way.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeOwnDir, OPEN, openOwnFile, readOwnFile } from '../common/own-files.js';
import { isSingleBinary } from '../common/package-file.js';
import type { OutputStream } from '../logs/log-line.js';
import type { SpoolSizes } from '../logs/spool-reader.js';
import { makeFifos, openFifo } from './fifo.js';
import { processState, type ProcessIdentity } from './process-group.js';

/** How often the keeper is looked at: dead or stopped, it is replaced. */
const CHECK_MS = 1000;
/** How long a flush waits for the keeper's answer: a run's end is not held up longer. */
const FLUSH_WAIT_MS = 2000;
/** How long a new keeper may take to say who it is. */
const START_WAIT_MS = 5000;

export interface KeeperEvents {
  /** New output is spooled for `runDir`; `*`: for any (some news was lost). */
  onData(runDir: string): void;
  /** Output the keeper could not keep (a full disk, a spool past its bound), counted. */
  onDropped(runDir: string, stream: OutputStream, lines: number, why: string): void;
  onError(runDir: string, message: string): void;
}

/** Where the keeper program is: beside the built code, or carried inside the single binary. */
async function keeperProgram(dir: string): Promise<string> {
  if (!(await isSingleBinary())) return fileURLToPath(new URL('../../dist/helpers/spew-keeper', import.meta.url));
  const { getRawAsset } = await import('node:sea');
  const program = Buffer.from(getRawAsset('helpers/spew-keeper'));
  const path = join(dir, 'spew-keeper');
  let same = false;
  try {
    const fd = openOwnFile(path, OPEN.read);
    try {
      same = readFileSync(fd).equals(program);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not there yet, or not ours: written anew below.
  }
  if (!same) {
    const temp = `${path}.${randomBytes(4).toString('hex')}`;
    const fd = openOwnFile(temp, OPEN.create, 0o700);
    try {
      writeSync(fd, program);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  }
  return path;
}

export class LogKeeper {
  private ctl: number | undefined;
  private news: Socket | undefined;
  private keeper: ProcessIdentity | undefined;
  private readonly watched = new Set<string>();
  private readonly flushes = new Map<string, (sizes: SpoolSizes | undefined) => void>();
  private nextToken = 0;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly events: KeeperEvents,
    /** The keeper's environment on top of the agent's: the instance's marker. */
    private readonly env: Record<string, string> = {},
  ) {}

  /** Makes the keeper's FIFOs, and has a keeper running: the one found, or a new one. */
  async open(): Promise<void> {
    if (this.ctl !== undefined) return;
    makeOwnDir(this.dir);
    makeFifos([join(this.dir, 'ctl'), join(this.dir, 'news')]);
    this.ctl = openFifo(join(this.dir, 'ctl'), constants.O_RDWR | constants.O_NONBLOCK);
    const news = new Socket({ fd: openFifo(join(this.dir, 'news'), constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    let pending = '';
    news.setEncoding('utf8');
    news.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        this.hear(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    });
    news.on('error', () => undefined);
    this.news = news;
    await this.ensure();
    this.timer = setInterval(() => void this.ensure(), CHECK_MS);
    this.timer.unref();
  }

  watch(runDir: string): void {
    this.watched.add(runDir);
    this.send(`watch ${runDir}`);
  }

  unwatch(runDir: string): void {
    this.watched.delete(runDir);
    this.send(`unwatch ${runDir}`);
  }

  /** The keeper may empty `stream`'s spool in `runDir`: its first `offset` bytes are logged. */
  trim(runDir: string, stream: OutputStream, offset: number): void {
    this.send(`trim ${runDir} ${stream} ${offset}`);
  }

  /**
   * Has the keeper move everything the FIFOs of `runDir` hold now; answers the spools' sizes
   * then, or undefined when it did not answer in time.
   */
  flush(runDir: string): Promise<SpoolSizes | undefined> {
    const token = String(++this.nextToken);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), FLUSH_WAIT_MS);
      const done = (sizes: SpoolSizes | undefined): void => {
        clearTimeout(timer);
        this.flushes.delete(token);
        resolve(sizes);
      };
      this.flushes.set(token, done);
      this.send(`flush ${runDir} ${token}`);
    });
  }

  /**
   * Lets go of the keeper; `stop`: it is told to exit once it has moved everything (every
   * appliance has stopped), else it runs on for the next agent.
   */
  close(stop: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (stop) this.send('exit');
    this.news?.destroy();
    this.news = undefined;
    if (this.ctl !== undefined) closeSync(this.ctl);
    this.ctl = undefined;
    for (const done of this.flushes.values()) done(undefined);
  }

  private send(line: string): void {
    if (this.ctl === undefined) return;
    try {
      writeSync(this.ctl, `${line}\n`);
    } catch {
      // The FIFO is full: no keeper reads it. The one that replaces it is told every watch anew.
    }
  }

  private hear(line: string): void {
    const [kind, ...words] = line.split(' ');
    switch (kind) {
      case 'data':
        this.events.onData(words.join(' '));
        return;
      case 'dropped': {
        const [runDir, stream, lines, , ...why] = words;
        if (runDir && (stream === 'out' || stream === 'err')) this.events.onDropped(runDir, stream, Number(lines), why.join(' '));
        return;
      }
      case 'flushed': {
        const [token, out, err] = words;
        const sizes = Number(out) >= 0 && Number(err) >= 0 ? { out: Number(out), err: Number(err) } : undefined;
        if (token) this.flushes.get(token)?.(sizes);
        return;
      }
      case 'error': {
        const [runDir, ...what] = words;
        if (runDir) this.events.onError(runDir, what.join(' '));
        return;
      }
    }
  }

  /** A live keeper that is not stopped; a new one, told every watch, when there is none. */
  private async ensure(): Promise<void> {
    if (this.starting) return this.starting;
    const found = this.keeper ?? parseIdentity(readRecord(join(this.dir, 'pid')));
    const state = found ? processState(found) : 'gone';
    if (found && state === 'running') {
      if (!this.keeper) this.rewatch();
      this.keeper = found;
      return;
    }
    // Stopped, it would hold every appliance's output: it is replaced like a dead one.
    if (found && state === 'stopped') signalQuietly(found.pid);
    this.keeper = undefined;
    this.starting = this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<void> {
    const program = await keeperProgram(this.dir);
    const record = join(this.dir, 'pid');
    try {
      unlinkSync(record);
    } catch {
      // None there.
    }
    // Its stderr is read only until it is up: a keeper that cannot start says why there.
    const child = execa(program, [this.dir], { detached: true, cleanup: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false, buffer: false, env: this.env });
    child.unref();
    let said = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (said = (said + text).slice(-1024)));
    let exited: number | undefined;
    void child.then((result) => (exited = result.exitCode ?? -1));
    const deadline = Date.now() + START_WAIT_MS;
    try {
      while (Date.now() < deadline && this.ctl !== undefined) {
        const identity = parseIdentity(readRecord(record));
        if (identity && processState(identity) === 'running') {
          this.keeper = identity;
          this.rewatch();
          return;
        }
        // Exit 0 at once: another keeper holds the lock, and its record comes.
        if (exited !== undefined && exited !== 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      this.events.onError(this.dir, `the log keeper ${program} did not start${exited !== undefined ? ` (exit ${exited})` : ''}: ${said.trim() || 'no word from it'}; appliances' output waits in their FIFOs`);
    } finally {
      child.stderr.destroy();
    }
  }

  private rewatch(): void {
    for (const runDir of this.watched) this.send(`watch ${runDir}`);
    // It may have moved output no one was told of.
    this.events.onData('*');
  }
}

function readRecord(path: string): string {
  try {
    return readOwnFile(path) ?? '';
  } catch {
    return '';
  }
}

function parseIdentity(text: string): ProcessIdentity | undefined {
  const match = /^(\d+) (\d+)\n?$/.exec(text);
  return match ? { pid: Number(match[1]), startTime: match[2] as string } : undefined;
}

function signalQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}
