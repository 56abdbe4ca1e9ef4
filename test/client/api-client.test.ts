import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { patternOf } from '../../src/api/route.js';
import { routes } from '../../src/api/routes.js';
import type { SkippedRecords } from '../../src/api/wire.js';
import type { ApplianceStatus, EventRecord } from '../../src/model/appliance-status.js';
import { ApiClient } from '../../src/client/api-client.js';
import { SpewError } from '../../src/common/errors.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

let dir: string;
let socketPath: string;
let server: http.Server | undefined;
let requests: { method: string; url: string; body: string }[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spew-client-'));
  socketPath = join(dir, 'agent.sock');
  requests = [];
});

afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
  await rm(dir, { recursive: true, force: true });
});

async function serve(handler: Handler): Promise<ApiClient> {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
  return new ApiClient(socketPath);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function appliance(name: string, extra: Partial<ApplianceStatus> = {}): ApplianceStatus {
  return {
    name,
    ref: `ref-${name}`,
    type: 'shell',
    state: 'running',
    reason: 'started',
    desired: 'running',
    pid: 42,
    restarts: 0,
    starts: 1,
    started_at: '2024-01-01T00:00:00.000Z',
    uptime_ms: 1000,
    last_exit: null,
    restart_limit: null,
    next_start_in_ms: null,
    watchers: [],
    command: 'sleep 1',
    file: null,
    image: null,
    version: 1,
    running_version: 1,
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<SpewError> {
  const err: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SpewError);
  return err as SpewError;
}

describe('ApiClient', () => {
  it('sends JSON and reads the JSON answer', async () => {
    const client = await serve((_req, res) => sendJson(res, 201, { appliance: appliance('web') }));
    const created = await client.create({ spec: 'web', item: { command: ['sleep', '9'] }, start: true });
    expect(created.name).toBe('web');
    expect(requests).toEqual([
      { method: 'POST', url: '/v1/appliances', body: JSON.stringify({ spec: 'web', item: { command: ['sleep', '9'] }, start: true }) },
    ]);
  });

  it('asks for named appliances with one id parameter each', async () => {
    const client = await serve((_req, res) => sendJson(res, 200, { appliances: [appliance('a'), appliance('b')] }));
    const list = await client.status(['a', 'ref-b']);
    expect(list.map((a) => a.name)).toEqual(['a', 'b']);
    expect(requests[0]?.url).toBe('/v1/appliances?id=a&id=ref-b');
  });

  it("keeps the agent's words for an unknown id among several", async () => {
    const client = await serve((_req, res) =>
      sendJson(res, 404, { error: { code: 'APPLIANCE_NOT_FOUND', message: 'no appliance named "nope"' } }));
    const err = await rejection(client.status(['a', 'nope']));
    expect(err.code).toBe('APPLIANCE_NOT_FOUND');
    expect(err.message).toBe('no appliance named "nope"');
  });

  it('turns an error body into a SpewError with its code and message', async () => {
    const client = await serve((_req, res) =>
      sendJson(res, 409, { error: { code: 'NAME_TAKEN', message: 'an appliance named "web" exists' } }));
    const err = await rejection(client.create({ spec: 'web', item: {}, start: false }));
    expect(err.code).toBe('NAME_TAKEN');
    expect(err.message).toBe('an appliance named "web" exists');
  });

  it('words a not-found answer with the id that was asked for', async () => {
    const client = await serve((_req, res) =>
      sendJson(res, 404, { error: { code: 'APPLIANCE_NOT_FOUND', message: 'no such appliance' } }));
    const err = await rejection(client.stop('a b', { kill: true }));
    expect(err.code).toBe('APPLIANCE_NOT_FOUND');
    expect(err.message).toBe('no appliance named "a b"');
    expect(requests[0]).toEqual({ method: 'POST', url: '/v1/appliances/a%20b/stop', body: '{"kill":true}' });
  });

  it('uses the appliance routes for start, restart and remove, and the agent route for handoff', async () => {
    const client = await serve((_req, res) => sendJson(res, 200, { appliance: appliance('web') }));
    await client.start('web');
    await client.restart('web');
    await client.remove('web');
    await client.handoff();
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/appliances/web/start',
      'POST /v1/appliances/web/restart',
      'DELETE /v1/appliances/web',
      'POST /v1/agent/handoff',
    ]);
  });

  it('reports an answer without an error body as INTERNAL', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(502);
      res.end('bad gateway');
    });
    const err = await rejection(client.agent());
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain('bad gateway');
  });

  it('says where it looked and how to start the agent when no socket exists', async () => {
    const err = await rejection(new ApiClient(socketPath).status());
    expect(err.code).toBe('AGENT_UNREACHABLE');
    expect(err.message).toContain(socketPath);
    expect(err.message).toContain('spew agent');
    expect(err.message).toContain('systemctl start spew');
  });

  it('streams followed events as they are written', async () => {
    const record = (n: number): EventRecord => ({
      time: `2024-01-01T00:00:0${n}.000Z`,
      ref: 'r1',
      name: 'web',
      event: { kind: 'start', n },
      state: 'starting',
    });
    let res: http.ServerResponse | undefined;
    const client = await serve((_req, r) => {
      res = r;
      r.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      // One record split across writes: the client must wait for the newline.
      const line = JSON.stringify(record(1));
      r.write(line.slice(0, 10));
      r.write(`${line.slice(10)}\n`);
    });
    const seen: (EventRecord | SkippedRecords)[] = [];
    const events = client.events({ tail: 5, follow: true });
    const first = await events.next();
    seen.push(first.value as EventRecord);
    // The stream is still open; a later record arrives only now, after a gap the agent tells of.
    res?.write(`${JSON.stringify({ skipped: 3 })}\n${JSON.stringify(record(2))}\n`);
    res?.end();
    for await (const event of events) seen.push(event);
    expect(seen).toEqual([record(1), { skipped: 3 }, record(2)]);
    expect(requests[0]?.url).toBe('/v1/events?tail=5&follow=1');
  });

  it('gives the log text as the agent sends it', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('2024-01-01T00:00:00.000Z out hello\n');
    });
    let text = '';
    for await (const chunk of await client.logs('web', { tail: 100 })) text += chunk as string;
    expect(text).toBe('2024-01-01T00:00:00.000Z out hello\n');
    expect(requests[0]?.url).toBe('/v1/appliances/web/logs?tail=100');
  });

  it('fails a log stream with the error body before any text', async () => {
    const client = await serve((_req, res) =>
      sendJson(res, 404, { error: { code: 'APPLIANCE_NOT_FOUND', message: 'gone' } }));
    const err = await rejection(client.logs('ghost'));
    expect(err.message).toBe('no appliance named "ghost"');
  });

  it('attaches: upgrades, then carries output out and input in', async () => {
    const received: string[] = [];
    await serve(() => undefined);
    server?.on('upgrade', (req, socket) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: String(req.headers.upgrade) });
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: spew-attach\r\n\r\nhello\n');
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk.toString());
        socket.end('bye\n');
      });
    });
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const input = new PassThrough();
    const done = new ApiClient(socketPath).attach('web', { output, input });
    input.write('ping\n');
    await done;
    expect(requests[0]).toEqual({ method: 'GET', url: '/v1/appliances/web/attach', body: 'spew-attach' });
    expect(received.join('')).toBe('ping\n');
    expect(printed).toBe('hello\nbye\n');
  });

  it('builds every path it asks for from the route table, the id as one encoded segment', async () => {
    const id = 'a b/ü%';
    await serve((_req, res) => sendJson(res, 200, { appliance: appliance('web'), appliances: [] }));
    server?.on('upgrade', (req, socket) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: '' });
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: spew-attach\r\n\r\n');
    });
    const client = new ApiClient(socketPath);
    const drain = async (stream: AsyncIterable<unknown>): Promise<void> => {
      for await (const _ of stream) continue;
    };
    await client.status([id]);
    await client.statusAnswer();
    await drain(await client.pulls());
    await client.upgradeCheck([id]);
    await client.upgrade(id, '2.0');
    await client.history(id);
    await client.diff(id, 1, 2);
    await client.rollback(id, 1);
    await client.explain(id);
    await client.exportToml([id], true);
    await client.orphans();
    await client.hosts();
    await client.create({ spec: 'web', item: {}, start: false });
    await client.start(id);
    await client.stop(id);
    await client.restart(id);
    await client.remove(id);
    await client.apply({ files: [], prune: false, dry_run: true });
    await client.agent();
    await client.handoff();
    await drain(client.events({ tail: 1 }));
    await drain(await client.logs(id, { follow: true }));
    await client.attach(id, { output: new PassThrough() });

    const called = new Set<string>();
    for (const { method, url } of requests) {
      const path = new URL(url, 'http://agent').pathname;
      const matching = Object.entries(routes).filter(([, route]) => route.method === method && patternOf(route).regex.test(path));
      expect(matching.map(([name]) => name), `${method} ${url}`).toHaveLength(1);
      const [name, route] = matching[0]!;
      const segments = patternOf(route).regex.exec(path)!.slice(1);
      expect(segments.map(decodeURIComponent), name).toEqual(segments.map(() => id));
      called.add(name);
    }
    // Reading one appliance is for the API's own users: the CLI asks for status.
    expect(Object.keys(routes).filter((name) => !called.has(name))).toEqual(['appliance']);
  });
});
