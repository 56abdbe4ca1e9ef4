import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLIANCE_STATES, type ApplianceEvent, type ApplianceState } from '../../src/model/appliance-state.js';
import { transition, type MachineContext, type MachineState } from '../../src/appliance/state-machine.js';
import { RestartLimiter, type RestartVerdict } from '../../src/supervision/restart-limiter.js';
import type { Action } from '../../src/model/restart-policy.js';
import { FakeClock } from '../support/fake-clock.js';

const crash: ApplianceEvent = { kind: 'crash', reason: { kind: 'exit', code: 1 } };
const exit0: ApplianceEvent = { kind: 'stop' };
const restartNow: RestartVerdict = { verdict: 'restart', delay_ms: 0, reason: 'restart 1' };

function ctx(action: Action = 'ignore', verdict: RestartVerdict = restartNow, extra: Partial<MachineContext> = {}): MachineContext {
  return { watched: false, depsReady: true, action, preview: () => verdict, retryDelayMs: 100, ...extra };
}
const at = (state: ApplianceState): MachineState => ({ state });

describe('transition', () => {
  it('starts an idle appliance by spawning it, once its dependencies run', () => {
    expect(transition(at('stopped'), { kind: 'start', n: 1 }, ctx()).effects).toEqual([{ kind: 'spawn' }]);
    expect(transition(at('waiting'), { kind: 'start', n: 2 }, ctx()).effects).toEqual([{ kind: 'cancel-start' }, { kind: 'spawn' }]);
    expect(transition(at('stopped'), { kind: 'start', n: 1 }, ctx('ignore', restartNow, { depsReady: false }))).toMatchObject({
      state: 'waiting',
      effects: [{ kind: 'await-dependencies' }],
    });
  });

  it('ignores a start of an appliance whose process is up', () => {
    for (const state of ['starting', 'alive', 'running', 'stopping'] as const) {
      expect(transition(at(state), { kind: 'start', n: 2 }, ctx()).accepted).toBe(false);
    }
  });

  it('is alive, not running, until the watchers pass when it has watchers', () => {
    const watched = ctx('ignore', restartNow, { watched: true });
    expect(transition(at('starting'), { kind: 'started', pid: 9 }, watched).state).toBe('alive');
    expect(transition(at('alive'), { kind: 'watcher', what: 'up', detail: '' }, watched).state).toBe('running');
    expect(transition(at('starting'), { kind: 'started', pid: 9 }, ctx()).state).toBe('running');
  });

  it('restarts after an ending bound to restart, at the limiter\'s delay', () => {
    const verdict: RestartVerdict = { verdict: 'restart', delay_ms: 400, reason: 'backoff 400ms' };
    expect(transition(at('running'), crash, ctx('restart', verdict))).toEqual({
      state: 'waiting', effects: [{ kind: 'count-restart' }, { kind: 'schedule-start', delay_ms: 400 }], accepted: true, verdict,
    });
  });

  it('fails when the limiter says so, and schedules the retry when there is one', () => {
    const fail: RestartVerdict = { verdict: 'fail', reason: '5 restarts in 1m', retry_in_ms: 600_000 };
    expect(transition(at('running'), crash, ctx('restart', fail))).toMatchObject({
      state: 'failed', effects: [{ kind: 'schedule-start', delay_ms: 600_000 }],
    });
    expect(transition(at('running'), crash, ctx('restart', { verdict: 'fail', reason: 'x' })).effects).toEqual([]);
  });

  it.each<[Action, ApplianceEvent, ApplianceState]>([
    ['ignore', crash, 'crashed'],
    ['stop', crash, 'crashed'],
    ['ignore', exit0, 'stopped'],
  ])('leaves an ended appliance alone when bound to %s', (action, event, state) => {
    expect(transition(at('running'), event, ctx(action))).toMatchObject({ state, effects: [] });
  });

  it('removes an appliance whose ending is bound to destroy', () => {
    expect(transition(at('running'), crash, ctx('destroy')).effects).toEqual([{ kind: 'forget' }]);
  });

  it('stops a running appliance first when a watcher or a dependency asks for a restart, then restarts it', () => {
    const down: ApplianceEvent = { kind: 'watcher', what: 'down', detail: 'refused' };
    const next = transition(at('running'), down, ctx('restart'));
    expect(next).toMatchObject({ state: 'stopping', then: { kind: 'restart', delay_ms: 0 }, effects: [{ kind: 'count-restart' }, { kind: 'signal', mode: 'stop' }] });
    expect(transition(next, exit0, ctx())).toMatchObject({ state: 'waiting', effects: [{ kind: 'schedule-start', delay_ms: 0 }] });
    const dep: ApplianceEvent = { kind: 'dependency', dep: 'db', what: 'crash' };
    expect(transition(at('alive'), dep, ctx('restart')).state).toBe('stopping');
  });

  it('marks a running appliance alive when a watcher fails and nothing is bound to it', () => {
    expect(transition(at('running'), { kind: 'watcher', what: 'timeout', detail: '1s' }, ctx()).state).toBe('alive');
    expect(transition(at('running'), { kind: 'dependency', dep: 'db', what: 'stop' }, ctx())).toMatchObject({ state: 'running', effects: [] });
  });

  it('lets an operator\'s stop override a restart that was on its way', () => {
    const stopping: MachineState = { state: 'stopping', then: { kind: 'restart', delay_ms: 0 } };
    const next = transition(stopping, { kind: 'stop-request', kill: false }, ctx());
    expect(next).toMatchObject({ state: 'stopping', effects: [] });
    expect(next.then).toBeUndefined();
    expect(transition(next, exit0, ctx()).state).toBe('stopped');
  });

  it('never counts an exit after a stop request as a crash', () => {
    for (const action of ['restart', 'ignore', 'destroy'] as const) {
      expect(transition(at('stopping'), crash, ctx(action))).toMatchObject({ state: 'stopped', effects: [] });
    }
  });

  it('cancels a scheduled start, or a retry after failed, when asked to stop', () => {
    for (const state of ['waiting', 'failed'] as const) {
      expect(transition(at(state), { kind: 'stop-request', kill: false }, ctx())).toMatchObject({
        state: 'stopped', effects: [{ kind: 'cancel-start' }],
      });
    }
  });

  it('fails an appliance whose process could not even be spawned, instead of looping', () => {
    const spawnError: ApplianceEvent = { kind: 'crash', reason: { kind: 'spawn-error', message: 'ENOENT' } };
    expect(transition(at('starting'), spawnError, ctx('restart')).state).toBe('failed');
  });

  it('tries a start lost for a transient reason again after the retry delay, whatever the bindings say, without counting a restart', () => {
    const lost: ApplianceEvent = { kind: 'crash', reason: { kind: 'spawn-error', message: 'the shim died', transient: true } };
    let asked = 0;
    for (const action of ['ignore', 'stop', 'restart'] as const) {
      const next = transition(at('starting'), lost, { ...ctx(action), retryDelayMs: 400, preview: () => (asked++, restartNow) });
      expect(next).toMatchObject({ state: 'waiting', effects: [{ kind: 'schedule-start', delay_ms: 400, retry: true }] });
    }
    expect(asked).toBe(0);
  });

  it('gives up waiting for dependencies when told they timed out', () => {
    expect(transition(at('waiting'), { kind: 'dependency-timeout', missing: ['db'] }, ctx()).state).toBe('stopped');
  });

  it('answers every (state, event) pair with a known state', () => {
    const events: ApplianceEvent[] = [
      { kind: 'start', n: 1 }, { kind: 'started', pid: 1 }, { kind: 'adopted', pid: 1 }, exit0, crash,
      { kind: 'watcher', what: 'up', detail: '' }, { kind: 'watcher', what: 'down', detail: '' },
      { kind: 'dependency', dep: 'd', what: 'crash' }, { kind: 'dependency-timeout', missing: [] },
      { kind: 'stop-request', kill: false }, { kind: 'stop-request', kill: true }, { kind: 'delete' },
    ];
    for (const state of APPLIANCE_STATES) {
      for (const event of events) {
        for (const action of ['restart', 'stop', 'destroy', 'ignore'] as const) {
          expect(APPLIANCE_STATES).toContain(transition(at(state), event, ctx(action)).state);
        }
      }
    }
  });
});

/**
 * A random life of one appliance: the simulation plays the runner (a spawn makes a process, an
 * ending needs one) and the timers, and checks the machine's invariants after every step.
 */
describe('transition, over random event sequences', () => {
  type Step =
    | { kind: 'operator-start' } | { kind: 'operator-stop'; kill: boolean } | { kind: 'started' }
    | { kind: 'exit'; code: number } | { kind: 'spawn-error'; transient: boolean } | { kind: 'watcher'; what: 'up' | 'down' | 'timeout' }
    | { kind: 'dependency' } | { kind: 'timer' } | { kind: 'advance'; ms: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.constant({ kind: 'operator-start' as const }),
    fc.boolean().map((kill) => ({ kind: 'operator-stop' as const, kill })),
    fc.constant({ kind: 'started' as const }),
    fc.integer({ min: 0, max: 2 }).map((code) => ({ kind: 'exit' as const, code })),
    fc.boolean().map((transient) => ({ kind: 'spawn-error' as const, transient })),
    fc.constantFrom('up', 'down', 'timeout').map((what) => ({ kind: 'watcher' as const, what })),
    fc.constant({ kind: 'dependency' as const }),
    fc.constant({ kind: 'timer' as const }),
    fc.integer({ min: 1, max: 30_000 }).map((ms) => ({ kind: 'advance' as const, ms })),
  );

  it('never runs two instances, never fails but through the limit or a failed spawn, never exceeds the limit', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 4 }), (steps, n) => {
        const clock = new FakeClock();
        const within = 60_000;
        const limiter = new RestartLimiter({ limit: { n, within_ms: within } }, clock, () => 0.5);
        let machine: MachineState = { state: 'stopped' };
        let processes = 0;
        let started = false;
        let timerPending = false;
        const restartTimes: number[] = [];
        const apply = (event: ApplianceEvent, action: Action): void => {
          let verdict: RestartVerdict | undefined;
          const next = transition(machine, event, {
            watched: true,
            depsReady: true,
            action,
            preview: () => (verdict = limiter.preview()),
            retryDelayMs: 100,
          });
          if (!next.accepted) return;
          if (next.state === 'failed' && machine.state !== 'failed') {
            const viaLimit = verdict?.verdict === 'fail' || machine.then?.kind === 'fail';
            const viaSpawn = event.kind === 'crash' && event.reason.kind === 'spawn-error' && !event.reason.transient;
            expect(viaLimit || viaSpawn).toBe(true);
          }
          machine = { state: next.state, ...(next.then ? { then: next.then } : {}) };
          for (const effect of next.effects) {
            if (effect.kind === 'count-restart') {
              limiter.count();
              restartTimes.push(clock.now());
            }
            if (effect.kind === 'spawn') {
              expect(processes).toBe(0);
              processes = 1;
              started = false;
            }
            if (effect.kind === 'schedule-start') timerPending = true;
            if (effect.kind === 'cancel-start') timerPending = false;
          }
        };
        for (const s of steps) {
          switch (s.kind) {
            case 'operator-start':
              limiter.reset();
              restartTimes.length = 0;
              apply({ kind: 'start', n: 1 }, 'ignore');
              break;
            case 'operator-stop':
              apply({ kind: 'stop-request', kill: s.kill }, 'ignore');
              break;
            case 'started':
              if (processes === 1 && !started && machine.state === 'starting') {
                started = true;
                limiter.started();
                apply({ kind: 'started', pid: 1 }, 'ignore');
              }
              break;
            case 'exit':
            case 'spawn-error':
              if (processes === 1 && (s.kind === 'exit' || !started)) {
                processes = 0;
                const stopping = machine.state === 'stopping';
                const event: ApplianceEvent = s.kind === 'spawn-error'
                  ? { kind: 'crash', reason: { kind: 'spawn-error', message: 'x', transient: s.transient } }
                  : stopping || s.code === 0 ? { kind: 'stop' } : crash;
                apply(event, 'restart');
              }
              break;
            case 'watcher':
              if (processes === 1) apply({ kind: 'watcher', what: s.what, detail: '' }, 'restart');
              break;
            case 'dependency':
              apply({ kind: 'dependency', dep: 'db', what: 'crash' }, 'restart');
              break;
            case 'timer':
              if (timerPending) {
                timerPending = false;
                if (machine.state === 'failed') {
                  limiter.reset();
                  restartTimes.length = 0;
                }
                apply({ kind: 'start', n: 2 }, 'ignore');
              }
              break;
            case 'advance':
              clock.advance(s.ms);
              break;
          }
          const inWindow = restartTimes.filter((t) => t > clock.now() - within).length;
          expect(inWindow).toBeLessThanOrEqual(n);
        }
      }),
      { numRuns: 300 },
    );
  });
});
