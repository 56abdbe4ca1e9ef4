/**
 * Runs `type = "shell"` appliances: each in its own session and process group, under the shim
 * (see shell-shim.ts), with stdout and stderr going into FIFOs that the agent reads.
 *
 * Per appliance, in STATE_DIR/run/REF/: `out`, `err`, `life` (and `in` with stdin) FIFOs, and
 * the shim's `pid` and `exit` records.
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { argvOf, type ApplianceDefinition } from '../appliance/model.js';
import type { OutputStream } from '../logs/log-line.js';
import type { OutputCapture } from '../logs/output-capture.js';
import { makeFifos, openAppendEnd, openPersistentReader, probeWriter } from './fifo.js';
import { processStartDate, processStartTime } from './process-group.js';
import type { AdoptResult, RunHandle, Runner } from './runner.js';
import { ShellProcess } from './shell-process.js';
import { parsePidRecord, parseStatusLine, SHIM_SCRIPT } from './shell-shim.js';
import { resolveIdentity } from './user-ids.js';

interface RunDir {
  dir: string;
  readers: Socket[];
  stdin: Socket | undefined;
}

/** How long an adopting agent waits for a shim that is alive but has not written its record. */
const PID_RECORD_WAIT_MS = 2000;

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export class ShellRunner implements Runner {
  private readonly runDirs = new Map<string, RunDir>();

  constructor(
    private readonly stateDir: string,
    /** A capture that cannot write (full disk) is reported, never allowed to stop the agent. */
    private readonly onCaptureError: (def: ApplianceDefinition, err: unknown) => void,
  ) {}

  private dirOf(def: ApplianceDefinition): string {
    return join(this.stateDir, 'run', def.ref);
  }

  async prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void> {
    const fresh = items.filter(({ def }) => !this.runDirs.has(def.ref));
    const fifos: string[] = [];
    for (const { def } of fresh) {
      const dir = this.dirOf(def);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
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
        ? new Socket({ fd: openSync(join(dir, 'in'), constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true })
        : undefined;
      this.runDirs.set(def.ref, { dir, readers: [out, err], stdin });
    }
  }

  start(def: ApplianceDefinition): RunHandle {
    const dir = this.dirOf(def);
    unlinkIfThere(join(dir, 'pid'));
    unlinkIfThere(join(dir, 'exit'));
    const lifePath = join(dir, 'life');
    // The reader must exist before the write end can be opened without blocking; the agent
    // hands the write end to the shim and keeps none, so end-of-file means the shim is gone.
    const lifeRead = openSync(lifePath, constants.O_RDONLY | constants.O_NONBLOCK);
    const lifeWrite = openSync(lifePath, constants.O_WRONLY | constants.O_NONBLOCK);
    const out = openAppendEnd(join(dir, 'out'));
    const err = openAppendEnd(join(dir, 'err'));
    const stdin = def.stdin ? openAppendEnd(join(dir, 'in')) : undefined;
    const argv = argvOf(def.command);
    try {
      const identity = resolveIdentity(def.user, def.group);
      const child = execa('/bin/sh', ['-c', SHIM_SCRIPT, `spew-shim:${def.name}`, dir, ...argv], {
        detached: true,
        cleanup: false,
        buffer: false,
        reject: false,
        // execa's types admit only fds 3-9 in stdio; at run time any open fd is passed through.
        stdio: [stdin ?? 'ignore', out, err, lifeWrite] as unknown as ['ignore', 'pipe', 'pipe', 3],
        env: { ...def.env, SPEW_APPLIANCE: def.name, SPEW_REF: def.ref },
        ...(def.cwd !== undefined ? { cwd: def.cwd } : {}),
        ...(identity ?? {}),
      });
      const lifeline = new Socket({ fd: lifeRead, readable: true, writable: false });
      if (child.pid === undefined) {
        lifeline.destroy();
        return new FailedSpawn(child.then((result) => result.shortMessage ?? 'spawn failed'));
      }
      return new ShellProcess(child.pid, new Date(), lifeline, dir);
    } catch (error) {
      closeSync(lifeRead);
      return new FailedSpawn(Promise.resolve((error as Error).message));
    } finally {
      for (const fd of [lifeWrite, out, err, stdin]) if (fd !== undefined) closeSync(fd);
    }
  }

  async adopt(def: ApplianceDefinition): Promise<AdoptResult> {
    const dir = this.dirOf(def);
    const probe = probeWriter(join(dir, 'life'));
    if (!probe.writer) {
      closeSync(probe.fd);
      const record = readIfThere(join(dir, 'pid'));
      if (record === undefined) return { kind: 'absent' };
      const reason = parseStatusLine(readIfThere(join(dir, 'exit')) ?? '') ?? { kind: 'signal', signal: 'SIGKILL' };
      // Consumed: the next agent must not report this same ending again.
      unlinkIfThere(join(dir, 'pid'));
      return { kind: 'exited', reason };
    }
    const record = await this.waitForPidRecord(join(dir, 'pid'));
    const lifeline = new Socket({ fd: probe.fd, readable: true, writable: false });
    if (!record || processStartTime(record.pid) !== record.startTime) {
      // Something holds the lifeline but is not the shim we recorded; never signal a stranger.
      lifeline.destroy();
      return { kind: 'absent' };
    }
    return { kind: 'running', handle: new ShellProcess(record.pid, processStartDate(record.startTime), lifeline, dir, probe.pending) };
  }

  private async waitForPidRecord(path: string): Promise<{ pid: number; startTime: string } | undefined> {
    const deadline = Date.now() + PID_RECORD_WAIT_MS;
    for (;;) {
      const record = parsePidRecord(readIfThere(path) ?? '');
      if (record || Date.now() > deadline) return record;
      await new Promise((resolve) => setTimeout(resolve, 20));
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
    rmSync(this.dirOf(def), { recursive: true, force: true });
  }

  detach(): void {
    for (const runDir of this.runDirs.values()) this.close(runDir);
    this.runDirs.clear();
  }

  private close(runDir: RunDir): void {
    for (const reader of runDir.readers) reader.destroy();
    runDir.stdin?.destroy();
  }
}

/** A start that never got a process: it ends at once with the reason. */
class FailedSpawn implements RunHandle {
  readonly pid = 0;
  readonly startedAt = new Date();
  readonly exited;

  constructor(message: Promise<string>) {
    this.exited = message.then((text) => ({ kind: 'spawn-error' as const, message: text }));
  }

  stop(): void {}
  kill(): void {}
}
