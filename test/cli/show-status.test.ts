import { describe, expect, it } from 'vitest';
import { plainStatusRequest } from '../../src/cli/show-status.js';

describe('plainStatusRequest', () => {
  it('reads ids, --json, --socket and --config', () => {
    expect(plainStatusRequest(['status', 'web', '--json', '--socket', '/s', 'db', '--config', '/c.toml'])).toEqual({
      ids: ['web', 'db'],
      json: true,
      socket: '/s',
      config: '/c.toml',
    });
    expect(plainStatusRequest(['status'])).toEqual({ ids: [], json: false });
  });

  it('leaves every other form to oclif: help, unknown flags, = forms, a flag without its value, other commands', () => {
    for (const argv of [['status', '--help'], ['status', '-x'], ['status', '--socket=/s'], ['status', '--socket'], ['logs', 'web'], []]) {
      expect(plainStatusRequest(argv)).toBeUndefined();
    }
  });
});
