import { describe, expect, it } from 'vitest';
import { actionFor, type SupervisedEvent } from '../../src/supervision/bindings.js';
import { shorthandPolicy, type EventBindings } from '../../src/model/restart-policy.js';

const custom: EventBindings = {
  stop: 'ignore',
  crash: 'restart',
  watcher: { down: 'stop', timeout: 'destroy' },
  dependency: { db: 'restart', cache: 'stop', _: 'ignore' },
};

describe('actionFor', () => {
  it('answers the action bound to an exit', () => {
    expect(actionFor(custom, { kind: 'stop' })).toBe('ignore');
    expect(actionFor(custom, { kind: 'crash' })).toBe('restart');
  });

  it('answers the action bound to what a watcher reported', () => {
    expect(actionFor(custom, { kind: 'watcher', what: 'down' })).toBe('stop');
    expect(actionFor(custom, { kind: 'watcher', what: 'timeout' })).toBe('destroy');
  });

  it('looks a dependency up by its name first, whatever happened to it', () => {
    for (const what of ['stop', 'crash', 'failed', 'watcher-down', 'watcher-timeout'] as const) {
      expect(actionFor(custom, { kind: 'dependency', dep: 'db', what })).toBe('restart');
      expect(actionFor(custom, { kind: 'dependency', dep: 'cache', what })).toBe('stop');
    }
  });

  it('falls back to the `_` binding for a dependency not named', () => {
    const bindings: EventBindings = { ...custom, dependency: { db: 'ignore', _: 'restart' } };
    expect(actionFor(bindings, { kind: 'dependency', dep: 'queue', what: 'crash' })).toBe('restart');
    expect(actionFor(bindings, { kind: 'dependency', dep: 'db', what: 'crash' })).toBe('ignore');
  });

  it('ignores a dependency bound neither by name nor by `_`', () => {
    const bindings: EventBindings = { ...custom, dependency: { db: 'restart' } };
    expect(actionFor(bindings, { kind: 'dependency', dep: 'queue', what: 'failed' })).toBe('ignore');
  });

  it('does not mistake a property every object has for a binding', () => {
    const bindings: EventBindings = { ...custom, dependency: { _: 'stop' } };
    for (const dep of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(actionFor(bindings, { kind: 'dependency', dep, what: 'crash' })).toBe('stop');
    }
    expect(actionFor({ ...custom, dependency: {} }, { kind: 'dependency', dep: 'constructor', what: 'crash' })).toBe('ignore');
  });

  it('gives the shorthands their documented meaning', () => {
    const events: SupervisedEvent[] = [
      { kind: 'stop' },
      { kind: 'crash' },
      { kind: 'watcher', what: 'down' },
      { kind: 'watcher', what: 'timeout' },
      { kind: 'dependency', dep: 'db', what: 'crash' },
    ];
    const table = (shorthand: 'always' | 'crash' | 'never') =>
      events.map((event) => actionFor(shorthandPolicy(shorthand).bindings, event));
    expect(table('always')).toEqual(['restart', 'restart', 'restart', 'restart', 'ignore']);
    expect(table('crash')).toEqual(['ignore', 'restart', 'ignore', 'ignore', 'ignore']);
    expect(table('never')).toEqual(['ignore', 'ignore', 'ignore', 'ignore', 'ignore']);
  });
});
