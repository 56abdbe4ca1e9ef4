/**
 * The manager's parts working together, on a scripted runner and a fake clock: no process is
 * started and nothing sleeps. The state dir is real (a temporary one), as the manager saves
 * what it is asked before it acts on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import type { Appliance } from '../../src/appliance/appliance.js';
import type { HookStarterFactory } from '../../src/appliance/hook-dispatcher.js';
import { Manager, type ManagerOptions } from '../../src/appliance/manager.js';
import type { HostedName, RemoteDependencies } from '../../src/appliance/remote-dependencies.js';
import { parseApplianceSources } from '../../src/config/appliance-file.js';
import type { ApplianceState } from '../../src/model/appliance-state.js';
import { EventLog } from '../../src/store/event-log.js';
import { FakeClock } from '../support/fake-clock.js';
import { elapse, ScriptedRunner, settle } from '../support/scripted-runner.js';

const DEFAULTS = { stop_timeout_ms: 10_000, depends_timeout_ms: 60_000 };
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What an appliance file says, read by the config's own reader. */
function items(toml: string) {
  return parseApplianceSources([{ file: 'a.toml', content: toml }], DEFAULTS);
}

/** A manager on a fresh (or the given) state dir and its own scripted runner; `boot` loads `toml` on a first boot. */
function bench(stateDir?: string, cluster: Partial<Pick<ManagerOptions, 'remote' | 'names'>> = {}) {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'spew-manager-test-'));
  if (!stateDir) dirs.push(dir);
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const runner = new ScriptedRunner(clock);
  const hooks: string[] = [];
  const recordHooks: HookStarterFactory = () => ({ run: (_actions, ctx) => void hooks.push(`${ctx.appliance} ${ctx.event}`) });
  const events = new EventLog(dir);
  const manager = new Manager({
    stateDir: dir,
    logDir: join(dir, 'logs'),
    applianceLogs: { max_bytes: 1024 * 1024, max_files: 1 },
    runner,
    events,
    logger: createLogger({ silent: true }),
    supervision: { max_restarts: 1000, window_ms: 1000, jitter_ms: 0, depends_timeout_ms: 60_000 },
    historyLimit: 10,
    stopTimeoutMs: 10_000,
    clock,
    timers: clock,
    random: () => 0,
    hooks: recordHooks,
    ...cluster,
  });
  return {
    dir, clock, runner, manager, hooks,
    boot: (toml = '') => manager.boot(async () => items(toml)),
    elapse: (ms: number) => elapse(clock, ms),
    /** Resolves once `name` is in `state`. */
    reaches: (name: string, state: ApplianceState) => manager.get(name).until(new Set([state])),
    /** The order in which the runs of these appliances were started, as "name#n". */
    startOrder: (...names: string[]) => runner.runs.filter((r) => r.how === 'started' && names.includes(r.def.name)).map((r) => `${r.def.name}#${runner.runsOf(r.def.name).indexOf(r) + 1}`),
    /** Lets go of everything, leaving what runs for the next manager on this state dir. */
    handOff: async () => {
      await manager.handOff('handoff');
      events.close();
    },
  };
}

const DB_AND_WEB = [
  '[db]', 'command = "db"', 'restart = { crash = "restart", limit = { n = 10, wait = "1s" } }', '',
  '[web]', 'command = "web"', 'depends = ["db"]', 'restart = { dependency = "restart", limit = { n = 10, wait = "500ms" } }', '',
].join('\n');

describe('Manager: dependencies', () => {
  it('starts an appliance only once what it depends on runs', async () => {
    const { runner, boot, startOrder } = bench();
    await boot(DB_AND_WEB);
    expect(startOrder('db', 'web')).toEqual(['db#1', 'web#1']);
    expect(runner.live('web')?.at).toBeGreaterThanOrEqual(runner.live('db')?.at ?? Infinity);
  });

  it('restarts the dependents of an appliance that crashed and was restarted, after it runs again', async () => {
    const { runner, manager, boot, elapse, startOrder } = bench();
    await boot(DB_AND_WEB);
    const firstWeb = runner.live('web');
    runner.crash('db');
    await settle();
    // web is stopped at once, and waits for db before it starts again.
    expect(firstWeb?.stops.map((s) => s.signal)).toEqual(['SIGTERM']);
    expect(manager.get('web').state).toBe('waiting');
    await elapse(1000);
    expect(startOrder('db', 'web')).toEqual(['db#1', 'web#1', 'db#2', 'web#2']);
    expect(manager.status([]).map((s) => [s.name, s.state, s.restarts])).toEqual([['db', 'running', 1], ['web', 'running', 1]]);
  });

  /** db and web both stopped, then web asked to start: it waits for db. Answers the start request (not awaited). */
  async function webWaitingForDb(b: ReturnType<typeof bench>): Promise<{ started: Promise<unknown> }> {
    await b.boot(DB_AND_WEB);
    await b.manager.stop('web', false);
    await b.manager.stop('db', false);
    const started = b.manager.start('web');
    await b.reaches('web', 'waiting');
    return { started };
  }

  it('keeps a start waiting for a dependency that is stopped, and starts it when the dependency runs', async () => {
    const b = bench();
    const { runner, manager, elapse } = b;
    const { started } = await webWaitingForDb(b);
    await elapse(30_000);
    expect(manager.get('web').state).toBe('waiting');
    expect(runner.live('web')).toBeUndefined();
    await manager.start('db');
    await started;
    expect(manager.get('web').state).toBe('running');
    expect(runner.runsOf('web')).toHaveLength(2);
  });

  it('gives up a start whose dependency does not run within depends_timeout', async () => {
    const b = bench();
    const { runner, manager, elapse } = b;
    const { started } = await webWaitingForDb(b);
    await elapse(60_000);
    await started;
    expect(manager.get('web').state).toBe('stopped');
    expect(runner.runsOf('web')).toHaveLength(1);
  });
});

/** What other hosts publish, as a cluster's agent would know it; `set` changes it and says so. */
function otherHosts() {
  const runs = new Set<string>();
  const listeners: (() => void)[] = [];
  let followed: HostedName[] = [];
  const remote: RemoteDependencies = {
    running: ({ name, host }) => runs.has(`${name}@${host}`),
    follow: (deps) => (followed = deps),
    onChange: (listener) => void listeners.push(listener),
  };
  return {
    remote,
    followed: () => followed.map((d) => `${d.name}@${d.host}`),
    set: (dep: string, running: boolean) => {
      if (running) runs.add(dep);
      else runs.delete(dep);
      for (const listener of listeners) listener();
    },
  };
}

describe('Manager: dependencies on other hosts', () => {
  const WEB_ON_BETA_DB = '[web]\ncommand = "web"\ndepends = ["db@beta"]\n';

  it('waits for one to run there, follows it, and is not stopped when it goes', async () => {
    const hosts = otherHosts();
    const { runner, manager, boot, elapse } = bench(undefined, { remote: hosts.remote });
    await boot(WEB_ON_BETA_DB);
    expect(hosts.followed()).toEqual(['db@beta']);
    expect(manager.get('web').state).toBe('waiting');
    await elapse(10_000);
    expect(runner.live('web')).toBeUndefined();
    hosts.set('db@beta', true);
    await settle();
    expect(manager.get('web').state).toBe('running');
    // The other host loses it (or is lost): what runs here runs on.
    hosts.set('db@beta', false);
    await elapse(10_000);
    expect(manager.get('web').state).toBe('running');
    expect(runner.runsOf('web')).toHaveLength(1);
    await manager.remove('web');
    expect(hosts.followed()).toEqual([]);
  });

  it('gives up a start whose dependency there does not run within depends_timeout, naming it', async () => {
    const hosts = otherHosts();
    const { manager, boot, elapse } = bench(undefined, { remote: hosts.remote });
    await boot(WEB_ON_BETA_DB);
    await elapse(60_000);
    expect(manager.get('web').state).toBe('stopped');
    expect(manager.status(['web'])[0]?.reason).toContain('db@beta');
  });

  it('refuses one on an agent in no cluster', async () => {
    const { manager, boot } = bench();
    await boot('');
    await expect(manager.create(items(WEB_ON_BETA_DB)[0]!, true)).rejects.toThrow('db@beta is on another host, and this agent is in no cluster');
    expect(manager.all()).toEqual([]);
  });
});

describe('Manager: requests', () => {
  it('starts an appliance again with restart after it was stopped', async () => {
    const { runner, manager, boot } = bench();
    await boot('[web]\ncommand = "web"\n');
    await manager.stop('web', false);
    expect(manager.get('web').state).toBe('stopped');
    await manager.restart('web');
    const web = manager.get('web');
    expect([web.state, web.desired]).toEqual(['running', 'running']);
    expect(runner.runsOf('web').map((run) => run.stops.length)).toEqual([1, 0]);
  });

  it('restarts an appliance onto a changed definition on apply, and leaves an unchanged one alone', async () => {
    const { runner, manager, boot } = bench();
    await boot('[web]\ncommand = "web v1"\n\n[db]\ncommand = "db"\n');
    const dry = await manager.apply(items('[web]\ncommand = "web v2"\n\n[db]\ncommand = "db"\n'), { dryRun: true, prune: false });
    expect(dry.map((e) => [e.name, e.action])).toEqual([['web', 'update'], ['db', 'unchanged']]);
    expect(runner.runs).toHaveLength(2);
    const plan = await manager.apply(items('[web]\ncommand = "web v2"\n\n[db]\ncommand = "db"\n'), { dryRun: false, prune: false });
    expect(plan.map((e) => [e.name, e.action])).toEqual([['web', 'update'], ['db', 'unchanged']]);
    expect(runner.runsOf('web').map((run) => run.def.command)).toEqual(['web v1', 'web v2']);
    expect(runner.runsOf('web')[0]?.ended).toBeDefined();
    expect(runner.runsOf('db')).toHaveLength(1);
    expect(manager.get('web').state).toBe('running');
    expect(manager.historyOf('web').versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('removes an appliance that a pruning apply no longer names, and only one a file made', async () => {
    const { runner, manager, boot } = bench();
    await boot('[web]\ncommand = "web"\n\n[db]\ncommand = "db"\n');
    const plan = await manager.apply(items('[db]\ncommand = "db"\n'), { dryRun: false, prune: true });
    expect(plan.map((e) => [e.name, e.action])).toEqual([['db', 'unchanged'], ['web', 'remove']]);
    expect(manager.all().map((a: Appliance) => a.name)).toEqual(['db']);
    expect(runner.runsOf('web')[0]?.ended).toBeDefined();
  });
});

describe('Manager: hooks', () => {
  it('fires the hooks of a crash loop in the order of what happened', async () => {
    const { runner, boot, elapse, hooks } = bench();
    const hook = (event: string): string => `${event} = [{ run = "true" }]`;
    runner.script('app', { run: 'for', ms: 100, then: { exit: 3 } });
    await boot(['[app]', 'command = "app"', 'restart = { crash = "restart", limit = { n = 1, wait = "1s" } }', '[app.hooks]', ...['start', 'crash', 'restart', 'failed'].map(hook), ''].join('\n'));
    await elapse(5_000);
    expect(hooks).toEqual(['app start', 'app crash', 'app restart', 'app start', 'app crash', 'app failed']);
  });
});

describe('Manager: takeover', () => {
  it('adopts what still runs and restarts, by its policy, what ended while no agent ran', async () => {
    const first = bench();
    await first.boot('[kept]\ncommand = "kept"\n\n[crashed]\ncommand = "crashed"\nrestart = "crash"\n\n[done]\ncommand = "done"\nrestart = "never"\n');
    await first.handOff();

    const next = bench(first.dir);
    next.runner.adoption('kept', { kind: 'running', script: 'forever' });
    next.runner.adoption('crashed', { kind: 'exited', reason: { kind: 'exit', code: 3 } });
    next.runner.adoption('done', { kind: 'exited', reason: { kind: 'exit', code: 3 } });
    await next.boot();
    await settle();
    expect(next.runner.runs.map((run) => [run.def.name, run.how])).toEqual([['kept', 'adopted'], ['crashed', 'started']]);
    expect(next.manager.status([]).map((s) => [s.name, s.state, s.last_exit])).toEqual([
      ['crashed', 'running', 'exit 3'],
      ['done', 'crashed', 'exit 3'],
      ['kept', 'running', null],
    ]);
    await next.handOff();
  });
});
