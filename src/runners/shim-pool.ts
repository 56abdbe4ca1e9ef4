/**
 * A few standby shims, started ahead of need by the launcher, each waiting in a slot for the
 * run dir it is to serve. Handing one a start is a single write to its slot's `go` FIFO, which
 * is what takes a crash-to-running restart down to the appliance's own fork+exec. A used slot
 * is filled again once its shim has read its line (it then says `pid` on the appliance's
 * lifeline), never before: two shims reading one FIFO could split a line between them.
 *
 * Slots live in STATE_DIR/pool/TOKEN/N, TOKEN being this agent's own: a standby reads
 * end-of-file on `go` when its agent goes, even by dying, and leaves. One that its launcher
 * started after the agent died waits in open() for a writer that never comes; the next agent
 * opens the slots it finds of other agents, tells any such standby to leave, and removes them.
 *
 * Each standby says `ready N PID STARTTIME TOKEN.FILL` on the pool's `ready` FIFO once it waits,
 * FILL being the number of the fill that asked for it. A second standby in a slot (a fill asked
 * for twice), or one of a fill given up on, is killed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { makeOwnDir } from '../common/own-files.js';
import { makeFifos, openFifo } from './fifo.js';
import { processState, signalGroup, stillRunning } from './process-group.js';
import { FIELD_SEPARATOR, type ShimIdentity } from './shell-shim.js';
import type { ShimLauncher } from './shim-launcher.js';

/** How long leaving waits for standbys that are being started. */
const CLOSE_WAIT_MS = 2000;

/** How long a standby may take to say it is ready before it is asked for again. */
const FILL_DEADLINE_MS = 10_000;

/** How often a take looks at every slot, not only at the one it hands the start to. */
const SWEEP_MS = 1000;

/** How long a used slot stays empty: about the time its run takes to start. */
const REFILL_DELAY_MS = 20;

/** The longest go line: what a FIFO holds (64 KiB), less a margin. */
const GO_LINE_MAX = 60 * 1024;

/** Lines that send away standbys of an earlier agent stuck in a slot (more than one is rare). */
const LEAVE_LINES = '-\n'.repeat(8);

type Slot =
  | { state: 'empty' }
  /**
   * A standby for it was asked of the launcher at `since`, as fill `fill` of the pool: a
   * standby keeps its argv when it is taken, so only the fill's own number tells a standby
   * that never said it was ready from the shim of an appliance this slot served before.
   */
  | { state: 'filling'; since: number; fill: number }
  | { state: 'ready'; shim: ShimIdentity }
  /** Its shim has been sent a run dir and has not said so yet. */
  | { state: 'taken'; shim: ShimIdentity };

export interface Standby {
  slot: number;
  shim: ShimIdentity;
}

export class ShimPool {
  private readonly slots: Slot[];
  /** The agent's read-write end of each slot's `go`: writes never block, and never fail. */
  private readonly goFds: (number | undefined)[];
  private readyReader: Socket | undefined;
  private readonly token = randomBytes(6).toString('hex');
  private sweptAt = 0;
  private fills = 0;

  constructor(
    private readonly dir: string,
    size: number,
    private readonly launcher: ShimLauncher,
  ) {
    this.slots = Array.from({ length: size }, () => ({ state: 'empty' }));
    this.goFds = Array.from({ length: size }, () => undefined);
  }

  private slotDir(slot: number): string {
    return join(this.dir, this.token, String(slot));
  }

  /** Clears out the slots of earlier agents, makes this agent's, and fills every one. */
  open(): void {
    makeOwnDir(this.dir);
    this.sendAwayLeftovers();
    for (let slot = 0; slot < this.slots.length; slot++) makeOwnDir(this.slotDir(slot));
    makeFifos([join(this.dir, 'ready'), ...this.slots.map((_, slot) => join(this.slotDir(slot), 'go'))]);
    this.readyReader = new Socket({ fd: openFifo(join(this.dir, 'ready'), constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    let pending = '';
    this.readyReader.setEncoding('utf8');
    this.readyReader.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        this.onReady(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    });
    for (let slot = 0; slot < this.slots.length; slot++) this.fill(slot);
  }

  /**
   * Hands a start (its run dir and spec) to a ready standby, or answers undefined when none is
   * ready (the caller starts a shim through the launcher instead).
   */
  take(runDir: string, spec: string): Standby | undefined {
    const line = `${runDir}${FIELD_SEPARATOR}${spec}\n`;
    // A line the empty FIFO cannot hold at once (an environment of many kilobytes) goes by
    // the launcher, which passes it as an argument.
    if (Buffer.byteLength(line) > GO_LINE_MAX) return undefined;
    if (Date.now() - this.sweptAt >= SWEEP_MS) this.sweep();
    for (let slot = 0; slot < this.slots.length; slot++) {
      const entry = this.slots[slot] as Slot;
      const fd = this.goFds[slot];
      if (entry.state !== 'ready' || fd === undefined || !this.usable(slot, entry.shim)) continue;
      writeSync(fd, line);
      this.slots[slot] = { state: 'taken', shim: entry.shim };
      return { slot, shim: entry.shim };
    }
    return undefined;
  }

  /**
   * A take uses the first ready slot, so a slot further on could keep a standby stopped
   * (SIGSTOP) for good while the first ones serve every start: once a second, a take looks at
   * every slot. A standby that never said it was ready (a launcher stopped or killed meanwhile,
   * or the standby stopped before it said so) is asked for again, any one that is there killed
   * first; a ready one that is stopped or gone is replaced.
   */
  private sweep(): void {
    this.sweptAt = Date.now();
    for (let slot = 0; slot < this.slots.length; slot++) {
      const entry = this.slots[slot] as Slot;
      if (entry.state === 'filling' && this.sweptAt - entry.since > FILL_DEADLINE_MS) {
        for (const pid of standbysIn(this.slotDir(slot), this.fillId(entry.fill))) signalGroup(pid, 'SIGKILL');
        this.reopen(slot);
      } else if (entry.state === 'ready') {
        this.usable(slot, entry.shim);
      }
    }
  }

  /**
   * One read of /proc: a standby killed or stopped while it waited would never take a start.
   * A stopped one is killed, so that it cannot wake later and take it, and the slot starts
   * over with a FIFO nobody else holds.
   */
  private usable(slot: number, shim: ShimIdentity): boolean {
    const state = processState(shim);
    if (state === 'running') return true;
    if (state === 'stopped') signalGroup(shim.pid, 'SIGKILL');
    this.reopen(slot);
    return false;
  }

  /**
   * The standby in `slot` has read its run dir: the slot is free to fill again, a moment later,
   * so that the new standby's fork does not compete with the run just started.
   */
  served(slot: number): void {
    if (this.slots[slot]?.state !== 'taken') return;
    this.slots[slot] = { state: 'empty' };
    setTimeout(() => {
      if (this.slots[slot]?.state === 'empty' && this.goFds[slot] !== undefined) this.fill(slot);
    }, REFILL_DELAY_MS).unref();
  }

  /** The standby in `slot` died before it read its run dir: the line must not reach the next. */
  lost(slot: number): void {
    if (this.slots[slot]?.state === 'taken') this.reopen(slot);
  }

  /** The launcher died: slots it was filling are filled again. */
  relaunch(): void {
    for (let slot = 0; slot < this.slots.length; slot++) {
      if (this.slots[slot]?.state === 'filling') this.launch(slot);
    }
  }

  /**
   * Lets go of the slots: every standby reads end-of-file and leaves. One still being started
   * is waited for first, as it would wait in open() for good.
   */
  async close(): Promise<void> {
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.slots.some((slot) => slot.state === 'filling') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let slot = 0; slot < this.slots.length; slot++) {
      const fd = this.goFds[slot];
      if (fd !== undefined) closeSync(fd);
      this.goFds[slot] = undefined;
      this.slots[slot] = { state: 'empty' };
    }
    this.readyReader?.destroy();
    this.readyReader = undefined;
    rmSync(join(this.dir, this.token), { recursive: true, force: true });
  }

  private fill(slot: number): void {
    if (this.goFds[slot] === undefined) this.goFds[slot] = openFifo(join(this.slotDir(slot), 'go'), constants.O_RDWR | constants.O_NONBLOCK);
    this.slots[slot] = { state: 'filling', since: Date.now(), fill: ++this.fills };
    this.launch(slot);
  }

  private launch(slot: number): void {
    const entry = this.slots[slot];
    if (entry?.state === 'filling') this.launcher.standby(this.slotDir(slot), join(this.dir, 'ready'), this.fillId(entry.fill));
  }

  /** What a standby of fill `fill` says it is, in its argv (`wait:ID`) and its ready line. */
  private fillId(fill: number): string {
    return `${this.token}.${fill}`;
  }

  private reopen(slot: number): void {
    const fd = this.goFds[slot];
    if (fd !== undefined) closeSync(fd);
    this.goFds[slot] = undefined;
    this.fill(slot);
  }

  private onReady(line: string): void {
    const match = /^ready (\d+) (\d+) (\d+) (\w*)\.(\d+)$/.exec(line);
    if (!match) return;
    const slot = Number(match[1]);
    const shim = { pid: Number(match[2]), startTime: match[3] as string };
    if (match[4] !== this.token) return;
    const entry = this.slots[slot];
    if (entry?.state === 'filling' && entry.fill === Number(match[5])) this.slots[slot] = { state: 'ready', shim };
    else if (stillRunning(shim)) signalGroup(shim.pid, 'SIGKILL');
  }

  /**
   * Slots of earlier agents: a standby stuck in open() on one gets a writer at last, reads a
   * line that is not a run dir, and leaves; then the slots go.
   */
  private sendAwayLeftovers(): void {
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === this.token) continue;
      const agentDir = join(this.dir, entry.name);
      for (const slot of readdirSync(agentDir)) {
        try {
          const fd = openFifo(join(agentDir, slot, 'go'), constants.O_RDWR | constants.O_NONBLOCK);
          writeSync(fd, LEAVE_LINES);
          closeSync(fd);
        } catch {
          // No FIFO there: nothing can wait on it.
        }
      }
      rmSync(agentDir, { recursive: true, force: true });
    }
  }
}

/**
 * The processes started as standbys for `slotDir` by fill `fillId` (`TOKEN.FILL`: their argv
 * says `wait:TOKEN.FILL SLOT_DIR`, see shell-shim.ts): one /proc scan, for the rare slot whose standby
 * never said it was ready.
 */
function standbysIn(slotDir: string, fillId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      const at = argv.indexOf(`wait:${fillId}`);
      if (at >= 0 && argv[at + 1] === slotDir) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
