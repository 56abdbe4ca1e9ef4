import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpCheck } from '../../src/watchers/http-check.js';
import type { WatcherSpec } from '../../src/model/watcher-spec.js';
import { closedPort, listen } from './listen.js';

type HttpSpec = Extract<WatcherSpec, { type: 'http' }>;

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return `http://127.0.0.1:${await listen(server)}`;
}

function spec(url: string, extra: Partial<HttpSpec> = {}): HttpSpec {
  return {
    type: 'http', url, method: 'GET', status: [200, 399],
    interval_ms: 1000, timeout_ms: 1000, retries: 3, start_period_ms: 0, ...extra,
  };
}

describe('http check', () => {
  it('is up when the server answers with a good status', async () => {
    const base = await serve((req, res) => res.end(req.url === '/health' ? 'ok' : 'other'));
    expect(await new HttpCheck(spec(`${base}/health`)).run(1000)).toEqual({ outcome: 'up' });
  });

  it('is down with the status when the server answers with a bad one', async () => {
    const base = await serve((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    expect(await new HttpCheck(spec(base)).run(1000)).toEqual({ outcome: 'down', detail: 'status 503 (expected 200-399)' });
  });

  it('judges the status against the configured inclusive range', async () => {
    const base = await serve((req, res) => {
      res.statusCode = Number(req.url?.slice(1));
      res.end();
    });
    const check = (status: number): Promise<unknown> => new HttpCheck(spec(`${base}/${status}`, { status: [204, 204] })).run(1000);
    expect(await check(204)).toEqual({ outcome: 'up' });
    expect(await check(200)).toMatchObject({ outcome: 'down', detail: 'status 200 (expected 204)' });
  });

  it('uses the configured method', async () => {
    const base = await serve((req, res) => {
      res.statusCode = req.method === 'HEAD' ? 200 : 405;
      res.end();
    });
    expect(await new HttpCheck(spec(base, { method: 'head' })).run(1000)).toEqual({ outcome: 'up' });
  });

  it('is up only when the body holds the expected text', async () => {
    const base = await serve((req, res) => res.end(req.url === '/good' ? '{"status":"ready"}' : '{"status":"starting"}'));
    expect(await new HttpCheck(spec(`${base}/good`, { body: 'ready' })).run(1000)).toEqual({ outcome: 'up' });
    expect(await new HttpCheck(spec(`${base}/bad`, { body: 'ready' })).run(1000)).toEqual({
      outcome: 'down', detail: 'body does not contain "ready"',
    });
  });

  it('reads no more than 64 KiB of a body looking for the text', async () => {
    const base = await serve((req, res) => {
      res.write('x'.repeat(70 * 1024));
      res.end('needle');
    });
    expect(await new HttpCheck(spec(base, { body: 'needle' })).run(1000)).toMatchObject({ outcome: 'down' });
  });

  it('answers at once on a good status even while the body keeps streaming', async () => {
    const base = await serve((_req, res) => {
      res.write('streaming');
    });
    expect(await new HttpCheck(spec(base)).run(1000)).toEqual({ outcome: 'up' });
  });

  it('is down when the connection is refused', async () => {
    const result = await new HttpCheck(spec(`http://127.0.0.1:${await closedPort()}/`)).run(1000);
    expect(result).toMatchObject({ outcome: 'down', detail: expect.stringContaining('ECONNREFUSED') });
  });

  it('times out when the server does not answer in time', async () => {
    const base = await serve((_req, res) => {
      setTimeout(() => res.end('late'), 2000).unref();
    });
    const started = Date.now();
    expect(await new HttpCheck(spec(base)).run(150)).toEqual({ outcome: 'timeout', detail: 'no answer within 150ms' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reuses one kept-alive connection across checks', async () => {
    const peers = new Set<number>();
    const base = await serve((req, res) => {
      peers.add(req.socket.remotePort ?? 0);
      res.end('ok');
    });
    const check = new HttpCheck(spec(base));
    for (let i = 0; i < 5; i += 1) expect(await check.run(1000)).toEqual({ outcome: 'up' });
    expect(peers.size).toBe(1);
  });

  it('survives a server that drops idle kept-alive connections between checks', async () => {
    const base = await serve((_req, res) => res.end('ok'));
    servers[0]!.keepAliveTimeout = 1;
    const check = new HttpCheck(spec(base));
    for (let i = 0; i < 5; i += 1) {
      expect(await check.run(1000)).toEqual({ outcome: 'up' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });

  /** A server that answers every request with these exact bytes, then maybe closes. */
  async function rawServer(answer: string, close: boolean): Promise<string> {
    const server: TcpServer = createTcpServer((socket) => {
      rawSockets.push(socket);
      socket.on('data', () => (close ? socket.end(answer) : socket.write(answer)));
    });
    raw.push(server);
    return `http://127.0.0.1:${await listen(server as unknown as Server)}`;
  }
  const raw: TcpServer[] = [];
  const rawSockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of rawSockets.splice(0)) socket.destroy();
    for (const server of raw.splice(0)) await new Promise((resolve) => server.close(resolve));
  });

  it('finds the text in a chunked body even when it is split across chunks, and keeps the connection', async () => {
    const base = await rawServer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nrea\r\n2\r\ndy\r\n0\r\n\r\n', false);
    const check = new HttpCheck(spec(base, { body: 'ready' }));
    for (let i = 0; i < 3; i += 1) expect(await check.run(1000)).toEqual({ outcome: 'up' });
  });

  it('reads a body that ends with the connection (HTTP/1.0, no length)', async () => {
    const base = await rawServer('HTTP/1.0 200 OK\r\n\r\nall ready', true);
    const check = new HttpCheck(spec(base, { body: 'ready' }));
    expect(await check.run(1000)).toEqual({ outcome: 'up' });
    expect(await check.run(1000)).toEqual({ outcome: 'up' });
  });

  it('checks https through TLS, refusing a certificate nobody vouches for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('ok'));
      servers.push(server);
      const port = await listen(server);
      expect(await new HttpCheck(spec(`https://127.0.0.1:${port}/`)).run(1000)).toMatchObject({
        outcome: 'down',
        detail: expect.stringMatching(/self[- ]signed certificate/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a malformed URL as down instead of throwing', async () => {
    expect(await new HttpCheck(spec('not a url')).run(1000)).toEqual({ outcome: 'down', detail: 'invalid URL "not a url"' });
  });
});
