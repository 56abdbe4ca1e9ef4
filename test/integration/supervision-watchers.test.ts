import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { eventsOf, HealthServer, HoldingTcpServer, readEvents } from '../support/supervision-kit.js';
import { waitFor } from '../support/wait-for.js';

/** The watcher events of `name` so far, as `what -> state`. */
function watcherEvents(h: AgentHarness, name: string, what?: string): string[] {
  return eventsOf(readEvents(h), name, 'watcher')
    .filter((e) => what === undefined || e.event.what === what)
    .map((e) => `${String(e.event.what)} -> ${e.state}`);
}

function waitEvent(h: AgentHarness, name: string, what: string, count = 1): Promise<string[]> {
  return waitFor(`${name}: ${count} watcher ${what} event(s)`, () => {
    const found = watcherEvents(h, name, what);
    return found.length >= count && found;
  }, SLOW);
}

describe('watchers', () => {
  let h: AgentHarness;
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await h.cleanup();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function healthServer(): Promise<HealthServer> {
    const server = await new HealthServer().start();
    servers.push(server);
    return server;
  }

  /** A `sleep 1000` appliance with one http watcher polling `url` quickly. */
  function httpWatched(name: string, url: string, restart: string, extra = ''): string {
    return [
      `[${name}]`,
      'command = "sleep 1000"',
      `restart = ${restart}`,
      `[[${name}.watchers]]`,
      'type = "http"',
      `url = "${url}"`,
      'interval = "100ms"',
      'retries = 2',
      extra,
      '',
    ].join('\n');
  }

  it('keeps an appliance alive while its http watcher fails, makes it running once it passes, and by default ignores it going down', async () => {
    const server = await healthServer();
    server.set('/health', 'fail');
    h = new AgentHarness({ appliances: { 'a.toml': httpWatched('web', server.url('/health'), '"never"') } });
    await h.start();

    const alive = await h.until('web', 'to be seen down while alive', (s) => s.state === 'alive' && s.watchers[0]?.state === 'down');
    expect(alive.watchers).toEqual([{ watcher: `http ${server.url('/health')}`, state: 'down' }]);
    expect(alive.reason).toBe('watcher down: status 503 (expected 200-399)');

    server.set('/health', 'ok');
    const running = await h.running('web');
    expect(running).toMatchObject({ pid: alive.pid, starts: 1, watchers: [{ state: 'up' }] });

    server.set('/health', 'fail');
    await waitEvent(h, 'web', 'down', 2);
    const after = await h.until('web', 'to be alive again', (s) => s.state === 'alive');
    // `ignore`: the process was left alone.
    expect(after).toMatchObject({ pid: alive.pid, starts: 1, restarts: 0 });
    expect(watcherEvents(h, 'web')).toEqual(['down -> alive', 'up -> running', 'down -> alive']);
  });

  it('restarts an appliance whose http watcher goes down when bound with watcher = "restart", and runs it again once it passes', async () => {
    const server = await healthServer();
    h = new AgentHarness({ appliances: { 'a.toml': httpWatched('web', server.url('/health'), '{ watcher = "restart" }') } });
    await h.start();
    const first = await h.running('web');

    server.set('/health', 'fail');
    await waitEvent(h, 'web', 'down');
    const restarted = await h.until('web', 'to be started again', (s) => s.starts >= 2 && s.pid !== null);
    expect(restarted.pid).not.toBe(first.pid);
    server.set('/health', 'ok');
    const again = await h.running('web');
    expect(again.restarts).toBeGreaterThanOrEqual(1);

    const kinds = eventsOf(readEvents(h), 'web').map((e) => `${e.event.kind} -> ${e.state}`);
    const down = kinds.indexOf('watcher -> stopping');
    expect(down).toBeGreaterThan(0);
    expect(kinds.slice(down, down + 5)).toEqual(['watcher -> stopping', 'stop -> waiting', 'start -> starting', 'started -> alive', expect.stringMatching(/^watcher -> (running|alive|stopping)$/)]);
  });

  it('with watcher = { down = "restart", timeout = "ignore" } leaves an appliance whose check times out alive, and restarts one whose exec check fails', async () => {
    const server = await healthServer();
    server.set('/silent', 'hang');
    const flag = `${process.pid}-${Date.now()}`;
    h = new AgentHarness();
    const healthy = h.path(`healthy-${flag}`);
    writeFileSync(healthy, '');
    const binding = '{ watcher = { down = "restart", timeout = "ignore" } }';
    h.writeApplianceFile('a.toml', [
      httpWatched('hung', server.url('/silent'), binding, 'timeout = "300ms"'),
      '[checked]',
      'command = "sleep 1000"',
      `restart = ${binding}`,
      '[[checked.watchers]]',
      'type = "exec"',
      `command = "test -e ${healthy}"`,
      'interval = "100ms"',
      'retries = 2',
      '',
    ].join('\n'));
    await h.start();

    // The silent server: a timeout, bound to ignore.
    await waitEvent(h, 'hung', 'timeout');
    const hung = await h.status('hung');
    expect(hung).toMatchObject({ state: 'alive', starts: 1, watchers: [{ state: 'down' }] });
    expect(hung.reason).toBe('watcher timeout: no answer within 300ms');
    expect(server.count('/silent')).toBeGreaterThanOrEqual(2);

    // The exec check: its exit code decides, and down is bound to restart.
    const first = await h.running('checked');
    rmSync(healthy);
    await waitEvent(h, 'checked', 'down');
    await h.until('checked', 'to be started again', (s) => s.starts >= 2);
    writeFileSync(healthy, '');
    const again = await h.running('checked');
    expect(again.pid).not.toBe(first.pid);
    expect(eventsOf(readEvents(h), 'checked', 'watcher').find((e) => e.event.what === 'down')?.event.detail).toBe('exit code 1');
    expect(eventsOf(readEvents(h), 'hung', 'start')).toHaveLength(1);
  });

  it('restarts an appliance with restart = "always" while its tcp watcher finds the port closed, until it is open again', async () => {
    const server = await new HoldingTcpServer().start();
    servers.push(server);
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          '[db]',
          'command = "sleep 1000"',
          'restart = "always"',
          '[[db.watchers]]',
          'type = "tcp"',
          `address = "${server.address}"`,
          'interval = "100ms"',
          'retries = 1',
          '',
        ].join('\n'),
      },
    });
    await h.start();
    const first = await h.running('db');
    expect(server.accepted).toBeGreaterThanOrEqual(1);

    await server.close();
    await waitEvent(h, 'db', 'down');
    await h.until('db', 'to be started again', (s) => s.starts >= 2);
    expect(watcherEvents(h, 'db', 'down')[0]).toBe('down -> stopping');
    expect(eventsOf(readEvents(h), 'db', 'watcher')[1]?.event.detail).toMatch(/ECONNREFUSED/);

    await server.start();
    const again = await h.running('db');
    expect(again.pid).not.toBe(first.pid);
  });

  it('gives a failing watcher start_period of grace: no down while it lasts, where the same watcher without it restarts the appliance', async () => {
    const server = await healthServer();
    // Both fail their first four checks, then pass.
    server.script('/graced', 'fail', 'fail', 'fail', 'fail');
    server.script('/ungraced', 'fail', 'fail', 'fail', 'fail');
    const watcher = (name: string, extra: string): string =>
      `[${name}]\ncommand = "sleep 1000"\nrestart = { watcher = "restart" }\n[[${name}.watchers]]\ntype = "http"\nurl = "${server.url(`/${name}`)}"\ninterval = "100ms"\nretries = 1\n${extra}\n`;
    h = new AgentHarness({ appliances: { 'a.toml': watcher('graced', 'start_period = "5s"') + watcher('ungraced', '') } });
    await h.start();

    const graced = await h.running('graced');
    expect(server.count('/graced', 'fail')).toBe(4);
    expect(graced).toMatchObject({ starts: 1, restarts: 0 });
    expect(watcherEvents(h, 'graced')).toEqual(['up -> running']);

    const ungraced = await h.running('ungraced');
    expect(ungraced.starts).toBeGreaterThanOrEqual(2);
    expect(watcherEvents(h, 'ungraced', 'down').length).toBeGreaterThanOrEqual(1);
  });

  it('counts retries: fewer failures in a row than retries change nothing, that many take the appliance down', async () => {
    const server = await healthServer();
    h = new AgentHarness({
      appliances: { 'a.toml': httpWatched('steady', server.url('/steady'), '{ watcher = "restart" }').replace('retries = 2', 'retries = 3') },
    });
    await h.start();
    await h.running('steady');

    // Two failures, then successes: the watcher holds.
    const before = server.count('/steady');
    server.script('/steady', 'fail', 'fail');
    await waitFor('two failures and two successes after them', () => server.count('/steady') >= before + 4, SLOW);
    expect(server.count('/steady', 'fail')).toBe(2);
    expect(await h.status('steady')).toMatchObject({ state: 'running', starts: 1 });
    expect(watcherEvents(h, 'steady')).toEqual(['up -> running']);

    // Failing for good: down after the third failure in a row, not before.
    server.set('/steady', 'fail');
    const failedFrom = server.served.length;
    await waitEvent(h, 'steady', 'down');
    const down = eventsOf(readEvents(h), 'steady', 'watcher').find((e) => e.event.what === 'down')!;
    const failuresBefore = server.served.slice(failedFrom).filter((s) => s.path === '/steady' && s.at <= down.t).length;
    expect(failuresBefore).toBeGreaterThanOrEqual(3);
    await h.until('steady', 'to be restarted', (s) => s.starts >= 2);
  });
});

describe('the tcp monitor', () => {
  let h: AgentHarness;
  let server: HoldingTcpServer;
  afterEach(async () => {
    await h.cleanup();
    await server.close();
  });

  it('reports down the moment the connection is reset and restarts the appliance as bound, then is up again once reconnected', async () => {
    server = await new HoldingTcpServer().start();
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          '[linked]',
          'command = "sleep 1000"',
          'restart = { watcher = { down = "restart" } }',
          '[[linked.monitors]]',
          'type = "tcp"',
          `address = "${server.address}"`,
          '',
        ].join('\n'),
      },
    });
    await h.start();
    const first = await h.running('linked');
    expect(first.watchers).toEqual([{ watcher: `monitor tcp ${server.address}`, state: 'up' }]);
    await waitFor('the monitor connection', () => server.sockets.size === 1, SLOW);

    const cutAt = Date.now();
    server.cutAll();
    const [down] = await waitFor('the down event', () => {
      const found = eventsOf(readEvents(h), 'linked', 'watcher').filter((e) => e.event.what === 'down');
      return found.length > 0 && found;
    }, SLOW);
    // At once: no polling interval (a watcher's default is 10 s) stands between.
    expect(down!.t - cutAt).toBeLessThan(1000);
    expect(down!.state).toBe('stopping');

    const again = await h.until('linked', 'to run again', (s) => s.state === 'running' && s.starts === 2);
    expect(again.pid).not.toBe(first.pid);
    expect(server.accepted).toBeGreaterThanOrEqual(2);
  });
});
