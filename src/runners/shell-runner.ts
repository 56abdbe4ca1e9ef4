/**
 * Runs `type = "shell"` appliances: each run in its own session and process group, under a
 * shim (see shell-shim.ts), with stdout and stderr going into FIFOs. The agent forks nothing
 * per start: a standby from the pool takes the start (shim-pool.ts), or else the launcher
 * starts a shim for it (shim-launcher.ts). The log keeper (log-keeper.ts) moves the output from
 * the FIFOs into spools, which the agent logs from (logs/spool-reader.ts): no byte of output
 * is ever held only by the agent, so none is lost or logged twice across a kill -9 of it.
 *
 * Per appliance, in STATE_DIR/run/REF/: `out`, `err`, `life` (and `in` with stdin) FIFOs, the
 * spools `out.spool` and `err.spool` with the reader's `log.pos`, and the shim's `pid` and
 * `exit` records.
 */
import { closeSync, constants, rmSync, statSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { OutputCapture } from '../logs/output-capture.js';
import { SpoolReader } from '../logs/spool-reader.js';
import { errorMessage } from '../common/errors.js';
import { makeOwnDir, readOwnFile } from '../common/own-files.js';
import { makeFifos, openFifo, probeWriter } from './fifo.js';
import { endSession, INSTANCE_VARIABLE, instanceOf, scanInstance, sessionMembers, type InstanceSession } from './instance-scan.js';
import { LogKeeper } from './log-keeper.js';
import { processState, sinceBoot, stillRunning } from './process-group.js';
import type { Adoption, Departure, FoundRun, RunHandle, Runner } from './runner.js';
import { runSpec } from './run-spec.js';
import { ShellProcess } from './shell-process.js';
import { parseExitRecord, parseShimRecord, type ShimRecord } from './shell-shim.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { ShimLauncher } from './shim-launcher.js';
import { ShimPool } from './shim-pool.js';
import { StartWatch, type PendingStart } from './start-watch.js';
import { resolveIdentity } from './user-ids.js';

interface RunDir {
  dir: string;
  reader: SpoolReader;
  /**
   * The agent's own read-write ends of `out` and `err`, never read: a pipe that no process
   * holds open throws away what it holds, and after a run has ended only the keeper would.
   */
  holders: number[];
  stdin: Socket | undefined;
}

/** How much output one turn of the event loop logs, in all and of one appliance: API answers come between. */
const DRAIN_TURN_BYTES = 2 * 1024 * 1024;
const DRAIN_APPLIANCE_BYTES = 256 * 1024;

/** How often shims are looked at for one stopped (SIGSTOP): a read of /proc per running shim. */
const STOPPED_SHIM_SWEEP_MS = 10_000;

/** Standby shims kept ready: enough for a burst of crashes; more come from the launcher. */
const POOL_SIZE = 2;

export interface ShellRunnerOptions {
  /** Standby shims to keep ready; 0 starts every run through the launcher. */
  standbys?: number;
  /** How often shims are looked at for one stopped. */
  stoppedShimSweepMs?: number;
}

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A record the shim left; a link or a stranger's file there is no record. */
function readIfThere(path: string): string | undefined {
  try {
    return readOwnFile(path);
  } catch {
    return undefined;
  }
}

export class ShellRunner implements Runner {
  private readonly runDirs = new Map<string, RunDir>();
  private readonly launcher: ShimLauncher;
  private readonly pool: ShimPool;
  private readonly starts = new StartWatch((start) => {
    if (start.launcher !== undefined) this.launcher.kill(start.launcher);
  });
  /** Every run this runner watches, started or adopted, until it ends. */
  private readonly runs = new Set<ShellProcess>();
  private poolOpen = false;
  /** What marks this instance's processes: the state dir's real path (instance-scan.ts). */
  readonly instance: string;
  private stoppedShims: NodeJS.Timeout | undefined;
  /** Runs with a live shim that the last survey found, by ref. */
  private surveyed = new Map<string, InstanceSession[]>();
  private readonly sessionOf = new WeakMap<FoundRun, InstanceSession>();
  private readonly keeper: LogKeeper;
  /** Appliances whose spools hold output not logged yet, by ref. */
  private readonly toDrain = new Set<string>();
  private draining = false;

  constructor(
    private readonly stateDir: string,
    /** Something the runner could not do for an appliance's output, for the agent's log; never fatal. */
    private readonly onTrouble: (message: string) => void,
    private readonly options: ShellRunnerOptions = {},
  ) {
    this.instance = instanceOf(stateDir);
    this.keeper = new LogKeeper(join(stateDir, 'keeper'), {
      onData: (runDir) => this.drainSoon(runDir === '*' ? [...this.runDirs.keys()] : [runDir.slice(runDir.lastIndexOf('/') + 1)]),
      onDropped: (runDir, stream, lines, why) => this.runDirs.get(runDir.slice(runDir.lastIndexOf('/') + 1))?.reader.lost(lines, `std${stream} could not be spooled: ${why}`),
      onError: (where, message) => this.onTrouble(`log keeper: ${where}: ${message}`),
    }, { [INSTANCE_VARIABLE]: this.instance });
    this.launcher = new ShimLauncher(this.instance, {
      onFailure: (dir) => this.launchFailed(dir),
      onGone: () => this.relaunch(),
    });
    this.pool = new ShimPool(join(stateDir, 'pool'), options.standbys ?? POOL_SIZE, this.launcher);
  }

  private dirOf(def: ApplianceDefinition): string {
    return join(this.stateDir, 'run', def.ref);
  }

  async prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void> {
    await this.keeper.open();
    const fresh = items.filter(({ def }) => !this.runDirs.has(def.ref));
    const fifos: string[] = [];
    for (const { def } of fresh) {
      const dir = this.dirOf(def);
      makeOwnDir(dir);
      fifos.push(join(dir, 'out'), join(dir, 'err'), join(dir, 'life'));
      if (def.stdin) fifos.push(join(dir, 'in'));
    }
    makeFifos(fifos);
    for (const { def, capture } of fresh) {
      const dir = this.dirOf(def);
      const reader = new SpoolReader(dir, capture, (stream, offset) => this.keeper.trim(dir, stream, offset));
      // A batch a kill of the last agent cut short is undone here, to be logged again once.
      reader.recover();
      const stdin = def.stdin
        ? new Socket({ fd: openFifo(join(dir, 'in'), constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true })
        : undefined;
      const holders = ['out', 'err'].map((name) => openFifo(join(dir, name), constants.O_RDWR | constants.O_NONBLOCK));
      this.runDirs.set(def.ref, { dir, reader, holders, stdin });
      this.keeper.watch(dir);
    }
    // What was spooled while no agent ran.
    this.drainSoon(fresh.map(({ def }) => def.ref));
    if (!this.poolOpen) {
      this.pool.open();
      this.poolOpen = true;
    }
  }

  start(def: ApplianceDefinition): RunHandle {
    const runDir = this.runDirs.get(def.ref);
    if (!runDir) return new FailedSpawn(`${def.name} was never prepared`);
    const { dir } = runDir;
    let spec: string;
    try {
      spec = runSpec(def, resolveIdentity(def.user, def.group));
    } catch (error) {
      return new FailedSpawn((error as Error).message);
    }
    // The name of this start's claim must be free; an `exit` record names the shim it is
    // from, so the last one may stay.
    unlinkIfThere(join(dir, 'pid'));
    const lifePath = join(dir, 'life');
    const lifeRead = openFifo(lifePath, constants.O_RDONLY | constants.O_NONBLOCK);
    const lifeWrite = openFifo(lifePath, constants.O_WRONLY | constants.O_NONBLOCK);
    const title = `spew-shim:${def.name}`;
    const standby = this.pool.take(dir, spec);
    const launcher = standby ? undefined : this.launcher.run(title, dir, spec);
    // The start is on its way; what follows is bookkeeping it does not wait for.
    const lifeline = new Socket({ fd: lifeRead, readable: true, writable: false });
    const handle = new ShellProcess(lifeline, dir, {
      heldWriter: lifeWrite,
      onEnded: () => this.runEnded(def.ref),
      ...(standby && { onShim: () => this.pool.served(standby.slot) }),
    });
    this.watch(handle);
    const pending: PendingStart = {
      handle, runDir: dir, title, spec, since: Date.now(),
      ...(launcher !== undefined && { launcher }),
      ...(standby && {
        standby: standby.shim,
        onStandbyLost: () => {
          this.pool.lost(standby.slot);
          pending.launcher = this.launcher.run(title, dir, spec);
        },
      }),
    };
    this.starts.add(pending);
    return handle;
  }

  async survey(): Promise<FoundRun[]> {
    this.surveyed = new Map();
    return scanInstance(this.instance, join(this.stateDir, 'run')).map((session) => {
      const leftover = session.shim === undefined;
      const found: FoundRun = {
        ref: session.ref,
        ...(session.name !== undefined && { name: session.name }),
        label: leftover ? `${plural(session.members.length, 'process', 'processes')} left of the run of pid ${session.sid}` : `pid ${session.sid}`,
        leftover,
      };
      this.sessionOf.set(found, session);
      if (!leftover) this.surveyed.set(session.ref, [...(this.surveyed.get(session.ref) ?? []), session]);
      return found;
    });
  }

  async stopStray(run: FoundRun, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const session = this.sessionOf.get(run);
    if (session) await endSession(session.sid, oldestStart(session), run.leftover ? 'SIGKILL' : signal, timeoutMs);
  }

  /**
   * Takes over the run its record names; or, with the record lost or damaged, the run the survey
   * found serving this ref on the run dir's own lifeline (its record written anew). A run found
   * on a lifeline that is no longer the run dir's (the run dir was lost) cannot be watched: it
   * is stopped, and the appliance starts afresh. Never two runs of one appliance.
   */
  async adopt(def: ApplianceDefinition): Promise<Adoption> {
    const dir = this.dirOf(def);
    const pidPath = join(dir, 'pid');
    const text = readIfThere(pidPath);
    const record = parseShimRecord(text ?? '');
    const live = this.surveyed.get(def.ref) ?? [];
    const recorded = record && stillRunning(record) ? record : undefined;
    const lifelineInode = inodeOf(join(dir, 'life'));
    const session = recorded
      ? live.find((s) => s.sid === recorded.pid)
      : live.find((s) => s.shim?.lifeline === lifelineInode);
    const others = live.filter((s) => s !== session);
    const notes: string[] = [];
    for (const other of others) {
      await endSession(other.sid, oldestStart(other), def.stop_signal, def.stop_timeout_ms);
      notes.push(`stopped pid ${other.sid}, a run of it that ${session || recorded ? 'was a second copy' : 'no longer has its run dir\'s lifeline (the run dir was lost)'}`);
    }
    const shim = recorded ?? (session && shimRecordOf(session));
    if (shim) {
      if (!recorded) {
        await writeFileAtomic(pidPath, `${shim.pid} ${shim.startTime} ${shim.runSince}\n`);
        notes.push(`its pid record was ${text === undefined ? 'lost' : record ? 'out of date' : 'damaged'}: re-adopted pid ${shim.pid}, found by this instance's marker`);
      }
      return { ...this.adoptRun(def, dir, shim), ...(notes.length > 0 && { note: notes.join('; ') }) };
    }
    const note = notes.length > 0 ? { note: notes.join('; ') } : {};
    if (!record) return { kind: 'absent', ...note };
    // What its process group left behind would run on unsupervised: it goes as it would had
    // the run ended under an agent.
    for (const member of sessionMembers(record.pid, record.startTime)) signalQuietly(member.pid, 'SIGKILL');
    const reason = parseExitRecord(readIfThere(join(dir, 'exit')) ?? '', record.pid) ?? { kind: 'signal', signal: 'SIGKILL' };
    // Consumed: the next agent must not report this same ending again.
    unlinkIfThere(pidPath);
    return { kind: 'exited', reason, ...note };
  }

  private adoptRun(def: ApplianceDefinition, dir: string, shim: ShimRecord): Adoption {
    // The probe's descriptor is the reader, so no writer comes and goes unseen in between; a
    // shim that has claimed its start but not opened the lifeline yet (its agent died a moment
    // ago) is watched from the moment it does.
    const probe = probeWriter(join(dir, 'life'));
    const lifeline = new Socket({ fd: probe.fd, readable: true, writable: false });
    const handle = new ShellProcess(lifeline, dir, { shim, startedAt: sinceBoot(shim.runSince), pending: probe.pending, onEnded: () => this.runEnded(def.ref) });
    this.watch(handle);
    return { kind: 'running', handle };
  }

  private watch(handle: ShellProcess): void {
    this.runs.add(handle);
    void handle.exited.then(() => this.runs.delete(handle));
    this.stoppedShims ??= setInterval(() => this.continueStoppedShims(), this.options.stoppedShimSweepMs ?? STOPPED_SHIM_SWEEP_MS).unref();
  }

  /**
   * A shim stopped with SIGSTOP cannot say that its appliance has ended (nothing else can tell,
   * the agent being no parent of it): every shim found stopped is continued. Only the shim: an
   * operator who stopped the appliance's whole group keeps the appliance itself stopped.
   */
  private continueStoppedShims(): void {
    for (const run of this.runs) {
      if (run.shim && processState(run.shim) === 'stopped') signalQuietly(run.shim.pid, 'SIGCONT');
    }
  }

  input(def: ApplianceDefinition, data: Buffer): boolean {
    const stdin = this.runDirs.get(def.ref)?.stdin;
    if (!stdin) return false;
    stdin.write(data);
    return true;
  }

  release(def: ApplianceDefinition): void {
    const runDir = this.runDirs.get(def.ref);
    if (runDir) this.close(runDir);
    this.runDirs.delete(def.ref);
    this.keeper.unwatch(this.dirOf(def));
    rmSync(this.dirOf(def), { recursive: true, force: true });
  }

  async detach(how: Departure): Promise<void> {
    for (const run of this.runs) run.abandon();
    this.runs.clear();
    for (const runDir of this.runDirs.values()) {
      this.drain(runDir, Infinity);
      this.close(runDir);
    }
    this.runDirs.clear();
    // Every appliance has stopped: the keeper has nothing left to keep. After a hand-off it
    // keeps the appliances' output for the next agent.
    this.keeper.close(how === 'stop');
    this.starts.stop();
    clearInterval(this.stoppedShims);
    this.stoppedShims = undefined;
    this.launcher.close();
    await this.pool.close();
    this.poolOpen = false;
  }

  private close(runDir: RunDir): void {
    runDir.reader.close();
    for (const fd of runDir.holders) closeSync(fd);
    runDir.stdin?.destroy();
  }

  /** Has the spools of these appliances logged soon, a share a turn (see DRAIN_TURN_BYTES). */
  private drainSoon(refs: string[]): void {
    for (const ref of refs) if (this.runDirs.has(ref)) this.toDrain.add(ref);
    if (this.draining || this.toDrain.size === 0) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      let left = DRAIN_TURN_BYTES;
      for (const ref of [...this.toDrain]) {
        if (left <= 0) break;
        this.toDrain.delete(ref);
        const runDir = this.runDirs.get(ref);
        if (runDir && this.drain(runDir, DRAIN_APPLIANCE_BYTES)) this.toDrain.add(ref);
        left -= DRAIN_APPLIANCE_BYTES;
      }
      this.drainSoon([]);
    });
  }

  /** Logs what the spools hold (up to `budget`); answers whether more is left. */
  private drain(runDir: RunDir, budget: number, ended?: { out: number; err: number }): boolean {
    try {
      return runDir.reader.drain(budget, ended);
    } catch (err) {
      this.onTrouble(`${runDir.dir}: cannot read its output spools: ${errorMessage(err)}`);
      return false;
    }
  }

  /**
   * A run has ended: what is spooled goes to the log before its end is told (the last lines of
   * a crash are in the log when the crash is in the status); what the keeper still had comes
   * after, a last line without its newline then ending as a line.
   */
  private runEnded(ref: string): void {
    const runDir = this.runDirs.get(ref);
    if (!runDir) return;
    this.drain(runDir, Infinity);
    void this.keeper.flush(runDir.dir).then((sizes) => {
      if (sizes && this.runDirs.get(ref) === runDir) this.drain(runDir, Infinity, sizes);
    });
  }

  /** The launcher could not start a shim for `dir`: a run dir, or a pool slot. */
  private launchFailed(dir: string): void {
    const start = this.starts.launched().find((s) => s.runDir === dir);
    start?.handle.fail('the launcher could not start a shim for it (setsid, from util-linux, must be installed, and its command and environment within the system\'s limits)');
  }

  /** The launcher died with requests in hand: they are made again (each start runs once). */
  private relaunch(): void {
    this.pool.relaunch();
    for (const start of this.starts.launched()) start.launcher = this.launcher.run(start.title, start.runDir, start.spec);
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The start time of the session's oldest process: nothing of the run began before it. */
function oldestStart(session: InstanceSession): string {
  return session.members.reduce((oldest, m) => (BigInt(m.startTime) < BigInt(oldest) ? m.startTime : oldest), session.members[0]?.startTime ?? '0');
}

/** Clock ticks a second in /proc (USER_HZ, the same on every Linux). */
const TICKS_PER_SECOND = 100;

/** A record for a run found without one: its shim, and when its appliance began. */
function shimRecordOf(session: InstanceSession): ShimRecord | undefined {
  const shim = session.shim;
  if (!shim) return undefined;
  const appliance = session.members.find((m) => m.ppid === shim.pid) ?? shim;
  return { pid: shim.pid, startTime: shim.startTime, runSince: Number(appliance.startTime) / TICKS_PER_SECOND };
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone meanwhile.
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A start that never got a process: it ends at once with the reason. */
class FailedSpawn implements RunHandle {
  readonly pid = 0;
  readonly startedAt = new Date();
  readonly exited;

  constructor(message: string, transient = false) {
    this.exited = Promise.resolve({ kind: 'spawn-error' as const, message, ...(transient && { transient }) });
  }

  stop(): void {}
  kill(): void {}
}
