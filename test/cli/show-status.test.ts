import { describe, expect, it } from 'vitest';
import { plainStatusRequest } from '../../src/cli/show-status.js';

describe('plainStatusRequest', () => {
  it('reads ids, --json, --socket and --config', () => {
    expect(plainStatusRequest(['status', 'web', '--json', '--socket', '/s', 'db', '--config', '/c.toml'])).toEqual({
      ids: ['web', 'db'],
      json: true,
      local: false,
      hosts: [],
      socket: '/s',
      config: '/c.toml',
    });
    expect(plainStatusRequest(['status'])).toEqual({ ids: [], json: false, local: false, hosts: [] });
  });

  it('reads the cluster\'s --local and each --host', () => {
    expect(plainStatusRequest(['status', '--host', 'a', 'web', '--host', 'b'])).toEqual({ ids: ['web'], json: false, local: false, hosts: ['a', 'b'] });
    expect(plainStatusRequest(['status', '--local'])).toEqual({ ids: [], json: false, local: true, hosts: [] });
  });

  it('leaves every other form to oclif: help, unknown flags, = forms, a flag without its value, other commands', () => {
    for (const argv of [['status', '--help'], ['status', '-x'], ['status', '--socket=/s'], ['status', '--socket'], ['status', '--host'], ['status', '--host', '--json'], ['status', '--local', '--host', 'a'], ['logs', 'web'], []]) {
      expect(plainStatusRequest(argv)).toBeUndefined();
    }
  });
});
