/**
 * One appliance at run time: its definition, where its state machine stands, its counters and
 * its process. Every change of state goes through `dispatch`, which asks the pure transition
 * function and then carries out the effects, here and nowhere else.
 */
import type { ApplianceStatus } from '../api/wire.js';
import type { OutputCapture } from '../logs/output-capture.js';
import type { RunHandle, Runner } from '../runners/runner.js';
import type { PersistedAppliance } from '../store/state-store.js';
import type { ApplianceDefinition } from './model.js';
import { describeExit, type ApplianceEvent, type ApplianceState, type ExitReason } from './state.js';
import { transition, type Effect } from './state-machine.js';

export interface ApplianceHooks {
  /** Called after every accepted transition, to log and persist it. */
  onTransition(appliance: Appliance, event: ApplianceEvent): void;
  /** Called when the appliance has been deleted and must be dropped. */
  onForget(appliance: Appliance): void;
}

const SETTLED: ReadonlySet<ApplianceState> = new Set(['running', 'stopped', 'crashed', 'failed']);

export class Appliance {
  state: ApplianceState = 'stopped';
  reason = 'created';
  desired: 'running' | 'stopped';
  starts: number;
  restarts: number;
  lastExit: string | null;
  private handle: RunHandle | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    public definition: ApplianceDefinition,
    saved: Omit<PersistedAppliance, 'definition'>,
    readonly capture: OutputCapture,
    private readonly runner: Runner,
    private readonly hooks: ApplianceHooks,
  ) {
    this.desired = saved.desired;
    this.starts = saved.starts;
    this.restarts = saved.restarts;
    this.lastExit = saved.last_exit;
    if (saved.ended) {
      this.state = saved.ended.state;
      this.reason = saved.ended.reason;
    }
  }

  get ref(): string {
    return this.definition.ref;
  }

  get name(): string {
    return this.definition.name;
  }

  dispatch(event: ApplianceEvent): void {
    const policy = this.definition.restart.shorthand;
    const next = transition(this.state, event, policy);
    if (!next.accepted) return;
    this.reason = reasonFor(event, this.state, next.state);
    this.state = next.state;
    this.hooks.onTransition(this, event);
    for (const effect of next.effects) this.run(effect);
    for (const wake of this.waiters) wake();
  }

  /** Takes over a process that an earlier agent started. */
  adopt(handle: RunHandle): void {
    this.watch(handle);
    this.dispatch({ kind: 'adopted', pid: handle.pid });
  }

  /**
   * Reports an ending that happened while no agent watched, as if it happened now, so the
   * restart policy decides as it would have.
   */
  endedWhileAway(reason: ExitReason): void {
    this.state = 'running';
    this.ended(undefined, reason);
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
    const up = this.handle && this.handle.pid > 0 && (this.state === 'running' || this.state === 'stopping');
    const startedAt = up ? this.handle?.startedAt : undefined;
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
      command: this.definition.command,
      file: this.definition.file ?? null,
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
      ...(ended ? { ended: { state: this.state as 'stopped' | 'crashed' | 'failed', reason: this.reason } } : {}),
    };
  }

  private run(effect: Effect): void {
    switch (effect.kind) {
      case 'spawn': {
        this.starts += 1;
        const handle = this.runner.start(this.definition);
        this.watch(handle);
        if (handle.pid > 0) this.dispatch({ kind: 'started', pid: handle.pid });
        return;
      }
      case 'signal':
        if (effect.mode === 'kill') this.handle?.kill();
        else this.handle?.stop(this.definition.stop_signal, this.definition.stop_timeout_ms);
        return;
      case 'restart':
        this.restarts += 1;
        this.dispatch({ kind: 'start', n: this.starts + 1 });
        return;
      case 'forget':
        this.hooks.onForget(this);
        return;
    }
  }

  private watch(handle: RunHandle): void {
    this.handle = handle;
    void handle.exited.then((reason) => this.ended(handle, reason));
  }

  private ended(handle: RunHandle | undefined, reason: ExitReason): void {
    if (this.handle !== handle) return;
    this.handle = undefined;
    this.lastExit = describeExit(reason);
    this.capture.end('out');
    this.capture.end('err');
    // Whatever the status, an exit that spew asked for is a stop, never a crash.
    const normal = this.state === 'stopping' || (reason.kind === 'exit' && reason.code === 0);
    this.dispatch(normal ? { kind: 'stop' } : { kind: 'crash', reason });
  }
}

function reasonFor(event: ApplianceEvent, from: ApplianceState, state: ApplianceState): string {
  if (from === 'stopping' && (event.kind === 'stop' || event.kind === 'crash')) return 'stopped on request';
  switch (event.kind) {
    case 'start':
      return `start #${event.n}`;
    case 'started':
      return `started, pid ${event.pid}`;
    case 'adopted':
      return `re-adopted, pid ${event.pid}`;
    case 'stop-request':
      return event.kill ? 'kill requested' : 'stop requested';
    case 'stop':
      return state === 'waiting' ? 'exit 0, restarting' : 'exited normally';
    case 'crash': {
      const why = describeExit(event.reason);
      return state === 'waiting' ? `${why}, restarting` : why;
    }
    case 'delete':
      return 'removed';
  }
}
