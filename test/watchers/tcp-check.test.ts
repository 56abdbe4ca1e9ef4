import { execa } from 'execa';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpCheck } from '../../src/watchers/tcp-check.js';
import { closedPort, listen } from './listen.js';

const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function listening(host = '127.0.0.1'): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  const port = await listen(server, host);
  cleanups.push(() => server.close());
  return port;
}

/**
 * A port whose handshakes go unanswered: a listener that never accepts, with a backlog of 0
 * that one connection fills; Linux then drops further SYNs, as a firewall or a wedged
 * appliance would. Node always accepts, hence a small Python listener.
 */
async function blackhole(): Promise<number> {
  const listener = execa('python3', ['-c', [
    'import socket, sys, time',
    's = socket.socket()',
    "s.bind(('127.0.0.1', 0))",
    's.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'time.sleep(60)',
  ].join('\n')], { reject: false, buffer: false });
  cleanups.push(() => listener.kill('SIGKILL'));
  const port = await new Promise<number>((resolve) => listener.stdout?.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
  const filler: Socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => filler.destroy());
  await new Promise((resolve) => filler.once('connect', resolve));
  return port;
}

describe('tcp check', () => {
  it('is up when something listens on the address', async () => {
    const port = await listening();
    expect(await new TcpCheck(`127.0.0.1:${port}`).run(1000)).toEqual({ outcome: 'up' });
  });

  it('connects to IPv6 literals and host names', async () => {
    const port = await listening('::1').catch(() => undefined);
    if (port !== undefined) expect(await new TcpCheck(`[::1]:${port}`).run(1000)).toEqual({ outcome: 'up' });
    const v4 = await listening();
    expect(await new TcpCheck(`localhost:${v4}`).run(1000)).toEqual({ outcome: 'up' });
  });

  it('is down when the connection is refused', async () => {
    const result = await new TcpCheck(`127.0.0.1:${await closedPort()}`).run(1000);
    expect(result).toMatchObject({ outcome: 'down', detail: expect.stringContaining('ECONNREFUSED') });
  });

  it('times out when the handshake goes unanswered', async () => {
    const port = await blackhole();
    const started = Date.now();
    expect(await new TcpCheck(`127.0.0.1:${port}`).run(200)).toEqual({
      outcome: 'timeout', detail: `no connection to 127.0.0.1:${port} within 200ms`,
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports a malformed address as down instead of throwing', async () => {
    expect(await new TcpCheck('no-port').run(1000)).toEqual({ outcome: 'down', detail: 'invalid address "no-port"' });
  });
});
