import { describe, expect, it } from 'vitest';
import { errorStack, SpewError } from '../../src/common/errors.js';

describe('SpewError', () => {
  it('keeps the error it stands for as its cause', () => {
    const cause = new Error('EACCES: permission denied');
    const err = new SpewError('INVALID_CONFIG', 'cannot read a.toml: EACCES: permission denied', { cause });
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('cannot read a.toml: EACCES: permission denied');
    expect(err.httpStatus).toBe(400);
  });

  it('has no cause when given none', () => {
    expect(new SpewError('INTERNAL', 'x').cause).toBeUndefined();
  });
});

describe('errorStack', () => {
  it('shows the stack, then each cause after "caused by:"', () => {
    const root = new TypeError('boom');
    const middle = new Error('saving state', { cause: root });
    const top = new SpewError('INTERNAL', 'request failed', { cause: middle });
    const parts = errorStack(top).split('\ncaused by: ');
    expect(parts).toHaveLength(3);
    expect(parts[0]).toBe(top.stack);
    expect(parts[1]).toBe(middle.stack);
    expect(parts[2]).toBe(root.stack);
  });

  it('shows a cause that is no error as text, and a chain that loops once', () => {
    expect(errorStack(new Error('a', { cause: 'the disk' })).endsWith('\ncaused by: the disk')).toBe(true);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorStack(a).split('\ncaused by: ')).toEqual([a.stack, b.stack]);
    expect(errorStack('just words')).toBe('just words');
  });
});
