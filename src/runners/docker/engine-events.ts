/**
 * The engine's event stream, one for the whole runner: container events of spew's containers
 * only (label `spew.ref`). When it breaks (engine stopped, restarted, socket gone) it is opened
 * again with backoff, and every successful (re)connection is reported, so the runner reconciles
 * what happened while it could not listen. Never throws: an engine that is down is a state.
 */
import type Docker from 'dockerode';
import { LABEL_REF } from './container-spec.js';

export type EngineState = 'reachable' | 'unreachable';

export interface ContainerEvent {
  /** `die`, `oom`, `start`, `destroy`, ... as the engine names them. */
  action: string;
  id: string;
  ref: string;
  /** Present on `die`. */
  exitCode?: number;
}

export interface EngineEventHandlers {
  onEvent(event: ContainerEvent): void;
  /** The stream is open again (or for the first time): whatever it missed must be looked up. */
  onConnected(): void;
  onState(state: EngineState, detail: string): void;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export class EngineEvents {
  private state: EngineState = 'unreachable';
  private stream: NodeJS.ReadableStream | undefined;
  private retry: NodeJS.Timeout | undefined;
  private delayMs: number;
  private closed = false;
  private connecting = false;
  private readyWaiters: (() => void)[] = [];

  constructor(
    private readonly docker: Docker,
    private readonly handlers: EngineEventHandlers,
    private readonly backoff: Backoff = { initialMs: 100, maxMs: 5000 },
  ) {
    this.delayMs = backoff.initialMs;
  }

  get current(): EngineState {
    return this.state;
  }

  open(): void {
    if (this.closed || this.connecting || this.stream) return;
    this.connecting = true;
    this.docker
      .getEvents({ filters: { label: [LABEL_REF], type: ['container'] } })
      .then((stream) => this.listen(stream))
      .catch((err: unknown) => this.broken(err instanceof Error ? err.message : String(err)))
      .finally(() => {
        this.connecting = false;
      });
  }

  /** Resolves once the stream is open, or after `timeoutMs` whatever the state. */
  ready(timeoutMs: number): Promise<void> {
    if (this.state === 'reachable' || this.closed) return Promise.resolve();
    this.open();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.readyWaiters.push(done);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    const stream = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.stream = undefined;
    stream?.destroy?.();
    for (const waiter of this.readyWaiters.splice(0)) waiter();
  }

  private listen(stream: NodeJS.ReadableStream): void {
    if (this.closed) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return;
    }
    this.stream = stream;
    this.delayMs = this.backoff.initialMs;
    this.setState('reachable', 'event stream open');
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') this.dispatch(line);
      }
    });
    let ended = false;
    const end = (why: string): void => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) this.stream = undefined;
      this.broken(why);
    };
    stream.on('end', () => end('event stream ended'));
    stream.on('close', () => end('event stream closed'));
    stream.on('error', (err: Error) => end(err.message));
    for (const waiter of this.readyWaiters.splice(0)) waiter();
    this.handlers.onConnected();
  }

  private dispatch(line: string): void {
    let message: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    const attributes = message.Actor?.Attributes ?? {};
    const ref = attributes[LABEL_REF];
    const id = message.Actor?.ID;
    if (message.Type !== 'container' || !ref || !id || !message.Action) return;
    const code = attributes.exitCode;
    this.handlers.onEvent({
      // `exec_die` and friends carry a suffix; only the container's own actions matter here.
      action: message.Action,
      id,
      ref,
      ...(code !== undefined && /^\d+$/.test(code) ? { exitCode: Number(code) } : {}),
    });
  }

  private broken(detail: string): void {
    if (this.closed) return;
    this.setState('unreachable', detail);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.open(), this.delayMs);
    this.retry.unref();
    this.delayMs = Math.min(this.delayMs * 2, this.backoff.maxMs);
  }

  private setState(state: EngineState, detail: string): void {
    if (this.state === state) return;
    this.state = state;
    this.handlers.onState(state, detail);
  }
}
