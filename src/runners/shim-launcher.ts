/**
 * The only processes the agent forks for shell appliances: /bin/sh loops that start shims on
 * request (LAUNCHER_SCRIPT in shell-shim.ts), one per core. Forking the agent costs
 * milliseconds per child (its page tables are copied), forking a shell a fraction of that, and
 * the agent never waits for the fork: a thousand starts are a thousand lines written to pipes.
 *
 * A launcher is in a session of its own, so a Ctrl-C at the agent's terminal does not reach
 * it; it leaves when the agent closes its end of the pipe, on purpose or by dying. If it dies
 * first, the next request starts another, and its owner makes again what was lost. One found
 * stopped (SIGSTOP) when a request is to go to it, or that its owner finds holding a start past
 * the deadline, is killed and replaced the same way: a stopped helper must not hold starts.
 */
import { availableParallelism } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { INSTANCE_VARIABLE } from './instance-scan.js';
import { processStartTime, processState, type ProcessIdentity } from './process-group.js';
import { FIELD_SEPARATOR, LAUNCHER_SCRIPT, SHIM_SCRIPT } from './shell-shim.js';

const OPTIONS = {
  detached: true,
  cleanup: false,
  buffer: false,
  reject: false,
  stdin: 'pipe',
  stdout: 'pipe',
  stderr: 'ignore',
} as const;

type LauncherProcess = ResultPromise<typeof OPTIONS>;

/**
 * Requests are dealt round the launchers, one per core: a launcher waits for each `setsid` it
 * starts (a fork and an exec), so one alone would start shims one at a time.
 */
const LAUNCHERS = Math.max(1, Math.min(4, availableParallelism()));

interface Launcher {
  child: LauncherProcess;
  identity: ProcessIdentity | undefined;
}

export class ShimLauncher {
  private readonly processes: (Launcher | undefined)[] = Array.from({ length: LAUNCHERS }, () => undefined);
  private next = 0;

  constructor(
    /** Marks every shim and appliance process it starts as this instance's (instance-scan.ts). */
    private readonly instance: string,
    private readonly events: {
      /** A shim that could not be started, by the dir it was asked for. */
      onFailure: (dir: string) => void;
      /** The launcher died: requests it had not acted on yet are lost and must be made again. */
      onGone: () => void;
    },
  ) {}

  /**
   * Starts a shim that runs `spec` in run dir `dir` at once. `title` is what `ps` shows.
   * Answers which launcher has it, for `kill`.
   */
  run(title: string, dir: string, spec: string): number {
    return this.request([title, 'run', dir, '', spec]);
  }

  /** Starts a standby in slot `dir`, that says so on the FIFO `ready` with `id`. */
  standby(dir: string, ready: string, id: string): void {
    this.request(['spew-shim', `wait:${id}`, dir, ready, '']);
  }

  private request(fields: string[]): number {
    const index = this.next;
    this.next = (this.next + 1) % this.processes.length;
    this.running(index).stdin.write(`${fields.join(FIELD_SEPARATOR)}\n`);
    return index;
  }

  /**
   * Kills launcher `index` (wedged: it held a start too long); like any launcher that dies, it
   * is replaced and its owner asks again for what it held.
   */
  kill(index: number): void {
    this.processes[index]?.child.kill('SIGKILL');
  }

  /** Lets the launchers go; shims they started run on. */
  close(): void {
    for (const [index, launcher] of this.processes.entries()) {
      launcher?.child.stdin.end();
      this.processes[index] = undefined;
    }
  }

  private running(index: number): LauncherProcess {
    const running = this.processes[index];
    if (running && !(running.identity && processState(running.identity) === 'stopped')) return running.child;
    if (running) {
      // Stopped: it would take requests and act on none. What it held its owner asks for again,
      // once the new one is in its place.
      this.processes[index] = undefined;
      running.child.kill('SIGKILL');
      setImmediate(() => this.events.onGone());
    }
    const child = execa('/bin/sh', ['-c', LAUNCHER_SCRIPT, 'spew-launcher', SHIM_SCRIPT], { ...OPTIONS, env: { [INSTANCE_VARIABLE]: this.instance } });
    child.stdin.on('error', () => undefined);
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const [kind, dir] = pending.slice(0, end).split('\t');
        pending = pending.slice(end + 1);
        if (kind === 'fail' && dir !== undefined) this.events.onFailure(dir);
      }
    });
    const launcher: Launcher = { child, identity: child.pid === undefined ? undefined : { pid: child.pid, startTime: processStartTime(child.pid) ?? '' } };
    void child.then(() => {
      if (this.processes[index] !== launcher) return;
      this.processes[index] = undefined;
      this.events.onGone();
    });
    // The agent may exit while the launcher runs: it must not hold the agent's event loop.
    child.unref();
    this.processes[index] = launcher;
    return child;
  }
}
