/**
 * One appliance at run time: its definition, where its state machine stands, its counters, its
 * process, its restart limiter and its health watch. Every change of state goes through
 * `dispatch`, which asks the pure transition function and then carries out the effects, here
 * and nowhere else.
 *
 * One event at a time: `dispatch` queues, and a drain loop runs transition -> record -> effects
 * -> notify for one event before it takes the next. An event that an effect causes (a spawn's
 * `started`, a zero-delay restart's `start`) waits its turn, so every observer sees the cause
 * before its consequence.
 */
import type { ApplianceStatus } from '../model/appliance-status.js';
import { describeImage } from '../images/image-source.js';
import type { Clock, Random } from '../common/clock.js';
import type { OutputCapture } from '../logs/output-capture.js';
import type { RunHandle, Runner } from '../runners/runner.js';
import type { PendingRequest, PersistedAppliance } from '../model/persisted-appliance.js';
import { actionFor, type SupervisedEvent } from '../supervision/bindings.js';
import { RestartLimiter } from '../supervision/restart-limiter.js';
import type { RestartThrottle } from '../supervision/restart-throttle.js';
import type { Action } from '../model/restart-policy.js';
import { HealthWatch } from '../watchers/health-watch.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { describeExit, type ApplianceEvent, type ApplianceState, type ExitReason } from '../model/appliance-state.js';
import { transition, type AfterStop, type Effect, type Transition } from './state-machine.js';

/** What an appliance needs from the manager that owns it. */
export interface ApplianceOwner {
  /** After every accepted transition, before its effects: record it, persist it, queue hooks. */
  onTransition(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition): void;
  /**
   * After the transition's effects: tell dependents. Kept after, so that a crashed dependency
   * has scheduled its own restart before its dependents react (and queues ahead of them).
   */
  afterEffects(appliance: Appliance, event: ApplianceEvent, from: ApplianceState, next: Transition): void;
  /** The appliance has been deleted and must be dropped. */
  onForget(appliance: Appliance): void;
  dependenciesReady(appliance: Appliance): boolean;
  /** Starts the appliance once its dependencies run, or times out. */
  awaitDependencies(appliance: Appliance): void;
}

/** What every appliance of an agent shares. */
export interface ApplianceServices {
  runner: Runner;
  throttle: RestartThrottle;
  clock: Clock;
  random: Random;
}

const SETTLED: ReadonlySet<ApplianceState> = new Set(['running', 'alive', 'stopped', 'crashed', 'failed']);

/** A start lost for a transient reason is tried again after this, doubling up to the max. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 30_000;

function supervised(event: ApplianceEvent): SupervisedEvent | undefined {
  switch (event.kind) {
    case 'stop':
      return { kind: 'stop' };
    case 'crash':
      return { kind: 'crash' };
    case 'watcher':
      return event.what === 'up' ? undefined : { kind: 'watcher', what: event.what };
    case 'dependency':
      return { kind: 'dependency', dep: event.dep, what: event.what };
    default:
      return undefined;
  }
}

export class Appliance {
  state: ApplianceState = 'stopped';
  reason = 'created';
  desired: 'running' | 'stopped';
  starts: number;
  restarts: number;
  lastExit: string | null;
  /** The version of `definition` in its history. */
  version: number;
  /** The version its current process was started on: older than `version` until a restart. */
  runningVersion: number | null;
  /** When the scheduled start comes, while one is scheduled. */
  nextStartAt: number | undefined;
  /** An operator's request being carried out, saved before it began (see the manager). */
  pending: PendingRequest | undefined;
  private then: AfterStop | undefined;
  private handle: RunHandle | undefined;
  private cancelStart: (() => void) | undefined;
  /** The coming start is a restart that the throttle let through; cleared by the spawn. */
  private throttled = false;
  /** Starts lost in a row for transient reasons: the next retry waits the longer. */
  private lostStarts = 0;
  private readonly waiters = new Set<() => void>();
  /** Events dispatched while one is being handled, in order. */
  private readonly inbox: ApplianceEvent[] = [];
  private draining = false;
  private readonly observers = new Set<(event: ApplianceEvent) => void>();
  private limiter: RestartLimiter;
  private health: HealthWatch;

  constructor(
    public definition: ApplianceDefinition,
    saved: Omit<PersistedAppliance, 'definition'>,
    readonly capture: OutputCapture,
    private readonly services: ApplianceServices,
    private readonly owner: ApplianceOwner,
  ) {
    this.desired = saved.desired;
    this.starts = saved.starts;
    this.restarts = saved.restarts;
    this.lastExit = saved.last_exit;
    this.version = saved.version;
    this.runningVersion = saved.running_version;
    this.pending = saved.pending;
    if (saved.ended) {
      this.state = saved.ended.state;
      this.reason = saved.ended.reason;
    }
    this.limiter = new RestartLimiter(definition.restart, services.clock, services.random);
    this.health = this.watchHealth();
  }

  get ref(): string {
    return this.definition.ref;
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * Takes a new definition (version `version` of its history), effective from the next start;
   * unless `runsIt`: the run in progress already runs it (its start chose the image that the new
   * version pins), so it is no change waiting for a restart.
   */
  redefine(definition: ApplianceDefinition, version: number, runsIt = false): void {
    this.health.stop();
    if (runsIt && this.runningVersion === this.version) this.runningVersion = version;
    this.definition = definition;
    this.version = version;
    this.limiter = new RestartLimiter(definition.restart, this.services.clock, this.services.random);
    this.health = this.watchHealth();
  }

  /** Handles `event` now, or after the event being handled and those queued before it. */
  dispatch(event: ApplianceEvent): void {
    this.inbox.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.inbox.shift(); next !== undefined; next = this.inbox.shift()) this.take(next);
    } finally {
      this.draining = false;
    }
  }

  private take(event: ApplianceEvent): void {
    const from = this.state;
    const found = supervised(event);
    const action: Action = found ? actionFor(this.definition.restart.bindings, found) : 'ignore';
    const next = transition({ state: from, ...(this.then ? { then: this.then } : {}) }, event, {
      watched: this.health.size > 0,
      depsReady: this.owner.dependenciesReady(this),
      action,
      preview: () => this.limiter.preview(),
      retryDelayMs: Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.lostStarts),
    });
    if (!next.accepted) return;
    if (event.kind === 'started' || event.kind === 'adopted') this.lostStarts = 0;
    this.state = next.state;
    this.then = next.then;
    this.reason = reasonFor(event, from, next);
    this.owner.onTransition(this, event, from, next);
    for (const effect of next.effects) this.run(effect);
    this.owner.afterEffects(this, event, from, next);
    for (const observer of this.observers) observer(event);
    for (const wake of this.waiters) wake();
  }

  /**
   * Its dependencies all run now: the start that waited for them goes on. A restart passes the
   * throttle again, so a dependency that comes back does not set every dependent spawning at once.
   */
  resumeStart(): void {
    if (!this.throttled) {
      this.dispatch({ kind: 'start', n: this.starts + 1 });
      return;
    }
    this.cancelStart?.();
    this.cancelStart = this.services.throttle.schedule(0, () => {
      this.cancelStart = undefined;
      this.dispatch({ kind: 'start', n: this.starts + 1 });
    });
  }

  /** `spew start` (or reset): a failed appliance gets its full restart budget back. */
  resetLimits(): void {
    this.limiter.reset();
  }

  /** Takes over a process that an earlier agent started. */
  adopt(handle: RunHandle): void {
    this.watch(handle);
    // Adopted while its engine was unreachable: known to exist, its pid comes with the engine.
    if (handle.pid === 0) void handle.up?.then((pid) => this.handle === handle && pid > 0 && this.running());
    this.dispatch({ kind: 'adopted', pid: handle.pid });
  }

  /**
   * Reports an ending that happened while no agent watched, through the state machine as if it
   * happened now, so the restart policy decides as it would have.
   */
  endedWhileAway(reason: ExitReason): void {
    this.ended(undefined, reason, true);
  }

  /** It has watchers or monitors: `running` means they pass. */
  get watched(): boolean {
    return this.health.size > 0;
  }

  /** Calls `observer` with every event the appliance accepts, until the answer is called. */
  observe(observer: (event: ApplianceEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Makes `handle`, a run that is already up (an upgrade's new container), the appliance's
   * run; answers the run it replaces, whose end is no longer the appliance's.
   */
  replaceRun(handle: RunHandle): RunHandle | undefined {
    const old = this.handle;
    this.health.stop();
    this.runningVersion = this.version;
    this.watch(handle);
    return old;
  }

  /** Resolves once the appliance is in one of `states` (at once if it already is). */
  until(states: ReadonlySet<ApplianceState> = SETTLED): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!states.has(this.state)) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  status(now: number): ApplianceStatus {
    const up = this.handle !== undefined && this.handle.pid > 0;
    const startedAt = up ? this.handle?.startedAt : undefined;
    const usage = this.limiter.usage();
    return {
      name: this.name,
      ref: this.ref,
      type: this.definition.type,
      state: this.state,
      reason: this.reason,
      desired: this.desired,
      pid: up ? (this.handle?.pid ?? null) : null,
      restarts: this.restarts,
      starts: this.starts,
      started_at: startedAt ? startedAt.toISOString() : null,
      uptime_ms: startedAt ? now - startedAt.getTime() : null,
      last_exit: this.lastExit,
      restart_limit: usage.limit === null ? null : { used: usage.used, limit: usage.limit, window_ms: usage.window_ms },
      next_start_in_ms: this.nextStartAt === undefined ? null : Math.max(0, this.nextStartAt - now),
      watchers: this.health.states(),
      command: this.definition.command,
      file: this.definition.file ?? null,
      image: describeImage(this.definition),
      version: this.version,
      running_version: up ? this.runningVersion : null,
    };
  }

  persisted(): PersistedAppliance {
    const ended = this.state === 'stopped' || this.state === 'crashed' || this.state === 'failed';
    return {
      definition: this.definition,
      desired: this.desired,
      starts: this.starts,
      restarts: this.restarts,
      last_exit: this.lastExit,
      version: this.version,
      running_version: this.handle ? this.runningVersion : null,
      ...(ended ? { ended: { state: this.state as 'stopped' | 'crashed' | 'failed', reason: this.reason } } : {}),
      ...(this.pending && { pending: this.pending }),
    };
  }

  private run(effect: Effect): void {
    switch (effect.kind) {
      case 'count-restart':
        this.limiter.count();
        return;
      case 'spawn': {
        this.starts += 1;
        this.throttled = false;
        this.runningVersion = this.version;
        const handle = this.services.runner.start(this.definition);
        this.watch(handle);
        if (handle.pid > 0) this.dispatch({ kind: 'started', pid: handle.pid });
        else void handle.up?.then((pid) => this.cameUp(handle, pid));
        return;
      }
      case 'signal':
        if (effect.mode === 'kill') this.handle?.kill();
        else this.handle?.stop(this.definition.stop_signal, this.definition.stop_timeout_ms);
        return;
      case 'schedule-start': {
        const fromFailed = this.state === 'failed';
        if (effect.retry) this.lostStarts += 1;
        this.cancelStart?.();
        this.nextStartAt = this.services.clock.now() + effect.delay_ms;
        this.cancelStart = this.services.throttle.schedule(effect.delay_ms, () => {
          this.cancelStart = undefined;
          this.nextStartAt = undefined;
          // A retry after `failed` begins a fresh budget, as an operator's `spew start` would.
          if (fromFailed) this.limiter.reset();
          else if (!effect.retry) this.restarts += 1;
          this.throttled = true;
          this.dispatch({ kind: 'start', n: this.starts + 1 });
        });
        return;
      }
      case 'cancel-start':
        this.cancelStart?.();
        this.cancelStart = undefined;
        this.nextStartAt = undefined;
        return;
      case 'await-dependencies':
        this.owner.awaitDependencies(this);
        return;
      case 'forget':
        this.health.stop();
        this.owner.onForget(this);
        return;
    }
  }

  private watch(handle: RunHandle): void {
    this.handle = handle;
    void handle.exited.then((reason) => this.ended(handle, reason));
    if (handle.pid > 0) this.running();
  }

  /** A run whose pid came later (a container): it counts as started from now. */
  private cameUp(handle: RunHandle, pid: number): void {
    if (this.handle !== handle || pid === 0) return;
    this.running();
    this.dispatch({ kind: 'started', pid });
  }

  private running(): void {
    this.limiter.started();
    this.health.start();
  }

  private ended(handle: RunHandle | undefined, reason: ExitReason, away?: true): void {
    if (this.handle !== handle) return;
    this.handle = undefined;
    this.health.stop();
    this.lastExit = describeExit(reason);
    this.capture.end('out');
    this.capture.end('err');
    // Whatever the status, an exit that spew asked for is a stop, never a crash.
    const normal = this.state === 'stopping' || (reason.kind === 'exit' && reason.code === 0);
    const where = away && { away };
    this.dispatch(normal ? { kind: 'stop', ...where } : { kind: 'crash', reason, ...where });
  }

  private watchHealth(): HealthWatch {
    return new HealthWatch(this.definition, (verdict) => {
      if (verdict.kind === 'up') this.dispatch({ kind: 'watcher', what: 'up', detail: 'every watcher passes' });
      else this.dispatch({ kind: 'watcher', what: verdict.kind, detail: verdict.detail });
    });
  }
}

function reasonFor(event: ApplianceEvent, from: ApplianceState, next: Transition): string {
  const verdict = next.verdict ? `; ${next.verdict.reason}` : '';
  switch (event.kind) {
    case 'start':
      return next.state === 'waiting' ? 'waiting for its dependencies' : `start #${event.n}`;
    case 'started':
      return next.state === 'alive' ? `started, pid ${event.pid}; waiting for its watchers` : `started, pid ${event.pid}`;
    case 'adopted':
      return `re-adopted, pid ${event.pid}`;
    case 'watcher':
      return event.what === 'up' ? 'every watcher passes' : `watcher ${event.what}: ${event.detail}${verdict}`;
    case 'dependency':
      return `dependency ${event.dep}: ${event.what}${verdict}`;
    case 'dependency-timeout':
      return `dependencies not running in time: ${event.missing.join(', ')}`;
    case 'stop-request':
      return event.kill ? 'kill requested' : 'stop requested';
    case 'stop':
      if (from === 'stopping') return next.state === 'waiting' ? 'stopped, restarting' : next.state === 'failed' ? 'stopped; restart limit reached' : 'stopped on request';
      return next.state === 'waiting' ? `exit 0, restarting${verdict}` : `exited normally${verdict}`;
    case 'crash': {
      const why = describeExit(event.reason);
      if (next.state === 'waiting' && event.reason.kind === 'spawn-error') return `${why}; trying again`;
      return next.state === 'waiting' ? `${why}, restarting${verdict}` : `${why}${verdict}`;
    }
    case 'delete':
      return 'removed';
  }
}
