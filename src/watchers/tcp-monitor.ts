/**
 * A held TCP connection to an appliance: `up` once it connects, `down` the moment it closes,
 * errors or resets (no polling interval to wait out), then reconnect attempts every
 * RECONNECT_MS, the first that succeeds giving `up` again.
 *
 * Before the first connection of a run, failed attempts are silent: a freshly started
 * appliance is often not listening yet, and "never came up" is what a polling watcher with a
 * start period is for. A monitor reports breaks.
 *
 * With a heartbeat, `send` (plus a newline when it has none) is written every `interval_ms`;
 * a write that fails breaks the connection like any other error. Whatever the appliance sends
 * back is read and dropped, so it never blocks on a full socket.
 */
import { connect, type Socket } from 'node:net';
import { parseAddress, type HostPort } from './parse-address.js';
import type { WatchState, WatchVerdict } from './watcher-loop.js';
import type { MonitorSpec } from '../model/watcher-spec.js';

/** Between a break (or a failed attempt) and the next attempt. */
const RECONNECT_MS = 500;
/** An attempt not connected by then is abandoned, so a blackholed address is retried too. */
const CONNECT_TIMEOUT_MS = 5000;
/** Kernel keep-alive probes find a peer that vanished without a word (host gone, cable out). */
const KEEPALIVE_MS = 10_000;

export class TcpMonitor {
  private current: WatchState = 'unknown';
  private running = false;
  private socket: Socket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly line: string | undefined;
  private readonly target: HostPort | undefined;

  constructor(
    private readonly spec: MonitorSpec,
    /** Called for each edge; it must not throw (a throw is dropped so monitoring goes on). */
    private readonly onVerdict: (verdict: WatchVerdict) => void,
  ) {
    const send = spec.heartbeat?.send;
    this.line = send === undefined || send.endsWith('\n') ? send : `${send}\n`;
    this.target = parseAddress(spec.address);
  }

  get state(): WatchState {
    return this.current;
  }

  /** The appliance just (re)started: drop any old connection and connect afresh. */
  start(): void {
    this.halt();
    this.running = true;
    this.attempt();
  }

  /** Closes the connection; no more attempts and no more verdicts; state is `unknown`. */
  stop(): void {
    this.halt();
  }

  private halt(): void {
    this.running = false;
    this.current = 'unknown';
    clearTimeout(this.retry);
    this.dropSocket();
  }

  private dropSocket(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    // Detached first, so its own 'close' is not taken for a break.
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private attempt(): void {
    this.retry = undefined;
    if (!this.target) {
      // Retrying cannot fix a spec; say so once.
      this.emit('down', { kind: 'down', detail: `invalid address ${JSON.stringify(this.spec.address)}` });
      return;
    }
    const socket = connect({ ...this.target, timeout: CONNECT_TIMEOUT_MS });
    this.socket = socket;
    let cause: string | undefined;
    socket.on('timeout', () => {
      cause = `no connection within ${CONNECT_TIMEOUT_MS}ms`;
      socket.destroy();
    });
    socket.on('error', (err) => {
      cause ??= err.message;
    });
    socket.on('end', () => {
      cause ??= 'closed by the appliance';
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      this.broken(cause ?? 'connection closed');
    });
    socket.once('connect', () => {
      // Connected, the socket waits for a break however long the appliance stays quiet.
      socket.setTimeout(0);
      socket.setKeepAlive(true, KEEPALIVE_MS);
      socket.resume();
      if (this.line !== undefined && this.spec.heartbeat) {
        const line = this.line;
        this.heartbeat = setInterval(() => socket.write(line), this.spec.heartbeat.interval_ms);
      }
      if (this.current !== 'up') this.emit('up', { kind: 'up' });
    });
  }

  /** The connection (or an attempt) ended: `down` if it had been up, then try again later. */
  private broken(detail: string): void {
    if (!this.running) return;
    if (this.current === 'up') this.emit('down', { kind: 'down', detail });
    if (this.running && this.retry === undefined && this.socket === undefined) {
      this.retry = setTimeout(() => this.attempt(), RECONNECT_MS);
    }
  }

  private emit(state: WatchState, verdict: WatchVerdict): void {
    this.current = state;
    try {
      this.onVerdict(verdict);
    } catch {
      // The listener's failure is its own; the appliance still needs monitoring.
    }
  }
}
