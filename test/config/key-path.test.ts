import { describe, expect, it } from 'vitest';
import { formatKeyPath } from '../../src/config/key-path.js';

describe('formatKeyPath', () => {
  it('joins bare keys with dots after the prefix', () => {
    expect(formatKeyPath('web', ['env', 'PORT'])).toBe('web.env.PORT');
  });

  it('writes array indexes in brackets', () => {
    expect(formatKeyPath('web', ['hooks', 'start', 0, 'run'])).toBe('web.hooks.start[0].run');
  });

  it('quotes keys that TOML could not write bare', () => {
    expect(formatKeyPath('', ['web#vsn:2', 'restart'])).toBe('"web#vsn:2".restart');
    expect(formatKeyPath('web', ['env', 'A B'])).toBe('web.env."A B"');
  });

  it('starts without a dot when there is no prefix', () => {
    expect(formatKeyPath('', ['command'])).toBe('command');
    expect(formatKeyPath('', [])).toBe('');
  });
});
