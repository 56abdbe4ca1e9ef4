import { describe, expect, it } from 'vitest';
import type { RestartShorthand } from '../../src/appliance/model.js';
import { APPLIANCE_STATES, type ApplianceEvent, type ApplianceState } from '../../src/appliance/state.js';
import { restartWanted, transition } from '../../src/appliance/state-machine.js';

const crash: ApplianceEvent = { kind: 'crash', reason: { kind: 'exit', code: 1 } };
const stop: ApplianceEvent = { kind: 'stop' };

describe('transition', () => {
  it('starts an idle appliance by spawning it', () => {
    for (const state of ['stopped', 'crashed', 'failed', 'waiting'] as const) {
      expect(transition(state, { kind: 'start', n: 1 }, 'never')).toEqual({
        state: 'starting',
        effects: [{ kind: 'spawn' }],
        accepted: true,
      });
    }
  });

  it('ignores a start of an appliance that is already up or stopping', () => {
    for (const state of ['starting', 'running', 'stopping'] as const) {
      expect(transition(state, { kind: 'start', n: 2 }, 'always')).toEqual({ state, effects: [], accepted: false });
    }
  });

  it('marks a started process running, and an adopted one too', () => {
    expect(transition('starting', { kind: 'started', pid: 7 }, 'never').state).toBe('running');
    expect(transition('stopped', { kind: 'adopted', pid: 7 }, 'never').state).toBe('running');
    expect(transition('running', { kind: 'adopted', pid: 7 }, 'never').accepted).toBe(false);
  });

  it('signals a running appliance to stop, or kills it when asked', () => {
    expect(transition('running', { kind: 'stop-request', kill: false }, 'always')).toEqual({
      state: 'stopping',
      effects: [{ kind: 'signal', mode: 'stop' }],
      accepted: true,
    });
    expect(transition('starting', { kind: 'stop-request', kill: true }, 'always').effects).toEqual([
      { kind: 'signal', mode: 'kill' },
    ]);
  });

  it('escalates a stop in progress to a kill, but does not signal twice for a second stop', () => {
    expect(transition('stopping', { kind: 'stop-request', kill: true }, 'never').effects).toEqual([
      { kind: 'signal', mode: 'kill' },
    ]);
    expect(transition('stopping', { kind: 'stop-request', kill: false }, 'never').accepted).toBe(false);
  });

  it('cancels a scheduled restart when asked to stop', () => {
    expect(transition('waiting', { kind: 'stop-request', kill: false }, 'always')).toEqual({
      state: 'stopped',
      effects: [],
      accepted: true,
    });
  });

  it('never counts an exit after a stop request as a crash, whatever the policy', () => {
    for (const policy of ['always', 'crash', 'never'] as const) {
      expect(transition('stopping', crash, policy)).toEqual({ state: 'stopped', effects: [], accepted: true });
      expect(transition('stopping', stop, policy)).toEqual({ state: 'stopped', effects: [], accepted: true });
    }
  });

  it.each<[RestartShorthand, ApplianceEvent, ApplianceState, boolean]>([
    ['always', crash, 'waiting', true],
    ['always', stop, 'waiting', true],
    ['crash', crash, 'waiting', true],
    ['crash', stop, 'stopped', false],
    ['never', crash, 'crashed', false],
    ['never', stop, 'stopped', false],
  ])('with restart = %s, an ending (%o) leads to %s', (policy, event, state, restarts) => {
    for (const from of ['starting', 'running'] as const) {
      const next = transition(from, event, policy);
      expect(next.state).toBe(state);
      expect(next.effects).toEqual(restarts ? [{ kind: 'restart' }] : []);
    }
  });

  it('fails an appliance whose process could not even be spawned, instead of looping', () => {
    const spawnError: ApplianceEvent = { kind: 'crash', reason: { kind: 'spawn-error', message: 'ENOENT' } };
    expect(transition('starting', spawnError, 'always')).toEqual({ state: 'failed', effects: [], accepted: true });
  });

  it('ignores an ending reported for an appliance that is not up', () => {
    for (const state of ['stopped', 'crashed', 'failed', 'waiting'] as const) {
      expect(transition(state, crash, 'always').accepted).toBe(false);
    }
  });

  it('forgets only an idle appliance on delete', () => {
    expect(transition('stopped', { kind: 'delete' }, 'never').effects).toEqual([{ kind: 'forget' }]);
    expect(transition('running', { kind: 'delete' }, 'never').accepted).toBe(false);
  });

  it('answers every (state, event) pair with a known state', () => {
    const events: ApplianceEvent[] = [
      { kind: 'start', n: 1 }, { kind: 'started', pid: 1 }, { kind: 'adopted', pid: 1 }, stop, crash,
      { kind: 'stop-request', kill: false }, { kind: 'stop-request', kill: true }, { kind: 'delete' },
    ];
    for (const state of APPLIANCE_STATES) {
      for (const event of events) {
        for (const policy of ['always', 'crash', 'never'] as const) {
          expect(APPLIANCE_STATES).toContain(transition(state, event, policy).state);
        }
      }
    }
  });
});

describe('restartWanted', () => {
  it('follows the shorthands: always restarts on both, crash on crash only, never on none', () => {
    expect([restartWanted('always', 'stop'), restartWanted('always', 'crash')]).toEqual([true, true]);
    expect([restartWanted('crash', 'stop'), restartWanted('crash', 'crash')]).toEqual([false, true]);
    expect([restartWanted('never', 'stop'), restartWanted('never', 'crash')]).toEqual([false, false]);
  });
});
