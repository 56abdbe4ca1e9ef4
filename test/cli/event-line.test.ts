import { describe, expect, it } from 'vitest';
import { renderEvent } from '../../src/cli/event-line.js';
import { painter } from '../../src/cli/style.js';

const base = { time: '2024-01-01T00:00:00.000Z', ref: 'r1', name: 'web' };

describe('renderEvent', () => {
  it('prints TIME NAME EVENT -> STATE with the event facts', () => {
    expect(renderEvent({ ...base, event: { kind: 'started', pid: 4242 }, state: 'running' }, painter(false)))
      .toBe('2024-01-01T00:00:00.000Z web started pid=4242 -> running');
  });

  it('words an exit reason the way status does', () => {
    const event = { kind: 'crash', reason: { kind: 'exit', code: 1 } };
    expect(renderEvent({ ...base, event, state: 'crashed' }, painter(false)))
      .toBe('2024-01-01T00:00:00.000Z web crash (exit 1) -> crashed');
  });

  it('handles the removed pseudo-state', () => {
    expect(renderEvent({ ...base, event: { kind: 'delete' }, state: 'removed' }, painter(false)))
      .toBe('2024-01-01T00:00:00.000Z web delete -> removed');
  });
});
