/**
 * What the supervision integration tests share: the agent's event log read from its file (all
 * of it, with times as numbers), and real servers on 127.0.0.1 that the tests drive: an HTTP
 * health endpoint made healthy, failing or silent on demand, a TCP server whose connections
 * the test can cut, and a webhook receiver that keeps what it was sent.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { EventRecord } from '../../src/model/appliance-status.js';
import type { AgentHarness } from './agent-harness.js';

/** An event log record with its time in ms since the epoch. */
export type TimedEvent = EventRecord & { t: number };

/** Every record of the agent's event log, oldest first (the file, not the API's recent tail). */
export function readEvents(h: AgentHarness): TimedEvent[] {
  let text: string;
  try {
    text = readFileSync(join(h.stateDir, 'events.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const record = JSON.parse(line) as EventRecord;
      return { ...record, t: Date.parse(record.time) };
    });
}

/** The records of one appliance, optionally of one kind (and state). */
export function eventsOf(events: readonly TimedEvent[], name: string, kind?: string, state?: string): TimedEvent[] {
  return events.filter((e) => e.name === name && (kind === undefined || e.event.kind === kind) && (state === undefined || e.state === state));
}

/**
 * For each record of `name` matching `from`, the ms until its next record matching `to`:
 * e.g. from a crash to the start that follows it.
 */
export function gaps(
  events: readonly TimedEvent[],
  name: string,
  from: (e: TimedEvent) => boolean,
  to: (e: TimedEvent) => boolean,
): number[] {
  const mine = eventsOf(events, name);
  const result: number[] = [];
  mine.forEach((e, i) => {
    if (!from(e)) return;
    const next = mine.slice(i + 1).find(to);
    if (next) result.push(next.t - e.t);
  });
  return result;
}

/**
 * Timers fire on the event loop's cached clock, which can lag the wall clock that stamps the
 * event log by a few ms; a gap this much shorter than a configured wait still honours it.
 */
export const TIMER_SLACK_MS = 10;

/** The most records whose times fall in any half-open window [t, t + windowMs). */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while (sorted[last]! - sorted[first]! >= windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

function portOf(server: HttpServer | TcpServer): number {
  return (server.address() as AddressInfo).port;
}

function listen(server: HttpServer | TcpServer, port = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** How a path of the health server answers: `ok` 200, `fail` 503, `hang` never. */
export type Health = 'ok' | 'fail' | 'hang';

interface Served {
  path: string;
  health: Health;
  /** When the answer was sent (or the request arrived, for `hang`). */
  at: number;
}

/**
 * An HTTP health endpoint: each path answers as set with `set`, or as scripted with `script`
 * (the next answers in order, then back to the path's setting). Every request is remembered.
 */
export class HealthServer {
  readonly served: Served[] = [];
  private readonly health = new Map<string, Health>();
  private readonly scripts = new Map<string, Health[]>();
  private server: HttpServer | undefined;

  constructor(private readonly fallback: Health = 'ok') {}

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => this.answer(req, res));
    await listen(this.server);
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${portOf(this.server!)}${path}`;
  }

  set(path: string, health: Health): void {
    this.health.set(path, health);
    this.scripts.delete(path);
  }

  /** The next answers of `path`, in order; after them it answers as set again. */
  script(path: string, ...answers: Health[]): void {
    this.scripts.set(path, answers);
  }

  /** Requests served on `path` (all of them, or only those answered with `health`). */
  count(path: string, health?: Health): number {
    return this.served.filter((s) => s.path === path && (health === undefined || s.health === health)).length;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const script = this.scripts.get(path);
    const health = script?.shift() ?? this.health.get(path) ?? this.fallback;
    if (script && script.length === 0) this.scripts.delete(path);
    this.served.push({ path, health, at: Date.now() });
    if (health === 'hang') return;
    res.writeHead(health === 'ok' ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(health === 'ok' ? 'ok\n' : 'unhealthy\n');
  }
}

/** A TCP server that accepts and holds connections; the test can cut them or stop listening. */
export class HoldingTcpServer {
  readonly sockets = new Set<Socket>();
  accepted = 0;
  private server: TcpServer | undefined;
  private fixedPort = 0;

  async start(): Promise<this> {
    this.server = createTcpServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
      socket.resume();
    });
    await listen(this.server, this.fixedPort);
    this.fixedPort = portOf(this.server);
    return this;
  }

  get address(): string {
    return `127.0.0.1:${this.fixedPort}`;
  }

  /** Resets every connection from the server's side (RST), as a crashing peer would. */
  cutAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** Stops listening and drops every connection; `start` listens again on the same port. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** An HTTP server that keeps every JSON body POSTed to it. */
export class WebhookReceiver {
  readonly received: { path: string; body: Record<string, unknown> }[] = [];
  private server: HttpServer | undefined;

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '/', body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(204);
        res.end();
      });
    });
    await listen(this.server);
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${portOf(this.server!)}${path}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
