/**
 * Every (state, event) cell of the appliance's state machine, pinned like s6's
 * `actions[state][event]`: the next state and the effects, in order. `-`: the event means
 * nothing there (not accepted). `stopping>restart`: stopping, with a restart to follow.
 *
 * The columns run with the bindings of `restart = "always"` (every event bound to restart, the
 * limiter allowing one at once), watchers present and dependencies running; the second table
 * pins what the other bindings and verdicts change.
 */
import { describe, expect, it } from 'vitest';
import { transition, type Effect, type MachineContext, type MachineState } from '../../src/appliance/state-machine.js';
import type { ApplianceEvent } from '../../src/model/appliance-state.js';
import type { Action } from '../../src/model/restart-policy.js';
import type { RestartVerdict } from '../../src/supervision/restart-limiter.js';

const COLUMNS: [string, MachineState][] = [
  ['starting', { state: 'starting' }],
  ['alive', { state: 'alive' }],
  ['running', { state: 'running' }],
  ['stopping', { state: 'stopping' }],
  ['stopping>restart', { state: 'stopping', then: { kind: 'restart', delay_ms: 0 } }],
  ['stopped', { state: 'stopped' }],
  ['crashed', { state: 'crashed' }],
  ['failed', { state: 'failed' }],
  ['waiting', { state: 'waiting' }],
];

const EVENTS = {
  start: { kind: 'start', n: 1 },
  started: { kind: 'started', pid: 9 },
  adopted: { kind: 'adopted', pid: 9 },
  exit0: { kind: 'stop' },
  crash: { kind: 'crash', reason: { kind: 'exit', code: 1 } },
  lost: { kind: 'crash', reason: { kind: 'spawn-error', message: 'the shim died', transient: true } },
  nospawn: { kind: 'crash', reason: { kind: 'spawn-error', message: 'ENOENT' } },
  away: { kind: 'crash', reason: { kind: 'exit', code: 1 }, away: true },
  up: { kind: 'watcher', what: 'up', detail: '' },
  down: { kind: 'watcher', what: 'down', detail: 'refused' },
  dep: { kind: 'dependency', dep: 'db', what: 'crash' },
  deptime: { kind: 'dependency-timeout', missing: ['db'] },
  stop: { kind: 'stop-request', kill: false },
  kill: { kind: 'stop-request', kill: true },
  delete: { kind: 'delete' },
} satisfies Record<string, ApplianceEvent>;

const TABLE: Record<keyof typeof EVENTS, string[]> = {
  //           starting                       alive                          running                        stopping         stopping>restart stopped                  crashed                  failed                   waiting
  start:     ['-',                           '-',                           '-',                           '-',             '-',             'starting spawn',        'starting spawn',        'starting cancel spawn', 'starting cancel spawn'],
  started:   ['alive',                       '-',                           '-',                           '-',             '-',             '-',                     '-',                     '-',                     '-'],
  adopted:   ['alive',                       '-',                           '-',                           '-',             '-',             'alive',                 'alive',                 'alive',                 'alive'],
  exit0:     ['waiting count sched',         'waiting count sched',         'waiting count sched',         'stopped',       'waiting sched', '-',                     '-',                     '-',                     '-'],
  crash:     ['waiting count sched',         'waiting count sched',         'waiting count sched',         'stopped',       'waiting sched', '-',                     '-',                     '-',                     '-'],
  lost:      ['waiting retry',               'waiting retry',               'waiting retry',               'stopped',       'waiting sched', '-',                     '-',                     '-',                     '-'],
  nospawn:   ['failed',                      'failed',                      'failed',                      'stopped',       'waiting sched', '-',                     '-',                     '-',                     '-'],
  away:      ['waiting count sched',         'waiting count sched',         'waiting count sched',         'stopped',       'waiting sched', 'waiting count sched',   'waiting count sched',   'waiting count sched',   '-'],
  up:        ['-',                           'running',                     '-',                           '-',             '-',             '-',                     '-',                     '-',                     '-'],
  down:      ['-',                           'stopping>restart count stop', 'stopping>restart count stop', '-',             '-',             '-',                     '-',                     '-',                     '-'],
  dep:       ['stopping>restart count stop', 'stopping>restart count stop', 'stopping>restart count stop', '-',             '-',             '-',                     '-',                     '-',                     '-'],
  deptime:   ['-',                           '-',                           '-',                           '-',             '-',             '-',                     '-',                     '-',                     'stopped'],
  stop:      ['stopping stop',               'stopping stop',               'stopping stop',               '-',             'stopping',      '-',                     '-',                     'stopped cancel',        'stopped cancel'],
  kill:      ['stopping kill',               'stopping kill',               'stopping kill',               'stopping kill', 'stopping kill', '-',                     '-',                     'stopped cancel',        'stopped cancel'],
  delete:    ['-',                           '-',                           '-',                           '-',             '-',             'stopped cancel forget', 'crashed cancel forget', 'failed cancel forget',  'waiting cancel forget'],
};

const restartNow: RestartVerdict = { verdict: 'restart', delay_ms: 0, reason: 'restart 1' };

function context(action: Action = 'restart', verdict: RestartVerdict = restartNow, extra: Partial<MachineContext> = {}): MachineContext {
  return { watched: true, depsReady: true, action, preview: () => verdict, retryDelayMs: 100, ...extra };
}

function short(effect: Effect): string {
  switch (effect.kind) {
    case 'count-restart':
      return 'count';
    case 'signal':
      return effect.mode;
    case 'schedule-start':
      return effect.retry ? 'retry' : 'sched';
    case 'cancel-start':
      return 'cancel';
    case 'await-dependencies':
      return 'await';
    case 'spawn':
    case 'forget':
      return effect.kind;
  }
}

/** One cell, written as the tables write it. */
function cell(from: MachineState, event: ApplianceEvent, ctx: MachineContext): string {
  const next = transition(from, event, ctx);
  if (!next.accepted) return '-';
  return [next.state + (next.then ? `>${next.then.kind}` : ''), ...next.effects.map(short)].join(' ');
}

describe('the state machine, cell by cell', () => {
  it.each(Object.entries(TABLE))('answers %s in every state as the table says', (name, row) => {
    const event = EVENTS[name as keyof typeof EVENTS];
    expect(COLUMNS.map(([, from]) => cell(from, event, context()))).toEqual(row);
  });

  it.each<[string, Action, RestartVerdict, ApplianceEvent, string]>([
    ['a crash bound to ignore', 'ignore', restartNow, EVENTS.crash, 'crashed'],
    ['a crash bound to stop', 'stop', restartNow, EVENTS.crash, 'crashed'],
    ['an exit 0 bound to ignore', 'ignore', restartNow, EVENTS.exit0, 'stopped'],
    ['a crash bound to destroy', 'destroy', restartNow, EVENTS.crash, 'stopped forget'],
    ['a crash past the limit', 'restart', { verdict: 'fail', reason: '5 restarts in 1m' }, EVENTS.crash, 'failed'],
    ['a crash past the limit, with retry_after', 'restart', { verdict: 'fail', reason: 'x', retry_in_ms: 600_000 }, EVENTS.crash, 'failed sched'],
    ['a crash with a delay', 'restart', { verdict: 'restart', delay_ms: 400, reason: 'backoff' }, EVENTS.crash, 'waiting count sched'],
    ['a watcher down bound to ignore', 'ignore', restartNow, EVENTS.down, 'alive'],
    ['a watcher down bound to stop', 'stop', restartNow, EVENTS.down, 'stopping stop'],
    ['a watcher down bound to destroy', 'destroy', restartNow, EVENTS.down, 'stopping>destroy stop'],
    ['a watcher down past the limit', 'restart', { verdict: 'fail', reason: 'x' }, EVENTS.down, 'stopping>fail stop'],
    ['a dependency crash bound to ignore', 'ignore', restartNow, EVENTS.dep, 'running'],
  ])('answers %s, in running, as the binding says', (_what, action, verdict, event, expected) => {
    expect(cell({ state: 'running' }, event, context(action, verdict))).toBe(expected);
  });

  it('waits for dependencies that do not run yet, and starts without watchers straight to running', () => {
    expect(cell({ state: 'stopped' }, EVENTS.start, context('ignore', restartNow, { depsReady: false }))).toBe('waiting await');
    expect(cell({ state: 'starting' }, EVENTS.started, context('ignore', restartNow, { watched: false }))).toBe('running');
  });

  it('never asks the limiter where no restart is bound', () => {
    let asked = 0;
    const counting = context('ignore', restartNow, { preview: () => (asked++, restartNow) });
    for (const [, from] of COLUMNS) for (const event of Object.values(EVENTS)) cell(from, event, counting);
    expect(asked).toBe(0);
  });
});
