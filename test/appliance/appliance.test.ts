import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Appliance, type ApplianceOwner } from '../../src/appliance/appliance.js';
import { OutputCapture } from '../../src/logs/output-capture.js';
import { RotatingLogFile } from '../../src/logs/rotating-log-file.js';
import type { ApplianceEventKind, ApplianceState } from '../../src/model/appliance-state.js';
import type { PersistedAppliance } from '../../src/model/persisted-appliance.js';
import { RestartThrottle } from '../../src/supervision/restart-throttle.js';
import { FakeClock } from '../support/fake-clock.js';
import { elapse, ScriptedRunner, settle, type Script } from '../support/scripted-runner.js';
import { testDefinition } from '../support/test-definition.js';

/** The manager's side, reduced to remembering the states it was told of. */
class RecordingOwner implements ApplianceOwner {
  readonly states: ApplianceState[] = [];

  onTransition(appliance: Appliance): void {
    this.states.push(appliance.state);
  }

  afterEffects(): void {}

  onForget(): void {}

  dependenciesReady(): boolean {
    return true;
  }

  awaitDependencies(): void {
    throw new Error('it has no dependencies to wait for');
  }
}

const NEVER_RAN: Omit<PersistedAppliance, 'definition'> = {
  desired: 'running', starts: 0, restarts: 0, last_exit: null, version: 1, running_version: null,
};

/** A throttle roomy enough never to hold a restart back: the limiter's spacing is what shows. */
const ROOMY_THROTTLE = { max: 100, window_ms: 1_000, jitter_ms: 0 };

/** An appliance `web` defined by `item` whose successive starts follow `scripts`, on a fake clock from 0. */
function bench(item: Record<string, unknown>, ...scripts: [Script, ...Script[]]) {
  const clock = new FakeClock();
  const runner = new ScriptedRunner(clock);
  runner.script('web', ...scripts);
  const owner = new RecordingOwner();
  const random = () => 0;
  const throttle = new RestartThrottle(ROOMY_THROTTLE, clock, random, clock);
  // Never written: scripted runs print nothing.
  const capture = new OutputCapture(new RotatingLogFile(join(tmpdir(), 'spew-appliance-test', 'web.log'), { maxBytes: 1024, maxFiles: 1 }));
  const appliance = new Appliance(testDefinition('web', item), NEVER_RAN, capture, { runner, throttle, clock, random }, owner);
  return {
    clock,
    runner,
    owner,
    appliance,
    /** The kinds of event `appliance` has told an observer of, in order, from now on. */
    observed: (): ApplianceEventKind[] => {
      const kinds: ApplianceEventKind[] = [];
      appliance.observe((event) => kinds.push(event.kind));
      return kinds;
    },
    start: async (): Promise<void> => {
      appliance.dispatch({ kind: 'start', n: appliance.starts + 1 });
      await settle();
    },
    elapse: (ms: number): Promise<void> => elapse(clock, ms),
    startTimes: (): number[] => runner.runsOf('web').map((run) => run.at),
  };
}

const crashesAfter = (ms: number, code = 1): Script => ({ run: 'for', ms, then: { exit: code } });

describe('Appliance: restarts', () => {
  it('restarts a crashed appliance after the policy\'s wait until the limit, then is failed naming the limit', async () => {
    const { clock, runner, owner, appliance, start, elapse, startTimes } = bench(
      { restart: { crash: 'restart', limit: { n: 2, wait: '1s' } } },
      crashesAfter(500),
    );
    await start();
    await elapse(500);
    expect(appliance.state).toBe('waiting');
    expect(appliance.reason).toBe('exit 1, restarting; restart 1 of 2, wait 1s');
    expect(appliance.status(clock.now()).next_start_in_ms).toBe(1_000);
    await elapse(999);
    expect(runner.runsOf('web')).toHaveLength(1);
    await elapse(1);
    expect(startTimes()).toEqual([0, 1_500]);
    expect({ starts: appliance.starts, restarts: appliance.restarts }).toEqual({ starts: 2, restarts: 1 });

    await elapse(60_000);
    expect(startTimes()).toEqual([0, 1_500, 3_000]);
    expect(appliance.state).toBe('failed');
    expect(appliance.reason).toBe('exit 1; 2 restarts, the limit');
    expect({ starts: appliance.starts, restarts: appliance.restarts }).toEqual({ starts: 3, restarts: 2 });
    expect(owner.states).toEqual([
      'starting', 'running', 'waiting',
      'starting', 'running', 'waiting',
      'starting', 'running', 'failed',
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('starts a failed appliance again once retry_after has passed, with a fresh restart budget', async () => {
    const { clock, appliance, start, elapse, startTimes } = bench(
      { restart: { crash: 'restart', limit: { n: 1, wait: '1s' }, retry_after: '1m' } },
      crashesAfter(100),
    );
    await start();
    await elapse(1_200);
    expect(appliance.state).toBe('failed');
    expect(appliance.reason).toBe('exit 1; 1 restart, the limit');
    expect(appliance.status(clock.now())).toMatchObject({ next_start_in_ms: 60_000, restart_limit: { used: 1, limit: 1 } });

    await elapse(59_999);
    expect(startTimes()).toEqual([0, 1_100]);
    await elapse(1);
    expect(startTimes()).toEqual([0, 1_100, 61_200]);
    expect(appliance.state).toBe('running');
    expect(appliance.status(clock.now()).restart_limit).toMatchObject({ used: 0, limit: 1 });

    // The fresh budget: one more restart, then failed again.
    await elapse(1_200);
    expect(startTimes()).toEqual([0, 1_100, 61_200, 62_300]);
    expect(appliance.state).toBe('failed');
    expect(appliance.starts).toBe(4);
  });

  it('spaces restarts by a growing backoff, reset once the appliance has stayed up reset_after', async () => {
    const { runner, start, elapse } = bench(
      { restart: { crash: 'restart', backoff: { initial: '100ms', factor: 2, max: '1s', reset_after: '10s' } } },
      crashesAfter(50), crashesAfter(50), crashesAfter(50), crashesAfter(10_000), crashesAfter(50),
    );
    await start();
    await elapse(11_200);
    const runs = runner.runsOf('web');
    const pauses = runs.slice(1).map((run, i) => run.at - runs[i]!.ended!.at);
    expect(pauses).toEqual([100, 200, 400, 100, 200]);
  });

  it('restarts after a normal exit (code 0) under restart = "always"', async () => {
    const { appliance, start, elapse, startTimes } = bench({ restart: 'always' }, crashesAfter(100, 0), 'forever');
    await start();
    await elapse(100);
    expect(startTimes()).toEqual([0, 100]);
    expect(appliance.state).toBe('running');
    expect(appliance.restarts).toBe(1);
  });

  it('leaves an appliance that exited normally stopped under restart = "crash"', async () => {
    const { clock, appliance, start, elapse, startTimes } = bench({ restart: 'crash' }, crashesAfter(100, 0));
    await start();
    await elapse(60_000);
    expect(startTimes()).toEqual([0]);
    expect(appliance.state).toBe('stopped');
    expect(appliance.reason).toBe('exited normally');
    expect(appliance.lastExit).toBe('exit 0');
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Appliance: spawn failures', () => {
  it('tries a start lost for a transient reason again after 100 ms, doubling, without counting a restart', async () => {
    const lost: Script = { spawn: 'fail', message: 'the shim died', transient: true };
    const { runner, appliance, start, elapse, startTimes } = bench({ restart: 'never' }, lost, lost, lost, 'forever');
    await start();
    expect(appliance.state).toBe('waiting');
    expect(appliance.reason).toBe('spawn failed: the shim died; trying again');
    await elapse(1_000);
    expect(startTimes()).toEqual([0, 100, 300, 700]);
    expect(runner.runsOf('web').map((run) => run.pid)).toEqual([0, 0, 0, 1000]);
    expect(appliance.state).toBe('running');
    expect({ starts: appliance.starts, restarts: appliance.restarts }).toEqual({ starts: 4, restarts: 0 });
  });

  it('is failed, whatever its policy, when a spawn fails for a reason that lasts', async () => {
    const { clock, appliance, start, elapse, startTimes } = bench(
      { restart: 'always' },
      { spawn: 'fail', message: 'no such program: frob' },
    );
    await start();
    expect(appliance.state).toBe('failed');
    expect(appliance.reason).toBe('spawn failed: no such program: frob');
    await elapse(60_000);
    expect(startTimes()).toEqual([0]);
    expect(appliance.restarts).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Appliance: stops', () => {
  it('kills a process that ignores the stop signal at the stop timeout, and leaves it stopped', async () => {
    const { runner, appliance, start, elapse, startTimes } = bench({ restart: 'always', stop_timeout: '5s' }, 'ignore-sigterm');
    await start();
    await elapse(1_000);
    appliance.dispatch({ kind: 'stop-request', kill: false });
    const run = runner.live('web')!;
    expect(run.stops).toEqual([{ at: 1_000, signal: 'SIGTERM', timeoutMs: 5_000 }]);
    await elapse(4_999);
    expect(appliance.state).toBe('stopping');
    expect(run.ended).toBeUndefined();
    await elapse(1);
    expect(run.ended).toEqual({ at: 6_000, reason: { kind: 'signal', signal: 'SIGKILL' } });
    expect(appliance.state).toBe('stopped');
    expect(appliance.reason).toBe('stopped on request');
    expect(appliance.lastExit).toBe('signal SIGKILL');
    await elapse(60_000);
    expect(startTimes()).toEqual([0]);
  });

  it('cancels the coming restart when asked to stop while waiting for it', async () => {
    const { clock, appliance, start, elapse, startTimes } = bench(
      { restart: { crash: 'restart', limit: { n: 5, wait: '1s' } } },
      crashesAfter(100),
    );
    await start();
    await elapse(100);
    expect(appliance.state).toBe('waiting');
    appliance.dispatch({ kind: 'stop-request', kill: false });
    expect(appliance.state).toBe('stopped');
    expect(appliance.status(clock.now()).next_start_in_ms).toBeNull();
    await elapse(60_000);
    expect(startTimes()).toEqual([0]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Appliance: adoption', () => {
  it('takes over a run that is still up, and restarts it when it crashes', async () => {
    const { runner, appliance, startTimes } = bench({ restart: 'crash' }, 'forever');
    runner.adoption('web', { kind: 'running', script: 'forever' });
    const adoption = await runner.adopt(appliance.definition);
    if (adoption.kind !== 'running') throw new Error(`expected a run, got ${adoption.kind}`);
    appliance.adopt(adoption.handle);
    expect(appliance.state).toBe('running');
    expect(appliance.reason).toBe(`re-adopted, pid ${adoption.handle.pid}`);

    runner.crash('web');
    await settle();
    expect(runner.runsOf('web').map((run) => run.how)).toEqual(['adopted', 'started']);
    expect(startTimes()).toEqual([0, 0]);
    expect(appliance.state).toBe('running');
    expect(appliance.restarts).toBe(1);
  });

  it('restarts a run that crashed while no agent ran, as its policy says of a crash now', async () => {
    const { runner, appliance } = bench({ restart: 'crash' }, 'forever');
    runner.adoption('web', { kind: 'exited', reason: { kind: 'exit', code: 3 } });
    const adoption = await runner.adopt(appliance.definition);
    if (adoption.kind !== 'exited') throw new Error(`expected an ended run, got ${adoption.kind}`);
    appliance.endedWhileAway(adoption.reason);
    await settle();
    expect(runner.runsOf('web').map((run) => run.how)).toEqual(['started']);
    expect(appliance.state).toBe('running');
    expect(appliance.lastExit).toBe('exit 3');
    expect(appliance.restarts).toBe(1);
  });
});

describe('Appliance: observers', () => {
  it('tells an observer of every event it accepts, in order', async () => {
    const { appliance, observed, start, elapse } = bench(
      { restart: { crash: 'restart', limit: { n: 5, wait: '1s' } } },
      crashesAfter(100), 'forever',
    );
    const kinds = observed();
    await start();
    await elapse(1_100);
    appliance.dispatch({ kind: 'stop-request', kill: false });
    await settle();
    appliance.dispatch({ kind: 'stop-request', kill: false });
    expect(kinds).toEqual(['start', 'started', 'crash', 'start', 'started', 'stop-request', 'stop']);
  });

  // Dispatch queues: the restart's start, made while the crash is being dispatched, waits
  // until every observer has heard of the crash.
  it('tells every observer of a crash before the start of a zero-delay restart', async () => {
    const { observed, start, elapse } = bench({ restart: 'crash' }, crashesAfter(100), 'forever');
    const first = observed();
    const second = observed();
    await start();
    await elapse(100);
    const expected = ['start', 'started', 'crash', 'start', 'started'];
    expect({ first, second }).toEqual({ first: expected, second: expected });
  });

  it('tells an observer nothing once it has unsubscribed', async () => {
    const { appliance, start } = bench({}, 'forever');
    const kinds: ApplianceEventKind[] = [];
    const unsubscribe = appliance.observe((event) => kinds.push(event.kind));
    unsubscribe();
    await start();
    expect(appliance.state).toBe('running');
    expect(kinds).toEqual([]);
  });
});
