import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { applianceProcess } from '../support/proc.js';
import { eventsOf, readEvents, TIMER_SLACK_MS, type TimedEvent } from '../support/supervision-kit.js';
import { waitFor } from '../support/wait-for.js';

/** Where a record sits in the whole log: the log is appended in the order things happen. */
function indexOf(events: readonly TimedEvent[], name: string, kind: string, state?: string): number {
  return events.findIndex((e) => e.name === name && e.event.kind === kind && (state === undefined || e.state === state));
}

describe('dependencies', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('starts an appliance only once its dependency is running: web waits while db is alive, an independent one starts meanwhile', async () => {
    h = new AgentHarness();
    const ready = h.path('db-ready');
    h.writeApplianceFile('a.toml', [
      '[db]',
      'command = "sleep 1000"',
      '[[db.watchers]]',
      'type = "exec"',
      `command = "test -e ${ready}"`,
      'interval = "100ms"',
      'retries = 1',
      '[web]',
      'command = "sleep 1000"',
      'depends = ["db"]',
      '[other]',
      'command = "sleep 1000"',
      '',
    ].join('\n'));
    await h.start();

    await h.until('db', 'to be up but not passing', (s) => s.state === 'alive');
    const waiting = await h.until('web', 'to wait', (s) => s.state === 'waiting');
    expect(waiting).toMatchObject({ reason: 'waiting for its dependencies', pid: null, starts: 0 });
    // Independent of db: it started without waiting for it.
    await h.running('other');
    expect((await h.status('web')).state).toBe('waiting');

    writeFileSync(ready, '');
    await h.running('web');
    const events = readEvents(h);
    const dbRunning = indexOf(events, 'db', 'watcher', 'running');
    const webWaited = indexOf(events, 'web', 'start', 'waiting');
    const webStarting = indexOf(events, 'web', 'start', 'starting');
    expect(webWaited).toBeGreaterThanOrEqual(0);
    expect(dbRunning).toBeGreaterThan(webWaited);
    expect(webStarting).toBeGreaterThan(dbRunning);
    expect(indexOf(events, 'other', 'started', 'running')).toBeLessThan(dbRunning);
  });

  it('stops dependents before their dependencies when the agent gets SIGTERM', async () => {
    // Each takes a moment to stop, so an order that is wrong would show.
    const slowStop = `command = "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.1; done"`;
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          `[db]\n${slowStop}`,
          `[web]\n${slowStop}\ndepends = ["db"]`,
          `[front]\n${slowStop}\ndepends = ["web"]`,
          `[admin]\n${slowStop}\ndepends = ["db"]`,
          '',
        ].join('\n'),
      },
    });
    await h.start();
    for (const name of ['db', 'web', 'front', 'admin']) await h.running(name);

    expect(await h.stop()).toBe(0);
    const events = readEvents(h);
    const asked = (name: string): number => indexOf(events, name, 'stop-request');
    const stopped = (name: string): TimedEvent => eventsOf(events, name, 'stop', 'stopped')[0]!;
    for (const name of ['db', 'web', 'front', 'admin']) expect(stopped(name)).toBeDefined();
    // front before web, web and admin before db: each is asked only once its dependents are stopped.
    expect(indexOf(events, 'front', 'stop', 'stopped')).toBeLessThan(asked('web'));
    expect(indexOf(events, 'web', 'stop', 'stopped')).toBeLessThan(asked('db'));
    expect(indexOf(events, 'admin', 'stop', 'stopped')).toBeLessThan(asked('db'));
    expect(stopped('front').t).toBeLessThanOrEqual(events[asked('web')]!.t);
    expect(stopped('web').t).toBeLessThanOrEqual(events[asked('db')]!.t);
  });

  it('tells dependents when a dependency crashes or stops and does what they bind: dependency = { db = "restart", _ = "stop" }', async () => {
    h = new AgentHarness();
    const cacheExit = h.path('cache-exit');
    h.writeApplianceFile('a.toml', [
      '[db]\ncommand = "sleep 1000"\nrestart = "crash"',
      `[cache]\ncommand = ${tomlArray(...program('exit-when.sh', cacheExit, '0'))}`,
      '[web]\ncommand = "sleep 1000"\ndepends = ["db", "cache"]\nrestart = { dependency = { db = "restart", _ = "stop" } }',
      '[side]\ncommand = "sleep 1000"\ndepends = ["db"]',
      '',
    ].join('\n'));
    await h.start();
    const db = await h.running('db');
    const web = await h.running('web');
    const side = await h.running('side');
    await h.running('cache');

    const dbProcess = await waitFor('the db process', () => applianceProcess(db.pid!), SLOW);
    process.kill(dbProcess.pid, 'SIGKILL');
    const webAgain = await h.until('web', 'to be restarted', (s) => s.state === 'running' && s.starts === 2);
    expect(webAgain.pid).not.toBe(web.pid);
    let events = readEvents(h);
    const told = eventsOf(events, 'web', 'dependency');
    expect(told[0]).toMatchObject({ event: { dep: 'db', what: 'crash' }, state: 'stopping' });
    // web started again only after db was running again.
    const webRestart = events.findLastIndex((e) => e.name === 'web' && e.event.kind === 'start');
    const dbBack = events.findLastIndex((e) => e.name === 'db' && e.event.kind === 'started');
    expect(webRestart).toBeGreaterThan(dbBack);
    // side binds nothing: told, and left alone.
    expect(eventsOf(events, 'side', 'dependency')[0]).toMatchObject({ event: { dep: 'db', what: 'crash' }, state: 'running' });
    expect(await h.status('side')).toMatchObject({ pid: side.pid, starts: 1 });

    // cache exits 0 on its own: `_ = "stop"` stops web.
    writeFileSync(cacheExit, '');
    await h.until('cache', 'to stop', (s) => s.state === 'stopped');
    await h.until('web', 'to be stopped', (s) => s.state === 'stopped' && s.pid === null);
    events = readEvents(h);
    expect(eventsOf(events, 'web', 'dependency').at(-1)).toMatchObject({ event: { dep: 'cache', what: 'stop' }, state: 'stopping' });
    expect((await h.status('web')).starts).toBe(2);
  });

  it('gives up waiting for a dependency that never runs after depends_timeout (its own, or the instance default), naming it', async () => {
    h = new AgentHarness({
      extraConfig: '[supervision]\ndepends_timeout = "1500ms"\n',
      appliances: {
        'a.toml': [
          // Up, but its watcher never passes: it is never running.
          '[db]\ncommand = "sleep 1000"\n[[db.watchers]]\ntype = "exec"\ncommand = "false"\ninterval = "100ms"\nretries = 1',
          '[web]\ncommand = "sleep 1000"\ndepends = ["db"]\ndepends_timeout = "800ms"',
          '[api]\ncommand = "sleep 1000"\ndepends = ["db"]',
          '',
        ].join('\n'),
      },
    });
    await h.start();

    for (const [name, timeout] of [['web', 800], ['api', 1500]] as const) {
      const s = await h.until(name, 'to give up', (x) => x.state === 'stopped');
      expect(s).toMatchObject({ reason: 'dependencies not running in time: db', starts: 0, pid: null });
      const mine = eventsOf(readEvents(h), name);
      const waited = mine.find((e) => e.event.kind === 'start' && e.state === 'waiting')!;
      const gaveUp = mine.find((e) => e.event.kind === 'dependency-timeout')!;
      expect(gaveUp).toMatchObject({ event: { missing: ['db'] }, state: 'stopped' });
      expect(gaveUp.t - waited.t).toBeGreaterThanOrEqual(timeout - TIMER_SLACK_MS);
    }
    const table = await h.cli('status', 'web');
    expect(table.stdout).toContain('dependencies not running in time: db');
  });
});

describe('dependency checks', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  function file(name: string, text: string): string {
    const path = h.path(name);
    writeFileSync(path, text);
    return path;
  }

  it('refuses a file with a dependency cycle in apply and in validate without an agent, naming the cycle, and applies nothing of it', async () => {
    h = new AgentHarness();
    const cyclic = file('cycle.toml', [
      '[a]\ncommand = "sleep 1000"\ndepends = ["b"]',
      '[b]\ncommand = "sleep 1000"\ndepends = ["a"]',
      '[c]\ncommand = "sleep 1000"',
      '',
    ].join('\n'));

    // No agent runs yet: validate needs none.
    const validated = await h.cliWithout(['validate', cyclic]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain('dependency cycle: a -> b -> a');

    await h.start();
    const refused = await h.cli('apply', cyclic);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain(`${cyclic}:1:1: a.depends: dependency cycle: a -> b -> a`);
    expect(await h.client.status()).toEqual([]);
    expect(readEvents(h)).toEqual([]);
  });

  it('applies a file whose appliance depends on one defined after it, then refuses a cycle that a later file would close', async () => {
    h = new AgentHarness();
    await h.start();
    const first = file('first.toml', '[a]\ncommand = "sleep 1000"\ndepends = ["b"]\n[b]\ncommand = "sleep 1000"\n');
    expect(await h.cli('apply', first)).toMatchObject({ code: 0, stdout: 'create a\ncreate b\napplied\n' });
    await h.running('a');
    const events = readEvents(h);
    expect(indexOf(events, 'a', 'start', 'starting')).toBeGreaterThan(indexOf(events, 'b', 'started', 'running'));

    const second = file('second.toml', '[b]\ncommand = "sleep 2000"\ndepends = ["a"]\n');
    const refused = await h.cli('apply', second);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('dependency cycle: a -> b -> a');
    expect(await h.status('b')).toMatchObject({ command: 'sleep 1000', state: 'running' });
  });

  it('refuses a dependency on an appliance that does not exist, in apply and in validate', async () => {
    h = new AgentHarness();
    const unknown = file('unknown.toml', '[web]\ncommand = "sleep 1000"\ndepends = ["ghost"]\n');
    const validated = await h.cliWithout(['validate', unknown]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain('web depends on ghost, which does not exist');

    await h.start();
    const refused = await h.cli('apply', unknown);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${unknown}:1:1: web.depends: web depends on ghost, which does not exist`);
    expect(await h.client.status()).toEqual([]);
  });
});
