import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpRouter } from '../../src/agent/http-router.js';
import { get, post } from '../../src/api/route.js';
import { bodyObject, field } from '../../src/agent/request-body.js';
import { SpewError } from '../../src/common/errors.js';

function call(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Serves `router` on a socket of its own in `dir` while `use` runs. */
async function serving(router: HttpRouter, dir: string, use: (socket: string) => Promise<void>): Promise<void> {
  const socket = join(dir, `own-${Math.random().toString(36).slice(2)}.sock`);
  const server = createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    await use(socket);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('HttpRouter', () => {
  let dir: string;
  let server: Server;
  let socket: string;
  const internal: unknown[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spew-router-'));
    socket = join(dir, 's.sock');
    const router = new HttpRouter((err) => internal.push(err));
    router.add(get('/v1/things/:id').json<{ id: string }>(), async ({ params }) => ({ id: params.id }));
    router.add(post('/v1/things').json<{ name: string }>(), async ({ body }) => ({ name: field(bodyObject(body), 'name', 'string') }));
    router.add(get('/v1/missing').json<never>(), async () => {
      throw new SpewError('APPLIANCE_NOT_FOUND', 'no appliance named "x"');
    });
    router.add(get('/v1/bug').json<never>(), async () => {
      throw new TypeError('boom');
    });
    server = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
    internal.length = 0;
  });

  it('routes by method and path, decoding path parameters', async () => {
    expect(await call(socket, 'GET', '/v1/things/a%20b')).toEqual({ status: 200, json: { id: 'a b' } });
  });

  it('answers a malformed percent-encoding with 400, not as an internal error', async () => {
    for (const path of ['/v1/things/%E0%A4%A', '/v1/things/%', '/v1/things/%zz']) {
      const answer = await call(socket, 'GET', path);
      expect(answer, path).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST', message: expect.stringContaining('malformed percent-encoding') } } });
    }
    expect(internal).toEqual([]);
  });

  it('answers an unknown path and a wrong method with ROUTE_NOT_FOUND', async () => {
    expect(await call(socket, 'GET', '/v1/nothing')).toMatchObject({ status: 404, json: { error: { code: 'ROUTE_NOT_FOUND' } } });
    const wrong = await call(socket, 'DELETE', '/v1/things/a');
    expect(wrong).toMatchObject({ status: 404, json: { error: { code: 'ROUTE_NOT_FOUND', message: 'DELETE is not allowed on /v1/things/a' } } });
  });

  it('refuses a body that is not JSON, and names a missing or mistyped field', async () => {
    expect(await call(socket, 'POST', '/v1/things', '{nope')).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST' } } });
    expect(await call(socket, 'POST', '/v1/things', '{}')).toMatchObject({ json: { error: { message: 'name: required' } } });
    expect(await call(socket, 'POST', '/v1/things', '{"name":3}')).toMatchObject({ json: { error: { message: 'name: expected string, got number' } } });
    expect(await call(socket, 'POST', '/v1/things', '[1]')).toMatchObject({ json: { error: { message: 'request body: expected a JSON object, got array' } } });
  });

  it('turns a domain error into its status and code', async () => {
    expect(await call(socket, 'GET', '/v1/missing')).toEqual({
      status: 404,
      json: { error: { code: 'APPLIANCE_NOT_FOUND', message: 'no appliance named "x"' } },
    });
  });

  it('answers a bug with INTERNAL and reports it, and keeps serving', async () => {
    expect(await call(socket, 'GET', '/v1/bug')).toMatchObject({ status: 500, json: { error: { code: 'INTERNAL', message: 'boom' } } });
    expect(internal).toHaveLength(1);
    expect((await call(socket, 'GET', '/v1/things/b')).status).toBe(200);
  });

  it('reports an INTERNAL error thrown as such, with its cause, and no other SpewError', async () => {
    const cause = new Error('disk on fire');
    const router = new HttpRouter((err) => internal.push(err));
    router.add(get('/v1/wrapped').json<object>(), async () => {
      throw new SpewError('INTERNAL', 'cannot save', { cause });
    });
    router.add(get('/v1/missing').json<object>(), async () => {
      throw new SpewError('APPLIANCE_NOT_FOUND', 'no appliance named "x"');
    });
    await serving(router, dir, async (own) => {
      expect(await call(own, 'GET', '/v1/wrapped')).toMatchObject({ status: 500, json: { error: { code: 'INTERNAL', message: 'cannot save' } } });
      expect((await call(own, 'GET', '/v1/missing')).status).toBe(404);
    });
    expect(internal).toHaveLength(1);
    expect((internal[0] as Error).cause).toBe(cause);
  });

  it('runs beforeAnswer before every JSON answer, an error too, and not before a stream', async () => {
    const seen: string[] = [];
    const router = new HttpRouter(() => undefined, () => seen.push('before'));
    router.add(get('/v1/ok').json<object>(), async () => {
      seen.push('handler');
      return {};
    });
    router.add(get('/v1/stream').ndjson<{ streamed: boolean }>(), async ({ res }) => {
      res.end(JSON.stringify({ streamed: true }));
    });
    await serving(router, dir, async (own) => {
      await call(own, 'GET', '/v1/ok');
      expect(seen).toEqual(['handler', 'before']);
      await call(own, 'GET', '/v1/nothing');
      expect(seen).toEqual(['handler', 'before', 'before']);
      expect(await call(own, 'GET', '/v1/stream')).toMatchObject({ json: { streamed: true } });
      expect(seen).toHaveLength(3);
    });
  });

  it('still answers, and reports it, when beforeAnswer fails', async () => {
    const reported: unknown[] = [];
    const router = new HttpRouter((err) => reported.push(err), () => {
      throw new Error('ENOSPC: no space left on device, write');
    });
    router.add(get('/v1/ok').json<{ ok: boolean }>(), async () => ({ ok: true }));
    await serving(router, dir, async (own) => {
      expect(await call(own, 'GET', '/v1/ok')).toEqual({ status: 200, json: { ok: true } });
      expect(await call(own, 'GET', '/v1/nothing')).toMatchObject({ status: 404, json: { error: { code: 'ROUTE_NOT_FOUND' } } });
      expect(reported.map((err) => (err as Error).message)).toEqual([expect.stringContaining('ENOSPC'), expect.stringContaining('ENOSPC')]);
    });
  });

  it('refuses to be ready with a route of its table unserved, and a second handler for a route', () => {
    const table = { one: get('/v1/one').json<object>(), two: get('/v1/two/:id').json<object>(), tail: get('/v1/tail').ndjson<object>() };
    const router = new HttpRouter(() => undefined);
    router.add(table.one, async () => ({}));
    expect(() => router.requireAll(table)).toThrow('routes without a handler: two (GET /v1/two/:id), tail (GET /v1/tail)');
    router.add(table.two, async () => ({}));
    router.add(table.tail, async () => undefined);
    expect(() => router.requireAll(table)).not.toThrow();
    expect(() => router.add(get('/v1/one').json<object>(), async () => ({}))).toThrow('two handlers for GET /v1/one');
  });

  it('streams with the route\'s content type, one item a line', async () => {
    const router = new HttpRouter(() => undefined);
    router.add(get('/v1/records').ndjson<{ n: number }>(), async ({ res, open, line }) => {
      open();
      res.end(`${line({ n: 1 })}${line({ n: 2 })}`);
    });
    await serving(router, dir, async (own) => {
      const answer = await new Promise<{ type: string | undefined; text: string }>((resolve, reject) => {
        const req = request({ socketPath: own, path: '/v1/records' }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ type: res.headers['content-type'], text }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer).toEqual({ type: 'application/x-ndjson', text: '{"n":1}\n{"n":2}\n' });
    });
  });

  it('hands an upgrade route the socket after the 101, and answers an upgrade it cannot serve with an error', async () => {
    const router = new HttpRouter(() => undefined);
    router.add(get('/v1/things/:id/talk').upgrade('spew-test'), ({ params, socket, accept }) => {
      if (params.id === 'ghost') throw new SpewError('APPLIANCE_NOT_FOUND', 'no appliance named "ghost"');
      accept();
      socket.end(`hello ${params.id}\n`);
    });
    const own = join(dir, 'upgrade.sock');
    const upgrading = createServer();
    upgrading.on('upgrade', (req, sock) => router.upgrade(req, sock as Socket));
    await new Promise<void>((resolve) => upgrading.listen(own, resolve));
    const upgrade = (path: string): Promise<string> => new Promise((resolve, reject) => {
      const sock = connect(own, () => sock.write(`GET ${path} HTTP/1.1\r\nHost: agent\r\nConnection: Upgrade\r\nUpgrade: spew-test\r\n\r\n`));
      let text = '';
      sock.on('data', (chunk: Buffer) => (text += chunk.toString()));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    try {
      const talk = await upgrade('/v1/things/a%20b/talk');
      expect(talk).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\nUpgrade: spew-test\r\n/);
      expect(talk.endsWith('\r\n\r\nhello a b\n')).toBe(true);
      expect(await upgrade('/v1/things/ghost/talk')).toMatch(/^HTTP\/1\.1 404 [^]*\r\n\r\n\{"error":\{"code":"APPLIANCE_NOT_FOUND","message":"no appliance named \\"ghost\\""\}\}$/);
      expect(await upgrade('/v1/things/%zz/talk')).toMatch(/^HTTP\/1\.1 400 [^]*"code":"INVALID_REQUEST","message":"malformed percent-encoding/);
      expect(await upgrade('/v1/nowhere')).toMatch(/^HTTP\/1\.1 404 [^]*"code":"ROUTE_NOT_FOUND","message":"no such upgrade path: \/v1\/nowhere"/);
    } finally {
      await new Promise((resolve) => upgrading.close(resolve));
    }
  });
});
