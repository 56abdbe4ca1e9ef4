import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpMonitor } from '../../src/watchers/tcp-monitor.js';
import type { WatchVerdict } from '../../src/watchers/watcher-loop.js';
import type { MonitorSpec } from '../../src/model/watcher-spec.js';
import { waitFor } from '../support/wait-for.js';
import { closedPort, listen } from './listen.js';

const monitors: TcpMonitor[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const monitor of monitors.splice(0)) monitor.stop();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A server that keeps every connection it accepts, so the test can break them. */
async function holder(): Promise<{ port: number; sockets: Socket[]; received: string[]; server: Server }> {
  const sockets: Socket[] = [];
  const received: string[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.setEncoding('utf8').on('data', (chunk: string) => received.push(chunk));
    socket.on('error', () => undefined);
  });
  servers.push(server);
  return { port: await listen(server), sockets, received, server };
}

function watch(spec: MonitorSpec): { monitor: TcpMonitor; verdicts: Array<WatchVerdict & { at: number }> } {
  const verdicts: Array<WatchVerdict & { at: number }> = [];
  const monitor = new TcpMonitor(spec, (verdict) => verdicts.push({ ...verdict, at: Date.now() }));
  monitors.push(monitor);
  return { monitor, verdicts };
}

describe('tcp monitor', () => {
  it('is up once connected and down the moment the appliance drops the connection', async () => {
    const { port, sockets } = await holder();
    const { monitor, verdicts } = watch({ type: 'tcp', address: `127.0.0.1:${port}` });
    monitor.start();
    await waitFor('up', () => monitor.state === 'up');
    const broken = Date.now();
    sockets[0]?.destroy();
    await waitFor('down', () => monitor.state === 'down');
    expect(verdicts.map(({ kind }) => kind)).toEqual(['up', 'down']);
    // Well inside the reconnect delay (500 ms): the break itself is the news, not a poll.
    expect((verdicts[1]?.at ?? Infinity) - broken).toBeLessThan(200);
  });

  it('reports a reset as down with the reason', async () => {
    const { port, sockets } = await holder();
    const { monitor, verdicts } = watch({ type: 'tcp', address: `127.0.0.1:${port}` });
    monitor.start();
    await waitFor('up', () => monitor.state === 'up');
    sockets[0]?.resetAndDestroy();
    await waitFor('down', () => monitor.state === 'down');
    expect(verdicts[1]).toMatchObject({ kind: 'down', detail: expect.stringContaining('ECONNRESET') });
  });

  it('reconnects after a break and reports up again', async () => {
    const { port, sockets } = await holder();
    const { monitor, verdicts } = watch({ type: 'tcp', address: `127.0.0.1:${port}` });
    monitor.start();
    await waitFor('up', () => monitor.state === 'up');
    sockets[0]?.destroy();
    await waitFor('down', () => monitor.state === 'down');
    await waitFor('up again', () => monitor.state === 'up');
    expect(verdicts.map(({ kind }) => kind)).toEqual(['up', 'down', 'up']);
    expect(sockets).toHaveLength(2);
  });

  it('keeps trying, silently, until the appliance first listens', async () => {
    const port = await closedPort();
    const { monitor, verdicts } = watch({ type: 'tcp', address: `127.0.0.1:${port}` });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(verdicts).toEqual([]);
    const server = createServer(() => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
    await waitFor('up', () => monitor.state === 'up');
    expect(verdicts.map(({ kind }) => kind)).toEqual(['up']);
  });

  it('writes heartbeat lines on the held connection', async () => {
    const { port, received } = await holder();
    const { monitor } = watch({ type: 'tcp', address: `127.0.0.1:${port}`, heartbeat: { send: 'PING', interval_ms: 20 } });
    monitor.start();
    await waitFor('three heartbeats', () => received.join('').split('\n').length > 3);
    expect(received.join('')).toMatch(/^(PING\n)+/);
  });

  it('closes the connection on stop and reports nothing more', async () => {
    const { port, sockets } = await holder();
    const { monitor, verdicts } = watch({ type: 'tcp', address: `127.0.0.1:${port}` });
    monitor.start();
    await waitFor('up', () => monitor.state === 'up');
    const closed = new Promise((resolve) => sockets[0]?.on('close', resolve));
    monitor.stop();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(verdicts.map(({ kind }) => kind)).toEqual(['up']);
    expect(sockets).toHaveLength(1);
    expect(monitor.state).toBe('unknown');
  });

  it('reports a malformed address once as down instead of throwing', () => {
    const { monitor, verdicts } = watch({ type: 'tcp', address: 'nowhere' });
    monitor.start();
    expect(verdicts).toMatchObject([{ kind: 'down', detail: 'invalid address "nowhere"' }]);
  });
});
