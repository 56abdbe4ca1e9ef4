/**
 * A Runner that runs no process at all, in the spirit of Nomad's `drivers/mock`: each start
 * follows a script on a FakeClock (run so long then exit, run until stopped, ignore the stop
 * signal, fail to spawn), and every run is kept as a record of what happened to it. A run's
 * `exited` settles through a promise, as a real runner's does: after moving the clock, a test
 * lets the callbacks run with `settle()`, or does both at once with `elapse()`.
 */
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import type { ExitReason } from '../../src/model/appliance-state.js';
import type { Adoption, FoundRun, RunHandle, Runner } from '../../src/runners/runner.js';
import type { FakeClock } from './fake-clock.js';

/** How a run ends on its own. */
export type Ending = { exit: number } | { signal: NodeJS.Signals };

/** What one run does. Any of them dies at once of a kill (SIGKILL). */
export type RunScript =
  /** Runs until it is stopped (it dies of the stop signal) or the test crashes it. */
  | 'forever'
  /** Like `forever`, but the stop signal does nothing: it dies of SIGKILL at the stop timeout. */
  | 'ignore-sigterm'
  /** Runs `ms`, then ends as `then`; a stop before that ends it as the stop signal. */
  | { run: 'for'; ms: number; then: Ending };

/** What one start does: a run, or a spawn that fails, as the shell runner reports it (pid 0, exited at once). */
export type Script = RunScript | { spawn: 'fail'; message: string; transient?: boolean };

/** How `adopt` answers for an appliance: a run still up (following its script), one that ended while no agent ran, or none. */
export type AdoptAnswer = { kind: 'running'; script: RunScript } | { kind: 'exited'; reason: ExitReason } | { kind: 'absent' };

const FIRST_PID = 1000;

/** One start or adoption, and what happened to it since: the handle the appliance holds. */
export class ScriptedRun implements RunHandle {
  readonly startedAt: Date;
  readonly exited: Promise<ExitReason>;
  /** Every stop asked of it, in order, with the time on the clock. */
  readonly stops: { at: number; signal: NodeJS.Signals; timeoutMs: number }[] = [];
  /** When it was asked to die of SIGKILL at once. */
  readonly kills: number[] = [];
  ended: { at: number; reason: ExitReason } | undefined;
  private resolve: (reason: ExitReason) => void = () => undefined;
  private readonly timers: unknown[] = [];

  constructor(
    readonly def: ApplianceDefinition,
    readonly how: 'started' | 'adopted',
    readonly pid: number,
    private readonly script: Script,
    private readonly clock: FakeClock,
  ) {
    this.startedAt = new Date(clock.now());
    this.exited = new Promise((resolve) => (this.resolve = resolve));
    if (typeof script === 'string') return;
    if ('spawn' in script) this.end({ kind: 'spawn-error', message: script.message, ...(script.transient && { transient: true }) });
    else this.later(script.ms, endingOf(script.then));
  }

  /** When it was started or adopted, in ms on the clock. */
  get at(): number {
    return this.startedAt.getTime();
  }

  stop(signal: NodeJS.Signals, timeoutMs: number): void {
    this.stops.push({ at: this.clock.now(), signal, timeoutMs });
    if (this.script !== 'ignore-sigterm') this.end({ kind: 'signal', signal });
    else if (this.stops.length === 1) this.later(timeoutMs, { kind: 'signal', signal: 'SIGKILL' });
  }

  kill(): void {
    this.kills.push(this.clock.now());
    this.end({ kind: 'signal', signal: 'SIGKILL' });
  }

  /** Ends the run now as `reason`, unless it has ended already. */
  end(reason: ExitReason): void {
    if (this.ended) return;
    this.ended = { at: this.clock.now(), reason };
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.resolve(reason);
  }

  private later(ms: number, reason: ExitReason): void {
    this.timers.push(this.clock.setTimeout(() => this.end(reason), ms));
  }
}

function endingOf(ending: Ending): ExitReason {
  return 'exit' in ending ? { kind: 'exit', code: ending.exit } : { kind: 'signal', signal: ending.signal };
}

export class ScriptedRunner implements Runner {
  /** Every start and adoption, oldest first. */
  readonly runs: ScriptedRun[] = [];
  private readonly scripts = new Map<string, Script[]>();
  private readonly adoptions = new Map<string, AdoptAnswer>();
  private nextPid = FIRST_PID;

  constructor(private readonly clock: FakeClock) {}

  /**
   * What the successive starts of `appliance` (its name or ref) do, the last one for every
   * start after it too. An appliance without a script runs `forever`.
   */
  script(appliance: string, ...scripts: [Script, ...Script[]]): void {
    this.scripts.set(appliance, scripts);
  }

  /** What `adopt` answers for `appliance` (its name or ref); `absent` when not told. */
  adoption(appliance: string, answer: AdoptAnswer): void {
    this.adoptions.set(appliance, answer);
  }

  /** The starts and adoptions of `appliance` (its name or ref), oldest first. */
  runsOf(appliance: string): ScriptedRun[] {
    return this.runs.filter((run) => run.def.name === appliance || run.def.ref === appliance);
  }

  /** The run of `appliance` that has not ended, if any. */
  live(appliance: string): ScriptedRun | undefined {
    return this.runsOf(appliance).find((run) => !run.ended);
  }

  /** Ends the live run of `appliance` now, as the test says (exit 1 unless told). */
  crash(appliance: string, reason: ExitReason = { kind: 'exit', code: 1 }): void {
    const run = this.live(appliance);
    if (!run) throw new Error(`${appliance} has no run to crash`);
    run.end(reason);
  }

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  start(def: ApplianceDefinition): RunHandle {
    const scripts = this.scripts.get(def.ref) ?? this.scripts.get(def.name) ?? ['forever'];
    const script = scripts.length > 1 ? scripts.shift()! : scripts[0]!;
    const pid = typeof script === 'object' && 'spawn' in script ? 0 : this.nextPid++;
    return this.record(new ScriptedRun(def, 'started', pid, script, this.clock));
  }

  survey(): Promise<FoundRun[]> {
    return Promise.resolve([]);
  }

  stopStray(): Promise<void> {
    return Promise.resolve();
  }

  adopt(def: ApplianceDefinition): Promise<Adoption> {
    const answer = this.adoptions.get(def.ref) ?? this.adoptions.get(def.name) ?? { kind: 'absent' };
    if (answer.kind !== 'running') return Promise.resolve(answer);
    const handle = this.record(new ScriptedRun(def, 'adopted', this.nextPid++, answer.script, this.clock));
    return Promise.resolve({ kind: 'running', handle });
  }

  input(): boolean {
    return false;
  }

  release(): void {}

  detach(): void {}

  private record(run: ScriptedRun): ScriptedRun {
    this.runs.push(run);
    return run;
  }
}

/**
 * Lets every promise callback that is due run: those of runs that ended, and whatever they
 * set off. A macrotask comes only once the microtask queue is empty, however long the chains
 * in it, so one turn of `setImmediate` (which no fake clock touches) flushes them all.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Moves `clock` forward by `ms` one due timer at a time, settling after each, so that what a
 * run's end sets off (a restart's timer) is in place before the clock goes past it.
 */
export async function elapse(clock: FakeClock, ms: number): Promise<void> {
  const target = clock.now() + ms;
  await settle();
  for (let due = clock.nextDue(); due !== undefined && due <= target; due = clock.nextDue()) {
    clock.advance(due - clock.now());
    await settle();
  }
  clock.advance(target - clock.now());
}
