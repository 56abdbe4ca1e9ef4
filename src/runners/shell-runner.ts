/**
 * Runs `type = "shell"` appliances: each run in its own session and process group, under a
 * shim (see shell-shim.ts), with stdout and stderr going into FIFOs that the agent reads. The
 * agent forks nothing per start: a standby from the pool takes the start (shim-pool.ts), or
 * else the launcher starts a shim for it (shim-launcher.ts).
 *
 * Per appliance, in STATE_DIR/run/REF/: `out`, `err`, `life` (and `in` with stdin) FIFOs, and
 * the shim's `pid` and `exit` records.
 */
import { closeSync, constants, rmSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { ApplianceDefinition } from '../appliance/model.js';
import type { OutputStream } from '../logs/log-line.js';
import type { OutputCapture } from '../logs/output-capture.js';
import { makeOwnDir, readOwnFile } from '../common/own-files.js';
import { makeFifos, openFifo, openPersistentReader, probeWriter } from './fifo.js';
import { sinceBoot, stillRunning } from './process-group.js';
import type { AdoptResult, RunHandle, Runner } from './runner.js';
import { runSpec } from './run-spec.js';
import { ShellProcess } from './shell-process.js';
import { parseExitRecord, parseShimRecord } from './shell-shim.js';
import { ShimLauncher } from './shim-launcher.js';
import { ShimPool } from './shim-pool.js';
import { StartWatch } from './start-watch.js';
import { resolveIdentity } from './user-ids.js';

interface RunDir {
  dir: string;
  readers: Socket[];
  stdin: Socket | undefined;
}

/** Standby shims kept ready: enough for a burst of crashes; more come from the launcher. */
const POOL_SIZE = 2;

export interface ShellRunnerOptions {
  /** Standby shims to keep ready; 0 starts every run through the launcher. */
  standbys?: number;
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
  private readonly starts = new StartWatch();
  /** Every run this runner watches, started or adopted, until it ends. */
  private readonly runs = new Set<ShellProcess>();
  private poolOpen = false;

  constructor(
    private readonly stateDir: string,
    /** A capture that cannot write (full disk) is reported, never allowed to stop the agent. */
    private readonly onCaptureError: (def: ApplianceDefinition, err: unknown) => void,
    options: ShellRunnerOptions = {},
  ) {
    this.launcher = new ShimLauncher({
      onFailure: (dir) => this.launchFailed(dir),
      onGone: () => this.relaunch(),
    });
    this.pool = new ShimPool(join(stateDir, 'pool'), options.standbys ?? POOL_SIZE, this.launcher);
  }

  private dirOf(def: ApplianceDefinition): string {
    return join(this.stateDir, 'run', def.ref);
  }

  async prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void> {
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
      const out = openPersistentReader(join(dir, 'out'));
      const err = openPersistentReader(join(dir, 'err'));
      const feed = (stream: OutputStream) => (chunk: Buffer): void => {
        try {
          capture.write(stream, chunk);
        } catch (error) {
          this.onCaptureError(def, error);
        }
      };
      out.on('data', feed('out'));
      err.on('data', feed('err'));
      const stdin = def.stdin
        ? new Socket({ fd: openFifo(join(dir, 'in'), constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true })
        : undefined;
      this.runDirs.set(def.ref, { dir, readers: [out, err], stdin });
    }
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
    if (!standby) this.launcher.run(title, dir, spec);
    // The start is on its way; what follows is bookkeeping it does not wait for.
    const lifeline = new Socket({ fd: lifeRead, readable: true, writable: false });
    const handle = new ShellProcess(lifeline, dir, {
      heldWriter: lifeWrite,
      ...(standby && { onShim: () => this.pool.served(standby.slot) }),
    });
    this.watch(handle);
    this.starts.add({
      handle, runDir: dir, title, spec,
      ...(standby && {
        standby: standby.shim,
        onStandbyLost: () => {
          this.pool.lost(standby.slot);
          this.launcher.run(title, dir, spec);
        },
      }),
    });
    return handle;
  }

  async adopt(def: ApplianceDefinition): Promise<AdoptResult> {
    const dir = this.dirOf(def);
    const pidPath = join(dir, 'pid');
    const probe = probeWriter(join(dir, 'life'));
    const record = parseShimRecord(readIfThere(pidPath) ?? '');
    if (!record || !stillRunning(record)) {
      closeSync(probe.fd);
      // A writer that is not the shim we recorded is a stranger: never signal it.
      if (!record || probe.writer) return { kind: 'absent' };
      const reason = parseExitRecord(readIfThere(join(dir, 'exit')) ?? '', record.pid) ?? { kind: 'signal', signal: 'SIGKILL' };
      // Consumed: the next agent must not report this same ending again.
      unlinkIfThere(pidPath);
      return { kind: 'exited', reason };
    }
    // The probe's descriptor is the reader, so no writer comes and goes unseen in between; a
    // shim that has claimed its start but not opened the lifeline yet (its agent died a moment
    // ago) is watched from the moment it does.
    const lifeline = new Socket({ fd: probe.fd, readable: true, writable: false });
    const handle = new ShellProcess(lifeline, dir, { shim: record, startedAt: sinceBoot(record.runSince), pending: probe.pending });
    this.watch(handle);
    return { kind: 'running', handle };
  }

  private watch(handle: ShellProcess): void {
    this.runs.add(handle);
    void handle.exited.then(() => this.runs.delete(handle));
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
    rmSync(this.dirOf(def), { recursive: true, force: true });
  }

  async detach(): Promise<void> {
    for (const run of this.runs) run.abandon();
    this.runs.clear();
    for (const runDir of this.runDirs.values()) this.close(runDir);
    this.runDirs.clear();
    this.starts.stop();
    this.launcher.close();
    await this.pool.close();
    this.poolOpen = false;
  }

  private close(runDir: RunDir): void {
    for (const reader of runDir.readers) reader.destroy();
    runDir.stdin?.destroy();
  }

  /** The launcher could not start a shim for `dir`: a run dir, or a pool slot. */
  private launchFailed(dir: string): void {
    const start = this.starts.launched().find((s) => s.runDir === dir);
    start?.handle.fail('the launcher could not start a shim for it (setsid, from util-linux, must be installed, and its command and environment within the system\'s limits)');
  }

  /** The launcher died with requests in hand: they are made again (each start runs once). */
  private relaunch(): void {
    this.pool.relaunch();
    for (const start of this.starts.launched()) this.launcher.run(start.title, start.runDir, start.spec);
  }
}

/** A start that never got a process: it ends at once with the reason. */
class FailedSpawn implements RunHandle {
  readonly pid = 0;
  readonly startedAt = new Date();
  readonly exited;

  constructor(message: string) {
    this.exited = Promise.resolve({ kind: 'spawn-error' as const, message });
  }

  stop(): void {}
  kill(): void {}
}
